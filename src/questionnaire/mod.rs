//! The questionnaire engine: loading, checking and running CPRE questionnaires (pure: no I/O, no database, no web).
//!
//! A questionnaire is a YAML (or JSON) file written by the instructional designer, in the
//! format documented in `docs/questionnaire.md` and `docs/questionnaire.schema.json`
//! (`schema_version: 1`). This module turns it into an immutable [`Questionnaire`] and answers
//! the questions the contract pages ask, for one student at a time. Everything here is
//! synchronous, deterministic and panic-free; the caller owns storage and HTTP.
//!
//! # The calls, in the order the web layer makes them
//!
//! ```
//! use cpre::questionnaire::{
//!     Answers, Environment, Formation, Identity, Questionnaire, SubmitError,
//! };
//!
//! // 1. Load (once, e.g. when the designer imports the file; keep it in an Arc).
//! let text = include_str!("../../docs/examples/questionnaire-l1.yaml");
//! let loaded = Questionnaire::load("questionnaire-l1.yaml", text).map_err(|e| e.to_string())?;
//! assert!(loaded.warnings.is_empty());
//! let questionnaire = loaded.questionnaire;
//! let version = questionnaire.content_hash(); // store with the version; to_yaml() exports it
//! # let _ = version;
//!
//! // 2. The student's environment: formation (from the Moodle groups), year, identity.
//! let formations = Formation::list_from_yaml(
//!     "formations-demo.yaml",
//!     include_str!("../../docs/examples/formations-demo.yaml"),
//! ).map_err(|e| e.to_string())?;
//! let math = formations.into_iter().find(|f| f.code == "MATH").ok_or("MATH")?;
//! let identity = Identity {
//!     full_name: Some("Camille Martin".into()),
//!     given_name: Some("Camille".into()),
//!     family_name: Some("Martin".into()),
//!     email: Some("camille.martin@etu.exemple.fr".into()),
//!     student_number: Some("22512345".into()),
//! };
//! let env = Environment::new(math, "2025-2026", false, identity);
//!
//! // 3. What to show for the current answers (draft stored with the contract).
//! let answers = Answers::new();
//! let flow = questionnaire.flow(&env, &answers);
//! let page = flow.first_page().ok_or("no page")?;
//! assert_eq!(page.id, "identite");
//!
//! // 4. The student posts a page: `q.<id>` fields, as the browser sends them.
//! let form = [("q.telephone", "06 12 34 56 78"), ("q.autre_champ", "ignored")];
//! let answers = match questionnaire.submit_page(&env, &answers, "identite", &form) {
//!     Ok(new_answers) => new_answers,                  // save, go to flow.next_page(..)
//!     Err(SubmitError::Invalid(errors)) => {            // re-render with messages
//!         return Err(format!("{:?}", errors.errors).into());
//!     }
//!     Err(other) => return Err(other.to_string().into()), // unknown / hidden page: 400
//! };
//!
//! // 5. Before signing: everything required answered and valid?
//! match questionnaire.check_complete(&env, &answers) {
//!     Ok(_final_answers) => {}                   // sign, store, fingerprint
//!     Err(incomplete) => assert!(!incomplete.problems.is_empty()),
//! }
//!
//! // 6. Read back: answers for a person.
//! let summary = questionnaire.summary(&env, &answers);
//! assert_eq!(summary[0].items[0].answer.as_deref(), Some("Camille Martin"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Form field names
//!
//! Every question posts under `q.<question id>` (see [`FIELD_PREFIX`]):
//! texts, numbers (`12` or `12,5`), dates (`AAAA-MM-JJ` as `<input type="date">` sends, or
//! `JJ/MM/AAAA`) and single choices (the option value) post one value; a multiple choice posts
//! the field once per ticked box (`q.amenagements=tiers_temps&q.amenagements=salle`); a box
//! (`acknowledgement`, `engagement`) is ticked when its field is present with a non-empty
//! value (`on`, `oui`…). A missing field means unanswered. Other names are ignored, so the
//! page can post its own fields (CSRF token, navigation buttons).
//!
//! # Answers
//!
//! [`Answers`] is a JSON object `{question id: value}`; see [`AnswerValue`] for each type's
//! shape. Only answered, visible questions are kept by [`Questionnaire::submit_page`] and
//! [`Questionnaire::check_complete`]. Serialise with `serde_json`; keys are sorted.
//!
//! # Conditions
//!
//! CEL expressions (see [`condition::names`] and `docs/questionnaire.md`): question ids,
//! `formation.code`, `formation.intitule`, `formation.<attribut>`, `annee_universitaire`,
//! `annee`, `contrat_precedent`, `has(reponses.<id>)`.

pub mod answers;
mod carry;
pub mod condition;
pub mod diagnostic;
pub mod display;
pub mod env;
pub mod export;
pub mod flow;
mod formation_check;
pub mod index;
pub mod load;
pub mod markdown;
pub mod model;
pub mod schema;
mod semantic;
pub mod submit;
pub mod validate;
pub(crate) mod yaml;

#[doc(hidden)]
pub mod bench_support;

#[cfg(test)]
mod tests;

/// Prefix of the form field names: a question `projet` posts as `q.projet`.
pub const FIELD_PREFIX: &str = "q.";

pub use answers::{AnswerValue, Answers};
pub use diagnostic::{Diagnostic, DiagnosticCode, Severity};
pub use display::{SummaryItem, SummaryPage};
pub use env::{AttributeValue, Environment, Formation, FormationItem, Identity, PreparedFormation};
pub use export::ExportError;
pub use flow::{BlockView, EvalProblem, Flow, OptionView, PageView, QuestionView};
pub use index::Questionnaire;
pub(crate) use load::Reporter;
pub use load::{LoadError, Loaded};
pub use model::{
    Block, ChoiceOption, Condition, IdentityField, Markdown, Page, Pattern, Question, QuestionKind,
    QuestionnaireDoc, SCHEMA_VERSION,
};
pub use submit::{FieldError, Incomplete, PageErrors, Problem, SubmitError};
pub use validate::FieldErrorCode;
