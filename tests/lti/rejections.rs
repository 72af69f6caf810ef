//! Every forged, replayed or broken launch fails closed: a 4xx, a clear French page, no session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{Browser, CLIENT_ID, TestApp, location, spawn};
use crate::support::db::Backend;
use crate::support::platform::{LaunchSpec, new_key};

/// A login initiation for the student; returns the browser, the state and the nonce the tool
/// sent to the platform.
async fn begin(app: &TestApp) -> (Browser, String, String) {
    let browser = app.browser();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let response = browser.login(&hint).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let target = url::Url::parse(&location(response.headers())).unwrap();
    let params: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
    (browser, params["state"].clone(), params["nonce"].clone())
}

/// Student claims for this nonce, changed by `edit`.
fn claims(
    app: &TestApp,
    nonce: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Value {
    let mut claims = app.platform.claims(&LaunchSpec::student(), nonce);
    edit(claims.as_object_mut().unwrap());
    claims
}

/// Posts the token and asserts a refusal: status, a phrase of the French page, no session.
async fn assert_refused(
    app: &TestApp,
    browser: &Browser,
    token: &str,
    state: &str,
    status: StatusCode,
    phrase: &str,
) {
    let response = browser.post_launch(token, state).await;
    assert_eq!(
        response.status(),
        status,
        "expected {status} for `{phrase}`"
    );
    assert!(
        response
            .headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().contains("cpre_b_"))
    );
    let body = crate::support::text(&response.text().await.unwrap());
    assert!(body.contains(phrase), "page should say `{phrase}`: {body}");
    assert!(body.contains("Que faire"), "page says what to do");
    assert_eq!(
        app.count("sessions").await,
        0,
        "no session for a refused launch"
    );
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = B64.encode(serde_json::to_vec(&claims(&app, &nonce, |_| {})).unwrap());
    let token = format!("{header}.{payload}.");
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "RS256",
    )
    .await;
}

#[tokio::test]
async fn hs256_signed_with_the_platform_public_key_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let public = serde_json::to_vec(&app.platform.state.keys.jwks()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(app.platform.state.keys.active().kid.clone());
    let token = jsonwebtoken::encode(
        &header,
        &claims(&app, &nonce, |_| {}),
        &jsonwebtoken::EncodingKey::from_secret(&public),
    )
    .unwrap();
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "RS256",
    )
    .await;
}

#[tokio::test]
async fn unknown_kid_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let stranger = new_key();
    let token = stranger.sign(&claims(&app, &nonce, |_| {})).unwrap();
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "ne publie pas",
    )
    .await;
}

#[tokio::test]
async fn right_kid_wrong_key_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let generated = cpre::lti::keys::generate().unwrap();
    let kid = app.platform.state.keys.active().kid.clone();
    let impostor =
        cpre::lti::keys::ToolKey::from_pem_with_kid(&generated.private_pem, Some(&kid)).unwrap();
    let token = impostor.sign(&claims(&app, &nonce, |_| {})).unwrap();
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "signature",
    )
    .await;
}

#[tokio::test]
async fn expired_token_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("iat".into(), json!(now() - 400));
        c.insert("exp".into(), json!(now() - 340));
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "expiré",
    )
    .await;
}

#[tokio::test]
async fn token_issued_in_the_future_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("iat".into(), json!(now() + 600));
        c.insert("exp".into(), json!(now() + 660));
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "horloges",
    )
    .await;
}

#[tokio::test]
async fn small_clock_skew_is_tolerated() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    // Moodle's clock 20 s ahead, token exp 60 s after iat: accepted with the default leeway.
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("iat".into(), json!(now() + 20));
        c.insert("exp".into(), json!(now() + 80));
    }));
    let response = browser.post_launch(&token, &state).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_issuer_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("iss".into(), json!("https://moodle.evil.example"));
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "plateforme attendue",
    )
    .await;
}

#[tokio::test]
async fn wrong_audience_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("aud".into(), json!("another-tool"));
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "pas destiné",
    )
    .await;
}

#[tokio::test]
async fn an_extra_untrusted_audience_is_refused_even_with_azp() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    // Security Framework §5.1.3: the tool trusts only its own client_id as audience.
    for azp in [None, Some(CLIENT_ID)] {
        let (browser, state, nonce) = begin(&app).await;
        let token = app.platform.sign(&claims(&app, &nonce, |c| {
            c.insert("aud".into(), json!([CLIENT_ID, "https://other.example"]));
            if let Some(azp) = azp {
                c.insert("azp".into(), json!(azp));
            }
        }));
        assert_refused(
            &app,
            &browser,
            &token,
            &state,
            StatusCode::UNAUTHORIZED,
            "pas destiné",
        )
        .await;
    }
}

#[tokio::test]
async fn an_audience_list_of_our_client_id_needs_our_azp() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("aud".into(), json!([CLIENT_ID]));
        c.insert("azp".into(), json!("another-tool"));
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "pas destiné",
    )
    .await;
    // An array holding only our client_id, azp ours: accepted.
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("aud".into(), json!([CLIENT_ID]));
        c.insert("azp".into(), json!(CLIENT_ID));
    }));
    assert_eq!(
        browser.post_launch(&token, &state).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_token_without_kid_is_refused_for_that_reason() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(app.platform.state.keys.active_pem().as_bytes())
            .unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let token = jsonwebtoken::encode(&header, &claims(&app, &nonce, |_| {}), &key).unwrap();
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "en-tête « kid » absent",
    )
    .await;
}

#[tokio::test]
async fn a_token_without_signature_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let signed = app.platform.sign(&claims(&app, &nonce, |_| {}));
    let unsigned = format!("{}.", &signed[..signed.rfind('.').unwrap()]);
    assert_refused(
        &app,
        &browser,
        &unsigned,
        &state,
        StatusCode::UNAUTHORIZED,
        "signature",
    )
    .await;
}

#[tokio::test]
async fn a_token_not_valid_yet_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("nbf".into(), json!(now() + 600));
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "horloges",
    )
    .await;
}

#[tokio::test]
async fn a_resource_link_without_id_names_the_claim_and_the_field() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert(
            "https://purl.imsglobal.org/spec/lti/claim/resource_link".into(),
            json!({"title": "Contrat"}),
        );
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "« resource_link » (l'activité Moodle qui ouvre l'outil) n'a pas de champ « id »",
    )
    .await;
}

#[tokio::test]
async fn a_missing_sub_says_sub_is_missing() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.remove("sub");
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "ne contient pas « sub » (l'identifiant de la personne connectée)",
    )
    .await;
}

#[tokio::test]
async fn a_claim_of_the_wrong_shape_is_named() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert(
            "https://purl.imsglobal.org/spec/lti/claim/roles".into(),
            json!("Learner"),
        );
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "« roles » (les rôles de la personne dans le cours) n'a pas la forme attendue",
    )
    .await;
}

#[tokio::test]
async fn other_methods_than_post_on_the_launch_url_answer_405() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let client = app.browser().client;
    for (method, path, allow) in [
        (reqwest::Method::GET, "/lti/launch", "POST"),
        (reqwest::Method::PUT, "/lti/launch", "POST"),
        (reqwest::Method::DELETE, "/lti/login", "GET, POST"),
        (reqwest::Method::POST, "/.well-known/jwks.json", "GET"),
    ] {
        let response = client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allow);
        let body = crate::support::text(&response.text().await.unwrap());
        assert!(body.contains("Adresse réservée à Moodle"), "{body}");
    }
}

#[tokio::test]
async fn unknown_client_id_is_refused_at_login() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let mut form = app.platform.initiation(&hint);
    for (k, v) in form.iter_mut() {
        if k == "client_id" {
            *v = "unregistered-client".into();
        }
    }
    let response = app
        .browser()
        .client
        .post(app.url("/lti/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.text().await.unwrap();
    assert!(body.contains("Plateforme non enregistrée"), "{body}");
    assert!(
        body.contains("cpre platform add"),
        "says what to register: {body}"
    );
    assert!(body.contains("unregistered-client"));
    assert_eq!(app.count("oidc_states").await, 0);
}

#[tokio::test]
async fn unknown_issuer_is_refused_at_login() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let form = [
        ("iss", "https://unknown.example"),
        ("login_hint", "3"),
        ("target_link_uri", "http://127.0.0.1/lti/launch"),
        ("client_id", CLIENT_ID),
    ];
    let response = app.browser().post_form("/lti/login", &form).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        crate::support::text(&response.text().await.unwrap()).contains("https://unknown.example")
    );
}

#[tokio::test]
async fn login_without_required_parameters_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let response = app
        .browser()
        .post_form("/lti/login", &[("iss", app.platform.issuer())])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("login_hint"));
}

#[tokio::test]
async fn unregistered_deployment_is_refused_at_login_and_at_launch() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let mut form = app.platform.initiation(&hint);
    for (k, v) in form.iter_mut() {
        if k == "lti_deployment_id" {
            *v = "99".into();
        }
    }
    let response = app
        .browser()
        .client
        .post(app.url("/lti/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("--deployment-id 99")
    );

    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert(
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id".into(),
            json!("99"),
        );
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "99",
    )
    .await;
}

#[tokio::test]
async fn replayed_launch_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let form = browser.authenticate(&hint).await;
    assert_eq!(
        browser
            .post_launch(&form.id_token, &form.state)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let replay = browser.post_launch(&form.id_token, &form.state).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert!(replay.text().await.unwrap().contains("déjà utilisé"));
    assert_eq!(
        app.count("sessions").await,
        1,
        "only the first launch made a session"
    );
}

#[tokio::test]
async fn replayed_nonce_with_a_fresh_state_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let first = browser.authenticate(&hint).await;
    // A new login gives a new state; the old id_token (old nonce) is posted with it.
    let (browser2, state2, _nonce2) = begin(&app).await;
    assert_refused(
        &app,
        &browser2,
        &first.id_token,
        &state2,
        StatusCode::UNAUTHORIZED,
        "ne correspond pas",
    )
    .await;
}

#[tokio::test]
async fn missing_forged_or_expired_state_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, _state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |_| {}));
    let response = browser
        .client
        .post(app.launch_url())
        .form(&[("id_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Lancement incomplet")
    );
    assert_refused(
        &app,
        &browser,
        &token,
        "forged-state-value",
        StatusCode::UNAUTHORIZED,
        "déjà utilisé ou expiré",
    )
    .await;

    let app = crate::support::app::spawn_with(Backend::Sqlite, |s| s.state_ttl_seconds = 1)
        .await
        .unwrap();
    let (browser, state, nonce) = begin(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = app.platform.sign(&claims(&app, &nonce, |_| {}));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "déjà utilisé ou expiré",
    )
    .await;
}

#[tokio::test]
async fn missing_required_claims_are_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    for claim in [
        "https://purl.imsglobal.org/spec/lti/claim/message_type",
        "https://purl.imsglobal.org/spec/lti/claim/version",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
        "https://purl.imsglobal.org/spec/lti/claim/roles",
        "https://purl.imsglobal.org/spec/lti/claim/resource_link",
        "sub",
        "nonce",
        "iat",
    ] {
        let (browser, state, nonce) = begin(&app).await;
        let token = app.platform.sign(&claims(&app, &nonce, |c| {
            c.remove(claim);
        }));
        let short = claim.rsplit('/').next().unwrap();
        assert_refused(
            &app,
            &browser,
            &token,
            &state,
            StatusCode::BAD_REQUEST,
            short,
        )
        .await;
    }
}

#[tokio::test]
async fn wrong_version_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert(
            "https://purl.imsglobal.org/spec/lti/claim/version".into(),
            json!("1.1.0"),
        );
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "LTI 1.3.0",
    )
    .await;
}

#[tokio::test]
async fn unknown_message_type_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert(
            "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
            json!("LtiSubmissionReviewRequest"),
        );
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "pas pris en charge",
    )
    .await;
}

#[tokio::test]
async fn token_of_platform_a_is_refused_for_platform_b() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    // Platform B, registered too, with its own keys and client_id.
    let b = app.register_platform("client-of-b").await;
    let browser = app.browser();
    let hint = b.expect_launch(LaunchSpec::student());
    let response = browser
        .client
        .post(app.url("/lti/login"))
        .form(&b.initiation(&hint))
        .send()
        .await
        .unwrap();
    let target = url::Url::parse(&location(response.headers())).unwrap();
    let params: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
    // Platform A signs a token with B's nonce; it is posted with B's state.
    let token = app.platform.sign(
        &app.platform
            .claims(&LaunchSpec::student(), &params["nonce"]),
    );
    let response = browser.post_launch(&token, &params["state"]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn oversized_token_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, nonce) = begin(&app).await;
    let token = app.platform.sign(&claims(&app, &nonce, |c| {
        c.insert("padding".into(), json!("x".repeat(70 * 1024)));
    }));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "trop volumineux",
    )
    .await;
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (browser, state, _nonce) = begin(&app).await;
    assert_refused(
        &app,
        &browser,
        "abc.def.ghi",
        &state,
        StatusCode::BAD_REQUEST,
        "illisible",
    )
    .await;
    // Well signed, but the payload is not a JSON object.
    let (browser, state, _nonce) = begin(&app).await;
    let token = app.platform.sign(&json!("not an object"));
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::BAD_REQUEST,
        "illisible",
    )
    .await;
    // A payload that is not JSON, badly signed: the signature is checked first.
    let (browser, state, _nonce) = begin(&app).await;
    let kid = app.platform.state.keys.active().kid.clone();
    let header = B64.encode(format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{kid}"}}"#));
    let token = format!(
        "{header}.{}.{}",
        B64.encode(b"not json"),
        B64.encode(b"sig")
    );
    assert_refused(
        &app,
        &browser,
        &token,
        &state,
        StatusCode::UNAUTHORIZED,
        "signature",
    )
    .await;
    let (browser, state, _nonce) = begin(&app).await;
    assert_refused(
        &app,
        &browser,
        "not-a-jwt",
        &state,
        StatusCode::BAD_REQUEST,
        "illisible",
    )
    .await;
}

#[tokio::test]
async fn launch_posted_from_another_site_without_state_cookie_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let form = browser.authenticate(&hint).await;
    // The victim's browser never started this login: no state cookie, foreign Origin.
    let victim = app.cookieless_browser();
    let response = victim
        .client
        .post(app.launch_url())
        .header("Origin", "https://attacker.example")
        .form(&[
            ("id_token", form.id_token.as_str()),
            ("state", form.state.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("ne provient pas"));
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn state_cookie_of_another_login_is_refused() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    let hint = app.platform.expect_launch(LaunchSpec::student());
    let form = browser.authenticate(&hint).await;
    let name = cpre::web::session::state_cookie_name(&form.state);
    let other = app.cookieless_browser();
    let response = other
        .client
        .post(app.launch_url())
        .header("Cookie", format!("{name}=forged-browser-secret"))
        .header("Origin", app.platform.issuer())
        .form(&[
            ("id_token", form.id_token.as_str()),
            ("state", form.state.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("sessions").await, 0);
}
