//! Benchmark fixtures: a generated 100-question questionnaire with 50 conditions, and one page validation.

use std::fmt::Write as _;

use super::answers::Answers;
use super::env::{Environment, Formation, Identity};
use super::index::Questionnaire;

/// Number of pages of the generated questionnaire.
pub const PAGES: usize = 10;
/// Questions per page.
pub const QUESTIONS_PER_PAGE: usize = 10;

/// YAML of a questionnaire with 10 pages × 10 questions, half of them conditional.
pub fn large_questionnaire_yaml() -> String {
    let mut y =
        String::from("schema_version: 1\nkey: bench\ntitle: Banc d'essai\nlanguage: fr\npages:\n");
    for p in 0..PAGES {
        let _ = writeln!(y, "  - id: page_{p}\n    title: Page {p}\n    blocks:");
        for i in 0..QUESTIONS_PER_PAGE {
            let id = format!("q_{p}_{i}");
            let condition = match (p, i % 2) {
                (0, _) | (_, 0) => String::new(),
                (_, _) => format!(
                    "\n        condition: \"c_{}_0 == 'oui' || n_{p}_{} > 3.0\"",
                    p - 1,
                    i - 1
                ),
            };
            let body = match i {
                0 => format!(
                    "      - id: c_{p}_0\n        type: single_choice\n        label: Choix {p}\n        required: true\n        options:\n          - {{ value: oui, label: Oui }}\n          - {{ value: non, label: Non }}"
                ),
                i if i % 2 == 1 => format!(
                    "      - id: {id}\n        type: short_text\n        label: Texte {p}.{i}\n        max_length: 200\n        pattern: \"[A-Za-z ]*\""
                ),
                _ => format!(
                    "      - id: n_{p}_{i}\n        type: number\n        label: Nombre {p}.{i}\n        min: 0\n        max: 100"
                ),
            };
            let _ = writeln!(y, "{body}{condition}");
        }
    }
    y
}

/// The generated questionnaire, loaded.
pub fn large_questionnaire() -> Option<Questionnaire> {
    Questionnaire::load("bench.yaml", &large_questionnaire_yaml())
        .ok()
        .map(|l| l.questionnaire)
}

/// An environment for the benchmark.
pub fn environment() -> Environment {
    Environment::new(
        Formation {
            code: "MATH".into(),
            title: "L1 Mathématiques".into(),
            attributes: Default::default(),
            lists: Default::default(),
        },
        "2025-2026",
        false,
        Identity::default(),
    )
}

/// The form posting every question of page `page`.
pub fn page_form(page: usize) -> Vec<(String, String)> {
    let mut form = Vec::new();
    for i in 0..QUESTIONS_PER_PAGE {
        let (name, value) = match i {
            0 => (format!("q.c_{page}_0"), "oui".to_owned()),
            i if i % 2 == 1 => (
                format!("q.q_{page}_{i}"),
                "Bonjour tout le monde".to_owned(),
            ),
            _ => (format!("q.n_{page}_{i}"), "42".to_owned()),
        };
        form.push((name, value));
    }
    form
}

/// Validates page 5 of the generated questionnaire once; returns whether it was accepted.
pub fn validate_one_page(q: &Questionnaire, env: &Environment, answers: &Answers) -> bool {
    q.submit_page(env, answers, "page_5", &page_form(5)).is_ok()
}
