//! Key rotation on both sides. The platform's: a launch signed with a key the platform
//! publishes succeeds on its first try, whatever the timing (one shared refetch, never more
//! often than the configured interval). The tool's: a new key is published before it signs,
//! and the previous one stays published for the grace period, so a platform verifying the
//! tool's tokens finds the key on its first try too.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::app::{TestApp, spawn, spawn_with};
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

/// The key ids of every tool JWT the platform verified, in order.
fn verified_kids(app: &TestApp) -> Vec<String> {
    app.platform
        .state
        .services
        .verified_kids
        .lock()
        .unwrap()
        .clone()
}

fn jwks_fetches(app: &TestApp) -> Vec<Instant> {
    app.platform.state.jwks_fetches.lock().unwrap().clone()
}

#[tokio::test]
async fn a_launch_signed_with_a_key_just_published_succeeds_at_once() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    browser.launch(&app.platform, LaunchSpec::student()).await;
    assert_eq!(jwks_fetches(&app).len(), 1);
    // The platform rotates, stops publishing the old key, and launches with the new one
    // straight away: inside the refetch interval, the launch waits for the next fetch.
    let new_key = app.platform.state.keys.rotate(true);
    let launched = browser.launch(&app.platform, LaunchSpec::teacher()).await;
    assert!(launched.page.contains("Claire Dubois"));
    let fetches = jwks_fetches(&app);
    assert_eq!(fetches.len(), 2, "one refetch for the new key");
    assert!(
        fetches[1] - fetches[0] >= Duration::from_millis(1000),
        "never more often than the interval"
    );
    assert!(
        app.platform
            .state
            .keys
            .jwks()
            .to_string()
            .contains(&new_key.kid)
    );
}

#[tokio::test]
async fn concurrent_launches_with_a_new_key_share_one_fetch() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    browser.launch(&app.platform, LaunchSpec::student()).await;
    app.platform.state.keys.rotate(true);
    // Eight users log in, then their id_tokens (signed with the new key) all arrive at once.
    let mut forms = Vec::new();
    for i in 0..8 {
        let spec = LaunchSpec::student().person(&format!("s{i}"), "Élève", "Nouveau", "N");
        let hint = app.platform.expect_launch(spec);
        let browser = app.browser();
        let form = browser.authenticate(&hint).await;
        forms.push((browser, form));
    }
    let launches = forms.iter().map(|(browser, form)| async move {
        browser
            .post_launch(&form.id_token, &form.state)
            .await
            .status()
    });
    let statuses = futures_util::future::join_all(launches).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    assert_eq!(jwks_fetches(&app).len(), 2, "a single shared refetch");
}

#[tokio::test]
async fn the_refetch_interval_is_a_setting() {
    let app = spawn_with(Backend::Sqlite, |s| s.jwks_min_interval_ms = 200)
        .await
        .unwrap();
    let browser = app.browser();
    browser.launch(&app.platform, LaunchSpec::student()).await;
    for _ in 0..3 {
        app.platform.state.keys.rotate(true);
        browser.launch(&app.platform, LaunchSpec::student()).await;
    }
    let fetches = jwks_fetches(&app);
    assert_eq!(fetches.len(), 4, "one fetch per new key");
    for pair in fetches.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(200));
    }
}

#[tokio::test]
async fn an_unknown_key_is_refused_after_one_refetch() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    browser.launch(&app.platform, LaunchSpec::student()).await;
    // A login, then an id_token for its nonce signed by a stranger's key: a kid the
    // platform never published.
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let login = browser.login(&hint).await;
    let target = url::Url::parse(&crate::support::app::location(login.headers())).unwrap();
    let params: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
    let stranger = crate::support::platform::new_key();
    let claims = app
        .platform
        .claims(&LaunchSpec::student(), &params["nonce"]);
    let token = stranger.sign(&claims).unwrap();
    let response = browser.post_launch(&token, &params["state"]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        jwks_fetches(&app).len(),
        2,
        "looked once more, then refused"
    );
}

#[tokio::test]
async fn the_tool_publishes_a_new_key_before_it_signs_with_it() {
    let app = spawn_with(Backend::Sqlite, |s| s.key_activation_seconds = 1)
        .await
        .unwrap();
    let browser = app.browser();
    let before: serde_json::Value = browser
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let old_kid = before["keys"][0]["kid"].as_str().unwrap().to_string();
    assert_eq!(before["keys"].as_array().unwrap().len(), 1);
    assert_eq!(before["keys"][0]["alg"], "RS256");
    assert_eq!(before["keys"][0]["use"], "sig");
    assert!(
        before["keys"][0].get("d").is_none(),
        "no private material published"
    );

    let new_kid = app
        .state
        .db
        .run(|conn| {
            cpre::keyring::rotate(conn, 72, 1)
                .map_err(|e| cpre::store::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    app.state.keys.invalidate().await;
    let kids = |jwks: &serde_json::Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let after: serde_json::Value = browser
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        kids(&after),
        vec![new_kid.clone(), old_kid.clone()],
        "the new key is published at once, the old one too"
    );
    // The old key still signs; a platform verifying a token of the tool now finds it.
    let snapshot = app.state.keys.snapshot().await.unwrap();
    assert_eq!(snapshot.active.kid, old_kid, "not signing yet");
    browser.launch(&app.platform, LaunchSpec::student()).await;
    app.enqueue_completion("3", true).await;
    app.drain_grade_outbox().await;
    assert_eq!(verified_kids(&app), vec![old_kid.clone()]);

    // Once the activation delay is over, the new key signs, and the platform finds it at once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.state.keys.invalidate().await;
    assert_eq!(app.state.keys.snapshot().await.unwrap().active.kid, new_kid);
    app.platform.state.services.revoke_tokens();
    app.enqueue_completion("3", false).await;
    app.drain_grade_outbox().await;
    assert_eq!(verified_kids(&app), vec![old_kid.clone(), new_kid.clone()]);
    let published: serde_json::Value = browser
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        kids(&published).contains(&old_kid),
        "the old key stays published during the grace period"
    );

    // With no grace period left, the old keys disappear at the next rotation.
    let newest = app
        .state
        .db
        .run(|conn| {
            cpre::keyring::rotate(conn, 0, 0)
                .map_err(|e| cpre::store::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    app.state.keys.invalidate().await;
    let last = browser.get("/.well-known/jwks.json").await;
    assert_eq!(last.status(), StatusCode::OK);
    let last: serde_json::Value = last.json().await.unwrap();
    assert_eq!(kids(&last), vec![newest]);
}
