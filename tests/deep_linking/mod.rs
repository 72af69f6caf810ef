//! Deep Linking: a teacher places the contract from Moodle's "Select content"; the test
//! platform verifies the signed response (signature against the tool's JWKS, claims, data
//! echo); students cannot place; every refusal has its page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{Browser, Launched, TestApp, spawn};
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

const DL_SETTINGS: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";

/// The captured deep linking settings (on the test platform's host), changed by `edit`.
fn settings(app: &TestApp, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let payload = crate::support::platform::fixture_payload("launch-deeplinking.json");
    let text = serde_json::to_string(&payload[DL_SETTINGS])
        .unwrap()
        .replace("http://127.0.0.1:8081", app.platform.issuer());
    let mut value: Value = serde_json::from_str(&text).unwrap();
    edit(value.as_object_mut().unwrap());
    value
}

fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let doc = scraper::Html::parse_document(html);
    let form = doc
        .select(&scraper::Selector::parse("form").unwrap())
        .next()
        .expect("a form");
    let action = form.value().attr("action").unwrap().to_string();
    let fields = form
        .select(&scraper::Selector::parse("input").unwrap())
        .filter(|i| i.value().attr("type") != Some("radio") || i.value().attr("checked").is_some())
        .filter_map(|i| {
            Some((
                i.value().attr("name")?.to_string(),
                i.value().attr("value").unwrap_or_default().to_string(),
            ))
        })
        .collect();
    (action, fields)
}

/// The years offered for a course not configured yet: this academic year (in the tool's
/// timezone) and the next.
fn years() -> [String; 2] {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    cpre::lti::deep_linking::academic_years(today)
}

/// The academic years the placement page offers, in order.
fn offered(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("input[name=\"academic_year\"]").unwrap())
        .filter_map(|i| i.value().attr("value").map(str::to_string))
        .collect()
}

async fn a_configured_course_offers_its_own_years(app: TestApp) {
    // Configured for 2025-2026, whatever today's date.
    let applied = crate::contract::configure_demo(&app).await;
    let context_id = applied.context.id.clone();
    let browser = app.browser();
    let launched = browser
        .launch(&app.platform, LaunchSpec::deep_linking())
        .await;
    assert_eq!(offered(&launched.page), ["2025-2026"]);
    let refused = place(&browser, &launched, &[("academic_year", &years()[1])]).await;
    if years()[1] != "2025-2026" {
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    }

    // The next year opened: current first, then the previous one still open.
    let actor = cpre::store::audit::Actor {
        platform_id: applied.context.platform_id.clone(),
        user_id: None,
        label: "test".into(),
    };
    let (id, a) = (context_id.clone(), actor.clone());
    app.state
        .db
        .run(move |conn| {
            cpre::course::years::open_next(conn, &a, &id, "2026-2027")
                .map_err(|e| cpre::store::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    let launched = browser
        .launch(&app.platform, LaunchSpec::deep_linking())
        .await;
    assert_eq!(offered(&launched.page), ["2026-2027", "2025-2026"]);
    // A closed year is no longer offered.
    app.state
        .db
        .run(move |conn| {
            cpre::course::years::set_closed(conn, &actor, &context_id, "2025-2026", true)
                .map_err(|e| cpre::store::StoreError::Corrupt(e.to_string()))
        })
        .await
        .unwrap();
    let launched = browser
        .launch(&app.platform, LaunchSpec::deep_linking())
        .await;
    assert_eq!(offered(&launched.page), ["2026-2027"]);
    let placed = place(&browser, &launched, &[]).await;
    assert_eq!(
        placed.status(),
        StatusCode::OK,
        "the current year is chosen by default"
    );
}
crate::on_both_backends!(
    a_configured_course_offers_its_own_years,
    super::a_configured_course_offers_its_own_years
);

/// Submits the placement form with these changes to its fields.
async fn place(
    browser: &Browser,
    launched: &Launched,
    changes: &[(&str, &str)],
) -> reqwest::Response {
    let (action, mut fields) = form_of(&launched.page);
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push((name.to_string(), value.to_string()));
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    browser.post_form(&action, &pairs).await
}

async fn teacher_places_the_contract(app: TestApp) {
    let browser = app.browser();
    let spec = LaunchSpec::deep_linking().claim(
        DL_SETTINGS,
        settings(&app, |s| {
            s.insert("data".into(), json!("opaque-platform-data"));
        }),
    );
    let launched = browser.launch(&app.platform, spec).await;
    let page = crate::support::text(&launched.page);
    let [current, next] = years();
    assert!(page.contains("Placer le contrat pédagogique"), "{page}");
    assert!(
        page.contains(&format!("Contrat {current}")) && page.contains(&format!("Contrat {next}"))
    );
    assert!(
        launched
            .page
            .contains("value=\"Contrat pédagogique pour la réussite étudiante\"")
    );
    assert!(page.contains("David Rousseau"));

    let response = place(
        &browser,
        &launched,
        &[("academic_year", &next), ("title", "Contrat L1 — rentrée")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let (action, fields) = form_of(&html);
    assert_eq!(
        action,
        format!(
            "{}/mod/lti/contentitem_return.php?course=2&id=1&sesskey=oATJkzEgy1",
            app.platform.issuer()
        ),
        "return URL with its query string intact"
    );
    assert!(html.contains("data-auto-submit"));
    let text = crate::support::text(&html);
    assert!(
        text.contains("Terminer dans Moodle"),
        "visible button without JavaScript"
    );
    let jwt = fields
        .iter()
        .find(|(n, _)| n == "JWT")
        .expect("JWT field")
        .1
        .clone();

    // The browser posts the form to Moodle, which verifies it.
    let returned = browser
        .client
        .post(&action)
        .form(&[("JWT", jwt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(returned.status(), StatusCode::OK);
    let services = &app.platform.state.services;
    let received = services.deep_link_returns.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let claims = received[0]
        .result
        .clone()
        .expect("verified by the platform");
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    let snapshot = app.state.keys.snapshot().await.unwrap();
    assert_eq!(header.kid.as_deref(), Some(snapshot.active.kid.as_str()));
    assert_eq!(claims["iss"], crate::support::app::CLIENT_ID);
    assert_eq!(claims["aud"], app.platform.issuer());
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-platform-data"
    );
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    let items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["type"], "ltiResourceLink");
    assert_eq!(item["title"], "Contrat L1 — rentrée");
    assert_eq!(item["url"], app.url("/lti/launch"));
    assert_eq!(item["custom"], json!({ "cpre_academic_year": next }));
    assert_eq!(
        item["lineItem"],
        json!({"scoreMaximum": 1.0, "label": "Contrat L1 — rentrée",
               "resourceId": format!("cpre-contrat-{next}"), "tag": "cpre-contrat"})
    );
    assert!(item["text"].as_str().unwrap().contains(&next));

    // The placer is now a designer of the course.
    let designer = app
        .state
        .db
        .run(|conn| {
            use cpre::store::schema::{contexts, users};
            use diesel::prelude::*;
            let user: cpre::store::ids::UserId = users::table
                .filter(users::sub.eq("6"))
                .select(users::id)
                .get_result(conn)?;
            let context: cpre::store::ids::CourseId =
                contexts::table.select(contexts::id).get_result(conn)?;
            cpre::store::grants::is_designer(conn, &context, &user)
        })
        .await
        .unwrap();
    assert!(designer);
    assert_eq!(app.count("course_grants").await, 1);
}
crate::on_both_backends!(
    teacher_places_the_contract,
    super::teacher_places_the_contract
);

#[tokio::test]
async fn without_data_nothing_is_echoed_and_the_default_title_is_used() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    let launched = browser
        .launch(&app.platform, LaunchSpec::deep_linking())
        .await;
    let response = place(&browser, &launched, &[("title", "   ")]).await;
    let (action, fields) = form_of(&response.text().await.unwrap());
    let jwt = fields.iter().find(|(n, _)| n == "JWT").unwrap().1.clone();
    browser
        .client
        .post(&action)
        .form(&[("JWT", jwt.as_str())])
        .send()
        .await
        .unwrap();
    let received = app
        .platform
        .state
        .services
        .deep_link_returns
        .lock()
        .unwrap()
        .clone();
    let claims = received[0].result.clone().unwrap();
    assert!(
        claims
            .get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
            .is_none()
    );
    let item = &claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0];
    assert_eq!(
        item["title"],
        "Contrat pédagogique pour la réussite étudiante"
    );
    assert_eq!(item["custom"]["cpre_academic_year"], years()[0]);
}

#[tokio::test]
async fn a_student_cannot_place_the_contract() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    let spec = LaunchSpec::deep_linking().sub("3").claim(
        "https://purl.imsglobal.org/spec/lti/claim/roles",
        json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]),
    );
    let hint = app.platform.expect_launch(spec);
    let form = browser.authenticate(&hint).await;
    let response = browser.post_launch(&form.id_token, &form.state).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = browser
        .get(&crate::support::app::location(response.headers()))
        .await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let text = crate::support::text(&page.text().await.unwrap());
    assert!(text.contains("Réservé aux enseignant·es"), "{text}");
    assert_eq!(app.count("course_grants").await, 0);
}

#[tokio::test]
async fn placement_refusals() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let browser = app.browser();
    let launched = browser
        .launch(&app.platform, LaunchSpec::deep_linking())
        .await;
    // Forged form: no CSRF token.
    let response = place(&browser, &launched, &[("csrf", "forged")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A year not offered.
    let response = place(&browser, &launched, &[("academic_year", "1999-2000")]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(crate::support::text(&response.text().await.unwrap()).contains("Demande invalide"));
    assert_eq!(app.count("course_grants").await, 0, "nothing granted");
    // A resource link session cannot post a placement.
    let student = app.browser();
    let normal = student.launch(&app.platform, LaunchSpec::teacher()).await;
    let csrf = app.session_csrf(&normal.base).await;
    let response = student
        .post_form(
            &format!("{}/deep-linking", normal.base),
            &[
                ("csrf", csrf.as_str()),
                ("academic_year", &years()[0]),
                ("title", "x"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("course_grants").await, 0);
}

#[tokio::test]
async fn a_platform_that_does_not_accept_links_here_is_told_so() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let spec = LaunchSpec::deep_linking().claim(
        DL_SETTINGS,
        settings(&app, |s| {
            s.insert("accept_types".into(), json!(["file", "html"]));
        }),
    );
    let browser = app.browser();
    let hint = app.platform.expect_launch(spec);
    let form = browser.authenticate(&hint).await;
    let response = browser.post_launch(&form.id_token, &form.state).await;
    let page = browser
        .get(&crate::support::app::location(response.headers()))
        .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(crate::support::text(&page.text().await.unwrap()).contains("Contenu non accepté ici"));
}
