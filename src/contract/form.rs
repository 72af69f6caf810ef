//! Posted page forms: what the student typed, question by question, and the answers it would give, to show a refused page again as it was filled.

use std::collections::BTreeMap;

use crate::questionnaire::validate::parse_form;
use crate::questionnaire::{Answers, Block, FIELD_PREFIX, Questionnaire};

/// The values posted for each (editable) question of page `page_id`, as typed.
pub fn submitted(
    q: &Questionnaire,
    page_id: &str,
    form: &[(String, String)],
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(page) = q.page(page_id) else {
        return out;
    };
    for question in page.blocks.iter().filter_map(Block::as_question) {
        if question.is_read_only() {
            continue;
        }
        let values: Vec<String> = form
            .iter()
            .filter(|(name, _)| {
                name.strip_prefix(FIELD_PREFIX)
                    .is_some_and(|id| id == question.id)
            })
            .map(|(_, v)| v.clone())
            .collect();
        out.insert(question.id.clone(), values);
    }
    out
}

/// `answers` with page `page_id`'s questions replaced by what was posted (values that do not
/// parse are left out). Used only to decide which questions a refused page shows again:
/// nothing here is saved or trusted.
pub fn provisional(
    q: &Questionnaire,
    answers: &Answers,
    page_id: &str,
    form: &[(String, String)],
) -> Answers {
    let mut out = answers.clone();
    let Some(page) = q.page(page_id) else {
        return out;
    };
    let posted = submitted(q, page_id, form);
    for question in page.blocks.iter().filter_map(Block::as_question) {
        let Some(raw) = posted.get(&question.id) else {
            continue;
        };
        let raw: Vec<&str> = raw.iter().map(String::as_str).collect();
        out.remove(&question.id);
        if let Ok(Some(value)) = parse_form(question, &raw) {
            out.insert(question.id.clone(), value);
        }
    }
    out
}
