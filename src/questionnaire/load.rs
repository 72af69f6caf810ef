//! Loading a questionnaire file: syntax, JSON Schema, then semantic checks, collecting every diagnostic with its line.

use super::diagnostic::{Diagnostic, DiagnosticCode, Severity, format_all};
use super::index::Questionnaire;
use super::model::{QuestionnaireDoc, SCHEMA_VERSION};
use super::yaml::{self, SourceMap};
use super::{export, schema, semantic};

/// A questionnaire that loaded, with the warnings found (never errors).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The checked questionnaire.
    pub questionnaire: Questionnaire,
    /// Things that are probably mistakes but do not prevent using the questionnaire.
    pub warnings: Vec<Diagnostic>,
}

/// A questionnaire (or formation data) file that was refused, with every problem found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("fichier refusé ({} problème(s)) :\n{}", .diagnostics.len(), format_all(.diagnostics))]
pub struct LoadError {
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Collects diagnostics and places them in the source.
pub(crate) struct Reporter<'a> {
    pub file: &'a str,
    pub map: &'a SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Reporter<'_> {
    pub fn report(
        &mut self,
        severity: Severity,
        pointer: &str,
        code: DiagnosticCode,
        message: String,
    ) {
        let pos = self.map.locate(pointer).map(|p| p.best());
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            file: self.file.to_owned(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            path: pointer.to_owned(),
            message,
        });
    }

    pub fn error(&mut self, pointer: &str, code: DiagnosticCode, message: String) {
        self.report(Severity::Error, pointer, code, message);
    }

    pub fn warn(&mut self, pointer: &str, code: DiagnosticCode, message: String) {
        self.report(Severity::Warning, pointer, code, message);
    }

    /// Reports a problem at `at` (1-based line, column inside the expression) of the
    /// expression written at `pointer`.
    pub fn at_expression(
        &mut self,
        severity: Severity,
        pointer: &str,
        at: Option<(usize, usize)>,
        code: DiagnosticCode,
        message: String,
    ) {
        let start = self.map.scalar_text_start(pointer);
        let fallback = self.map.locate(pointer).map(|p| p.best());
        let (line, column) = match (start, at) {
            (Some((pos, _)), Some((1, col))) => (Some(pos.line), Some(pos.column + col - 1)),
            (Some((pos, true)), Some((l, col))) => {
                (Some(pos.line + l - 1), Some(pos.column + col - 1))
            }
            (Some((pos, false)), Some((l, _))) => (Some(pos.line + l - 1), None),
            (Some((pos, _)), None) => (Some(pos.line), Some(pos.column)),
            (None, _) => (fallback.map(|p| p.line), fallback.map(|p| p.column)),
        };
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            file: self.file.to_owned(),
            line,
            column,
            path: pointer.to_owned(),
            message,
        });
    }
}

fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.line.unwrap_or(0), d.column.unwrap_or(0)));
}

impl Questionnaire {
    /// Loads a questionnaire from YAML (or JSON) text. `file_name` only labels diagnostics.
    ///
    /// Every problem is reported, not just the first: syntax, then schema, then meaning
    /// (duplicate ids, conditions, bounds, patterns, unreachable pages…).
    pub fn load(file_name: &str, text: &str) -> Result<Loaded, LoadError> {
        let (value, map) = yaml::parse(text).map_err(|e| e.into_load_error(file_name))?;
        let mut reporter = Reporter {
            file: file_name,
            map: &map,
            diagnostics: Vec::new(),
        };

        if let Some(version) = value.get("schema_version").and_then(|v| v.as_u64())
            && version != u64::from(SCHEMA_VERSION)
        {
            reporter.error(
                    "/schema_version",
                    DiagnosticCode::UnsupportedVersion,
                    format!(
                        "version de format {version} inconnue : cette version de cpre lit la version {SCHEMA_VERSION}"
                    ),
                );
            return Err(LoadError {
                diagnostics: reporter.diagnostics,
            });
        }

        schema::validate(&value, &mut reporter);
        if reporter.diagnostics.iter().any(Diagnostic::is_error) {
            sort(&mut reporter.diagnostics);
            return Err(LoadError {
                diagnostics: reporter.diagnostics,
            });
        }

        let doc: QuestionnaireDoc = match serde_json::from_value(value) {
            Ok(doc) => doc,
            Err(e) => {
                reporter.error(
                    "",
                    DiagnosticCode::Schema,
                    format!("le document ne suit pas le format attendu : {e}"),
                );
                return Err(LoadError {
                    diagnostics: reporter.diagnostics,
                });
            }
        };

        let checked = semantic::check(doc, &mut reporter);
        let mut diagnostics = reporter.diagnostics;
        sort(&mut diagnostics);
        match checked {
            Some(mut questionnaire) if !diagnostics.iter().any(Diagnostic::is_error) => {
                questionnaire.file_name = file_name.to_owned();
                questionnaire.content_hash = export::content_hash(&questionnaire.doc);
                Ok(Loaded {
                    questionnaire,
                    warnings: diagnostics,
                })
            }
            _ => Err(LoadError { diagnostics }),
        }
    }
}
