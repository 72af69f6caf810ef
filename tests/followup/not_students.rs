//! Who is not a student: Moodle's roster (NRPS) calls a non-editing teacher a Learner. The
//! list of students who have not started leaves out whoever launched the tool in the course
//! with a staff role, holds a grant, has a staff role according to Moodle's web service, or
//! was marked « pas un étudiant » by a designer or a gestionnaire (kept across roster
//! synchronisations, audited, undone the same way; a teacher cannot).

use reqwest::StatusCode;

use super::{get, post, store_roster, teacher_of};
use crate::contract::configure_demo;
use crate::design::{audit, designer};
use crate::support::app::TestApp;

fn member(sub: &str, family: &str) -> serde_json::Value {
    serde_json::json!({
        "user_id": sub, "roles": ["Learner"], "status": "Active",
        "name": format!("Nadia {family}"), "given_name": "Nadia", "family_name": family,
        "email": format!("{}@example.org", family.to_lowercase()),
        "lis_person_sourcedid": format!("2251{sub:0>4}"),
    })
}

/// The roster as Moodle gives it: everyone a Learner in group 1 (MATH).
async fn roster(app: &TestApp) {
    store_roster(
        app,
        serde_json::json!([
            member("700", "Etudiante"),
            member("701", "Vacataire"),
            member("702", "Scolarite"),
            member("703", "Tutrice"),
            member("704", "Observatrice"),
        ]),
        serde_json::json!([{"groupid": 1, "userids": [700, 701, 702, 703, 704]}]),
    )
    .await;
}

async fn course_id(app: &TestApp) -> cpre::store::ids::CourseId {
    app.state
        .db
        .run(|conn| {
            use cpre::store::schema::contexts;
            use diesel::prelude::*;
            Ok(contexts::table
                .filter(contexts::lti_id.eq("2"))
                .select(contexts::id)
                .get_result::<cpre::store::ids::CourseId>(conn)?)
        })
        .await
        .unwrap()
}

async fn teachers_and_staff_are_not_students_to_remind(app: TestApp) {
    configure_demo(&app).await;
    roster(&app).await;
    // 701: a non-editing teacher; Moodle's roster says Learner, the launch says Instructor.
    let t = teacher_of(&app, "701", "1").await;
    // 702: granted gestionnaire of MATH by the designer (never launched).
    let d = designer(&app).await;
    let math = crate::design::formation(&app, "MATH").await;
    let granted = crate::design::post(
        &app,
        &d,
        "/droits",
        &[
            ("person", "702"),
            ("role", "gestionnaire"),
            ("formation", &math.id),
        ],
    )
    .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.text());
    // 703: a teacher according to Moodle's web service (course role `teacher`).
    let ctx = course_id(&app).await;
    app.state
        .db
        .write(move |conn| {
            let users: Vec<cpre::moodle_ws::EnrolledUser> =
                serde_json::from_value(serde_json::json!([
                    {"id": 703, "roles": [{"shortname": "teacher"}]},
                    {"id": 700, "roles": [{"shortname": "student"}]},
                ]))
                .unwrap();
            cpre::store::groups::replace_roles(conn, &ctx, &users)
        })
        .await
        .unwrap();

    let board = get(&t, "/formations/MATH?etat=not_started").await;
    let text = board.text();
    assert!(
        text.contains("Etudiante") && text.contains("Observatrice"),
        "{text}"
    );
    for staff in ["Vacataire", "Scolarite", "Tutrice"] {
        assert!(!text.contains(staff), "{staff} is staff: {text}");
    }
    assert!(text.contains("2 étudiant·e(s) correspondent"), "{text}");
    let reminders = get(&t, "/formations/MATH/relances").await;
    assert!(!reminders.text().contains("vacataire@example.org"));

    // A teacher cannot mark anyone, and sees no button.
    assert!(!board.has("form[action$='/pas-etudiant']"));
    let refused = post(&app, &t, "/formations/MATH/pas-etudiant", &[("sub", "704")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());

    // The designer marks 704 « pas un étudiant »: gone from the list, listed as marked.
    let board = get(&d, "/formations/MATH?etat=not_started").await;
    assert!(board.has("form[action$='/pas-etudiant'] input[name='sub'][value='704']"));
    let marked = post(&app, &d, "/formations/MATH/pas-etudiant", &[("sub", "704")]).await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER, "{}", marked.text());
    let board = get(&d, "/formations/MATH?etat=not_started").await;
    assert!(
        board.text().contains("1 étudiant·e(s) correspondent"),
        "{}",
        board.text()
    );
    assert!(
        board
            .text()
            .contains("Personnes retirées de la liste des étudiant·es (1)")
    );
    assert_eq!(audit(&app, "roster.not_student").await.len(), 1);
    // Kept across a roster synchronisation.
    roster(&app).await;
    let board = get(&t, "/formations/MATH?etat=not_started").await;
    assert!(!board.text().contains("Observatrice"), "{}", board.text());

    // Undone the same way.
    let back = post(&app, &d, "/formations/MATH/etudiant", &[("sub", "704")]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let board = get(&t, "/formations/MATH?etat=not_started").await;
    assert!(board.text().contains("Observatrice"));
    assert_eq!(audit(&app, "roster.student").await.len(), 1);
}
crate::on_both_backends!(
    teachers_and_staff_are_not_students_to_remind,
    super::teachers_and_staff_are_not_students_to_remind
);

#[tokio::test]
async fn marking_refuses_strangers_and_forged_forms() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    roster(&app).await;
    let d = designer(&app).await;
    // Someone not in the course's roster.
    let stranger = post(
        &app,
        &d,
        "/formations/MATH/pas-etudiant",
        &[("sub", "9999")],
    )
    .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    // No person.
    let empty = post(&app, &d, "/formations/MATH/pas-etudiant", &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    // No CSRF token.
    let forged = d
        .post(
            &format!("{}/suivi/formations/MATH/pas-etudiant", d.base),
            &[("sub".into(), "700".into())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A formation of another course or none: 404.
    let unknown = post(&app, &d, "/formations/NOPE/pas-etudiant", &[("sub", "700")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(audit(&app, "roster.not_student").await.is_empty());
}
