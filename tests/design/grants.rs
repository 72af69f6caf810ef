//! Grants through the screens and `cpre course grant`; the audit log page.

use reqwest::StatusCode;

use super::{audit, designer, follow_ok, formation, get, post, post_form, teacher};
use crate::contract::configure_demo;
use crate::support::app::{CLIENT_ID, TestApp};

async fn grant_and_revoke_gestionnaire_and_designer(app: TestApp) {
    configure_demo(&app).await;
    let t = teacher(&app).await;
    assert_eq!(
        get(&t, "/").await.status,
        StatusCode::FORBIDDEN,
        "an Instructor is not a designer"
    );
    let d = designer(&app).await;
    let math = formation(&app, "MATH").await;
    let page = get(&d, "/droits").await;
    assert!(
        page.text().contains("Claire Dubois"),
        "people who launched: {}",
        page.text()
    );

    // Gestionnaire without formation: refused, explained.
    let refused = post_form(
        &d,
        &page,
        "/config/droits",
        &[("person", &["5"]), ("role", &["gestionnaire"])],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("choisissez au moins une formation"));
    let granted = post_form(
        &d,
        &page,
        "/config/droits",
        &[
            ("person", &["5"]),
            ("role", &["gestionnaire"]),
            ("formation", &[&math.id]),
        ],
    )
    .await;
    let page = follow_ok(&d, &granted).await;
    assert!(
        page.text().contains("Gestionnaire de MATH"),
        "{}",
        page.text()
    );
    assert_eq!(
        get(&t, "/").await.status,
        StatusCode::FORBIDDEN,
        "a gestionnaire does not configure"
    );

    let granted = post_form(
        &d,
        &page,
        "/config/droits",
        &[("person", &["5"]), ("role", &["designer"])],
    )
    .await;
    follow_ok(&d, &granted).await;
    assert_eq!(
        get(&t, "/").await.status,
        StatusCode::OK,
        "granted designer"
    );
    // The granted designer cannot remove their own designer role.
    let mine = get(&t, "/droits").await;
    assert!(mine.text().contains("vous"));
    let ids: Vec<String> = {
        use cpre::store::schema::course_grants;
        use diesel::prelude::*;
        app.state
            .db
            .run(|conn| {
                Ok(course_grants::table
                    .filter(course_grants::role.eq("designer"))
                    .select(course_grants::id)
                    .load::<String>(conn)?)
            })
            .await
            .unwrap()
    };
    let own = post(&app, &t, "/droits/retirer", &[("grant", &ids[0])]).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(own.text().contains("votre propre rôle"), "{}", own.text());

    let revoked = post(&app, &d, "/droits/retirer", &[("grant", &ids[0])]).await;
    follow_ok(&d, &revoked).await;
    assert_eq!(get(&t, "/").await.status, StatusCode::FORBIDDEN, "revoked");
    assert_eq!(
        app.count("course_grants").await,
        1,
        "the gestionnaire grant stays"
    );
    let page = get(&d, "/droits").await;
    assert!(page.text().contains("Gestionnaire de MATH"));
    let gestionnaire = page
        .form("/droits/retirer")
        .get("grant")
        .unwrap()
        .to_owned();
    let revoked = post(&app, &d, "/droits/retirer", &[("grant", &gestionnaire)]).await;
    let page = follow_ok(&d, &revoked).await;
    assert!(!page.text().contains("Gestionnaire de MATH"));
    assert_eq!(app.count("course_grants").await, 0);
    assert_eq!(audit(&app, "grant").await.len(), 2);
    let revokes = audit(&app, "grant.revoke").await;
    assert_eq!(revokes.len(), 2);
    assert_eq!(revokes[0]["role"], "designer");
    assert_eq!(revokes[1]["role"], "gestionnaire");
    assert_eq!(revokes[1]["formation"], "MATH");
    assert!(
        get(&d, "/journal?action=grant.revoke")
            .await
            .text()
            .contains("Rôle retiré")
    );

    // The journal: newest first, filtered by action.
    let journal = get(&d, "/journal").await;
    assert_eq!(journal.status, StatusCode::OK);
    let first_row = crate::contract::select_text(&journal.html, "tbody tr");
    assert!(first_row.contains("Rôle retiré"), "{first_row}");
    let grants_only = get(&d, "/journal?action=grant").await;
    assert_eq!(
        grants_only.html.matches("<tr><td>").count(),
        2,
        "{}",
        grants_only.text()
    );
}
crate::on_both_backends!(
    grant_and_revoke_gestionnaire_and_designer,
    super::grant_and_revoke_gestionnaire_and_designer
);

#[tokio::test]
async fn the_journal_is_paged() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let d = designer(&app).await;
    let context_id = formation(&app, "MATH").await.context_id;
    app.state
        .db
        .run(move |conn| {
            let platform_id = cpre::store::contexts::get(conn, &context_id)?.platform_id;
            for i in 0..60 {
                cpre::store::audit::record(
                    conn,
                    &cpre::store::audit::NewAuditEntry {
                        platform_id: &platform_id,
                        context_id: Some(&context_id),
                        actor_user_id: None,
                        actor_label: "test",
                        action: cpre::store::audit::Action::ConfigFormation,
                        target_type: cpre::store::audit::Target::Formation,
                        target_id: None,
                        detail: serde_json::json!({ "n": i }),
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let first = get(&d, "/journal").await;
    assert_eq!(first.html.matches("<tr><td>").count(), 50);
    assert!(first.has("a[rel=next]") && !first.has("a[rel=prev]"));
    // 60 entries, and the one `cpre course configure` (the demo) wrote.
    assert_eq!(app.count("audit_log").await, 61);
    let second = get(&d, "/journal?page=2").await;
    assert_eq!(second.html.matches("<tr><td>").count(), 11);
    let configured = get(&d, "/journal?action=config.change").await;
    assert_eq!(configured.html.matches("<tr><td>").count(), 1);
    assert!(configured.text().contains("cpre course configure"));
    assert!(second.has("a[rel=prev]") && !second.has("a[rel=next]"));
}

fn cpre(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut all: Vec<String> = vec![
        "course".into(),
        "grant".into(),
        "--issuer".into(),
        app.platform.issuer().into(),
        "--client-id".into(),
        CLIENT_ID.into(),
        "--context".into(),
        "2".into(),
    ];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    crate::support::cli::cpre(&app.db.url, &all)
}

#[tokio::test]
async fn the_operator_grants_and_revokes_with_the_cli() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let t = teacher(&app).await;
    let out = cpre(&app, &["--user", "5", "--role", "designer"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Claire Dubois : rôle designer accordé"));
    assert_eq!(get(&t, "/").await.status, StatusCode::OK);
    let out = cpre(&app, &["--user", "5", "--role", "designer", "--revoke"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(get(&t, "/").await.status, StatusCode::FORBIDDEN);
    let out = cpre(
        &app,
        &[
            "--user",
            "5",
            "--role",
            "gestionnaire",
            "--formation",
            "MATH",
            "--formation",
            "PHYS",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("course_grants").await, 2);
    let out = cpre(
        &app,
        &[
            "--user",
            "5",
            "--role",
            "gestionnaire",
            "--formation",
            "CHIM",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pas de formation « CHIM »"));
    let out = cpre(&app, &["--user", "999", "--role", "designer"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("n'a jamais ouvert l'outil"));
    let out = cpre(&app, &["--user", "5", "--role", "designer", "--revoke"]);
    assert!(!out.status.success(), "nothing to revoke");
    let entries = audit(&app, "grant").await;
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[1]["formations"],
        serde_json::json!(["MATH", "PHYS"])
    );
}
