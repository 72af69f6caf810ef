//! Complete launches through the test platform, with and without cookies.

use reqwest::StatusCode;

use crate::support::app::{TestApp, location};
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

async fn student_launch_lands_on_identity_page(app: TestApp) {
    let browser = app.browser();
    let launched = browser.launch(&app.platform, LaunchSpec::student()).await;
    assert!(launched.page.contains("Alice Martin"), "{}", launched.page);
    assert!(launched.page.contains("STUDENT1"));
    assert!(launched.page.contains("étudiant·e"));
    assert!(launched.page.contains("L1 Contrat"));
    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("contexts").await, 1);
    assert_eq!(app.count("resource_links").await, 1);
    assert_eq!(app.count("user_groups").await, 1);
    assert_eq!(app.count("oidc_states").await, 0, "state consumed");
}
crate::on_both_backends!(
    student_launch_lands_on_identity_page,
    super::student_launch_lands_on_identity_page
);

async fn every_moodle_role_is_understood(app: TestApp) {
    let browser = app.browser();
    for (spec, role) in [
        (LaunchSpec::teacher(), "enseignant·e"),
        (LaunchSpec::editing_teacher(), "enseignant·e"),
        (LaunchSpec::admin(), "administrateur·rice de la plateforme"),
    ] {
        let launched = browser.launch(&app.platform, spec).await;
        assert!(launched.page.contains(role), "{role}: {}", launched.page);
    }
}
crate::on_both_backends!(
    every_moodle_role_is_understood,
    super::every_moodle_role_is_understood
);

#[tokio::test]
async fn login_initiation_by_get_redirects_to_the_platform_with_every_parameter() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let query = app.platform.initiation(&hint);
    let browser = app.browser();
    let response = browser
        .client
        .get(app.url("/lti/login"))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let target = url::Url::parse(&location(response.headers())).unwrap();
    assert_eq!(target.path(), "/mod/lti/auth.php");
    let params: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
    assert_eq!(params["response_type"], "id_token");
    assert_eq!(params["response_mode"], "form_post");
    assert_eq!(params["scope"], "openid");
    assert_eq!(params["prompt"], "none");
    assert_eq!(params["client_id"], crate::support::app::CLIENT_ID);
    assert_eq!(params["redirect_uri"], app.url("/lti/launch"));
    assert_eq!(params["login_hint"], "3");
    assert_eq!(
        params["lti_message_hint"],
        r#"{"cmid":2,"launchid":"ltilaunch1_482250944"}"#
    );
    assert!(params["state"].len() >= 32 && params["nonce"].len() >= 32);
    assert_ne!(params["state"], params["nonce"]);
}

#[tokio::test]
async fn launch_without_any_cookie_succeeds_and_session_lives_in_the_url() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let browser = app.cookieless_browser();
    let launched = browser.launch(&app.platform, LaunchSpec::student()).await;
    assert!(launched.page.contains("Alice Martin"));
    // The same browser keeps using the session through its URL.
    let again = browser.get(&format!("{}/", launched.base)).await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn session_bound_to_a_cookie_refuses_another_browser() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let launched = app
        .browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let stranger = app.cookieless_browser();
    let response = stranger.get(&format!("{}/", launched.base)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body = response.text().await.unwrap();
    assert!(body.contains("autre navigateur"), "{body}");
}

#[tokio::test]
async fn unknown_session_token_is_refused_with_a_french_page() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let response = app.browser().get("/s/not-a-real-token/").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("Session expirée"));
    // An oversized token is refused before anything is read.
    let long = format!("/s/{}/", "a".repeat(200));
    let response = app.browser().get(&long).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("Session expirée"));
}

#[tokio::test]
async fn deep_linking_request_launch_is_accepted() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let launched = app
        .browser()
        .launch(&app.platform, LaunchSpec::deep_linking())
        .await;
    assert!(
        launched.page.contains("David Rousseau"),
        "{}",
        launched.page
    );
    assert_eq!(
        app.count("resource_links").await,
        0,
        "a deep linking request has no resource link"
    );
}

#[tokio::test]
async fn groups_custom_parameter_is_parsed_strictly() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let launched = app
        .browser()
        .launch(
            &app.platform,
            LaunchSpec::student().groups("12,15,abc,$Moodle.Person.userGroupIds"),
        )
        .await;
    assert!(launched.page.contains("12, 15"), "{}", launched.page);
    assert_eq!(app.count("user_groups").await, 2);
}

#[tokio::test]
async fn landing_page_gives_the_values_to_paste_into_moodle() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let html = app.browser().get("/").await.text().await.unwrap();
    let page = crate::support::text(&html);
    for expected in [
        app.url("/lti/launch"),
        app.url("/lti/login"),
        app.url("/.well-known/jwks.json"),
        app.url("/lti/register"),
        "groups=$Moodle.Person.userGroupIds".to_string(),
    ] {
        assert!(page.contains(&expected), "landing page lacks {expected}");
    }
    assert!(html.contains("lang=\"fr\""));
}

#[tokio::test]
async fn health_answers_ok() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let response = app.browser().get("/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    let response = app.browser().get("/").await;
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
}

/// Behind a load balancer the launch may reach another instance than the login: it reads the
/// stored state. The instance that started the login keeps a copy of it in memory, yet a
/// replay there still loses: the stored state is gone.
async fn login_on_one_instance_launches_on_another(app: TestApp) {
    let other = app.second_instance(|_| {}).await;
    let at_first = app.cookieless_browser();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let form = at_first.authenticate(&hint).await;
    let launched = other
        .cookieless_browser()
        .post_launch(&form.id_token, &form.state)
        .await;
    assert_eq!(launched.status(), StatusCode::SEE_OTHER);
    let first_page = other
        .cookieless_browser()
        .get(&location(launched.headers()))
        .await;
    assert_eq!(first_page.status(), StatusCode::OK);
    assert!(first_page.text().await.unwrap().contains("Alice Martin"));
    assert_eq!(app.count("oidc_states").await, 0, "state consumed");

    let replay = at_first.post_launch(&form.id_token, &form.state).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert!(replay.text().await.unwrap().contains("déjà utilisé"));
    assert_eq!(app.count("sessions").await, 1, "the replay made no session");
}
crate::on_both_backends!(
    login_on_one_instance_launches_on_another,
    super::login_on_one_instance_launches_on_another
);
