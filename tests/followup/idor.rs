//! The IDOR battery: a teacher of formation A cannot read, list, export, validate or comment a contract of formation B, of another course or of another platform, by any URL or form field; a student reaches no staff page; a designer of course X has no power in course Y; no form works without the session's CSRF token. Every refused request writes nothing.

use reqwest::StatusCode;
use serde_json::json;

use super::{contract_of, download, get, post, teacher_of};
use crate::contract::{configure, configure_demo, demo_course, signed_student};
use crate::design::{Staff, designer_of, launch};
use crate::support::app::TestApp;
use crate::support::platform::LaunchSpec;

/// Every follow-up GET with the contract `{id}` and formation `{code}` placeholders.
const GETS: &[&str] = &[
    "/formations/{code}",
    "/formations/{code}/export/csv",
    "/formations/{code}/export/xlsx",
    "/formations/{code}/relances",
    "/formations/{code}/relances.csv",
    "/contrats/{id}",
    "/contrats/{id}?version=1",
    "/contrats/{id}/imprimer",
    "/contrats/{id}/pdf",
];

/// Every follow-up POST.
const POSTS: &[&str] = &[
    "/formations/{code}/relances",
    "/formations/{code}/pas-etudiant",
    "/formations/{code}/etudiant",
    "/contrats/{id}/valider",
    "/contrats/{id}/commenter",
    "/contrats/{id}/modifier",
];

/// Every route the follow-up registers is in the lists above (or is a page of the member's
/// own scope: the home and the course export).
#[test]
fn the_lists_cover_every_follow_up_route() {
    let source = include_str!("../../src/web/followup/mod.rs");
    let mut n = 0;
    for (i, _) in source.match_indices("\"/suivi") {
        let rest = &source[i + 1..];
        let path = &rest[..rest.find('"').unwrap()];
        let path = path.trim_start_matches("/suivi").replace("{format}", "csv");
        if path == "/" || path == "/export/csv" {
            continue;
        }
        assert!(
            GETS.iter()
                .chain(POSTS)
                .any(|p| p.split('?').next() == Some(path.as_str())),
            "{path} is not in the battery"
        );
        n += 1;
    }
    assert!(n >= 10, "{n}");
}

fn fill(path: &str, code: &str, id: &str) -> String {
    path.replace("{code}", code).replace("{id}", id)
}

const FIELDS: &[(&str, &str)] = &[
    ("comment", "intrusion"),
    ("visibility", "student"),
    ("reason", "intrusion"),
    ("who", "camille@example.org"),
    ("contract_id", "{id}"),
    ("formation", "{code}"),
    ("sub", "81"),
];

/// `who` gets `status` on every route for contract `id` of formation `code` (only the routes
/// of the contract when `code` names a formation of their own course), and nothing is
/// written.
async fn refused_everywhere(app: &TestApp, who: &Staff, code: &str, id: &str, status: StatusCode) {
    refused_on(app, who, code, id, status, true).await;
}

async fn refused_on(
    app: &TestApp,
    who: &Staff,
    code: &str,
    id: &str,
    status: StatusCode,
    formation_routes: bool,
) {
    let wanted = |p: &&&str| formation_routes || p.contains("{id}");
    let before = (
        app.count("audit_log").await,
        app.count("contract_comments").await,
        app.count("contract_events").await,
        app.count("grade_outbox").await,
        app.count("not_students").await,
    );
    for path in GETS.iter().filter(wanted) {
        let path = fill(path, code, id);
        let (got, _, body) = download(who, &path).await;
        assert_eq!(got, status, "GET {path}");
        let body = String::from_utf8_lossy(&body);
        assert!(!body.contains("Martin"), "GET {path} leaked a name");
    }
    for path in POSTS.iter().filter(wanted) {
        let path = fill(path, code, id);
        let fields: Vec<(&str, String)> = FIELDS
            .iter()
            .map(|(k, v)| (*k, fill(v, code, id)))
            .collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let p = post(app, who, &path, &fields).await;
        assert_eq!(p.status, status, "POST {path}: {}", p.text());
    }
    let after = (
        app.count("audit_log").await,
        app.count("contract_comments").await,
        app.count("contract_events").await,
        app.count("grade_outbox").await,
        app.count("not_students").await,
    );
    assert_eq!(before, after, "a refused request wrote something");
}

async fn a_teacher_of_formation_a_reaches_nothing_of_formation_b(app: TestApp) {
    configure_demo(&app).await;
    signed_student(&app, "81", "2", "PHYS").await;
    let phys_contract = contract_of(&app, "81").await;
    let math_teacher = teacher_of(&app, "910", "1").await;
    refused_everywhere(
        &app,
        &math_teacher,
        "PHYS",
        &phys_contract,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A formation of A with a contract of B in the URL: still nothing.
    for path in ["/contrats/{id}", "/contrats/{id}/pdf"] {
        let (got, _, _) = download(&math_teacher, &fill(path, "MATH", &phys_contract)).await;
        assert_eq!(got, StatusCode::NOT_FOUND);
    }
    // The lists and exports of A do not hold B's contract.
    let (_, _, csv) = download(&math_teacher, "/export/csv").await;
    assert!(!String::from_utf8(csv).unwrap().contains("Martin81"));
    let board = get(&math_teacher, "/formations/MATH").await;
    assert!(!board.text().contains("Martin81"));
    assert!(!board.html.contains(&phys_contract));
}
crate::on_both_backends!(
    a_teacher_of_formation_a_reaches_nothing_of_formation_b,
    super::a_teacher_of_formation_a_reaches_nothing_of_formation_b
);

async fn other_courses_and_platforms_are_out_of_reach(app: TestApp) {
    configure_demo(&app).await;
    // Course 3 of the same platform, same formations and groups.
    let mut other = demo_course(&app);
    other.context_id = "3".into();
    other.course_title = Some("Cours 3".into());
    configure(&app, other).await;
    let browser = app.browser();
    let launched = browser
        .launch(
            &app.platform,
            LaunchSpec::student()
                .person("83", "Camille", "Martin83", "22510083")
                .groups("1")
                .claim(
                    "https://purl.imsglobal.org/spec/lti/claim/context",
                    json!({"id": "3", "label": "C3", "title": "Cours 3"}),
                ),
        )
        .await;
    let student3 = crate::contract::Student {
        browser,
        base: launched.base,
        home: launched.page,
    };
    let first = student3.start("MATH").await;
    let summary = student3.fill(first, crate::contract::plain_answers).await;
    crate::contract::sign(&student3, &summary).await;
    let course3_contract = contract_of(&app, "83").await;

    // A MATH teacher of course 2 and the designer of course 2: nothing of course 3.
    let teacher2 = teacher_of(&app, "911", "1").await;
    refused_on(
        &app,
        &teacher2,
        "MATH",
        &course3_contract,
        StatusCode::NOT_FOUND,
        false,
    )
    .await;
    let board = get(&teacher2, "/formations/MATH").await;
    assert!(
        !board.text().contains("Martin83"),
        "course 3 in course 2's list"
    );
    let designer3 = designer_of(&app, "3").await;
    let designer2 = launch(&app, LaunchSpec::admin()).await;
    assert!(
        get(&designer3, &format!("/contrats/{course3_contract}"))
            .await
            .status
            == StatusCode::OK
    );
    for path in GETS.iter().filter(|p| p.contains("{id}")) {
        let (got, _, _) = download(&designer2, &fill(path, "MATH", &course3_contract)).await;
        assert_eq!(
            got,
            StatusCode::NOT_FOUND,
            "designer of course 2: GET {path}"
        );
    }
    for path in POSTS.iter().filter(|p| p.contains("{id}")) {
        let p = post(
            &app,
            &designer2,
            &fill(path, "MATH", &course3_contract),
            &[("comment", "x"), ("reason", "x")],
        )
        .await;
        assert_eq!(
            p.status,
            StatusCode::NOT_FOUND,
            "designer of course 2: POST {path}"
        );
    }

    // Platform B, registered too, its course "2" configured alike: its teacher of group 1
    // reaches nothing of platform A.
    let b = app.register_platform("client-of-b").await;
    let mut course_b = demo_course(&app);
    course_b.issuer = b.issuer().to_string();
    course_b.client_id = "client-of-b".into();
    configure(&app, course_b).await;
    let browser = app.browser().for_platform(&b);
    let launched = browser
        .launch(
            &b,
            LaunchSpec::teacher()
                .person("912", "Alex", "Autre", "")
                .groups("1"),
        )
        .await;
    let teacher_b = Staff {
        browser,
        base: launched.base,
        home: launched.page,
    };
    assert_eq!(
        get(&teacher_b, "/formations/MATH").await.status,
        StatusCode::OK
    );
    signed_student(&app, "84", "1", "MATH").await;
    let platform_a_contract = contract_of(&app, "84").await;
    refused_on(
        &app,
        &teacher_b,
        "MATH",
        &platform_a_contract,
        StatusCode::NOT_FOUND,
        false,
    )
    .await;
    let board = get(&teacher_b, "/formations/MATH").await;
    assert!(
        !board.text().contains("Martin84"),
        "platform A in platform B's list"
    );
    let (_, _, csv) = download(&teacher_b, "/export/csv").await;
    assert!(
        !String::from_utf8(csv).unwrap().contains("Martin"),
        "platform B exports nothing of A"
    );
}
crate::on_both_backends!(
    other_courses_and_platforms_are_out_of_reach,
    super::other_courses_and_platforms_are_out_of_reach
);

#[tokio::test]
async fn a_student_reaches_no_staff_page_and_forms_need_the_csrf_token() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let (student, _) = signed_student(&app, "85", "1", "MATH").await;
    let id = contract_of(&app, "85").await;
    let as_staff = Staff {
        browser: student.browser,
        base: student.base,
        home: student.home,
    };
    let (got, _, _) = download(&as_staff, "/").await;
    assert_eq!(got, StatusCode::FORBIDDEN);
    let (got, _, _) = download(&as_staff, "/export/csv").await;
    assert_eq!(got, StatusCode::FORBIDDEN);
    refused_everywhere(&app, &as_staff, "MATH", &id, StatusCode::FORBIDDEN).await;

    // The MATH teacher, without or with a forged token: 403, nothing changes.
    let t = teacher_of(&app, "913", "1").await;
    let before = (
        app.count("audit_log").await,
        app.count("contract_comments").await,
    );
    for path in POSTS {
        let url = format!("{}/suivi{}", t.base, fill(path, "MATH", &id));
        for csrf in [None, Some("forged")] {
            let mut fields = vec![
                ("comment".to_owned(), "x".to_owned()),
                ("reason".to_owned(), "x".to_owned()),
            ];
            if let Some(c) = csrf {
                fields.push(("csrf".into(), c.into()));
            }
            let p = t.post(&url, &fields).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{path} csrf {csrf:?}");
        }
    }
    assert_eq!(
        before,
        (
            app.count("audit_log").await,
            app.count("contract_comments").await
        )
    );
    let page = get(&t, &format!("/contrats/{id}")).await;
    assert!(page.text().contains("Signé"), "still signed, not validated");
}
