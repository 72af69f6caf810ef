//! View models of a questionnaire page for the templates: one field per visible question, with its ids, help, error, and the value to show (what was typed when the page is shown again).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::questionnaire::{
    BlockView, FieldError, FieldErrorCode, IdentityField, PageView, QuestionKind, QuestionView,
};

/// A block of a page, ready for `contract/page.html`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "block", rename_all = "snake_case")]
pub enum BlockCtx {
    /// Sanitised HTML.
    Text { html: String },
    /// A question.
    Field(Box<FieldCtx>),
}

/// A question's field(s).
#[derive(Debug, Clone, Serialize)]
pub struct FieldCtx {
    /// `short_text`, `single_choice`… (the template's switch).
    pub kind: &'static str,
    /// The id of the input (or of the first option for choices): `q-<question id>`.
    pub input_id: String,
    /// The form field name: `q.<question id>`.
    pub name: String,
    pub label: String,
    pub help_html: Option<String>,
    pub help_id: String,
    pub statement_html: Option<String>,
    pub statement_id: String,
    pub required: bool,
    pub read_only: bool,
    /// Text inputs: the value to fill in. Read-only identity: the value shown.
    pub value: String,
    /// Boxes: ticked.
    pub checked: bool,
    pub options: Vec<OptionCtx>,
    /// The message next to the field.
    pub error: Option<String>,
    pub error_id: String,
    /// The question appeared because of an answer on this page (not an error yet).
    pub revealed: bool,
    /// `aria-describedby`: help, unit, error ids.
    pub describedby: String,
    /// `<input type>`: text, email, date.
    pub input_type: &'static str,
    pub inputmode: Option<&'static str>,
    pub autocomplete: Option<&'static str>,
    pub placeholder: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub unit: Option<String>,
    pub unit_id: String,
}

/// An option of a choice question.
#[derive(Debug, Clone, Serialize)]
pub struct OptionCtx {
    pub input_id: String,
    pub value: String,
    pub label: String,
    pub help_html: Option<String>,
    pub help_id: String,
    pub selected: bool,
}

/// A link of the error summary.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorLink {
    /// `#q-<id>` (the field or its first option).
    pub href: String,
    pub label: String,
    pub message: String,
}

/// How to fill the fields: from the saved answers, or from what was just posted.
pub enum Values<'a> {
    Saved,
    Posted(&'a BTreeMap<String, Vec<String>>),
}

/// A page's fields, its error summary, and whether some questions appeared only because of
/// the answers just posted.
pub struct PageFields {
    pub blocks: Vec<BlockCtx>,
    pub errors: Vec<ErrorLink>,
    pub revealed: usize,
}

/// Builds the fields of `page`. `shown_before` holds the question ids the student saw when
/// they posted (a required question they never saw is "revealed", not "in error").
pub fn page_fields(
    page: &PageView<'_>,
    values: Values<'_>,
    errors: &[FieldError],
    shown_before: Option<&HashSet<String>>,
) -> PageFields {
    let mut blocks = Vec::with_capacity(page.blocks.len());
    let mut links = Vec::new();
    let mut revealed = 0;
    for block in &page.blocks {
        match block {
            BlockView::Text { html } => blocks.push(BlockCtx::Text {
                html: (*html).to_owned(),
            }),
            BlockView::Question(q) => {
                let error = errors.iter().find(|e| e.question_id == q.id);
                let posted = match &values {
                    Values::Posted(map) => map.get(q.id).map(Vec::as_slice),
                    Values::Saved => None,
                };
                let is_new = shown_before.is_some_and(|s| !s.contains(q.id));
                let mut field = field(q, posted, matches!(values, Values::Posted(_)));
                match error {
                    Some(e)
                        if is_new
                            && e.code == FieldErrorCode::Required
                            && posted.is_none_or(|p| p.iter().all(|v| v.trim().is_empty())) =>
                    {
                        field.revealed = true;
                        revealed += 1;
                    }
                    Some(e) => {
                        field.error = Some(e.message.clone());
                        links.push(ErrorLink {
                            href: format!("#{}", first_input(&field)),
                            label: q.label.to_owned(),
                            message: e.message.clone(),
                        });
                    }
                    None if is_new => {
                        field.revealed = true;
                        revealed += 1;
                    }
                    None => {}
                }
                field.describedby = describedby(&field);
                blocks.push(BlockCtx::Field(Box::new(field)));
            }
        }
    }
    PageFields {
        blocks,
        errors: links,
        revealed,
    }
}

fn first_input(f: &FieldCtx) -> String {
    match f.options.first() {
        Some(o) if f.kind == "single_choice" || f.kind == "multiple_choice" => o.input_id.clone(),
        _ => f.input_id.clone(),
    }
}

fn describedby(f: &FieldCtx) -> String {
    let mut ids = Vec::new();
    if f.statement_html.is_some() {
        ids.push(f.statement_id.as_str());
    }
    if f.help_html.is_some() {
        ids.push(f.help_id.as_str());
    }
    if f.unit.is_some() {
        ids.push(f.unit_id.as_str());
    }
    if f.error.is_some() {
        ids.push(f.error_id.as_str());
    }
    ids.join(" ")
}

/// One question's field. `posted` are the values typed for it (`None`: not posted); with
/// `from_post`, an absent value means "left empty", not "use the saved answer".
fn field(q: &QuestionView<'_>, posted: Option<&[String]>, from_post: bool) -> FieldCtx {
    let base = format!("q-{}", q.id);
    let typed: Option<&[String]> = if from_post && !q.read_only {
        Some(posted.unwrap_or(&[]))
    } else {
        None
    };
    let value = match typed {
        Some(values) => values.first().cloned().unwrap_or_default(),
        None => q.input_value.clone(),
    };
    let checked = match typed {
        Some(values) => values.iter().any(|v| !v.trim().is_empty()),
        None => q.checked,
    };
    let options = q
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| OptionCtx {
            input_id: format!("{base}-{i}"),
            value: o.value.to_owned(),
            label: o.label.to_owned(),
            help_html: o.help_html.map(str::to_owned),
            help_id: format!("{base}-{i}-help"),
            selected: match typed {
                Some(values) => values.iter().any(|v| v == o.value),
                None => o.selected,
            },
        })
        .collect();
    let mut f = FieldCtx {
        kind: q.type_name,
        input_id: base.clone(),
        name: q.field_name.clone(),
        label: q.label.to_owned(),
        help_html: q.help_html.map(str::to_owned),
        help_id: format!("{base}-help"),
        statement_html: q.statement_html.map(str::to_owned),
        statement_id: format!("{base}-statement"),
        required: q.required,
        read_only: q.read_only,
        value,
        checked,
        options,
        error: None,
        error_id: format!("{base}-error"),
        revealed: false,
        describedby: String::new(),
        input_type: "text",
        inputmode: None,
        autocomplete: None,
        placeholder: None,
        min: None,
        max: None,
        unit: None,
        unit_id: format!("{base}-unit"),
    };
    match q.kind {
        QuestionKind::ShortText(rules) | QuestionKind::LongText(rules) => {
            f.placeholder = rules.placeholder.clone();
        }
        QuestionKind::Number(rules) => {
            f.inputmode = Some(if rules.integer == Some(true) {
                "numeric"
            } else {
                "decimal"
            });
            f.unit = rules.unit.clone();
        }
        QuestionKind::Date(rules) => {
            f.input_type = "date";
            f.min = rules.min.clone();
            f.max = rules.max.clone();
        }
        QuestionKind::Identity(rules) => {
            let (kind, autocomplete) = match rules.field {
                IdentityField::FullName => ("text", "name"),
                IdentityField::GivenName => ("text", "given-name"),
                IdentityField::FamilyName => ("text", "family-name"),
                IdentityField::Email => ("email", "email"),
                IdentityField::StudentNumber => ("text", "off"),
            };
            f.input_type = kind;
            f.autocomplete = Some(autocomplete);
        }
        _ => {}
    }
    f
}
