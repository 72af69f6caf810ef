//! Visibility: which pages, blocks, questions and options are shown for given answers, and the views the web layer renders.

use std::collections::HashMap;
use std::fmt;

use cel::Value;
use serde::Serialize;

use super::answers::{AnswerValue, Answers};
use super::condition::eval::{answer_to_cel, attribute_to_cel, map_value, unanswered};
use super::condition::{self, names};
use super::env::{Environment, PreparedItem};
use super::index::Questionnaire;
use super::model::{Block, ChoiceOption, Condition, Question, QuestionKind};

/// A condition that could not be evaluated at run time; the element it guards was hidden.
///
/// Not a student error: log it for the designer (e.g. `tracing::warn!`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalProblem {
    /// Which element, e.g. `page « statut »` or `option « tiers_temps » de « amenagements »`.
    pub location: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for EvalProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} : {}", self.location, self.message)
    }
}

/// An offered option: written in the questionnaire or taken from the formation's list.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OptionRef<'a> {
    Inline(&'a ChoiceOption),
    Item(&'a PreparedItem),
}

impl<'a> OptionRef<'a> {
    pub fn value(&self) -> &'a str {
        match self {
            OptionRef::Inline(o) => &o.value,
            OptionRef::Item(i) => &i.item.value,
        }
    }

    pub fn label(&self) -> &'a str {
        match self {
            OptionRef::Inline(o) => &o.label,
            OptionRef::Item(i) => &i.item.label,
        }
    }

    pub fn help_html(&self) -> Option<&'a str> {
        match self {
            OptionRef::Inline(o) => o.help.as_ref().map(|h| h.html()),
            OptionRef::Item(i) => i.help_html.as_deref(),
        }
    }
}

/// The result of one in-order pass over the questionnaire for given answers.
pub(crate) struct Evaluation<'a> {
    pub page_visible: Vec<bool>,
    pub block_visible: Vec<Vec<bool>>,
    pub question_visible: Vec<bool>,
    /// Visible options of each question (empty for non-choice questions).
    pub options: Vec<Vec<OptionRef<'a>>>,
    /// The answers that count: visible questions only, options still offered, identity from
    /// the launch for read-only fields.
    pub effective: Answers,
    pub problems: Vec<EvalProblem>,
}

/// The running evaluation state: CEL context plus the `reponses` map, rebuilt lazily.
struct Scope {
    ctx: cel::Context<'static, 'static>,
    answered: HashMap<String, Value>,
    answered_dirty: bool,
    problems: Vec<EvalProblem>,
}

impl Scope {
    fn eval(
        &mut self,
        compiled: Option<&condition::Compiled>,
        location: impl FnOnce() -> String,
    ) -> bool {
        let Some(c) = compiled else {
            self.problems.push(EvalProblem {
                location: location(),
                message: "condition non compilée".into(),
            });
            return false;
        };
        if c.uses_answers_map && self.answered_dirty {
            self.ctx
                .add_variable_from_value(names::ANSWERS, map_value(self.answered.clone()));
            self.answered_dirty = false;
        }
        match c.eval(&self.ctx) {
            Ok(b) => b,
            Err(e) => {
                self.problems.push(EvalProblem {
                    location: location(),
                    message: e.0,
                });
                false
            }
        }
    }

    fn condition(
        &mut self,
        condition: Option<&Condition>,
        location: impl FnOnce() -> String,
    ) -> bool {
        match condition {
            None => true,
            Some(c) => self.eval(c.compiled(), location),
        }
    }
}

fn is_iso_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// The value that counts for a visible question, given its raw answer.
pub(crate) fn effective_value(
    q: &Question,
    raw: Option<&AnswerValue>,
    options: &[OptionRef<'_>],
    env: &Environment,
) -> Option<AnswerValue> {
    match (&q.kind, raw) {
        (QuestionKind::Identity(rules), raw) => {
            let from_launch = || {
                env.identity
                    .get(rules.field)
                    .map(|s| AnswerValue::Text(s.to_owned()))
            };
            if q.is_read_only() {
                from_launch()
            } else {
                match raw {
                    Some(AnswerValue::Text(t)) if !t.trim().is_empty() => {
                        Some(AnswerValue::Text(t.clone()))
                    }
                    _ => from_launch(),
                }
            }
        }
        (QuestionKind::ShortText(_) | QuestionKind::LongText(_), Some(AnswerValue::Text(t)))
            if !t.trim().is_empty() =>
        {
            Some(AnswerValue::Text(t.clone()))
        }
        (QuestionKind::Date(_), Some(AnswerValue::Text(t))) if is_iso_date(t) => {
            Some(AnswerValue::Text(t.clone()))
        }
        (QuestionKind::Number(_), Some(AnswerValue::Number(n))) if n.is_finite() => {
            Some(AnswerValue::Number(*n))
        }
        (
            QuestionKind::Acknowledgement | QuestionKind::Engagement(_),
            Some(AnswerValue::Bool(true)),
        ) => Some(AnswerValue::Bool(true)),
        (QuestionKind::SingleChoice(_), Some(AnswerValue::Text(v))) => options
            .iter()
            .any(|o| o.value() == v)
            .then(|| AnswerValue::Text(v.clone())),
        (QuestionKind::MultipleChoice(_), Some(AnswerValue::List(values))) => {
            let kept: Vec<String> = options
                .iter()
                .filter(|o| values.iter().any(|v| v == o.value()))
                .map(|o| o.value().to_owned())
                .collect();
            (!kept.is_empty()).then_some(AnswerValue::List(kept))
        }
        _ => None,
    }
}

/// Evaluates every condition in document order for `answers`.
///
/// A condition only sees questions before it, each with its effective value (or its
/// unanswered value if hidden), so visibility never depends on later answers.
pub(crate) fn evaluate<'a>(
    q: &'a Questionnaire,
    env: &'a Environment,
    answers: &Answers,
) -> Evaluation<'a> {
    let mut scope = Scope {
        ctx: condition::new_context(),
        answered: HashMap::new(),
        answered_dirty: true,
        problems: Vec::new(),
    };
    let formation = env.formation();
    let mut fields: HashMap<String, Value> = q
        .doc
        .formation_attributes
        .iter()
        .map(|(name, decl)| {
            (
                name.clone(),
                attribute_to_cel(formation.attributes.get(name), decl.kind),
            )
        })
        .collect();
    fields.insert(
        names::FORMATION_CODE.into(),
        Value::from(formation.code.clone()),
    );
    fields.insert(
        names::FORMATION_TITLE.into(),
        Value::from(formation.title.clone()),
    );
    scope
        .ctx
        .add_variable_from_value(names::FORMATION, map_value(fields));
    scope
        .ctx
        .add_variable_from_value(names::ACADEMIC_YEAR, env.academic_year.clone());
    scope
        .ctx
        .add_variable_from_value(names::YEAR, env.start_year());
    scope
        .ctx
        .add_variable_from_value(names::PREVIOUS_CONTRACT, env.previous_contract);

    let mut out = Evaluation {
        page_visible: Vec::with_capacity(q.doc.pages.len()),
        block_visible: Vec::with_capacity(q.doc.pages.len()),
        question_visible: Vec::with_capacity(q.locs.len()),
        options: Vec::with_capacity(q.locs.len()),
        effective: Answers::new(),
        problems: Vec::new(),
    };
    for page in &q.doc.pages {
        let page_visible =
            scope.condition(page.condition.as_ref(), || format!("page « {} »", page.id));
        let mut blocks = Vec::with_capacity(page.blocks.len());
        for block in &page.blocks {
            match block {
                Block::Text(t) => {
                    let visible = page_visible
                        && scope.condition(t.condition.as_ref(), || {
                            format!("texte de la page « {} »", page.id)
                        });
                    blocks.push(visible);
                }
                Block::Question(question) => {
                    let visible = page_visible
                        && scope.condition(question.condition.as_ref(), || {
                            format!("question « {} »", question.id)
                        });
                    let mut offered = Vec::new();
                    if visible && let Some(source) = question.choice_source() {
                        for o in source.options {
                            let shown = scope.condition(o.condition.as_ref(), || {
                                format!("option « {} » de « {} »", o.value, question.id)
                            });
                            if shown {
                                offered.push(OptionRef::Inline(o));
                            }
                        }
                        if let Some(list) = source.options_from {
                            let items = env
                                .prepared()
                                .lists
                                .get(list)
                                .map(Vec::as_slice)
                                .unwrap_or(&[]);
                            for item in items {
                                if offered.iter().any(|o| o.value() == item.item.value) {
                                    continue;
                                }
                                let location = || {
                                    format!(
                                        "élément « {} » de la liste « {list} » (formation {})",
                                        item.item.value, formation.code
                                    )
                                };
                                let shown = match &item.condition {
                                    None => true,
                                    Some(Ok(c)) => scope.eval(Some(c), location),
                                    Some(Err(e)) => {
                                        scope.problems.push(EvalProblem {
                                            location: location(),
                                            message: e.clone(),
                                        });
                                        false
                                    }
                                };
                                if shown {
                                    offered.push(OptionRef::Item(item));
                                }
                            }
                        }
                    }
                    let value = if visible {
                        effective_value(question, answers.get(&question.id), &offered, env)
                    } else {
                        None
                    };
                    let cel_value = match &value {
                        Some(v) => {
                            let cv = answer_to_cel(v);
                            scope.answered.insert(question.id.clone(), cv.clone());
                            scope.answered_dirty = true;
                            out.effective.insert(question.id.clone(), v.clone());
                            cv
                        }
                        None => unanswered(&question.kind),
                    };
                    scope
                        .ctx
                        .add_variable_from_value(question.id.clone(), cel_value);
                    out.question_visible.push(visible);
                    out.options.push(offered);
                    blocks.push(visible);
                }
            }
        }
        out.page_visible.push(page_visible);
        out.block_visible.push(blocks);
    }
    out.problems = scope.problems;
    out
}

/// What the student sees for given answers: the visible pages with their visible content.
#[derive(Debug, Clone, Serialize)]
pub struct Flow<'a> {
    /// Visible pages, in order.
    pub pages: Vec<PageView<'a>>,
    /// The answers that count (hidden questions and options no longer offered removed,
    /// identity from the launch, editable identity prefilled).
    pub answers: Answers,
    /// Conditions that failed at run time (their element is hidden): log them.
    pub problems: Vec<EvalProblem>,
}

/// A visible page.
#[derive(Debug, Clone, Serialize)]
pub struct PageView<'a> {
    /// Page id (use it in URLs).
    pub id: &'a str,
    /// Page title.
    pub title: &'a str,
    /// 1-based position among the visible pages.
    pub number: usize,
    /// Visible blocks, in order.
    pub blocks: Vec<BlockView<'a>>,
}

/// A visible block of a page.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "block", rename_all = "snake_case")]
pub enum BlockView<'a> {
    /// Sanitised HTML to insert as is.
    Text {
        /// The HTML.
        html: &'a str,
    },
    /// A question to render as form fields.
    Question(QuestionView<'a>),
}

/// A visible question with everything needed to render it.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView<'a> {
    /// Question id.
    pub id: &'a str,
    /// Form field name: `q.<id>`.
    pub field_name: String,
    /// The question kind keyword (`short_text`, `single_choice`…).
    #[serde(rename = "type")]
    pub type_name: &'static str,
    /// Label (plain text: escape it).
    pub label: &'a str,
    /// Help bubble as sanitised HTML.
    pub help_html: Option<&'a str>,
    /// For `engagement`: the commitment text as sanitised HTML.
    pub statement_html: Option<&'a str>,
    /// Whether an answer is required.
    pub required: bool,
    /// Whether the student cannot edit it (identity from the launch): render as text, no input.
    pub read_only: bool,
    /// The kind's parameters (bounds, pattern, unit, identity field…), for input attributes.
    pub kind: &'a QuestionKind,
    /// Offered options (choice questions), in order, with `selected` set from the answers.
    pub options: Vec<OptionView<'a>>,
    /// The current value, if any.
    pub value: Option<AnswerValue>,
    /// The current value as an `<input value="…">` string (`""` if none; numbers with a dot,
    /// dates as `AAAA-MM-JJ`).
    pub input_value: String,
    /// For boxes (`acknowledgement`, `engagement`): whether ticked.
    pub checked: bool,
    /// The question itself.
    #[serde(skip)]
    pub question: &'a Question,
}

/// An offered option.
#[derive(Debug, Clone, Serialize)]
pub struct OptionView<'a> {
    /// Value to post.
    pub value: &'a str,
    /// Label (plain text).
    pub label: &'a str,
    /// Help as sanitised HTML.
    pub help_html: Option<&'a str>,
    /// Whether it is part of the current answer.
    pub selected: bool,
}

pub(crate) fn input_value(value: Option<&AnswerValue>) -> String {
    match value {
        Some(AnswerValue::Text(t)) => t.clone(),
        Some(AnswerValue::Number(n)) => super::display::plain_number(*n),
        _ => String::new(),
    }
}

pub(crate) fn question_view<'a>(
    question: &'a Question,
    options: &[OptionRef<'a>],
    value: Option<AnswerValue>,
) -> QuestionView<'a> {
    let selected = |v: &str| match &value {
        Some(AnswerValue::Text(t)) => t == v,
        Some(AnswerValue::List(l)) => l.iter().any(|x| x == v),
        _ => false,
    };
    let options = options
        .iter()
        .map(|o| OptionView {
            value: o.value(),
            label: o.label(),
            help_html: o.help_html(),
            selected: selected(o.value()),
        })
        .collect();
    let statement_html = match &question.kind {
        QuestionKind::Engagement(e) => Some(e.statement.html()),
        _ => None,
    };
    QuestionView {
        id: &question.id,
        field_name: question.field_name(),
        type_name: question.kind.type_name(),
        label: &question.label,
        help_html: question.help.as_ref().map(|h| h.html()),
        statement_html,
        required: question.is_required(),
        read_only: question.is_read_only(),
        kind: &question.kind,
        options,
        input_value: input_value(value.as_ref()),
        checked: matches!(value, Some(AnswerValue::Bool(true))),
        value,
        question,
    }
}

impl<'a> Flow<'a> {
    pub(crate) fn build(q: &'a Questionnaire, eval: Evaluation<'a>) -> Flow<'a> {
        let mut pages = Vec::new();
        let mut qi = 0usize;
        for (pi, page) in q.doc.pages.iter().enumerate() {
            let page_visible = eval.page_visible.get(pi).copied().unwrap_or(false);
            let mut blocks = Vec::new();
            for (bi, block) in page.blocks.iter().enumerate() {
                let visible = eval
                    .block_visible
                    .get(pi)
                    .and_then(|b| b.get(bi))
                    .copied()
                    .unwrap_or(false);
                match block {
                    Block::Text(t) => {
                        if visible {
                            blocks.push(BlockView::Text {
                                html: t.text.html(),
                            });
                        }
                    }
                    Block::Question(question) => {
                        if visible {
                            let options = eval.options.get(qi).map(Vec::as_slice).unwrap_or(&[]);
                            let value = eval.effective.get(&question.id).cloned();
                            blocks
                                .push(BlockView::Question(question_view(question, options, value)));
                        }
                        qi += 1;
                    }
                }
            }
            if page_visible {
                pages.push(PageView {
                    id: &page.id,
                    title: &page.title,
                    number: pages.len() + 1,
                    blocks,
                });
            }
        }
        Flow {
            pages,
            answers: eval.effective,
            problems: eval.problems,
        }
    }

    /// A visible page by id.
    pub fn page(&self, id: &str) -> Option<&PageView<'a>> {
        self.pages.iter().find(|p| p.id == id)
    }

    /// The first visible page.
    pub fn first_page(&self) -> Option<&PageView<'a>> {
        self.pages.first()
    }

    /// The visible page after page `id`, if any (`None` on the last page).
    pub fn next_page(&self, id: &str) -> Option<&PageView<'a>> {
        let i = self.pages.iter().position(|p| p.id == id)?;
        self.pages.get(i + 1)
    }

    /// The visible page before page `id`, if any.
    pub fn previous_page(&self, id: &str) -> Option<&PageView<'a>> {
        let i = self.pages.iter().position(|p| p.id == id)?;
        i.checked_sub(1).and_then(|j| self.pages.get(j))
    }
}

impl Questionnaire {
    /// What the student sees for `answers`: visible pages, blocks, questions and options,
    /// with current values. Never fails: a condition that errors hides its element and is
    /// listed in [`Flow::problems`].
    pub fn flow<'a>(&'a self, env: &'a Environment, answers: &Answers) -> Flow<'a> {
        Flow::build(self, evaluate(self, env, answers))
    }

    /// The answers that count for `answers`: hidden questions and options no longer offered
    /// removed, read-only identity taken from the launch.
    pub fn clean_answers(&self, env: &Environment, answers: &Answers) -> Answers {
        evaluate(self, env, answers).effective
    }
}
