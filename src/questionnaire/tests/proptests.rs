//! Property tests of condition evaluation, visibility and submission, over the sample questionnaire.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use proptest::prelude::*;

use super::*;

static Q: LazyLock<Questionnaire> = LazyLock::new(sample);
static ENVS: LazyLock<Vec<Environment>> = LazyLock::new(|| {
    ["MATH", "PHYS", "INFO"]
        .iter()
        .enumerate()
        .map(|(i, code)| Environment::new(formation(code), "2025-2026", i == 1, identity()))
        .collect()
});

/// Question ids of the sample, plus a stranger.
fn ids() -> Vec<String> {
    let mut ids: Vec<String> = Q.questions().map(|(_, q)| q.id.clone()).collect();
    ids.push("pas_une_question".into());
    ids
}

/// Strings likely to mean something to the sample: option values, numbers, dates, boxes.
fn words() -> Vec<String> {
    let mut words: BTreeSet<String> = [
        "",
        "on",
        "12",
        "12,5",
        "-3",
        "1e9",
        "2025-09-01",
        "31/12/2024",
        "n'importe quoi",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for (_, q) in Q.questions() {
        if let Some(source) = q.choice_source() {
            words.extend(source.options.iter().map(|o| o.value.clone()));
        }
    }
    for env in ENVS.iter() {
        for items in env.formation().lists.values() {
            words.extend(items.iter().map(|i| i.value.clone()));
        }
    }
    words.insert(PROJET_LONG.to_owned());
    words.into_iter().collect()
}

const PROJET_LONG: &str =
    "Un projet de formation assez long pour passer la longueur minimale demandée.";

fn word() -> impl Strategy<Value = String> {
    prop_oneof![4 => proptest::sample::select(words()), 1 => ".{0,12}"]
}

fn answer_value() -> impl Strategy<Value = AnswerValue> {
    prop_oneof![
        any::<bool>().prop_map(AnswerValue::Bool),
        any::<f64>().prop_map(AnswerValue::Number),
        (0.0f64..50.0).prop_map(AnswerValue::Number),
        word().prop_map(AnswerValue::Text),
        proptest::collection::vec(word(), 0..4).prop_map(AnswerValue::List),
    ]
}

fn arbitrary_answers() -> impl Strategy<Value = Answers> {
    proptest::collection::vec((proptest::sample::select(ids()), answer_value()), 0..40)
        .prop_map(|pairs| pairs.into_iter().collect())
}

/// Values that suit question `q`: its options (from the questionnaire and every formation),
/// a number within most bounds, a date, a long enough text, a ticked box.
fn good_values(q: &Question) -> Vec<String> {
    let mut values: Vec<String> = match &q.kind {
        QuestionKind::Number(_) => vec!["5".into(), "12".into()],
        QuestionKind::Date(_) => vec!["2025-09-01".into()],
        QuestionKind::Acknowledgement | QuestionKind::Engagement(_) => vec!["on".into()],
        _ => vec!["06 12 34 56 78".into(), PROJET_LONG.into()],
    };
    if let Some(source) = q.choice_source() {
        values = source.options.iter().map(|o| o.value.clone()).collect();
        if let Some(list) = source.options_from {
            for env in ENVS.iter() {
                if let Some(items) = env.formation().lists.get(list) {
                    values.extend(items.iter().map(|i| i.value.clone()));
                }
            }
        }
    }
    values
}

/// A posted form for page `page`: each question posted 0 to 3 times, mostly with values that
/// suit it, sometimes with anything.
fn form_for(page: &Page) -> impl Strategy<Value = Vec<(String, String)>> + use<> {
    let per_question: Vec<_> = page
        .blocks
        .iter()
        .filter_map(Block::as_question)
        .map(|q| {
            let name = q.field_name();
            let value = prop_oneof![4 => proptest::sample::select(good_values(q)), 1 => word()];
            proptest::collection::vec(value, 0..3).prop_map(move |values| {
                values
                    .into_iter()
                    .map(|v| (name.clone(), v))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    per_question.prop_map(|fields| fields.into_iter().flatten().collect())
}

/// Answers that open many pages: a status, tutoring, « oui si », then anything.
fn plausible_answers() -> impl Strategy<Value = Answers> {
    let statuses = vec![
        "salarie",
        "sportif_haut_niveau",
        "artiste_haut_niveau",
        "handicap",
        "charge_famille",
        "elu_etudiant",
    ];
    (
        proptest::sample::subsequence(statuses, 0..4),
        any::<bool>(),
        any::<bool>(),
        arbitrary_answers(),
    )
        .prop_map(|(statuts, tutorat, oui_si, mut extra)| {
            let has_status = !statuts.is_empty();
            extra.insert(
                "a_un_statut",
                AnswerValue::Text(if has_status { "oui" } else { "non" }.into()),
            );
            extra.insert(
                "statuts",
                AnswerValue::List(statuts.into_iter().map(String::from).collect()),
            );
            extra.insert(
                "tutorat",
                AnswerValue::Text(if tutorat { "oui" } else { "non" }.into()),
            );
            extra.insert(
                "admission_oui_si",
                AnswerValue::Text(if oui_si { "oui" } else { "non" }.into()),
            );
            extra
        })
}

fn any_answers() -> impl Strategy<Value = Answers> {
    prop_oneof![arbitrary_answers(), plausible_answers()]
}

fn page_and_form() -> impl Strategy<Value = (usize, Vec<(String, String)>)> {
    (0..Q.pages().len()).prop_flat_map(|i| (Just(i), form_for(&Q.pages()[i])))
}

/// (page visible, question visible by id) for `answers`.
fn visibility(env: &Environment, answers: &Answers) -> (Vec<bool>, Vec<(String, bool)>) {
    let flow = Q.flow(env, answers);
    let shown: BTreeSet<&str> = flow.pages.iter().map(|p| p.id).collect();
    let questions: BTreeSet<&str> = flow
        .pages
        .iter()
        .flat_map(|p| p.blocks.iter())
        .filter_map(|b| match b {
            BlockView::Question(v) => Some(v.id),
            BlockView::Text { .. } => None,
        })
        .collect();
    let pages = Q
        .pages()
        .iter()
        .map(|p| shown.contains(p.id.as_str()))
        .collect();
    let qs = Q
        .questions()
        .map(|(_, q)| (q.id.clone(), questions.contains(q.id.as_str())))
        .collect();
    (pages, qs)
}

fn visible_ids(env: &Environment, answers: &Answers) -> BTreeSet<String> {
    visibility(env, answers)
        .1
        .into_iter()
        .filter(|(_, v)| *v)
        .map(|(id, _)| id)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_never_panics_and_never_errors(answers in any_answers(), e in 0..3usize) {
        let env = &ENVS[e];
        let flow = Q.flow(env, &answers);
        prop_assert!(flow.problems.is_empty(), "{:?}", flow.problems);
        let _ = Q.check_complete(env, &answers);
        let _ = Q.summary(env, &answers);
        let _ = Q.carry_over(env, &answers);
    }

    #[test]
    fn visibility_is_deterministic(answers in arbitrary_answers(), e in 0..3usize) {
        let env = &ENVS[e];
        prop_assert_eq!(visibility(env, &answers), visibility(env, &answers));
    }

    #[test]
    fn visibility_ignores_answers_to_later_pages(
        answers in any_answers(),
        other in arbitrary_answers(),
        k in 0..16usize,
        e in 0..3usize,
    ) {
        let env = &ENVS[e];
        let k = k % Q.pages().len();
        let later: BTreeSet<String> = Q.pages()[k..]
            .iter()
            .flat_map(|p| p.blocks.iter().filter_map(Block::as_question).map(|q| q.id.clone()))
            .collect();
        let mut changed = answers.clone();
        for id in &later {
            changed.remove(id);
            if let Some(v) = other.get(id) {
                changed.insert(id.clone(), v.clone());
            }
        }
        let (pages_a, questions_a) = visibility(env, &answers);
        let (pages_b, questions_b) = visibility(env, &changed);
        prop_assert_eq!(&pages_a[..=k], &pages_b[..=k]);
        let earlier = |qs: &[(String, bool)]| qs.iter().filter(|(id, _)| !later.contains(id)).cloned().collect::<Vec<_>>();
        prop_assert_eq!(earlier(&questions_a), earlier(&questions_b));
    }

    #[test]
    fn submitted_answers_never_keep_hidden_questions(
        answers in any_answers(),
        (page, form) in page_and_form(),
        e in 0..3usize,
    ) {
        let env = &ENVS[e];
        let page_id = Q.pages()[page].id.clone();
        if let Ok(new) = Q.submit_page(env, &answers, &page_id, &form) {
            let visible = visible_ids(env, &new);
            for (id, _) in new.iter() {
                prop_assert!(visible.contains(id), "{} kept while hidden", id);
            }
            prop_assert_eq!(Q.clean_answers(env, &new), new);
        }
    }

    #[test]
    fn hidden_required_questions_are_never_reported_missing(answers in any_answers(), e in 0..3usize) {
        let env = &ENVS[e];
        let visible = visible_ids(env, &answers);
        if let Err(incomplete) = Q.check_complete(env, &answers) {
            for p in &incomplete.problems {
                prop_assert!(visible.contains(&p.question_id), "{} reported while hidden", p.question_id);
            }
        }
    }

    #[test]
    fn submitting_a_page_twice_is_idempotent(
        answers in any_answers(),
        (page, form) in page_and_form(),
        e in 0..3usize,
    ) {
        let env = &ENVS[e];
        let page_id = Q.pages()[page].id.clone();
        if let Ok(once) = Q.submit_page(env, &answers, &page_id, &form) {
            let twice = Q.submit_page(env, &once, &page_id, &form);
            prop_assert_eq!(twice, Ok(once));
        }
    }

    #[test]
    fn answers_survive_a_json_round_trip(answers in arbitrary_answers(), e in 0..3usize) {
        let clean = Q.clean_answers(&ENVS[e], &answers);
        let json = serde_json::to_string(&clean).unwrap();
        let back: Answers = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, clean);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any text given as a condition either loads or is refused with diagnostics: never a panic.
    #[test]
    fn arbitrary_conditions_never_panic(source in "[a-z_ '()!&|=<>.0-9\\[\\]\"]{0,40}") {
        let yaml = format!(
            "schema_version: 1\nkey: t\ntitle: T\nlanguage: fr\npages:\n  - id: p\n    title: P\n    blocks:\n      - {{id: a, type: number, label: A}}\n      - id: b\n        type: short_text\n        label: B\n        condition: {}\n",
            serde_json::to_string(&source).unwrap()
        );
        match Questionnaire::load("t.yaml", &yaml) {
            Ok(loaded) => {
                let env = &ENVS[0];
                let _ = loaded.questionnaire.flow(env, &Answers::new());
            }
            Err(e) => prop_assert!(!e.diagnostics.is_empty()),
        }
    }
}
