//! Key rotation on both sides: the platform's (JWKS refetch) and the tool's (grace period).

use reqwest::StatusCode;

use crate::support::app::spawn;
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

#[tokio::test]
async fn launch_signed_with_the_platform_new_key_is_accepted_after_refetch() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    browser.launch(&app.platform, LaunchSpec::student()).await;
    // The platform rotates and stops publishing the old key.
    let new_key = app.platform.state.keys.rotate(true);
    // Refetches on an unknown kid are rate-limited to one every 2 s per platform.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let launched = browser.launch(&app.platform, LaunchSpec::teacher()).await;
    assert!(launched.page.contains("Claire Dubois"));
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
async fn tool_keeps_publishing_the_previous_key_during_the_grace_period() {
    let app = spawn(Backend::Sqlite).await.unwrap();
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
            cpre::keyring::rotate(conn, 72)
                .map_err(|e| cpre::store::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    app.state.keys.invalidate().await;
    let after: serde_json::Value = browser
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        vec![new_kid.as_str(), old_kid.as_str()],
        "new key first, old key still published"
    );
    let active = app.state.keys.snapshot().await.unwrap();
    assert_eq!(active.active.kid, new_kid, "the new key signs");

    // With no grace period left, the old key disappears at the next rotation.
    let newest = app
        .state
        .db
        .run(|conn| {
            cpre::keyring::rotate(conn, 0)
                .map_err(|e| cpre::store::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    app.state.keys.invalidate().await;
    let last = browser.get("/.well-known/jwks.json").await;
    assert_eq!(last.status(), StatusCode::OK);
    let last: serde_json::Value = last.json().await.unwrap();
    let kids: Vec<&str> = last["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![newest.as_str()]);
}
