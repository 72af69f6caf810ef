//! A signature becomes exactly one score with Moodle's fields and headers; tokens are cached;
//! a clearing clears; the line item is found or created when the launch has none.

use cpre::grades::Outcome;
use serde_json::{Value, json};

use crate::support::app::{CLIENT_ID, TestApp};
use crate::support::platform::LaunchSpec;

const AGS: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";

async fn signature_posts_exactly_one_score(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let id = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);

    let services = &app.platform.state.services;
    let posts = services.score_posts();
    assert_eq!(posts.len(), 1, "exactly one score");
    let post = &posts[0];
    assert_eq!(
        post.path,
        "/mod/lti/services.php/2/lineitems/2/lineitem/scores"
    );
    assert_eq!(
        post.query, "type_id=1",
        "/scores goes before the query string"
    );
    assert_eq!(
        post.content_type.as_deref(),
        Some("application/vnd.ims.lis.v1.score+json")
    );
    assert!(
        post.authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer tok-")
    );
    assert_eq!(post.status, 200);
    let row = app.outbox_row(&id).await;
    let body: Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(
        body,
        json!({
            "userId": "3",
            "scoreGiven": 1.0,
            "scoreMaximum": 1.0,
            "comment": "Contrat signé",
            "timestamp": cpre::lti::ags::iso8601(row.score_timestamp),
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
        })
    );
    let grade = services.grade(2, "3").expect("grade stored");
    assert_eq!(grade.score, Some(1.0));
    assert_eq!(grade.comment.as_deref(), Some("Contrat signé"));
    assert_eq!(row.state.as_str(), "delivered");
    assert!(row.delivered_at.is_some());
    assert_eq!(row.attempts, 1);
    assert!(row.lease_token.is_none() && row.lease_until.is_none());

    // The token: client credentials with a client assertion the platform verified.
    let tokens = services.requests_to("POST", "/mod/lti/token.php");
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(tokens[0].body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(form["grant_type"], "client_credentials");
    let scopes: Vec<&str> = form["scope"].split(' ').collect();
    assert!(scopes.contains(&"https://purl.imsglobal.org/spec/lti-ags/scope/score"));
    assert!(
        scopes
            .iter()
            .all(|s| s.starts_with("https://purl.imsglobal.org/spec/lti-ags/scope/")),
        "only AGS scopes the launch granted: {scopes:?}"
    );
    assert!(!scopes.contains(&"https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"));
    let header = jsonwebtoken::decode_header(&form["client_assertion"]).unwrap();
    let snapshot = app.state.keys.snapshot().await.unwrap();
    assert_eq!(header.kid.as_deref(), Some(snapshot.active.kid.as_str()));
    let assertion = services.assertions.lock().unwrap()[0].clone();
    assert_eq!(assertion["iss"], CLIENT_ID);
    assert_eq!(assertion["sub"], CLIENT_ID);
    assert_eq!(assertion["aud"], app.platform.token_url());
    assert!(assertion["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let lifetime = assertion["exp"].as_i64().unwrap() - assertion["iat"].as_i64().unwrap();
    assert!(lifetime > 0 && lifetime <= 300, "short exp: {lifetime}");
}
crate::on_both_backends!(
    signature_posts_exactly_one_score,
    super::signature_posts_exactly_one_score
);

#[tokio::test]
async fn token_audience_of_the_registration_is_used() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    let mut spec = app.platform.spec();
    spec.token_audience = Some("https://moodle.example/audience".into());
    app.state
        .db
        .run(move |conn| {
            cpre::store::platforms::upsert(conn, &spec, cpre::store::platforms::Source::Cli)
        })
        .await
        .unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    let assertion = app.platform.state.services.assertions.lock().unwrap()[0].clone();
    assert_eq!(assertion["aud"], "https://moodle.example/audience");
}

#[tokio::test]
async fn one_token_serves_many_deliveries() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    let subs = super::launch_students(&app, 5).await;
    for sub in &subs {
        app.enqueue_completion(sub, true).await;
    }
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered; 5]);
    let services = &app.platform.state.services;
    assert_eq!(
        services
            .token_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(services.score_posts().len(), 5);
    let distinct: std::collections::HashSet<_> = services
        .score_posts()
        .iter()
        .map(|p| p.authorization.clone())
        .collect();
    assert_eq!(distinct.len(), 1, "the same token for every delivery");
}

async fn unauthorized_refreshes_the_token_once(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    let services = &app.platform.state.services;
    // The platform forgets its tokens (restart, revocation): the cached one gets 401.
    services.revoke_tokens();
    app.enqueue_completion("3", false).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    let statuses: Vec<u16> = services.score_posts().iter().map(|p| p.status).collect();
    assert_eq!(statuses, vec![200, 401, 200]);
    assert_eq!(
        services
            .token_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        2,
        "one refresh"
    );
}
crate::on_both_backends!(
    unauthorized_refreshes_the_token_once,
    super::unauthorized_refreshes_the_token_once
);

#[tokio::test]
async fn a_second_401_is_retried_later_not_looped() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let id = app.enqueue_completion("3", true).await;
    // Every call answers 401 (a tool disabled in Moodle while its tokens still exist).
    app.platform.state.services.fail_next(2, 401, None);
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    let row = app.outbox_row(&id).await;
    assert_eq!(row.error_kind.map(|k| k.as_str()), Some("unauthorized"));
    assert_eq!(
        app.platform.state.services.score_posts().len(),
        2,
        "one refresh, no loop"
    );
}

async fn clearing_then_signing_again(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let mut stamps = Vec::new();
    for completed in [true, false, true] {
        let id = app.enqueue_completion("3", completed).await;
        stamps.push(app.outbox_row(&id).await.score_timestamp);
        assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    }
    assert!(
        stamps[1] >= stamps[0] + 1_000_000 && stamps[2] >= stamps[1] + 1_000_000,
        "a second apart: {stamps:?}"
    );
    let services = &app.platform.state.services;
    let posts = services.score_posts();
    let bodies: Vec<Value> = posts
        .iter()
        .map(|p| serde_json::from_str(&p.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies[1].get("scoreGiven").is_none(), "{}", bodies[1]);
    assert_eq!(bodies[1]["gradingProgress"], "NotReady");
    assert_eq!(bodies[1]["comment"], "Contrat rouvert");
    assert!(posts.iter().all(|p| p.status == 200));
    let grade = services.grade(2, "3").unwrap();
    assert_eq!(grade.score, Some(1.0), "signed again");
}
crate::on_both_backends!(
    clearing_then_signing_again,
    super::clearing_then_signing_again
);

async fn a_backlog_for_one_user_posts_only_the_latest_change(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let services = &app.platform.state.services;
    // Moodle keeps its own time for an activity's grades: an old change posted after a newer
    // one would get 409. During an outage the student signs, reopens, signs again.
    services
        .grades_store_server_time
        .store(true, std::sync::atomic::Ordering::SeqCst);
    services.fail_next(1, 503, None);
    let ids = [
        app.enqueue_completion("3", true).await,
        app.enqueue_completion("3", false).await,
        app.enqueue_completion("3", true).await,
    ];
    assert_eq!(
        app.drain_grade_outbox().await,
        vec![Outcome::Delivered, Outcome::Delivered, Outcome::Retried]
    );
    for id in &ids[..2] {
        let row = app.outbox_row(id).await;
        assert_eq!(row.state.as_str(), "delivered");
        assert_eq!(row.error_kind.map(|k| k.as_str()), Some("superseded"));
    }
    super::make_due(&app, &ids[2]).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    let statuses: Vec<u16> = services.score_posts().iter().map(|p| p.status).collect();
    assert_eq!(statuses, vec![503, 200], "only the latest change is posted");
    assert_eq!(services.grade(2, "3").unwrap().score, Some(1.0));
}
crate::on_both_backends!(
    a_backlog_for_one_user_posts_only_the_latest_change,
    super::a_backlog_for_one_user_posts_only_the_latest_change
);

#[tokio::test]
async fn a_clearing_clears_the_grade() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    app.enqueue_completion("3", true).await;
    app.enqueue_completion("3", false).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered; 2]);
    let grade = app.platform.state.services.grade(2, "3").unwrap();
    assert_eq!(grade.score, None, "reopened: no grade until signed again");
    assert_eq!(grade.grading_progress, "NotReady");
}

/// A launch from an activity that does not accept grades carries `lineitems` only.
pub fn without_lineitem(app: &TestApp) -> LaunchSpec {
    let payload = crate::support::platform::fixture_payload("launch-student.json");
    let text = serde_json::to_string(&payload[AGS])
        .unwrap()
        .replace("http://127.0.0.1:8081", app.platform.issuer());
    let mut ags: Value = serde_json::from_str(&text).unwrap();
    ags.as_object_mut().unwrap().remove("lineitem");
    LaunchSpec::student().claim(AGS, ags)
}

#[tokio::test]
async fn without_lineitem_claim_the_line_item_is_created_once() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    app.browser()
        .launch(&app.platform, without_lineitem(&app))
        .await;
    app.browser()
        .launch(
            &app.platform,
            without_lineitem(&app).person("4", "Bruno", "Lefèvre", "STUDENT2"),
        )
        .await;
    app.enqueue_completion("3", true).await;
    app.enqueue_completion("4", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered; 2]);
    let services = &app.platform.state.services;
    let creations = services.requests_to("POST", "/mod/lti/services.php/2/lineitems");
    assert_eq!(creations.len(), 1, "created once, then remembered");
    assert_eq!(
        creations[0].content_type.as_deref(),
        Some("application/vnd.ims.lis.v2.lineitem+json")
    );
    let lookups = services.requests_to("GET", "/mod/lti/services.php/2/lineitems");
    assert_eq!(lookups.len(), 1);
    assert!(
        lookups[0].query.contains("resource_link_id=1"),
        "{}",
        lookups[0].query
    );
    assert!(lookups[0].query.contains("tag=cpre-contrat"));
    assert!(
        lookups[0].query.starts_with("type_id=1"),
        "query kept: {}",
        lookups[0].query
    );
    let items = services.line_items.lock().unwrap().clone();
    let created = items
        .iter()
        .find(|i| i.tag == "cpre-contrat")
        .expect("created");
    assert_eq!(created.resource_link_id.as_deref(), Some("1"));
    assert_eq!(created.score_maximum, 1.0);
    assert_eq!(services.grade(created.id, "3").unwrap().score, Some(1.0));
    assert_eq!(services.grade(created.id, "4").unwrap().score, Some(1.0));
    assert_eq!(app.count("ags_line_items").await, 1);
}

#[tokio::test]
async fn without_lineitem_claim_an_existing_line_item_is_found() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    let services = &app.platform.state.services;
    services
        .line_items
        .lock()
        .unwrap()
        .push(crate::support::platform::services::LineItem {
            id: 7,
            context: "2".into(),
            label: "Contrat".into(),
            score_maximum: 1.0,
            resource_id: "cpre-contrat-2026-2027".into(),
            tag: "cpre-contrat".into(),
            resource_link_id: Some("1".into()),
        });
    app.browser()
        .launch(&app.platform, without_lineitem(&app))
        .await;
    app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Delivered]);
    assert!(
        services
            .requests_to("POST", "/mod/lti/services.php/2/lineitems")
            .is_empty()
    );
    assert_eq!(services.grade(7, "3").unwrap().score, Some(1.0));
}
