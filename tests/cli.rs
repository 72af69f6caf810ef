//! The `cpre` binary: a platform registered with `cpre platform add` completes a launch.

use crate::support::app::{CLIENT_ID, spawn_on};
use crate::support::db::TestDb;
use crate::support::platform::{LaunchSpec, TestPlatform};

/// Runs `cpre` on `db` in a French locale.
fn cpre(db: &TestDb, args: &[String]) -> std::process::Output {
    cpre_in(db, args, "fr_FR.UTF-8")
}

/// Runs `cpre` on `db` with the locale `lang`.
fn cpre_in(db: &TestDb, args: &[String], lang: &str) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::support::cli::cpre_in(&db.url, &args, lang)
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
    assert!(String::from_utf8_lossy(&list.stdout).contains("Aucune plateforme enregistrée"));
    let list = cpre_in(&db, &["platform".into(), "list".into()], "en_GB.UTF-8");
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
        assert!(String::from_utf8_lossy(&out.stdout).contains("publiée dès maintenant"));
    }
    let list = cpre(&db, &["keys".into(), "list".into()]);
    let text = String::from_utf8_lossy(&list.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "the first key and the rotated one: {text}");
    assert!(
        lines[0].contains("ne signe pas encore") && lines[1].contains("signe jusqu'au"),
        "{text}"
    );
    // Without an activation delay, the new key signs at once and the previous one retires.
    let without_delay = |args: &[&str]| {
        crate::support::cli::command(&db.url, "en_US.UTF-8")
            .args(args)
            .env("CPRE_KEY_ACTIVATION_SECONDS", "0")
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

/// One Moodle registered twice (two client ids), each with a course 2: every command that
/// names a course takes the same options, and says which registrations exist when the choice
/// is ambiguous.
#[tokio::test]
async fn commands_name_a_course_the_same_way_and_list_registrations_when_ambiguous() {
    use crate::support::cli::{cpre as run, stderr, stdout};
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let url = app.db.url.clone();
    let issuer = app.platform.issuer().to_string();
    // The same Moodle registers the tool again: another client id, and a course 2 there too.
    let mut second = app.platform.platform_add_args();
    let at = second.iter().position(|a| a == "--client-id").unwrap() + 1;
    second[at] = "second-client".into();
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    assert!(run(&url, &second).status.success());
    let sample = "docs/examples/questionnaire-l1.yaml";
    let imported = run(
        &url,
        &[
            "questionnaire",
            "import",
            sample,
            "--issuer",
            &issuer,
            "--client-id",
            "second-client",
            "--context",
            "2",
        ],
    );
    assert!(imported.status.success(), "{}", stderr(&imported));

    // Ambiguous: refused, with both registrations and their course references.
    for args in [
        vec!["course", "show", "--issuer", &issuer, "--context", "2"],
        vec!["roster", "sync", "--issuer", &issuer, "--context", "2"],
        vec!["outbox", "status", "--issuer", &issuer, "--context", "2"],
        vec![
            "course",
            "grant",
            "--issuer",
            &issuer,
            "--context",
            "2",
            "--user",
            "3",
            "--role",
            "designer",
        ],
        vec![
            "questionnaire",
            "export",
            "cpre-l1",
            "--issuer",
            &issuer,
            "--context",
            "2",
        ],
    ] {
        let out = run(&url, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("plusieurs enregistrements"), "{args:?}: {err}");
        assert!(
            err.contains(&format!("--client-id {CLIENT_ID}"))
                && err.contains("--client-id second-client"),
            "{err}"
        );
        assert!(err.contains("--course "), "{err}");
    }
    // The client id settles it; `course show` prints the reference the others take.
    let out = run(
        &url,
        &[
            "course",
            "show",
            "--issuer",
            &issuer,
            "--client-id",
            "second-client",
            "--context",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let reference = stdout(&out)
        .lines()
        .find_map(|l| l.split("(--course) : ").nth(1))
        .expect("the course reference")
        .trim()
        .to_string();
    let out = run(
        &url,
        &["questionnaire", "export", "cpre-l1", "--course", &reference],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("cpre-l1"));
    let out = run(&url, &["course", "show", "--course", &reference]);
    assert!(stdout(&out).contains(&reference));
    // The first registration's course has no questionnaire: a different course.
    let out = run(
        &url,
        &[
            "questionnaire",
            "export",
            "cpre-l1",
            "--issuer",
            &issuer,
            "--client-id",
            CLIENT_ID,
            "--context",
            "2",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    // An unknown client id lists the registrations; a reference and options together are
    // refused by the parser.
    let out = run(
        &url,
        &[
            "course",
            "show",
            "--issuer",
            &issuer,
            "--client-id",
            "nope",
            "--context",
            "2",
        ],
    );
    let err = stderr(&out);
    assert!(
        err.contains("« nope »") && err.contains("second-client"),
        "{err}"
    );
    let out = run(
        &url,
        &[
            "course", "show", "--course", &reference, "--issuer", &issuer,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(&url, &["course", "show"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--course RÉFÉRENCE"));
}
