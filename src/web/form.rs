//! Reading what a request sends: form fields, the `{id}` segment of a path, and the messages
//! of a refused form (by field, with the links of the error summary).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;

use crate::course::editing::FieldProblem;

/// `{id}` in a URL, typed (a formation, a contract, a version…).
#[derive(Debug, serde::Deserialize)]
pub struct IdPath<T> {
    pub id: T,
}

/// The first value of a form field.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a form field (checkboxes).
pub fn fields<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A trimmed text field (`""` when absent), line ends normalised.
pub fn text(form: &[(String, String)], name: &str) -> String {
    field(form, name)
        .unwrap_or_default()
        .replace("\r\n", "\n")
        .trim()
        .to_owned()
}

/// A ticked box.
pub fn ticked(form: &[(String, String)], name: &str) -> bool {
    field(form, name).is_some_and(|v| !v.is_empty())
}

/// Messages by field path, and the links of the error summary (`#f-…`).
#[derive(Debug, Default, serde::Serialize)]
pub struct Problems {
    pub errors: BTreeMap<String, String>,
    pub warnings: BTreeMap<String, String>,
    pub summary: Vec<SummaryLink>,
}

/// A link of an error summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SummaryLink {
    pub href: String,
    pub message: String,
    pub warning: bool,
}

/// The input id of a field path: `/lists/a/0/value` → `f-lists-a-0-value`.
pub fn input_id(path: &str) -> String {
    format!("f{}", path.replace('/', "-"))
}

impl Problems {
    pub fn of(problems: &[FieldProblem]) -> Problems {
        let mut out = Problems::default();
        for p in problems {
            let map = if p.warning {
                &mut out.warnings
            } else {
                &mut out.errors
            };
            map.entry(p.path.clone())
                .and_modify(|m| {
                    m.push_str(" ; ");
                    m.push_str(&p.message);
                })
                .or_insert_with(|| p.message.clone());
            out.summary.push(SummaryLink {
                href: format!("#{}", input_id(&p.path)),
                message: p.message.clone(),
                warning: p.warning,
            });
        }
        out
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// `Ok` when `r` holds no error; the 422 status of a refused form otherwise.
pub fn refused() -> StatusCode {
    StatusCode::UNPROCESSABLE_ENTITY
}
