//! Page submission (posted form → validated answers or per-field errors) and the whole-contract check before signing.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::FIELD_PREFIX;
use super::answers::Answers;
use super::env::Environment;
use super::flow::evaluate;
use super::index::Questionnaire;
use super::model::Block;
use super::validate::{FieldErrorCode, Invalid, parse_form, validate};

/// A refused answer on a submitted page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The question id.
    pub question_id: String,
    /// The form field name (`q.<id>`), for `id`/`for` attributes and anchors.
    pub field_name: String,
    /// The question label, for the error summary.
    pub label: String,
    /// Why.
    pub code: FieldErrorCode,
    /// What to show next to the field, in French.
    pub message: String,
}

/// The errors of a refused page, with what the student typed so the page can show it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageErrors {
    /// The submitted page.
    pub page_id: String,
    /// One error per refused question, in page order.
    pub errors: Vec<FieldError>,
    /// The posted values of the page's questions, by question id, as typed.
    pub submitted: BTreeMap<String, Vec<String>>,
}

impl PageErrors {
    /// The error of question `id`, if refused.
    pub fn error_for(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.question_id == id)
    }

    /// What was posted for question `id` (empty if nothing).
    pub fn submitted_values(&self, id: &str) -> &[String] {
        self.submitted.get(id).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Why a page submission was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// No page has this id.
    #[error("page inconnue « {0} »")]
    UnknownPage(String),
    /// The page exists but is not shown for the current answers (a stale or forged request).
    #[error("la page « {0} » n'est pas affichée pour ces réponses")]
    HiddenPage(String),
    /// Some answers are refused; nothing was saved.
    #[error("{} réponse(s) à corriger sur la page « {} »", .0.errors.len(), .0.page_id)]
    Invalid(PageErrors),
}

/// A problem found by the whole-contract check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The page to send the student back to.
    pub page_id: String,
    /// Its title.
    pub page_title: String,
    /// The question.
    pub question_id: String,
    /// Its label.
    pub label: String,
    /// Why.
    pub code: FieldErrorCode,
    /// In French.
    pub message: String,
}

/// The contract cannot be signed yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("le contrat n'est pas complet : {} réponse(s) manquante(s) ou à corriger", .problems.len())]
pub struct Incomplete {
    /// Every problem, in questionnaire order.
    pub problems: Vec<Problem>,
}

impl Questionnaire {
    /// Validates the posted form of page `page_id` and returns the new answers.
    ///
    /// Fields are named `q.<question id>` (see the module documentation). Values of the
    /// page's visible questions replace the previous ones; unknown fields, values of hidden
    /// questions and values for read-only identity fields are ignored. On success the result
    /// holds only the answers that count, on every page (answers to questions that became
    /// hidden, and choices no longer offered, are dropped). Submitting the same form twice
    /// gives the same answers.
    pub fn submit_page<K: AsRef<str>, V: AsRef<str>>(
        &self,
        env: &Environment,
        answers: &Answers,
        page_id: &str,
        form: &[(K, V)],
    ) -> Result<Answers, SubmitError> {
        let pi = self
            .page_index(page_id)
            .ok_or_else(|| SubmitError::UnknownPage(page_id.to_owned()))?;
        let before = evaluate(self, env, answers);
        if !before.page_visible.get(pi).copied().unwrap_or(false) {
            return Err(SubmitError::HiddenPage(page_id.to_owned()));
        }
        let Some(page) = self.doc.pages.get(pi) else {
            return Err(SubmitError::UnknownPage(page_id.to_owned()));
        };

        let mut posted: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, value) in form {
            if let Some(id) = name.as_ref().strip_prefix(FIELD_PREFIX) {
                posted.entry(id).or_default().push(value.as_ref());
            }
        }

        let mut merged = answers.clone();
        let mut parse_errors: HashMap<&str, Invalid> = HashMap::new();
        let mut submitted = BTreeMap::new();
        for q in page.blocks.iter().filter_map(Block::as_question) {
            if q.is_read_only() {
                continue;
            }
            let raw = posted.get(q.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            submitted.insert(q.id.clone(), raw.iter().map(|s| (*s).to_owned()).collect());
            merged.remove(&q.id);
            match parse_form(q, raw) {
                Ok(Some(v)) => merged.insert(q.id.clone(), v),
                Ok(None) => {}
                Err(e) => {
                    parse_errors.insert(q.id.as_str(), e);
                }
            }
        }

        let after = evaluate(self, env, &merged);
        let mut errors = Vec::new();
        let first = self
            .locs
            .iter()
            .position(|l| l.page == pi)
            .unwrap_or(self.locs.len());
        for (offset, q) in page
            .blocks
            .iter()
            .filter_map(Block::as_question)
            .enumerate()
        {
            let qi = first + offset;
            if !after.question_visible.get(qi).copied().unwrap_or(false) {
                continue;
            }
            let outcome = match parse_errors.remove(q.id.as_str()) {
                Some(e) => Err(e),
                None => {
                    let options = after.options.get(qi).map(Vec::as_slice).unwrap_or(&[]);
                    validate(q, merged.get(&q.id), options, env)
                }
            };
            if let Err(e) = outcome {
                errors.push(FieldError {
                    question_id: q.id.clone(),
                    field_name: q.field_name(),
                    label: q.label.clone(),
                    code: e.code,
                    message: e.message,
                });
            }
        }
        if errors.is_empty() {
            Ok(after.effective)
        } else {
            Err(SubmitError::Invalid(PageErrors {
                page_id: page_id.to_owned(),
                errors,
                submitted,
            }))
        }
    }

    /// The check before signing: every visible question of every visible page answered when
    /// required, and valid. Returns the answers that count (to store with the signature), or
    /// every problem with the page to go back to.
    pub fn check_complete(
        &self,
        env: &Environment,
        answers: &Answers,
    ) -> Result<Answers, Incomplete> {
        let eval = evaluate(self, env, answers);
        let mut problems = Vec::new();
        for (qi, loc) in self.locs.iter().enumerate() {
            if !eval.question_visible.get(qi).copied().unwrap_or(false) {
                continue;
            }
            let (Some(page), Some(q)) = (self.doc.pages.get(loc.page), self.question_at(qi)) else {
                continue;
            };
            let options = eval.options.get(qi).map(Vec::as_slice).unwrap_or(&[]);
            if let Err(e) = validate(q, answers.get(&q.id), options, env) {
                problems.push(Problem {
                    page_id: page.id.clone(),
                    page_title: page.title.clone(),
                    question_id: q.id.clone(),
                    label: q.label.clone(),
                    code: e.code,
                    message: e.message,
                });
            }
        }
        if problems.is_empty() {
            Ok(eval.effective)
        } else {
            Err(Incomplete { problems })
        }
    }
}
