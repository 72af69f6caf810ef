//! Questionnaire benchmark: server time to render a contract page (engine flow + the real
//! minijinja template) and to validate a submitted page, for a 100-question questionnaire
//! with 50 conditions (`questionnaire::bench_support`), and for pages of the sample.
//! Database time is not included (one indexed round trip per request, measured by the
//! launch benchmark).
//!
//! `make bench` (or `cargo bench --bench questionnaire`). Knob: BENCH_ITERATIONS (default 3000).

#[path = "common.rs"]
#[allow(dead_code)]
mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use cpre::contract::student::Workspace;
use cpre::questionnaire::{
    Answers, Environment, Formation, Identity, Questionnaire, SubmitError, bench_support,
};
use cpre::store::contracts::ContractRow;
use cpre::store::formations::{CourseConfigRow, FormationRow};
use cpre::store::questionnaire_versions::VersionRow;
use cpre::web::chrome::Chrome;
use cpre::web::contract::page::{Notice, render};

/// Times `f` `n` times (after a warm-up); returns the sorted durations.
fn time<F: FnMut()>(n: usize, mut f: F) -> Vec<Duration> {
    for _ in 0..n / 10 + 10 {
        f();
    }
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    samples.sort();
    samples
}

fn report(name: &str, samples: &[Duration]) {
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "  {name:<52} median {:>8.3} ms   p95 {:>8.3} ms   mean {:>8.3} ms",
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3
    );
}

/// A workspace as a request would assemble it, without the database.
fn workspace(
    questionnaire: Questionnaire,
    formation: Formation,
    env: Environment,
    answers: Answers,
) -> Workspace {
    let data = serde_json::to_string(&formation).unwrap();
    Workspace {
        config: CourseConfigRow {
            context_id: "ctx".into(),
            academic_year: "2025-2026".into(),
            contact: "{}".into(),
            source_file: "bench".into(),
            content_hash: String::new(),
            configured_at: 0,
            updated_at: 0,
        },
        formation: FormationRow {
            id: "f".into(),
            context_id: "ctx".into(),
            code: formation.code.clone(),
            title: formation.title.clone(),
            questionnaire_key: questionnaire.key().to_owned(),
            data,
            referent: r#"{"name":"Mme Dubois","email":"de@univ.example.fr"}"#.into(),
            info: None,
            position: 0,
            archived_at: None,
            created_at: 0,
            updated_at: 0,
        },
        contract: Some(ContractRow {
            id: "c".into(),
            context_id: "ctx".into(),
            formation_id: "f".into(),
            user_id: "u".into(),
            academic_year: "2025-2026".into(),
            questionnaire_version_id: "v".into(),
            state: cpre::contract::ContractState::Draft,
            answers: serde_json::to_string(&answers).unwrap(),
            pages_done: "[]".into(),
            revision: 7,
            previous_contract_id: None,
            number: None,
            signature_seq: 0,
            signed_at: None,
            fingerprint: None,
            validated_at: None,
            validated_by: None,
            created_at: 0,
            updated_at: 0,
        }),
        version: VersionRow {
            id: "v".into(),
            context_id: "ctx".into(),
            questionnaire_key: questionnaire.key().to_owned(),
            version: 1,
            title: questionnaire.title().to_owned(),
            content_hash: questionnaire.content_hash().to_owned(),
            file_name: "bench.yaml".into(),
            published_at: 0,
        },
        questionnaire: Arc::new(questionnaire),
        env,
        answers,
        pages_done: Vec::new(),
        year_closed: false,
    }
}

fn chrome() -> Chrome {
    Chrome {
        lang: "fr",
        base: "/s/0123456789abcdef0123456789abcdef0123456789a".into(),
        csrf: "csrf-token-of-the-session-0123456789abcdef".into(),
        course: minijinja::context! { title => "L1 Contrat", label => "L1-CONTRAT" },
        user: minijinja::context! { name => "Camille Martin", person_sourcedid => "22512345" },
        tz: chrono_tz::Europe::Paris,
    }
}

fn main() {
    let n = common::env_or("BENCH_ITERATIONS", 3000);
    let chrome = chrome();

    // The generated questionnaire: 10 pages × 10 questions, 50 conditions.
    let large = bench_support::large_questionnaire().expect("bench questionnaire loads");
    assert_eq!(large.questions().count(), 100);
    let env = bench_support::environment();
    let answers = bench_support::answers_before_page_5(&large, &env);
    let formation = env.formation().clone();
    let ws = workspace(large, formation, env, answers);
    let form = bench_support::page_form(5);
    let mut bad_form = form.clone();
    bad_form[2].1 = "deux cents".into(); // a number question
    bad_form[1].1 = "Bonjour 123".into(); // fails the pattern

    let (status, html) = render(
        &chrome,
        &ws,
        "page_5",
        None,
        &[],
        Notice::None,
        StatusCode::OK,
    )
    .expect("page renders");
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"q.c_5_0\""));
    println!(
        "questionnaire benchmark ({n} iterations each, one thread, no database; page of {} bytes)",
        html.len()
    );
    println!("100 questions, 50 conditions (questionnaire::bench_support), page 5 of 10:");
    report(
        "render a page (flow + template)",
        &time(n, || {
            black_box(
                render(
                    &chrome,
                    &ws,
                    "page_5",
                    None,
                    &[],
                    Notice::None,
                    StatusCode::OK,
                )
                .unwrap(),
            );
        }),
    );
    report(
        "validate a submitted page (submit_page)",
        &time(n, || {
            let r = ws
                .questionnaire
                .submit_page(&ws.env, &ws.answers, "page_5", &form);
            assert!(r.is_ok());
            black_box(r.ok());
        }),
    );
    report(
        "validate + serialise answers + next page (saved)",
        &time(n, || {
            let saved = ws
                .questionnaire
                .submit_page(&ws.env, &ws.answers, "page_5", &form)
                .unwrap();
            black_box(serde_json::to_string(&saved).unwrap());
            let flow = ws.questionnaire.flow(&ws.env, &saved);
            black_box(flow.next_page("page_5").map(|p| p.id));
        }),
    );
    report(
        "validate refused + render with errors",
        &time(n, || {
            let errors =
                match ws
                    .questionnaire
                    .submit_page(&ws.env, &ws.answers, "page_5", &bad_form)
                {
                    Err(SubmitError::Invalid(e)) => e.errors,
                    _ => panic!("the bad form is refused"),
                };
            let posted: Vec<(String, String)> = bad_form.clone();
            black_box(
                render(
                    &chrome,
                    &ws,
                    "page_5",
                    Some(&posted),
                    &errors,
                    Notice::Invalid,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .unwrap(),
            );
        }),
    );

    // The sample questionnaire with a demo formation, on its busiest pages.
    let sample = Questionnaire::load(
        "questionnaire-l1.yaml",
        include_str!("../../docs/examples/questionnaire-l1.yaml"),
    )
    .expect("sample loads")
    .questionnaire;
    let math = Formation::list_from_yaml(
        "formations-demo.yaml",
        include_str!("../../docs/examples/formations-demo.yaml"),
    )
    .expect("demo formations")
    .into_iter()
    .next()
    .unwrap();
    let env = Environment::new(math.clone(), "2025-2026", false, Identity::default());
    let mut answers = Answers::new();
    for (page, fields) in [
        (
            "statut",
            vec![
                ("q.a_un_statut", "oui"),
                ("q.statuts", "salarie"),
                ("q.statuts", "handicap"),
            ],
        ),
        ("statut_salarie", vec![("q.heures_travail", "20")]),
        ("statut_handicap", vec![("q.suivi_service_handicap", "oui")]),
    ] {
        answers = sample
            .submit_page(&env, &answers, page, &fields)
            .expect(page);
    }
    let ws = workspace(sample, math, env, answers);
    let amenagements = [
        ("q.amenagements_demandes", "dispense_assiduite_td"),
        ("q.amenagements_demandes", "tiers_temps"),
        (
            "q.justification_amenagements",
            "Je travaille le soir et j'ai besoin de temps aux examens.",
        ),
    ];
    println!("sample questionnaire (MATH, salarié + handicap):");
    for page in ["statut", "amenagements", "accompagnement"] {
        report(
            &format!("render page « {page} »"),
            &time(n, || {
                black_box(
                    render(&chrome, &ws, page, None, &[], Notice::None, StatusCode::OK).unwrap(),
                );
            }),
        );
    }
    report(
        "validate page « amenagements »",
        &time(n, || {
            let r =
                ws.questionnaire
                    .submit_page(&ws.env, &ws.answers, "amenagements", &amenagements);
            assert!(r.is_ok(), "{r:?}");
            black_box(r.ok());
        }),
    );
    report(
        "summary before signing (summary + check_complete)",
        &time(n, || {
            black_box(ws.questionnaire.summary(&ws.env, &ws.answers));
            black_box(
                ws.questionnaire
                    .check_complete(&ws.env, &ws.answers)
                    .is_ok(),
            );
        }),
    );
    println!("target: under 2 ms each");
}
