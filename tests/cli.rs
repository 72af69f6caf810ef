//! The `cpre` binary: a platform registered with `cpre platform add` completes a launch.

use std::process::Command;

use crate::support::app::{CLIENT_ID, spawn_on};
use crate::support::db::TestDb;
use crate::support::platform::{LaunchSpec, TestPlatform};

fn cpre(db: &TestDb, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cpre"))
        .args(args)
        .env("CPRE_DATABASE_URL", &db.url)
        .env("CPRE_LOG", "warn")
        .env_remove("CPRE_BASE_URL")
        .output()
        .expect("cpre runs")
}

#[tokio::test]
async fn platform_added_by_the_cli_completes_a_launch() {
    let db = TestDb::sqlite();
    let platform = TestPlatform::start(CLIENT_ID).await;
    let out = cpre(&db, &platform.platform_add_args());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = cpre(&db, &["platform".into(), "list".into()]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains(platform.issuer()) && listed.contains(CLIENT_ID),
        "{listed}"
    );

    let app = spawn_on(db, platform, false, |_| {}).await;
    let launched = app
        .browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    assert!(launched.page.contains("Alice Martin"));
}

#[tokio::test]
async fn cli_refuses_a_bad_registration_and_removes_platforms() {
    let db = TestDb::sqlite();
    let bad = cpre(
        &db,
        &[
            "platform",
            "add",
            "--issuer",
            "not a url",
            "--client-id",
            "x",
            "--auth-url",
            "https://a/x",
            "--token-url",
            "https://a/t",
            "--jwks-url",
            "https://a/k",
            "--deployment-id",
            "1",
        ]
        .map(String::from),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--issuer"));

    let platform = TestPlatform::start(CLIENT_ID).await;
    assert!(cpre(&db, &platform.platform_add_args()).status.success());
    let removed = cpre(
        &db,
        &[
            "platform",
            "remove",
            "--issuer",
            platform.issuer(),
            "--client-id",
            CLIENT_ID,
        ]
        .map(String::from),
    );
    assert!(removed.status.success());
    let list = cpre(&db, &["platform".into(), "list".into()]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("No platform registered"));
}

#[tokio::test]
async fn keys_rotate_by_cli_publishes_a_key_that_signs_later() {
    let db = TestDb::sqlite();
    for _ in 0..2 {
        let out = cpre(&db, &["keys".into(), "rotate".into()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("published now"));
    }
    let list = cpre(&db, &["keys".into(), "list".into()]);
    let text = String::from_utf8_lossy(&list.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "the first key and the rotated one: {text}");
    assert!(
        lines[0].contains("not signing yet") && lines[1].contains("active until"),
        "{text}"
    );
    // Without an activation delay, the new key signs at once and the previous one retires.
    let without_delay = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cpre"))
            .args(args)
            .env("CPRE_DATABASE_URL", &db.url)
            .env("CPRE_KEY_ACTIVATION_SECONDS", "0")
            .env("CPRE_LOG", "warn")
            .output()
            .unwrap()
    };
    assert!(without_delay(&["keys", "rotate"]).status.success());
    let list = without_delay(&["keys", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].ends_with("  active"), "{text}");
    assert!(lines[1].contains("  retired "), "{text}");
    assert!(lines[2].contains("  retiring "), "{text}");
}

#[tokio::test]
async fn role_map_given_to_the_cli_overrides_the_default() {
    let db = TestDb::sqlite();
    let platform = TestPlatform::start(CLIENT_ID).await;
    let mut args = platform.platform_add_args();
    args.extend([
        "--role".into(),
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner=none".into(),
    ]);
    let out = cpre(&db, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bad = platform.platform_add_args();
    bad.extend(["--role".into(), "urn:x=boss".into()]);
    let refused = cpre(&db, &bad);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("boss"));

    let app = spawn_on(db, platform, false, |_| {}).await;
    let (_, page) = app
        .browser()
        .open(&app.platform, LaunchSpec::student())
        .await;
    assert_eq!(page.status(), reqwest::StatusCode::FORBIDDEN);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Aucun rôle pour cet outil dans ce cours"),
        "{page}"
    );
}
