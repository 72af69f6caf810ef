//! Benchmark fixtures: a generated 100-question questionnaire with 50 conditions, and one page validation.

use std::fmt::Write as _;

use super::answers::Answers;
use super::env::{Environment, Formation, Identity};
use super::index::Questionnaire;

/// Number of pages of the generated questionnaire.
pub const PAGES: usize = 10;
/// Questions per page.
pub const QUESTIONS_PER_PAGE: usize = 10;

/// YAML of a questionnaire with 10 pages × 10 questions, 50 of them conditional: on every
/// page, each text question depends on the first choice of the previous page (of its own
/// page for page 0) or on the number just before it.
pub fn large_questionnaire_yaml() -> String {
    let mut y =
        String::from("schema_version: 1\nkey: bench\ntitle: Banc d'essai\nlanguage: fr\npages:\n");
    for p in 0..PAGES {
        let _ = writeln!(y, "  - id: page_{p}\n    title: Page {p}\n    blocks:");
        for i in 0..QUESTIONS_PER_PAGE {
            let id = format!("q_{p}_{i}");
            let choice_page = p.saturating_sub(1);
            let condition = match i {
                1 => format!("\n        condition: \"c_{choice_page}_0 == 'oui'\""),
                i if i % 2 == 1 => format!(
                    "\n        condition: \"c_{choice_page}_0 == 'oui' || n_{p}_{} > 3.0\"",
                    i - 1
                ),
                _ => String::new(),
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

/// Answers to pages 0 to 4, as submitted page by page.
pub fn answers_before_page_5(q: &Questionnaire, env: &Environment) -> Answers {
    let mut answers = Answers::new();
    for page in 0..5 {
        if let Ok(next) = q.submit_page(env, &answers, &format!("page_{page}"), &page_form(page)) {
            answers = next;
        }
    }
    answers
}

/// Validates page 5 of the generated questionnaire once; returns whether it was accepted.
pub fn validate_one_page(q: &Questionnaire, env: &Environment, answers: &Answers) -> bool {
    q.submit_page(env, answers, "page_5", &page_form(5)).is_ok()
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn generated_questionnaire_has_100_questions_and_50_conditions() {
        let q = large_questionnaire()
            .unwrap_or_else(|| panic!("the generated questionnaire does not load"));
        assert_eq!(q.questions().count(), 100);
        let conditions = q.questions().filter(|(_, q)| q.condition.is_some()).count();
        assert_eq!(conditions, 50);
        let env = environment();
        let answers = answers_before_page_5(&q, &env);
        assert_eq!(answers.len(), 50);
        assert!(validate_one_page(&q, &env, &answers));
    }

    /// Rough timings; run with
    /// `cargo test --release --lib questionnaire::bench_support -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing report, run on demand in release mode"]
    fn report_timings() {
        let started = Instant::now();
        let q = large_questionnaire().unwrap_or_else(|| panic!("load"));
        println!("load 100 questions: {:?}", started.elapsed());
        let env = environment();
        let answers = answers_before_page_5(&q, &env);
        let n = 2000u32;
        let started = Instant::now();
        for _ in 0..n {
            assert!(validate_one_page(&q, &env, &answers));
        }
        println!(
            "validate one page (submit_page): {:?} per call",
            started.elapsed() / n
        );
        let started = Instant::now();
        for _ in 0..n {
            let flow = q.flow(&env, &answers);
            assert_eq!(flow.pages.len(), PAGES);
        }
        println!(
            "flow for 100 questions: {:?} per call",
            started.elapsed() / n
        );
        let started = Instant::now();
        for _ in 0..n {
            assert!(q.check_complete(&env, &answers).is_err());
        }
        println!("check_complete: {:?} per call", started.elapsed() / n);

        let sample = include_str!("../../docs/examples/questionnaire-l1.yaml");
        let started = Instant::now();
        let loaded = Questionnaire::load("questionnaire-l1.yaml", sample);
        println!("load the sample questionnaire: {:?}", started.elapsed());
        assert!(loaded.is_ok());
        let formations = include_str!("../../docs/examples/formations-demo.yaml");
        let math = Formation::list_from_yaml("formations-demo.yaml", formations)
            .ok()
            .and_then(|f| f.into_iter().next())
            .unwrap_or_else(|| panic!("demo formations"));
        let started = Instant::now();
        for _ in 0..n {
            let _ = Environment::new(math.clone(), "2025-2026", false, Identity::default());
        }
        println!(
            "Environment::new (prepare a formation of 5 items): {:?} per call",
            started.elapsed() / n
        );
    }
}
