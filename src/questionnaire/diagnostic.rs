//! Import diagnostics: what is wrong in a questionnaire file, where, in French.

use std::fmt;

use serde::Serialize;

/// How serious a diagnostic is: errors prevent loading, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The questionnaire is refused.
    Error,
    /// The questionnaire loads, but something is probably not what the designer meant.
    Warning,
}

/// What kind of problem a diagnostic reports (stable, for tests and tooling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticCode {
    /// The file is not valid YAML or JSON.
    Syntax,
    /// The document does not follow the JSON Schema of the format.
    Schema,
    /// `schema_version` is not one this engine reads.
    UnsupportedVersion,
    /// Two pages, two questions, or two options of a question share an id or value.
    DuplicateId,
    /// A question id is a name reserved by the condition language.
    ReservedName,
    /// A condition is not a well-formed expression.
    ConditionSyntax,
    /// A condition names a question, attribute or function that does not exist.
    UnknownName,
    /// A condition uses a question that comes later (or the element itself).
    LaterReference,
    /// A condition mixes incompatible types, or is not a yes/no expression.
    TypeMismatch,
    /// A condition compares a choice question with a value that is not one of its options.
    UnknownOption,
    /// A page, question or option can never be shown.
    NeverShown,
    /// `options_from` names a list not declared in `formation_lists`.
    UnknownFormationList,
    /// A `pattern` is not a valid regular expression.
    InvalidPattern,
    /// A lower bound is greater than the upper bound.
    MinGreaterThanMax,
    /// A date or academic year is not valid.
    InvalidValue,
    /// A choice question has no option at all.
    NoOptions,
    /// Something declared is never used, or a setting has no effect.
    Unused,
}

/// One problem found in a questionnaire file (or in formation data checked against it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The kind of problem.
    pub code: DiagnosticCode,
    /// The file name given to the loader.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// JSON Pointer of the element concerned (e.g. `/pages/2/blocks/0/condition`).
    pub path: String,
    /// What is wrong and how to fix it, in French.
    pub message: String,
}

impl Diagnostic {
    /// Whether this diagnostic prevents loading.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `fichier.yaml:12:7: erreur : message` (the usual compiler shape, in French).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        let level = match self.severity {
            Severity::Error => "erreur",
            Severity::Warning => "avertissement",
        };
        write!(f, ": {level} : {}", self.message)
    }
}

/// Formats a list of diagnostics, one per line.
pub fn format_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
