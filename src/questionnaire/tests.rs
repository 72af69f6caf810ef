//! Tests of the questionnaire engine over the sample questionnaire and generated ones.

mod load_errors;
mod proptests;
mod sample;

use super::*;

pub(crate) const SAMPLE: &str = include_str!("../../docs/examples/questionnaire-l1.yaml");
pub(crate) const FORMATIONS: &str = include_str!("../../docs/examples/formations-demo.yaml");

pub(crate) fn sample() -> Questionnaire {
    match Questionnaire::load("questionnaire-l1.yaml", SAMPLE) {
        Ok(l) => l.questionnaire,
        Err(e) => panic!("{e}"),
    }
}

pub(crate) fn formation(code: &str) -> Formation {
    Formation::list_from_yaml("formations-demo.yaml", FORMATIONS)
        .unwrap()
        .into_iter()
        .find(|f| f.code == code)
        .unwrap()
}

pub(crate) fn identity() -> Identity {
    Identity {
        full_name: Some("Camille Martin".into()),
        given_name: Some("Camille".into()),
        family_name: Some("Martin".into()),
        email: Some("camille.martin@etu.exemple.fr".into()),
        student_number: Some("22512345".into()),
    }
}

pub(crate) fn env(code: &str) -> Environment {
    Environment::new(formation(code), "2025-2026", false, identity())
}

/// Loads `yaml` and returns its diagnostics (errors and warnings).
pub(crate) fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    match Questionnaire::load("test.yaml", yaml) {
        Ok(l) => l.warnings,
        Err(e) => e.diagnostics,
    }
}

/// Loads `yaml`, which must load.
pub(crate) fn load_ok(yaml: &str) -> Questionnaire {
    match Questionnaire::load("test.yaml", yaml) {
        Ok(l) => l.questionnaire,
        Err(e) => panic!("{e}"),
    }
}

/// Answers from `(id, value)` pairs, values written as JSON.
pub(crate) fn answers(pairs: &[(&str, serde_json::Value)]) -> Answers {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::from_value(v.clone()).unwrap()))
        .collect()
}
