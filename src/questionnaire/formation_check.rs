//! Checking a formation's data (lists, attributes, item conditions) against a questionnaire, for the course configuration.

use std::collections::HashSet;

use super::condition::types::{Site, SiteKind};
use super::condition::{self};
use super::diagnostic::{Diagnostic, DiagnosticCode, Severity};
use super::env::{AttributeValue, Formation};
use super::index::Questionnaire;
use super::model::AttributeType;

impl Questionnaire {
    /// Checks that `formation` provides what this questionnaire expects: its declared lists
    /// and attributes (with the right types), item values unique, item conditions valid for
    /// the questions that use the list. Diagnostics name the file `formation <code>` and
    /// point into the formation (`/lists/amenagements/2/condition`); there are no lines.
    pub fn check_formation(&self, formation: &Formation) -> Vec<Diagnostic> {
        let file = format!("formation {}", formation.code);
        let mut out = Vec::new();
        let mut push = |severity: Severity, code: DiagnosticCode, path: String, message: String| {
            out.push(Diagnostic {
                severity,
                code,
                file: file.clone(),
                line: None,
                column: None,
                path,
                message,
            });
        };
        for (name, decl) in &self.doc.formation_attributes {
            let path = format!("/attributes/{name}");
            match (decl.kind, formation.attributes.get(name)) {
                (_, None) => push(
                    Severity::Warning,
                    DiagnosticCode::Unused,
                    path,
                    format!(
                        "l'attribut « {name} » n'est pas renseigné : il vaudra sa valeur par défaut (faux, texte vide ou 0)"
                    ),
                ),
                (AttributeType::Boolean, Some(AttributeValue::Bool(_)))
                | (AttributeType::Number, Some(AttributeValue::Number(_)))
                | (AttributeType::Text, Some(_)) => {}
                (kind, Some(_)) => push(
                    Severity::Error,
                    DiagnosticCode::TypeMismatch,
                    path,
                    format!(
                        "l'attribut « {name} » doit être de type {kind:?} (voir formation_attributes)"
                    ),
                ),
            }
        }
        for name in self.doc.formation_lists.keys() {
            if !formation.lists.contains_key(name) {
                push(
                    Severity::Warning,
                    DiagnosticCode::Unused,
                    format!("/lists/{name}"),
                    format!(
                        "la liste « {name} » manque : les questions qui l'utilisent n'en proposeront aucun élément"
                    ),
                );
            }
        }
        for (name, items) in &formation.lists {
            if !self.doc.formation_lists.contains_key(name) {
                push(
                    Severity::Warning,
                    DiagnosticCode::Unused,
                    format!("/lists/{name}"),
                    format!(
                        "la liste « {name} » n'est pas déclarée par le questionnaire : elle ne sera pas utilisée"
                    ),
                );
                continue;
            }
            let users: Vec<usize> = self
                .locs
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    self.question_at(*i)
                        .and_then(|q| q.choice_source())
                        .and_then(|s| s.options_from)
                        == Some(name.as_str())
                })
                .map(|(i, _)| i)
                .collect();
            let mut seen = HashSet::new();
            for (ii, item) in items.iter().enumerate() {
                let path = format!("/lists/{name}/{ii}");
                if !seen.insert(item.value.as_str()) {
                    push(
                        Severity::Error,
                        DiagnosticCode::DuplicateId,
                        format!("{path}/value"),
                        format!(
                            "deux éléments de la liste « {name} » ont la valeur « {} »",
                            item.value
                        ),
                    );
                }
                let Some(source) = &item.condition else {
                    continue;
                };
                for &qi in &users {
                    let site = Site {
                        kind: SiteKind::Element,
                        limit: qi,
                        page: self.locs.get(qi).map(|l| l.page).unwrap_or(0),
                        owner: Some(qi),
                    };
                    let (_, problems) = condition::compile(source, &self.catalog, site);
                    for p in problems {
                        let severity = if p.warning {
                            Severity::Warning
                        } else {
                            Severity::Error
                        };
                        push(severity, p.code, format!("{path}/condition"), p.message);
                    }
                }
            }
        }
        out
    }
}
