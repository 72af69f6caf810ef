//! The sample L1 questionnaire: it loads cleanly and routes each formation and status.

use super::*;

#[test]
fn sample_loads_without_any_diagnostic() {
    let loaded =
        Questionnaire::load("questionnaire-l1.yaml", SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        loaded.warnings.is_empty(),
        "{}",
        diagnostic::format_all(&loaded.warnings)
    );
}

#[test]
fn demo_formations_fit_the_sample() {
    let q = sample();
    for code in ["MATH", "PHYS", "INFO"] {
        let d = q.check_formation(&formation(code));
        assert!(d.is_empty(), "{code}: {}", diagnostic::format_all(&d));
    }
}
