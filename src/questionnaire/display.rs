//! Human-readable answers for summaries and exports: option labels, « Oui »/« Non », dates as JJ/MM/AAAA, French numbers.

use serde::Serialize;

use super::answers::{AnswerValue, Answers};
use super::env::Environment;
use super::flow::evaluate;
use super::index::Questionnaire;
use super::model::{Block, Question, QuestionKind};

/// A number as typed in an `<input>`: `12`, `12.5`.
pub(crate) fn plain_number(n: f64) -> String {
    n.to_string()
}

/// A number the French way: `12`, `12,5`.
pub fn french_number(n: f64) -> String {
    plain_number(n).replace('.', ",")
}

/// A date as `JJ/MM/AAAA`.
pub fn french_date(date: chrono::NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// The label of option `value` of a choice question (questionnaire options first, then the
/// formation's list), or the value itself if unknown.
fn option_label(q: &Question, env: Option<&Environment>, value: &str) -> String {
    let Some(source) = q.choice_source() else {
        return value.to_owned();
    };
    if let Some(o) = source.options.iter().find(|o| o.value == value) {
        return o.label.clone();
    }
    if let (Some(list), Some(env)) = (source.options_from, env)
        && let Some(item) = env
            .formation()
            .lists
            .get(list)
            .and_then(|items| items.iter().find(|i| i.value == value))
    {
        return item.label.clone();
    }
    value.to_owned()
}

/// Renders one answer for a person: option labels joined by « ; », « Oui »/« Non »,
/// `JJ/MM/AAAA`, `12,5 heures`.
pub fn display_answer(q: &Question, env: Option<&Environment>, value: &AnswerValue) -> String {
    match (&q.kind, value) {
        (_, AnswerValue::Bool(b)) => if *b { "Oui" } else { "Non" }.to_owned(),
        (QuestionKind::Date(_), AnswerValue::Text(t)) => {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(french_date)
                .unwrap_or_else(|_| t.clone())
        }
        (QuestionKind::SingleChoice(_), AnswerValue::Text(v)) => option_label(q, env, v),
        (_, AnswerValue::List(values)) => values
            .iter()
            .map(|v| option_label(q, env, v))
            .collect::<Vec<_>>()
            .join(" ; "),
        (QuestionKind::Number(rules), AnswerValue::Number(n)) => match &rules.unit {
            Some(unit) => format!("{} {unit}", french_number(*n)),
            None => french_number(*n),
        },
        (_, AnswerValue::Number(n)) => french_number(*n),
        (_, AnswerValue::Text(t)) => t.clone(),
    }
}

/// One answered (or not) question in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryItem {
    /// Question id.
    pub question_id: String,
    /// Question label.
    pub label: String,
    /// The answer for a person, `None` if unanswered.
    pub answer: Option<String>,
}

/// The visible questions of one visible page, with their answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryPage {
    /// Page id.
    pub page_id: String,
    /// Page title.
    pub title: String,
    /// Its visible questions, in order.
    pub items: Vec<SummaryItem>,
}

impl Questionnaire {
    /// Renders the answer to question `question_id` for a person (see [`display_answer`]).
    /// `env` gives the labels of formation options; without it their values are shown.
    pub fn display_answer(
        &self,
        env: Option<&Environment>,
        question_id: &str,
        value: &AnswerValue,
    ) -> String {
        match self.question(question_id) {
            Some(q) => display_answer(q, env, value),
            None => match value {
                AnswerValue::Text(t) => t.clone(),
                other => format!("{other:?}"),
            },
        }
    }

    /// A readable summary of a contract: visible pages and questions with their answers
    /// (read-only identity from the launch), for the read-back page, PDF or exports.
    pub fn summary(&self, env: &Environment, answers: &Answers) -> Vec<SummaryPage> {
        let eval = evaluate(self, env, answers);
        let mut pages = Vec::new();
        let mut qi = 0usize;
        for (pi, page) in self.doc.pages.iter().enumerate() {
            let mut items = Vec::new();
            for q in page.blocks.iter().filter_map(Block::as_question) {
                if eval.question_visible.get(qi).copied().unwrap_or(false) {
                    items.push(SummaryItem {
                        question_id: q.id.clone(),
                        label: q.label.clone(),
                        answer: eval
                            .effective
                            .get(&q.id)
                            .map(|v| display_answer(q, Some(env), v)),
                    });
                }
                qi += 1;
            }
            if eval.page_visible.get(pi).copied().unwrap_or(false) && !items.is_empty() {
                pages.push(SummaryPage {
                    page_id: page.id.clone(),
                    title: page.title.clone(),
                    items,
                });
            }
        }
        pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_formats() {
        assert_eq!(french_number(12.0), "12");
        assert_eq!(french_number(12.5), "12,5");
        assert_eq!(plain_number(0.25), "0.25");
        let d = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
        assert_eq!(french_date(d), "01/09/2025");
    }
}
