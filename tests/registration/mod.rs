//! Dynamic Registration against a platform serving Moodle's OpenID configuration: with an
//! invite, with the open setting, and every refusal (no invite, used, expired, unknown,
//! invalid configuration, platform refusal, missing parameters).

mod again;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{CLIENT_ID, TestApp, spawn_on};
use crate::support::db::{Backend, TestDb};
use crate::support::platform::{LaunchSpec, TestPlatform};

/// The tool without any registration, registration closed (the default) unless `open`.
async fn unregistered(backend: Backend, open: bool) -> Option<TestApp> {
    let db = TestDb::new(backend)?;
    let platform = TestPlatform::start(CLIENT_ID).await;
    Some(
        spawn_on(db, platform, false, |s| {
            if open {
                s.dynamic_registration = "open".into();
            }
        })
        .await,
    )
}

/// A one-time link as `cpre platform invite` makes it (secret, expiry in hours).
async fn invite(app: &TestApp, hours: i64) -> String {
    let secret = cpre::lti::oidc::random_token();
    let hash = cpre::lti::oidc::hash_secret(&secret);
    let expires = cpre::store::now_micros() + hours * 3_600_000_000;
    app.state
        .db
        .run(move |conn| cpre::store::registration_invites::insert(conn, &hash, expires))
        .await
        .unwrap();
    format!("{}?invite={secret}", app.url("/lti/register"))
}

/// What Moodle does when the administrator pastes `tool_url` and presses the button.
async fn start(app: &TestApp, tool_url: &str) -> reqwest::Response {
    start_as(app, tool_url, CLIENT_ID).await
}

/// The same, Moodle giving the tool the client id `client_id`.
async fn start_as(app: &TestApp, tool_url: &str, client_id: &str) -> reqwest::Response {
    let url = app.platform.registration_start_url(tool_url, client_id);
    app.browser().get(&url).await
}

fn config_fetches(app: &TestApp) -> usize {
    app.platform
        .state
        .services
        .requests_to("GET", "/mod/lti/openid-configuration.php")
        .len()
}

async fn invited_platform_registers_then_launches(app: TestApp) {
    let link = invite(&app, 24).await;
    let response = start(&app, &link).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    let text = crate::support::text(&html);
    assert!(text.contains("Outil enregistré dans Moodle"), "{text}");
    assert!(text.contains("« en attente »"), "{text}");
    assert!(text.contains(CLIENT_ID));
    assert!(html.contains("data-lti-close"), "the close button");
    let js = app
        .browser()
        .get("/static/cpre.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        js.contains("org.imsglobal.lti.close") && js.contains("window.opener || window.parent")
    );

    // What the platform received: the registration, with the token as Bearer.
    let services = &app.platform.state.services;
    let posts = services.requests_to("POST", "/mod/lti/openid-registration.php");
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer ey")
    );
    let request = services.registrations.lock().unwrap()[0].clone();
    assert_eq!(request["application_type"], "web");
    assert_eq!(request["response_types"], json!(["id_token"]));
    assert_eq!(
        request["grant_types"],
        json!(["implicit", "client_credentials"])
    );
    assert_eq!(request["initiate_login_uri"], app.url("/lti/login"));
    assert_eq!(request["redirect_uris"], json!([app.url("/lti/launch")]));
    assert_eq!(request["jwks_uri"], app.url("/.well-known/jwks.json"));
    assert_eq!(request["token_endpoint_auth_method"], "private_key_jwt");
    let scope = request["scope"].as_str().unwrap();
    for s in [
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    ] {
        assert!(scope.contains(s), "{scope}");
    }
    let tool = &request["https://purl.imsglobal.org/spec/lti-tool-configuration"];
    assert_eq!(tool["target_link_uri"], app.url("/lti/launch"));
    assert_eq!(
        tool["custom_parameters"],
        json!({"groups": "$Moodle.Person.userGroupIds"})
    );
    assert_eq!(tool["messages"][0]["type"], "LtiDeepLinkingRequest");
    assert!(tool["claims"].as_array().unwrap().contains(&json!("email")));
    assert_eq!(tool["domain"], app.url("").trim_start_matches("http://"));

    // What the tool stored: a dynamic registration with Moodle's endpoints and deployment.
    let issuer = app.platform.issuer().to_string();
    let (platform, deployments) = app
        .state
        .db
        .run(move |conn| {
            let p = cpre::store::platforms::find_by_issuer_and_client_id(conn, &issuer, CLIENT_ID)?
                .expect("registered");
            let d = cpre::store::platforms::deployments_of(conn, &p.id)?;
            Ok((p, d))
        })
        .await
        .unwrap();
    assert_eq!(platform.source.as_str(), "dynamic");
    assert_eq!(platform.auth_url, app.platform.auth_url());
    assert_eq!(platform.token_url, app.platform.token_url());
    assert_eq!(platform.jwks_url, app.platform.jwks_url());
    assert_eq!(platform.name, "Moodle — 127.0.0.1");
    assert_eq!(deployments, vec!["1"]);

    // The platform launches.
    let launched = app
        .browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    assert!(launched.page.contains("Alice Martin"));

    // The link works once.
    let again = start(&app, &link).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    let text = crate::support::text(&again.text().await.unwrap());
    assert!(text.contains("Lien d'invitation déjà utilisé"), "{text}");
    assert_eq!(config_fetches(&app), 1, "a refused request fetches nothing");
}

#[tokio::test]
async fn invited_platform_registers_then_launches_sqlite() {
    invited_platform_registers_then_launches(unregistered(Backend::Sqlite, false).await.unwrap())
        .await;
}

#[tokio::test]
async fn invited_platform_registers_then_launches_postgres() {
    match unregistered(Backend::Postgres, false).await {
        Some(app) => invited_platform_registers_then_launches(app).await,
        None => crate::support::db::skipped("invited_platform_registers_then_launches_postgres"),
    }
}

#[tokio::test]
async fn a_stranger_is_refused_when_registration_is_closed() {
    let app = unregistered(Backend::Sqlite, false).await.unwrap();
    let response = start(&app, &app.url("/lti/register")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let text = crate::support::text(&response.text().await.unwrap());
    assert!(
        text.contains("Enregistrement dynamique non autorisé"),
        "{text}"
    );
    assert!(text.contains("cpre platform invite"));
    assert_eq!(config_fetches(&app), 0, "nothing fetched for a stranger");
    assert!(
        app.platform
            .state
            .services
            .registrations
            .lock()
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.count("platforms").await, 0);
}

#[tokio::test]
async fn open_registration_needs_no_invite() {
    let app = unregistered(Backend::Sqlite, true).await.unwrap();
    let response = start(&app, &app.url("/lti/register")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.count("platforms").await, 1);
    let landing = crate::support::text(&app.browser().get("/").await.text().await.unwrap());
    assert!(
        landing.contains("CPRE_DYNAMIC_REGISTRATION=open"),
        "{landing}"
    );
}

#[tokio::test]
async fn landing_page_explains_the_invite() {
    let app = unregistered(Backend::Sqlite, false).await.unwrap();
    let landing = crate::support::text(&app.browser().get("/").await.text().await.unwrap());
    assert!(landing.contains("cpre platform invite"), "{landing}");
    assert!(landing.contains(&format!("{}?invite=…", app.url("/lti/register"))));
}

#[tokio::test]
async fn unknown_and_expired_invites_are_refused() {
    let app = unregistered(Backend::Sqlite, false).await.unwrap();
    let response = start(
        &app,
        &format!("{}?invite=made-up", app.url("/lti/register")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        crate::support::text(&response.text().await.unwrap())
            .contains("Lien d'invitation invalide")
    );
    let expired = invite(&app, -1).await;
    let response = start(&app, &expired).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        crate::support::text(&response.text().await.unwrap()).contains("Lien d'invitation expiré")
    );
    assert_eq!(config_fetches(&app), 0);
    assert_eq!(app.count("platforms").await, 0);
}

#[tokio::test]
async fn a_configuration_from_elsewhere_is_refused_and_the_invite_kept() {
    let app = unregistered(Backend::Sqlite, false).await.unwrap();
    let mut config = app.platform.state.openid_configuration();
    config["issuer"] = json!("https://moodle.evil.example");
    *app.platform.state.services.openid_config.lock().unwrap() = Some(config);
    let link = invite(&app, 24).await;
    let response = start(&app, &link).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = crate::support::text(&response.text().await.unwrap());
    assert!(text.contains("Configuration de Moodle refusée"), "{text}");
    assert!(text.contains("issuer"), "{text}");
    assert!(
        app.platform
            .state
            .services
            .registrations
            .lock()
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.count("platforms").await, 0);

    // Without the LTI platform configuration: refused too.
    let mut config = app.platform.state.openid_configuration();
    config
        .as_object_mut()
        .unwrap()
        .remove("https://purl.imsglobal.org/spec/lti-platform-configuration");
    *app.platform.state.services.openid_config.lock().unwrap() = Some(config);
    assert_eq!(start(&app, &link).await.status(), StatusCode::BAD_GATEWAY);

    // The invite was given back: once the platform is fixed, it registers.
    *app.platform.state.services.openid_config.lock().unwrap() = None;
    assert_eq!(start(&app, &link).await.status(), StatusCode::OK);
    assert_eq!(app.count("platforms").await, 1);
}

#[tokio::test]
async fn platform_refusals_and_missing_parameters_are_explained() {
    let app = unregistered(Backend::Sqlite, false).await.unwrap();
    let link = invite(&app, 24).await;
    // Moodle refuses a registration token already used.
    assert_eq!(start(&app, &link).await.status(), StatusCode::OK);
    let second = invite(&app, 24).await;
    let response = start(&app, &second).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = crate::support::text(&response.text().await.unwrap());
    assert!(text.contains("Moodle a refusé l'enregistrement"), "{text}");
    assert!(text.contains("token_already_used"), "{text}");

    // Parameters missing or unusable.
    let browser = app.browser();
    let response = browser.get(&second).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(crate::support::text(&response.text().await.unwrap()).contains("openid_configuration"));
    let response = browser
        .get(&format!(
            "{second}&openid_configuration=javascript:alert(1)&registration_token=x"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = browser
        .get(&format!(
            "{second}&openid_configuration={}",
            app.platform.openid_configuration_url()
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(crate::support::text(&response.text().await.unwrap()).contains("registration_token"));
    // The unreachable case: a configuration URL nobody answers.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let response = browser
        .get(&format!(
            "{second}&openid_configuration=http://127.0.0.1:{closed}/x&registration_token=x"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(
        crate::support::text(&response.text().await.unwrap())
            .contains("Configuration de Moodle inaccessible")
    );
    assert_eq!(app.count("platforms").await, 1);
}

#[tokio::test]
async fn cli_invite_prints_a_working_one_time_link() {
    let app = unregistered(Backend::Sqlite, false).await.unwrap();
    let invite = |lang: &str| {
        crate::support::cli::command(&app.db.url, lang)
            .args(["platform", "invite", "--expires-hours", "2"])
            .env("CPRE_BASE_URL", &app.base)
            .output()
            .unwrap()
    };
    // English when the operator's locale is English…
    let english = invite("en_US.UTF-8");
    let stdout = String::from_utf8_lossy(&english.stdout);
    assert!(stdout.contains("valid 2 hours"), "{stdout}");
    assert!(stdout.contains("Manage tools"), "{stdout}");
    // …French otherwise, the same link.
    let out = invite("fr_FR.UTF-8");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("valable 2 heures"), "{stdout}");
    assert!(stdout.contains("Gérer les outils"), "{stdout}");
    let link = stdout
        .split_whitespace()
        .find(|w| w.starts_with(&app.url("/lti/register?invite=")))
        .expect("the link")
        .to_string();
    assert_eq!(start(&app, &link).await.status(), StatusCode::OK);
    assert_eq!(app.count("platforms").await, 1);
    let out =
        crate::support::cli::cpre(&app.db.url, &["platform", "invite", "--expires-hours", "0"]);
    assert!(!out.status.success(), "0 hours is refused");
}

#[tokio::test]
async fn an_answer_without_client_or_deployment_is_refused() {
    let app = unregistered(Backend::Sqlite, false).await.unwrap();
    let link = invite(&app, 24).await;
    *app.platform
        .state
        .services
        .registration_answer
        .lock()
        .unwrap() = Some(
        json!({"client_id": CLIENT_ID, "https://purl.imsglobal.org/spec/lti-tool-configuration": {}}),
    );
    let response = start(&app, &link).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = crate::support::text(&response.text().await.unwrap());
    assert!(text.contains("Réponse de Moodle illisible"), "{text}");
    assert!(text.contains("deployment_id"), "{text}");
    assert_eq!(app.count("platforms").await, 0);
    // The registration token is spent in Moodle; another one (another client id) works.
    *app.platform
        .state
        .services
        .registration_answer
        .lock()
        .unwrap() = Some(json!({"scope": ""}));
    let url = app.platform.registration_start_url(&link, "another-client");
    let response = app.browser().get(&url).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(crate::support::text(&response.text().await.unwrap()).contains("client_id"));
    assert_eq!(app.count("platforms").await, 0);
}

#[tokio::test]
async fn an_unknown_registration_setting_is_refused_at_start() {
    let db = TestDb::sqlite();
    let out = crate::support::cli::command(&db.url, "fr_FR.UTF-8")
        .args(["platform", "list"])
        .env("CPRE_DYNAMIC_REGISTRATION", "maybe")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CPRE_DYNAMIC_REGISTRATION"));
}
