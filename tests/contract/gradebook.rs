//! End to end: a student signs through the pages, the gradebook gets exactly one completion;
//! an amendment clears it and the new signature completes it again; an outage and a restart
//! lose nothing.

use cpre::grades::Outcome;
use serde_json::Value;

use super::{configure_demo, contracts, fill_and_sign_again, signed_student};
use crate::support::app::TestApp;

async fn signing_through_the_pages_posts_one_completion(app: TestApp) {
    configure_demo(&app).await;
    let (_student, receipt) = signed_student(&app, "3", "1", "MATH").await;
    assert!(receipt.text().contains("CPRE-"), "{}", receipt.text());
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);

    let services = &app.platform.state.services;
    let posts = services.score_posts();
    assert_eq!(posts.len(), 1, "exactly one score for one signature");
    let body: Value = serde_json::from_str(&posts[0].body).unwrap();
    assert_eq!(body["userId"], "3");
    assert_eq!(body["scoreGiven"], 1.0);
    assert_eq!(body["scoreMaximum"], 1.0);
    assert_eq!(body["activityProgress"], "Completed");
    assert_eq!(body["gradingProgress"], "FullyGraded");
    assert!(
        body["comment"].as_str().unwrap().contains("CPRE-"),
        "{body}"
    );
    let grade = services.grade(2, "3").expect("grade in the gradebook");
    assert_eq!(grade.score, Some(1.0));
    assert!(
        app.drain_grade_outbox().await.is_empty(),
        "nothing left to send"
    );
}
crate::on_both_backends!(
    signing_through_the_pages_posts_one_completion,
    super::signing_through_the_pages_posts_one_completion
);

#[tokio::test]
async fn an_amendment_clears_the_grade_and_the_new_signature_restores_it() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let (student, _receipt) = signed_student(&app, "3", "1", "MATH").await;
    app.drain_grade_outbox().await;
    let contract = contracts(&app).await.remove(0);
    let id = contract.id.clone();
    let actor = contract.user_id.clone();
    app.state
        .db
        .run(move |conn| {
            Ok(cpre::store::transaction(conn, |c| {
                cpre::contract::lifecycle::reopen(c, &id, &actor, "Préciser le projet")
            }))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    let services = &app.platform.state.services;
    assert_eq!(
        services.grade(2, "3").and_then(|g| g.score),
        None,
        "grade cleared"
    );

    fill_and_sign_again(&student, "MATH").await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    assert_eq!(
        services.grade(2, "3").and_then(|g| g.score),
        Some(1.0),
        "completed again"
    );
    assert_eq!(
        services.score_posts().len(),
        3,
        "signed, cleared, signed again"
    );
}

#[tokio::test]
async fn a_signature_during_an_outage_reaches_the_gradebook_after_a_restart() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let services = app.platform.state.services.clone();
    services.fail_next(3, 503, None);
    signed_student(&app, "3", "1", "MATH").await;
    // One attempt fails while Moodle is down; then the tool stops before the retry.
    let first = app.drain_grade_outbox().await;
    assert!(first.iter().all(|o| *o != Outcome::Delivered), "{first:?}");
    let (db, platform) = app.kill().await;
    let app = crate::support::app::spawn_on(db, platform, false, |_| {}).await;
    // Moodle is back after its outage; the retry comes due.
    let id = {
        use cpre::store::schema::grade_outbox;
        use diesel::prelude::*;
        app.state
            .db
            .run(|conn| {
                let id: String = grade_outbox::table
                    .select(grade_outbox::id)
                    .get_result(conn)?;
                diesel::update(grade_outbox::table.find(&id))
                    .set(grade_outbox::next_attempt_at.eq(0))
                    .execute(conn)?;
                Ok(id)
            })
            .await
            .unwrap()
    };
    services.fail_next(0, 503, None);
    let mut delivered = false;
    for _ in 0..5 {
        if app.drain_grade_outbox().await.contains(&Outcome::Delivered) {
            delivered = true;
            break;
        }
        crate::grades::make_due(&app, &id).await;
    }
    assert!(delivered, "delivered after the restart");
    assert_eq!(services.grade(2, "3").and_then(|g| g.score), Some(1.0));
    let successes = services
        .score_posts()
        .iter()
        .filter(|p| p.status == 200)
        .count();
    assert_eq!(successes, 1, "exactly one accepted score");
}
