//! What admins and operators see of deliveries: the administrator's page (and its refusals),
//! `cpre outbox status` and `cpre outbox retry`.

use cpre::grades::Outcome;
use reqwest::StatusCode;

use crate::support::app::{TestApp, location, spawn};
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

/// A failed delivery (teacher without gradebook role) and a pending one (platform down).
async fn failed_and_pending(app: &TestApp) -> (String, String) {
    app.browser()
        .launch(&app.platform, LaunchSpec::teacher())
        .await;
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let failed = app.enqueue_completion("5", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Failed]);
    app.platform.state.services.fail_next(1, 503, None);
    let pending = app.enqueue_completion("3", true).await;
    assert_eq!(app.drain_grade_outbox().await, vec![Outcome::Retried]);
    (failed, pending)
}

fn csrf_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=csrf]").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|i| i.value().attr("value"))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn administrator_sees_and_retries_deliveries() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (failed, _pending) = failed_and_pending(&app).await;
    let admin = app.browser();
    let launched = admin.launch(&app.platform, LaunchSpec::admin()).await;
    assert!(
        launched.page.contains("/admin/deliveries"),
        "home links the page"
    );
    let page = admin
        .get(&format!("{}/admin/deliveries", launched.base))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let text = crate::support::text(&html);
    for expected in [
        "Notes à transmettre à Moodle",
        "Claire Dubois",
        "Alice Martin",
        "Utilisateur sans rôle évalué dans le cours",
        "Moodle injoignable ou en erreur",
        "En échec",
        "prochain essai",
        "HTTP 503",
    ] {
        assert!(text.contains(expected), "page lacks `{expected}`: {text}");
    }
    let csrf = csrf_of(&html);
    // Without the CSRF token: refused.
    let forged = admin
        .post_form(
            &format!("{}/admin/deliveries/retry", launched.base),
            &[("id", failed.as_str())],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.outbox_row(&failed).await.state.as_str(), "failed");

    let retried = admin
        .post_form(
            &format!("{}/admin/deliveries/retry", launched.base),
            &[("csrf", csrf.as_str()), ("id", failed.as_str())],
        )
        .await;
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    let back = location(retried.headers());
    assert!(back.ends_with("/admin/deliveries?retried=1"), "{back}");
    assert_eq!(app.outbox_row(&failed).await.state.as_str(), "pending");
    let page = crate::support::text(&admin.get(&back).await.text().await.unwrap());
    assert!(page.contains("1 transmission(s) remise(s)"), "{page}");
}

#[tokio::test]
async fn deliveries_page_is_for_platform_administrators_only() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (failed, _) = failed_and_pending(&app).await;
    for spec in [LaunchSpec::student(), LaunchSpec::editing_teacher()] {
        let browser = app.browser();
        let launched = browser.launch(&app.platform, spec).await;
        assert!(!launched.page.contains("/admin/deliveries"));
        let page = browser
            .get(&format!("{}/admin/deliveries", launched.base))
            .await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        let text = crate::support::text(&page.text().await.unwrap());
        assert!(text.contains("Réservé aux administrateur·rices"), "{text}");
        // With the session's real CSRF token, the role still decides.
        let csrf = app.session_csrf(&launched.base).await;
        let post = browser
            .post_form(
                &format!("{}/admin/deliveries/retry", launched.base),
                &[("csrf", csrf.as_str()), ("id", failed.as_str())],
            )
            .await;
        assert_eq!(post.status(), StatusCode::FORBIDDEN);
        let text = crate::support::text(&post.text().await.unwrap());
        assert!(text.contains("Réservé aux administrateur·rices"), "{text}");
    }
    assert_eq!(app.outbox_row(&failed).await.state.as_str(), "failed");
}

#[tokio::test]
async fn an_administrator_sees_only_their_platform() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    failed_and_pending(&app).await;
    // Another platform's row must not show: register a second client id and move the rows.
    let mut other = app.platform.spec();
    other.client_id = "other-client".into();
    app.state
        .db
        .run(move |conn| {
            use cpre::store::schema::grade_outbox;
            use diesel::prelude::*;
            let platform =
                cpre::store::platforms::upsert(conn, &other, cpre::store::platforms::Source::Cli)?;
            diesel::update(grade_outbox::table)
                .set(grade_outbox::platform_id.eq(platform.id))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let admin = app.browser();
    let launched = admin.launch(&app.platform, LaunchSpec::admin()).await;
    let text = crate::support::text(
        &admin
            .get(&format!("{}/admin/deliveries", launched.base))
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(text.contains("Aucune transmission en attente"), "{text}");
    assert!(!text.contains("Claire Dubois"));
}

/// The operator's commands, in an English locale (the messages below are the English ones).
fn cpre(db_url: &str, args: &[&str]) -> std::process::Output {
    crate::support::cli::cpre_in(db_url, args, "en_US.UTF-8")
}

#[tokio::test]
async fn cli_shows_and_retries_deliveries() {
    let app = spawn(Backend::Sqlite).await.unwrap();
    let (failed, pending) = failed_and_pending(&app).await;
    let out = cpre(&app.db.url, &["outbox", "status"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("pending: 1  failed: 1  delivered: 0"),
        "{text}"
    );
    assert!(text.contains(&failed) && text.contains(&pending), "{text}");
    assert!(
        text.contains("not_gradable: Moodle a refusé la note (HTTP 400)"),
        "{text}"
    );
    assert!(text.contains("unavailable: HTTP 503"), "{text}");

    let out = cpre(&app.db.url, &["outbox", "status", "--context", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Claire Dubois"));
    let out = cpre(&app.db.url, &["outbox", "status", "--context", "999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no course `999`"));
    // French by default.
    let out = crate::support::cli::cpre(&app.db.url, &["outbox", "status"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("en attente : 1  en échec : 1"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = cpre(&app.db.url, &["outbox", "retry", "no-such-id"]);
    assert_eq!(out.status.code(), Some(1));
    let out = cpre(&app.db.url, &["outbox", "retry", &failed]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 delivery"));
    let row = app.outbox_row(&failed).await;
    assert_eq!((row.state.as_str(), row.attempts), ("pending", 0));
    // Without ID: every failed row (none left).
    let out = cpre(&app.db.url, &["outbox", "retry"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 delivery"));
}
