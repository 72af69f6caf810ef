//! Failures: an outage is retried with backoff until the platform recovers (one score in the
//! end), `Retry-After` is honoured, a 409 counts as delivered, permanent refusals are kept
//! with their reason, a delivery that cannot succeed gives up after its retry period.

use cpre::grades::Outcome;
use serde_json::Value;

use super::{make_due, wait_settled};
use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

fn seconds_until(row: &cpre::store::outbox::OutboxRow) -> f64 {
    (row.next_attempt_at - row.last_attempt_at.unwrap()) as f64 / 1e6
}

async fn outage_then_recovery_delivers_once(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let services = &app.platform.state.services;
    services.fail_next(3, 503, None);
    let id = app.enqueue_completion("3", true).await;

    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.state.as_str(), "pending");
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("unavailable"));
    assert!(
        row.last_error.as_deref().unwrap().contains("503"),
        "{:?}",
        row.last_error
    );
    let first = seconds_until(&row);
    assert!((22.0..=38.0).contains(&first), "30 s ± 25 %: {first}");
    assert_eq!(app.drain_grade_outbox().await, vec![], "not due yet");

    make_due(&app, &id).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    let second = seconds_until(&app.outbox_row(&id).await);
    assert!((45.0..=75.0).contains(&second), "60 s ± 25 %: {second}");
    make_due(&app, &id).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    make_due(&app, &id).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);

    let statuses: Vec<u16> = services.score_posts().iter().map(|p| p.status).collect();
    assert_eq!(statuses, vec![503, 503, 503, 200]);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.state.as_str(), "delivered");
    assert_eq!(row.attempts, 4);
    assert!(row.last_error.is_none());
    assert_eq!(services.grade(2, "3").unwrap().score, Some(1.0));
}
crate::on_both_backends!(
    outage_then_recovery_delivers_once,
    super::outage_then_recovery_delivers_once
);

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    app.platform.state.services.fail_next(1, 429, Some("900"));
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    let wait = seconds_until(&app.outbox_row(&id).await);
    assert!(wait >= 899.0, "Retry-After 900 s honoured: {wait}");
}

#[tokio::test]
async fn unreachable_platform_and_token_endpoint_are_retried() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let services = &app.platform.state.services;
    services
        .token_fail_next
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    assert_eq!(
        app.outbox_row(&id).await.error_kind.map(|k| k.as_str()),
        Some("unavailable")
    );

    // Connection refused: the line item URL points at a closed port.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let lineitem =
        format!("http://127.0.0.1:{closed}/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1");
    let row_id = id.clone();
    app.state
        .db
        .run(move |conn| {
            use cpre::store::schema::grade_outbox;
            use diesel::prelude::*;
            diesel::update(grade_outbox::table.find(&row_id))
                .set(grade_outbox::lineitem_url.eq(lineitem))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    make_due(&app, &id).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("unavailable"));
    assert!(
        row.last_error.as_deref().unwrap().contains("unreachable"),
        "{:?}",
        row.last_error
    );
}

async fn conflict_on_an_equal_timestamp_counts_as_delivered(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    // The bookkeeping was lost (crash after Moodle stored the score): the row is pending again.
    let row_id = id.clone();
    app.state
        .db
        .run(move |conn| {
            use cpre::store::schema::grade_outbox;
            use diesel::prelude::*;
            diesel::update(grade_outbox::table.find(&row_id))
                .set((
                    grade_outbox::state.eq("pending"),
                    grade_outbox::next_attempt_at.eq(0),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    let services = &app.platform.state.services;
    let statuses: Vec<u16> = services.score_posts().iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        vec![200, 409],
        "the same timestamp again: Moodle says 409"
    );
    let row = app.outbox_row(&id).await;
    assert_eq!(row.state.as_str(), "delivered");
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("already_recorded"));
    assert_eq!(
        services.grade(2, "3").unwrap().score,
        Some(1.0),
        "one grade"
    );
}
crate::on_both_backends!(
    conflict_on_an_equal_timestamp_counts_as_delivered,
    super::conflict_on_an_equal_timestamp_counts_as_delivered
);

async fn user_without_gradebook_role_is_refused_for_good(app: TestApp) {
    // A non-editing teacher trying the activity: Moodle answers 400 to their score.
    app.browser()
        .launch(&app.platform, LaunchSpec::teacher())
        .await;
    let id = app.enqueue_completion("5", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Failed]);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.state.as_str(), "failed");
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("not_gradable"));
    assert!(row.last_error.as_deref().unwrap().contains("400"));
    make_due(&app, &id).await;
    assert_eq!(app.drain_grade_outbox().await, vec![], "not retried");
    assert_eq!(app.platform.state.services.score_posts().len(), 1);

    // Kept and visible for the course's staff.
    let context_id = row.context_id.clone();
    let status = app
        .state
        .db
        .run(move |conn| cpre::grades::status_for_context(conn, &context_id))
        .await
        .unwrap();
    assert_eq!(status.counts.failed, 1);
    assert_eq!(status.counts.pending, 0);
    assert_eq!(status.open.len(), 1);
    assert_eq!(status.open[0].user_name, "Claire Dubois");
    assert_eq!(
        status.open[0].error_kind.map(|k| k.as_str()),
        Some("not_gradable")
    );
}
crate::on_both_backends!(
    user_without_gradebook_role_is_refused_for_good,
    super::user_without_gradebook_role_is_refused_for_good
);

#[tokio::test]
async fn other_refusals_are_kept_with_the_platform_reason() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    // The grade item was deleted in Moodle.
    app.platform
        .state
        .services
        .line_items
        .lock()
        .unwrap()
        .clear();
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Failed]);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("refused"));
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("Grade item doesn't exist")
    );
}

#[tokio::test]
async fn activity_without_grades_is_recorded_for_staff() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(
            &app.platform,
            LaunchSpec::student().claim(
                "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
                Value::Null,
            ),
        )
        .await;
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Failed]);
    let row = app.outbox_row(&id).await;
    assert_eq!(
        row.error_kind.map(|k| k.as_str()),
        Some("grades_not_enabled")
    );
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("notes non activées sur cette activité")
    );
    assert!(app.platform.state.services.score_posts().is_empty());
    assert_eq!(
        app.platform
            .state
            .services
            .token_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing asked of the platform"
    );
}

#[tokio::test]
async fn retries_end_with_a_failure_kept_and_retryable() {
    let app = crate::support::app::spawn_with(Backend::Sqlite, |s| s.grades_retry_days = 1)
        .await
        .unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let max = cpre::grades::delivery::max_attempts(1);
    app.platform
        .state
        .services
        .fail_next(max as usize, 503, None);
    let id = app.enqueue_completion("3", true).await;
    let mut outcomes = Vec::new();
    for _ in 0..max {
        make_due(&app, &id).await;
        outcomes.extend(app.drain_grade_outbox().await);
    }
    assert_eq!(outcomes.last(), Some(&Outcome::Failed));
    assert_eq!(outcomes.len(), max as usize);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.state.as_str(), "failed");
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("gave_up"));
    assert!(row.last_error.as_deref().unwrap().contains("503"));

    // `cpre outbox retry` (here the library call it makes) puts it back; it is delivered.
    let row_id = id.clone();
    let n = app
        .state
        .db
        .run(move |conn| cpre::store::outbox::retry(conn, Some(&row_id), None))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    assert_eq!(wait_settled(&app, &id, 1).await.state.as_str(), "delivered");
}

#[tokio::test]
async fn a_token_endpoint_that_refuses_the_tool_is_retried_with_the_reason() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    // Moodle cannot check our assertion (the tool's key set is not where it looks: a tool
    // still pending, or registered with another key).
    *app.platform.state.tool_jwks_url.lock().unwrap() = "http://127.0.0.1:1/none".into();
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("token_refused"));
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("invalid_client"),
        "{:?}",
        row.last_error
    );
    assert!(app.platform.state.services.score_posts().is_empty());
}

#[tokio::test]
async fn without_the_scopes_to_post_or_create_grades_are_not_enabled() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
    let lineitems = format!(
        "{}/mod/lti/services.php/2/lineitems?type_id=1",
        app.platform.issuer()
    );
    // No score scope at all.
    app.browser()
        .launch(
            &app.platform,
            LaunchSpec::student().claim(
                ags,
                serde_json::json!({"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"], "lineitems": lineitems}),
            ),
        )
        .await;
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Failed]);
    assert_eq!(
        app.outbox_row(&id).await.error_kind.map(|k| k.as_str()),
        Some("grades_not_enabled")
    );
    // Score and read-only line items, but no line item to find and no right to create one.
    app.browser()
        .launch(
            &app.platform,
            LaunchSpec::student().claim(
                ags,
                serde_json::json!({"scope": [
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score"], "lineitems": lineitems}),
            ),
        )
        .await;
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Failed]);
    let row = app.outbox_row(&id).await;
    assert_eq!(
        row.error_kind.map(|k| k.as_str()),
        Some("grades_not_enabled")
    );
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("créer la colonne")
    );
    let services = &app.platform.state.services;
    assert_eq!(
        services
            .requests_to("GET", "/mod/lti/services.php/2/lineitems")
            .len(),
        1
    );
    assert!(
        services
            .requests_to("POST", "/mod/lti/services.php/2/lineitems")
            .is_empty()
    );
}
