//! The lifecycle staff will drive (issue 5): validate, reopen for an amendment, sign again; numbers, signed versions and the gradebook follow.

use cpre::contract::{ContractError, in_transaction, lifecycle, signing};
use cpre::store::contracts;
use reqwest::StatusCode;

use super::*;
use crate::support::app::TestApp;

async fn an_amendment_keeps_every_signed_version(app: TestApp) {
    configure_demo(&app).await;
    let (student, _) = signed_student(&app, "31", "1", "MATH").await;
    let (_, _) = signed_student(&app, "32", "1", "MATH").await;
    let rows = super::contracts(&app).await;
    assert_eq!(rows[0].number.as_deref(), Some("CPRE-2025-000001"));
    assert_eq!(
        rows[1].number.as_deref(),
        Some("CPRE-2025-000002"),
        "numbers are unique"
    );
    let id = rows[0].id.clone();
    let staff = rows[1].user_id.clone(); // any user id stands for the member of staff here

    // Validate, then validating again is refused.
    let (cid, actor) = (id.clone(), staff.clone());
    let validated = app
        .state
        .db
        .run(move |conn| {
            Ok(in_transaction(conn, |c| {
                lifecycle::validate(c, &cid, &actor)
            }))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(validated.state.as_str(), "validated");
    assert!(validated.validated_at.is_some());
    let (cid, actor) = (id.clone(), staff.clone());
    let again = app
        .state
        .db
        .run(move |conn| {
            Ok(in_transaction(conn, |c| {
                lifecycle::validate(c, &cid, &actor)
            }))
        })
        .await
        .unwrap();
    assert!(matches!(again, Err(ContractError::WrongState { .. })));
    let overview = student.overview("MATH").await;
    assert!(
        overview.text().contains("validé par l'équipe pédagogique"),
        "{}",
        overview.text()
    );

    // Reopen: the grade is cleared, the student edits and signs version 2.
    let (cid, actor) = (id.clone(), staff.clone());
    let reopened = app
        .state
        .db
        .run(move |conn| {
            Ok(in_transaction(conn, |c| {
                lifecycle::reopen(c, &cid, &actor, "Précisez votre projet")
            }))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reopened.state.as_str(), "reopened");
    assert_eq!(
        count_where(
            &app,
            "grade_outbox",
            &format!("contract_id = '{id}' AND NOT completed")
        )
        .await,
        1,
        "the grade is cleared"
    );
    let overview = student.overview("MATH").await;
    let text = overview.text();
    assert!(text.contains("rouvert"), "{text}");
    assert!(
        text.contains("CPRE-2025-000001"),
        "the last signed version is still shown"
    );
    let projet = student.get("/contrat/MATH/page/projet").await;
    assert_eq!(projet.status, StatusCode::OK);
    let amended = format!("{PROJECT} Je vise aussi l'agrégation.");
    let next = student
        .submit(projet.form("").answer("projet_formation", &[&amended]))
        .await;
    assert_eq!(next.status, StatusCode::SEE_OTHER);
    let summary = student.get("/contrat/MATH/recapitulatif").await;
    assert!(summary.text().contains("nouvelle version"));
    let signed = sign(&student, &summary).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let receipt = student.follow(&signed).await;
    assert!(receipt.text().contains("version 2"), "{}", receipt.text());

    let row = super::contracts(&app).await.remove(0);
    assert_eq!(row.state.as_str(), "signed");
    assert_eq!(row.signature_seq, 2);
    assert_eq!(
        row.number.as_deref(),
        Some("CPRE-2025-000001"),
        "same number"
    );
    let cid = id.clone();
    let versions = app
        .state
        .db
        .run(move |conn| contracts::signatures_of(conn, &cid))
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    let first = signing::SignedContent::read(&versions[0].content).unwrap();
    let second = signing::SignedContent::read(&versions[1].content).unwrap();
    assert!(signing::verify(
        &versions[0].content,
        &versions[0].fingerprint
    ));
    assert!(signing::verify(
        &versions[1].content,
        &versions[1].fingerprint
    ));
    assert_eq!(
        first
            .answers
            .get("projet_formation")
            .and_then(|a| a.as_text()),
        Some(PROJECT)
    );
    assert_eq!(
        second
            .answers
            .get("projet_formation")
            .and_then(|a| a.as_text()),
        Some(amended.as_str())
    );
    assert_eq!(
        second.contract.previous_fingerprint.as_deref(),
        Some(versions[0].fingerprint.as_str()),
        "versions are chained"
    );
    assert_eq!(
        row.fingerprint.as_deref(),
        Some(versions[1].fingerprint.as_str())
    );
    assert_eq!(
        count_where(
            &app,
            "grade_outbox",
            &format!("contract_id = '{id}' AND completed")
        )
        .await,
        2,
        "completed again"
    );
    let cid = id.clone();
    let kinds: Vec<String> = app
        .state
        .db
        .run(move |conn| contracts::events_of(conn, &cid))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind.as_str().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["started", "signed", "validated", "reopened", "signed"]
    );
}
crate::on_both_backends!(
    an_amendment_keeps_every_signed_version,
    super::an_amendment_keeps_every_signed_version
);

#[tokio::test]
async fn without_a_placement_no_grade_is_enqueued() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let browser = app.browser();
    // A launch without resource link claim is not possible for LtiResourceLinkRequest, so
    // detach the session from its placement the way a deep-linked course would.
    let launched = browser
        .launch(
            &app.platform,
            crate::support::platform::LaunchSpec::student()
                .person("41", "Camille", "Martin41", "22510041")
                .groups("1"),
        )
        .await;
    {
        use cpre::store::schema::sessions;
        use diesel::prelude::*;
        app.state
            .db
            .run(|conn| {
                diesel::update(sessions::table)
                    .set(sessions::resource_link_id.eq(None::<String>))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
    }
    let student = Student {
        browser,
        base: launched.base,
        home: launched.page,
    };
    let first = student.start("MATH").await;
    let summary = student.fill(first, plain_answers).await;
    assert_eq!(sign(&student, &summary).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("contract_signatures").await, 1);
    assert_eq!(app.count("grade_outbox").await, 0);
}

async fn concurrent_signatures_get_distinct_numbers(app: TestApp) {
    configure_demo(&app).await;
    let mut ready = Vec::new();
    for sub in ["51", "52", "53", "54"] {
        let student = launch_student(&app, sub, "1").await;
        let first = student.start("MATH").await;
        let summary = student.fill(first, plain_answers).await;
        ready.push((student, summary));
    }
    let [(a, sa), (b, sb), (c, sc), (d, sd)] =
        <[(Student, Page); 4]>::try_from(ready).ok().unwrap();
    let (ra, rb, rc, rd) = tokio::join!(sign(&a, &sa), sign(&b, &sb), sign(&c, &sc), sign(&d, &sd));
    for r in [&ra, &rb, &rc, &rd] {
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    }
    let mut numbers: Vec<String> = super::contracts(&app)
        .await
        .into_iter()
        .filter_map(|c| c.number)
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        [
            "CPRE-2025-000001",
            "CPRE-2025-000002",
            "CPRE-2025-000003",
            "CPRE-2025-000004"
        ]
    );
    // The same summary sent twice at once signs once.
    let e = launch_student(&app, "55", "1").await;
    let first = e.start("MATH").await;
    let summary = e.fill(first, plain_answers).await;
    let (r1, r2) = tokio::join!(sign(&e, &summary), sign(&e, &summary));
    let mut statuses = [r1.status, r2.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(app.count("contract_signatures").await, 5);
    assert_eq!(app.count("grade_outbox").await, 5);
    assert_eq!(
        count_where(
            &app,
            "contract_counters",
            "scope = '2025' AND last_value = 5"
        )
        .await,
        1,
        "no number is lost to a refused signature"
    );
}
crate::on_both_backends!(
    concurrent_signatures_get_distinct_numbers,
    super::concurrent_signatures_get_distinct_numbers
);
