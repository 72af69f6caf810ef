//! The evaluation environment: the student's formation and its data, the academic year, the previous-contract flag and the launch identity.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::condition::{self, Compiled};
use super::diagnostic::{Diagnostic, DiagnosticCode, Severity};
use super::load::LoadError;
use super::markdown;
use super::model::IdentityField;
use super::yaml;

/// A formation as the course configuration describes it (see `docs/examples/formations-demo.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Formation {
    /// Short code, e.g. `MATH`; `formation.code` in conditions.
    pub code: String,
    /// Full title, e.g. `L1 Mathématiques`; `formation.intitule` in conditions.
    pub title: String,
    /// Attributes read by conditions as `formation.<name>` (declared by the questionnaire).
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Named lists offered by `options_from: <name>` questions.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<FormationItem>>,
}

/// The value of a formation attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A text.
    Text(String),
}

/// One item of a formation list: an option of the questions that use the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormationItem {
    /// Value stored in the answers.
    pub value: String,
    /// Label shown to the student.
    pub label: String,
    /// Help bubble (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Display condition (same language as in the questionnaire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// A file listing formations: `formations: [ … ]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormationsFile {
    formations: Vec<Formation>,
}

impl Formation {
    /// Reads a YAML (or JSON) file of the shape `formations: [ {code, title, attributes, lists}, … ]`.
    pub fn list_from_yaml(file_name: &str, text: &str) -> Result<Vec<Formation>, LoadError> {
        let error = |line: Option<usize>, column: Option<usize>, message: String| LoadError {
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                code: DiagnosticCode::Syntax,
                file: file_name.to_owned(),
                line,
                column,
                path: String::new(),
                message,
            }],
        };
        let (value, _) = yaml::parse(text)
            .map_err(|e| error(e.pos.map(|p| p.line), e.pos.map(|p| p.column), e.message))?;
        let file: FormationsFile = serde_json::from_value(value)
            .map_err(|e| error(None, None, format!("données de formation invalides : {e}")))?;
        Ok(file.formations)
    }
}

/// A formation item ready for evaluation: help rendered, condition parsed.
#[derive(Debug)]
pub(crate) struct PreparedItem {
    pub item: FormationItem,
    pub help_html: Option<String>,
    /// `None` when the item has no condition; `Err` when it does not parse (the item is hidden).
    pub condition: Option<Result<Compiled, String>>,
}

/// A formation with its lists prepared once (Markdown rendered, conditions parsed).
///
/// Build it once per formation and share it (`Arc`) between requests.
#[derive(Debug)]
pub struct PreparedFormation {
    formation: Formation,
    pub(crate) lists: BTreeMap<String, Vec<PreparedItem>>,
    /// The formation's information text (Markdown from the course file), as safe HTML.
    info_html: Option<String>,
}

impl PreparedFormation {
    /// Prepares a formation's lists.
    pub fn new(formation: Formation) -> Self {
        let lists = formation
            .lists
            .iter()
            .map(|(name, items)| {
                let prepared = items
                    .iter()
                    .map(|item| PreparedItem {
                        item: item.clone(),
                        help_html: item.help.as_deref().map(markdown::to_safe_html),
                        condition: item.condition.as_deref().map(condition::compile_unchecked),
                    })
                    .collect();
                (name.clone(), prepared)
            })
            .collect();
        PreparedFormation {
            formation,
            lists,
            info_html: None,
        }
    }

    /// Adds the formation's information text (Markdown), rendered once here.
    pub fn with_info(mut self, info: Option<&str>) -> Self {
        self.info_html = info.map(markdown::to_safe_html);
        self
    }

    /// The formation data.
    pub fn formation(&self) -> &Formation {
        &self.formation
    }

    /// The information text as safe HTML, if the formation has one.
    pub fn info_html(&self) -> Option<&str> {
        self.info_html.as_deref()
    }
}

/// Identity values received from the LTI launch; `None` when the platform did not send them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `name`.
    pub full_name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `lis.person_sourcedid`, the student number.
    pub student_number: Option<String>,
}

impl Identity {
    /// The value of one identity field, if sent and not blank.
    pub fn get(&self, field: IdentityField) -> Option<&str> {
        let v = match field {
            IdentityField::FullName => &self.full_name,
            IdentityField::GivenName => &self.given_name,
            IdentityField::FamilyName => &self.family_name,
            IdentityField::Email => &self.email,
            IdentityField::StudentNumber => &self.student_number,
        };
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Everything conditions and prefills can read besides the answers.
#[derive(Debug, Clone)]
pub struct Environment {
    formation: Arc<PreparedFormation>,
    /// The contract's academic year, e.g. `2025-2026` (`annee_universitaire`).
    pub academic_year: String,
    /// Whether the student has a contract from a previous year (`contrat_precedent`).
    pub previous_contract: bool,
    /// Identity from the launch, for `identity` questions.
    pub identity: Identity,
}

impl Environment {
    /// An environment for a formation (prepared here: prefer [`Environment::with_prepared`] to
    /// share one [`PreparedFormation`] between requests).
    pub fn new(
        formation: Formation,
        academic_year: impl Into<String>,
        previous_contract: bool,
        identity: Identity,
    ) -> Self {
        Self::with_prepared(
            Arc::new(PreparedFormation::new(formation)),
            academic_year,
            previous_contract,
            identity,
        )
    }

    /// An environment for an already prepared formation.
    pub fn with_prepared(
        formation: Arc<PreparedFormation>,
        academic_year: impl Into<String>,
        previous_contract: bool,
        identity: Identity,
    ) -> Self {
        Environment {
            formation,
            academic_year: academic_year.into(),
            previous_contract,
            identity,
        }
    }

    /// The student's formation.
    pub fn formation(&self) -> &Formation {
        self.formation.formation()
    }

    pub fn prepared(&self) -> &PreparedFormation {
        &self.formation
    }

    /// `annee`: the first year of `academic_year` (`2025` for `2025-2026`), `0` if unreadable.
    pub fn start_year(&self) -> i64 {
        self.academic_year
            .get(..4)
            .and_then(|y| y.parse().ok())
            .unwrap_or(0)
    }
}
