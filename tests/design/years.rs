//! Academic years: close a year (the student is refused with a clear page), reopen it, open the next one (prefilled); a student's history across years and courses.

use reqwest::StatusCode;

use super::{audit, designer, follow_ok, get, post};
use crate::contract::{
    Student, configure, configure_demo, demo_course, launch_student, plain_answers, signed_student,
};
use crate::support::app::TestApp;
use crate::support::platform::LaunchSpec;

async fn a_closed_year_is_read_only_for_students(app: TestApp) {
    configure_demo(&app).await;
    let a = launch_student(&app, "201", "1").await;
    let first = a.start("MATH").await;
    let d = designer(&app).await;
    let years = get(&d, "/annees").await;
    assert!(years.text().contains("2025-2026"));
    let closed = post(&app, &d, "/annees/clore", &[("academic_year", "2025-2026")]).await;
    let years = follow_ok(&d, &closed).await;
    assert!(years.text().contains("close le"), "{}", years.text());

    // The student: the page sends back to the overview, which says why; a post is refused.
    let page = a.get("/contrat/MATH/page/identite").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let overview = a.follow(&page).await;
    assert!(
        overview.text().contains("L'année 2025-2026 est close"),
        "{}",
        overview.text()
    );
    assert!(!overview.text().contains("Reprendre là où"));
    let before = crate::contract::contracts(&app).await[0].revision;
    let refused = a.submit(plain_answers("identite", first.form(""))).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.text().contains("L'année universitaire est close"),
        "{}",
        refused.text()
    );
    assert_eq!(
        crate::contract::contracts(&app).await[0].revision,
        before,
        "nothing saved"
    );
    let summary = a.get("/contrat/MATH/recapitulatif").await;
    assert_eq!(summary.status, StatusCode::SEE_OTHER, "no signature form");
    let b = launch_student(&app, "202", "1").await;
    let overview = b.overview("MATH").await;
    assert!(
        !overview.has("form[action$='/commencer']"),
        "no « Commencer »"
    );
    let csrf = app.session_csrf(&b.base).await;
    let start = b
        .post(
            &format!("{}/contrat/MATH/commencer", b.base),
            &[("csrf".into(), csrf)],
        )
        .await;
    assert_eq!(start.status, StatusCode::CONFLICT);
    assert_eq!(app.count("contracts").await, 1);

    // Reopened: the student goes on.
    let reopened = post(
        &app,
        &d,
        "/annees/rouvrir",
        &[("academic_year", "2025-2026")],
    )
    .await;
    follow_ok(&d, &reopened).await;
    let saved = a
        .submit(plain_answers(
            "identite",
            a.get("/contrat/MATH/page/identite").await.form(""),
        ))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());

    let changes: Vec<String> = audit(&app, "config.year")
        .await
        .iter()
        .map(|e| e["change"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(changes, ["close", "reopen"]);
}
crate::on_both_backends!(
    a_closed_year_is_read_only_for_students,
    super::a_closed_year_is_read_only_for_students
);

async fn the_next_year_prefills_from_the_previous_one(app: TestApp) {
    configure_demo(&app).await;
    signed_student(&app, "211", "1", "MATH").await;
    let d = designer(&app).await;
    let earlier = post(
        &app,
        &d,
        "/annees/ouvrir",
        &[("academic_year", "2024-2025")],
    )
    .await;
    assert_eq!(earlier.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        earlier.text().contains("n'est pas postérieure"),
        "{}",
        earlier.text()
    );
    assert_eq!(
        earlier.form("/annees/ouvrir").get("academic_year"),
        Some("2024-2025"),
        "kept"
    );
    let bad = post(&app, &d, "/annees/ouvrir", &[("academic_year", "2026")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("n'est pas une année universitaire"));
    let opened = post(
        &app,
        &d,
        "/annees/ouvrir",
        &[("academic_year", "2026-2027")],
    )
    .await;
    let years = follow_ok(&d, &opened).await;
    assert!(
        years.text().contains("2026-2027 en cours"),
        "{}",
        years.text()
    );

    let again = launch_student(&app, "211", "1").await;
    let home = crate::support::text(&again.home);
    assert!(
        home.contains("2026-2027") && home.contains("seront reprises"),
        "{home}"
    );
    assert_eq!(audit(&app, "config.year").await[0]["previous"], "2025-2026");
}
crate::on_both_backends!(
    the_next_year_prefills_from_the_previous_one,
    super::the_next_year_prefills_from_the_previous_one
);

#[tokio::test]
async fn a_students_history_across_years_and_courses() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    signed_student(&app, "301", "1", "MATH").await;
    let d = designer(&app).await;
    follow_ok(
        &d,
        &post(
            &app,
            &d,
            "/annees/ouvrir",
            &[("academic_year", "2026-2027")],
        )
        .await,
    )
    .await;
    launch_student(&app, "301", "1").await.start("MATH").await;
    // The same student in another course of the platform.
    let mut other = demo_course(&app);
    other.context_id = "3".into();
    other.academic_year = "2026-2027".into();
    configure(&app, other).await;
    let browser = app.browser();
    let launched = browser
        .launch(
            &app.platform,
            LaunchSpec::student()
                .person("301", "Camille", "Martin301", "22510301")
                .groups("2")
                .claim(
                    "https://purl.imsglobal.org/spec/lti/claim/context",
                    serde_json::json!({"id": "3", "label": "L2", "title": "L2 Contrat"}),
                ),
        )
        .await;
    let elsewhere = Student {
        browser,
        base: launched.base,
        home: launched.page,
    };
    elsewhere.start("PHYS").await;

    let found = get(&d, "/etudiants?q=22510301").await;
    assert_eq!(found.status, StatusCode::OK);
    let text = found.text();
    assert!(
        text.contains("1 personne(s) trouvée(s)") && text.contains("Camille Martin301"),
        "{text}"
    );
    assert!(
        text.contains("2026-2027")
            && text.contains("2025-2026")
            && text.contains("CPRE-2025-000001")
    );
    assert!(text.contains("autre cours : L2 Contrat"), "{text}");
    let links = {
        let doc = scraper::Html::parse_document(&found.html);
        let sel = scraper::Selector::parse("a[href*='/suivi/contrats/']").unwrap();
        doc.select(&sel).count()
    };
    assert_eq!(links, 2, "links only to this course's contracts");
    let by_name = get(&d, "/etudiants?q=martin301").await;
    assert!(by_name.text().contains("1 personne(s) trouvée(s)"));
    let short = get(&d, "/etudiants?q=m").await;
    assert!(short.text().contains("au moins deux caractères"));
}
