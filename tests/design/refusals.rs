//! Refusals: a teacher (and a student) get 403 on every configuration route, GET and POST; a form without the session's CSRF token changes nothing; a designer of another course finds none of this course's ids.

use reqwest::StatusCode;

use super::{
    SAMPLE, Staff, designer, designer_of, follow_ok, formation, get, post, post_form, teacher,
};
use crate::contract::{configure_demo, launch_student};
use crate::support::app::TestApp;

const GETS: &[&str] = &[
    "/",
    "/formations",
    "/formations/{formation}",
    "/formations/{formation}/donnees",
    "/groupes",
    "/questionnaires",
    "/questionnaires/versions/{version}/fichier",
    "/questionnaires/brouillons/{draft}",
    "/questionnaires/brouillons/{draft}/fichier",
    "/questionnaires/brouillons/{draft}/formulaire",
    "/apercu",
    "/annees",
    "/etudiants",
    "/droits",
    "/journal",
];

const POSTS: &[&str] = &[
    "/cours",
    "/formations",
    "/formations/{formation}",
    "/formations/{formation}/archiver",
    "/formations/{formation}/reactiver",
    "/formations/{formation}/groupes",
    "/formations/{formation}/donnees",
    "/groupes",
    "/questionnaires/importer",
    "/questionnaires/coller",
    "/questionnaires/verifier",
    "/questionnaires/versions/{version}/brouillon",
    "/questionnaires/brouillons/{draft}",
    "/questionnaires/brouillons/{draft}/abandonner",
    "/questionnaires/brouillons/{draft}/formulaire",
    "/apercu",
    "/annees/ouvrir",
    "/annees/clore",
    "/annees/rouvrir",
    "/droits",
    "/droits/retirer",
];

/// Every route the configuration registers is in the lists above.
#[test]
fn the_lists_cover_every_configuration_route() {
    let source = include_str!("../../src/web/design/mod.rs");
    let mut routes = Vec::new();
    for (i, _) in source.match_indices("\"/config") {
        let rest = &source[i + 1..];
        let end = rest.find('"').unwrap();
        let path = &rest[..end];
        let after = &rest[end..];
        let to = after.find(".to(").unwrap();
        let method = if after[..to].contains("web::post()") {
            "POST"
        } else {
            "GET"
        };
        routes.push((
            method,
            path.trim_start_matches("/config").replace("{id}", "{x}"),
        ));
    }
    assert!(routes.len() >= 30, "{routes:?}");
    let norm = |p: &str| {
        p.replace("{formation}", "{x}")
            .replace("{version}", "{x}")
            .replace("{draft}", "{x}")
    };
    for (method, path) in routes {
        let list = if method == "POST" { POSTS } else { GETS };
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        assert!(
            list.iter().any(|p| norm(p) == path),
            "{method} {path} is not in the refusal lists"
        );
    }
}

struct Ids {
    formation: String,
    version: String,
    draft: String,
}

async fn ids(app: &TestApp, d: &Staff) -> Ids {
    let list = get(d, "/questionnaires").await;
    let drafted = post_form(d, &list, "/brouillon", &[]).await;
    let location = drafted.location.clone().unwrap();
    let draft = location.rsplit('/').next().unwrap().to_owned();
    let version = list
        .html
        .split("/versions/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    Ids {
        formation: formation(app, "MATH").await.id.to_string(),
        version,
        draft,
    }
}

fn fill(path: &str, ids: &Ids) -> String {
    path.replace("{formation}", &ids.formation)
        .replace("{version}", &ids.version)
        .replace("{draft}", &ids.draft)
}

async fn teachers_and_students_are_refused_everywhere(app: TestApp) {
    configure_demo(&app).await;
    let d = designer(&app).await;
    let ids = ids(&app, &d).await;
    let t = teacher(&app).await;
    let s = launch_student(&app, "401", "1").await;
    let before = (
        app.count("audit_log").await,
        app.count("formations").await,
        app.count("questionnaire_drafts").await,
    );
    for who in [&t, &s] {
        for path in GETS {
            let p = get(who, &fill(path, &ids)).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "GET {path}");
        }
        for path in POSTS {
            // With the session's valid CSRF token: the role is what refuses.
            let p = post(
                &app,
                who,
                &fill(path, &ids),
                &[
                    ("code", "X"),
                    ("title", "X"),
                    ("academic_year", "2030-2031"),
                    ("text", SAMPLE),
                    ("revision", "1"),
                ],
            )
            .await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "POST {path}: {}", p.text());
        }
    }
    let forbidden = get(&t, "/").await;
    assert!(
        forbidden
            .text()
            .contains("réservée à la conception du cours"),
        "{}",
        forbidden.text()
    );
    let after = (
        app.count("audit_log").await,
        app.count("formations").await,
        app.count("questionnaire_drafts").await,
    );
    assert_eq!(before, after, "nothing written");
}
crate::on_both_backends!(
    teachers_and_students_are_refused_everywhere,
    super::teachers_and_students_are_refused_everywhere
);

#[tokio::test]
async fn a_form_without_the_csrf_token_changes_nothing() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let d = designer(&app).await;
    let ids = ids(&app, &d).await;
    let before = (
        app.count("audit_log").await,
        app.count("formations").await,
        app.count("course_years").await,
    );
    for path in POSTS {
        let url = format!("{}/config{}", d.base, fill(path, &ids));
        for csrf in [None, Some("forged")] {
            let mut fields: Vec<(String, String)> = vec![
                ("code".into(), "NEW".into()),
                ("title".into(), "Nouvelle".into()),
                ("academic_year".into(), "2030-2031".into()),
                ("revision".into(), "1".into()),
            ];
            if let Some(c) = csrf {
                fields.push(("csrf".into(), c.into()));
            }
            let p = d.post(&url, &fields).await;
            assert_eq!(
                p.status,
                StatusCode::FORBIDDEN,
                "POST {path} without a valid CSRF token"
            );
        }
    }
    let after = (
        app.count("audit_log").await,
        app.count("formations").await,
        app.count("course_years").await,
    );
    assert_eq!(before, after);
}

async fn a_designer_of_another_course_finds_nothing_here(app: TestApp) {
    configure_demo(&app).await;
    let d = designer(&app).await;
    let ids = ids(&app, &d).await;
    // A grant in course 2, to try to revoke from course 3.
    let t = teacher(&app).await;
    let page = get(&d, "/droits").await;
    follow_ok(
        &d,
        &post_form(
            &d,
            &page,
            "/config/droits",
            &[("person", &["5"]), ("role", &["designer"])],
        )
        .await,
    )
    .await;
    let grant: String = {
        use cpre::store::schema::course_grants;
        use diesel::prelude::*;
        app.state
            .db
            .run(|conn| {
                Ok(course_grants::table
                    .select(course_grants::id)
                    .get_result::<String>(conn)?)
            })
            .await
            .unwrap()
    };
    let math_before = formation(&app, "MATH").await;
    let audit_before = app.count("audit_log").await;

    let other = designer_of(&app, "3").await;
    assert_eq!(
        get(&other, "/").await.status,
        StatusCode::OK,
        "a designer of course 3"
    );
    for path in [
        "/formations/{formation}",
        "/formations/{formation}/donnees",
        "/questionnaires/versions/{version}/fichier",
        "/questionnaires/brouillons/{draft}",
        "/questionnaires/brouillons/{draft}/fichier",
        "/questionnaires/brouillons/{draft}/formulaire",
    ] {
        assert_eq!(
            get(&other, &fill(path, &ids)).await.status,
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    let preview = get(
        &other,
        &format!(
            "/apercu?source=version:{}&formation={}",
            ids.version, ids.formation
        ),
    )
    .await;
    assert_eq!(preview.status, StatusCode::NOT_FOUND);
    for (path, fields) in [
        ("/formations/{formation}", vec![("title", "Volé")]),
        ("/formations/{formation}/archiver", vec![]),
        ("/formations/{formation}/groupes", vec![("group", "9")]),
        ("/formations/{formation}/donnees", vec![("info", "Volé")]),
        ("/questionnaires/versions/{version}/brouillon", vec![]),
        (
            "/questionnaires/brouillons/{draft}",
            vec![("text", "x: 1"), ("revision", "1"), ("action", "save")],
        ),
        ("/questionnaires/brouillons/{draft}/abandonner", vec![]),
        (
            "/questionnaires/brouillons/{draft}/formulaire",
            vec![("revision", "1"), ("page", "0")],
        ),
        ("/droits/retirer", vec![("grant", grant.as_str())]),
    ] {
        let p = post(&app, &other, &fill(path, &ids), &fields).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "POST {path}: {}", p.text());
    }
    // Mapping course 3's groups to course 2's formation: not found either.
    let g = post(&app, &other, "/groupes", &[("g.1", ids.formation.as_str())]).await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);
    let source = format!("version:{}", ids.version);
    let formation_choice = post(
        &app,
        &other,
        "/apercu",
        &[
            ("source", source.as_str()),
            ("formation", ids.formation.as_str()),
            ("answers", "{}"),
            ("page", "identite"),
        ],
    )
    .await;
    assert_eq!(formation_choice.status, StatusCode::NOT_FOUND);

    let math_after = formation(&app, "MATH").await;
    assert_eq!(
        (math_before.title, math_before.data, math_before.archived_at),
        (math_after.title, math_after.data, math_after.archived_at)
    );
    assert_eq!(
        app.count("questionnaire_drafts").await,
        1,
        "the draft of course 2 is still there"
    );
    assert_eq!(app.count("course_grants").await, 1);
    assert_eq!(
        get(&t, "/").await.status,
        StatusCode::OK,
        "course 2's grant still holds"
    );
    assert_eq!(app.count("audit_log").await, audit_before);
}
crate::on_both_backends!(
    a_designer_of_another_course_finds_nothing_here,
    super::a_designer_of_another_course_finds_nothing_here
);
