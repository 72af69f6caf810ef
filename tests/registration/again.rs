//! Moodle registers the tool again (a new Dynamic Registration: a new client id). Launches
//! through the new registration do not find the courses configured under the old one until
//! an administrator carries them over (the administrator's screen, or `cpre platform
//! carry-over`), which is audited; a registration that holds data of its own for the same
//! course refuses it. And a dynamically registered tool's grades reach Moodle's gradebook.

use reqwest::StatusCode;
use serde_json::json;

use super::{invite, start_as};
use crate::contract::{configure_demo, launch_student, signed_student};
use crate::design::audit;
use crate::support::app::{CLIENT_ID, TestApp};
use crate::support::platform::LaunchSpec;

const NEW_CLIENT: &str = "nouvelle-inscription";

/// Moodle registers the tool again through an invite; launches then use the new client id.
/// The done page tells about courses left under the old registration when there are.
async fn register_again(app: &TestApp) {
    let link = invite(app, 24).await;
    let response = start_as(app, &link, NEW_CLIENT).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = crate::support::text(&response.text().await.unwrap());
    let (old_courses, _) = app
        .state
        .db
        .run(|conn| {
            let old = cpre::store::platforms::list(conn)?
                .into_iter()
                .find(|p| p.client_id == CLIENT_ID)
                .unwrap();
            cpre::store::contexts::count_of_platform(conn, &old.id)
        })
        .await
        .unwrap();
    assert_eq!(
        text.contains("Des cours sont configurés sous un ancien enregistrement"),
        old_courses > 0,
        "{text}"
    );
    if old_courses > 0 {
        assert!(
            text.contains(CLIENT_ID),
            "the old client id is named: {text}"
        );
    }
    app.platform.state.set_client_id(NEW_CLIENT);
}

/// The link of the registrations page to the plan of the old registration's carry-over.
fn plan_link(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let links = scraper::Selector::parse("a[href*='/admin/registrations/']").unwrap();
    doc.select(&links)
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("the link to the old registration's plan")
        .to_string()
}

async fn courses_are_carried_over_to_a_new_registration(app: TestApp) {
    configure_demo(&app).await;
    let (old_session, _) = signed_student(&app, "41", "1", "MATH").await;
    register_again(&app).await;
    // Through the new registration, the course looks new: nothing configured.
    let lost = launch_student(&app, "41", "1").await;
    assert!(
        crate::support::text(&lost.home).contains("pas encore ouvert"),
        "{}",
        lost.home
    );

    // The administrator (launching through the new registration) sees the old one's course.
    let admin = crate::design::designer(&app).await;
    let page = admin
        .get(&format!("{}/admin/registrations", admin.base))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains(CLIENT_ID));
    assert!(
        page.text()
            .contains("1 cours ouvert(s) avec l'outil, dont 1 configuré(s)")
    );
    let href = plan_link(&page.html);
    let plan = admin.get(&href).await;
    assert_eq!(plan.status, StatusCode::OK);
    let text = plan.text();
    assert!(text.contains("L1 Contrat"), "{text}");
    assert!(text.contains("remplace la copie vide"), "{text}");
    // Refused without the session's CSRF token; then done.
    let forged = admin.post(&format!("{href}/reprendre"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let form = plan.form("/reprendre");
    let done = admin.post(&form.action, &form.fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert!(done.location.as_deref().unwrap().ends_with("carried=1"));
    let entries = audit(&app, "platform.carry_over").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["from_client_id"], CLIENT_ID);
    assert_eq!(entries[0]["to_client_id"], NEW_CLIENT);

    // The student launches again through the new registration: their signed contract.
    let found = launch_student(&app, "41", "1").await;
    let home = crate::support::text(&found.home);
    assert!(home.contains("signé"), "{home}");
    assert!(home.contains("L1 Mathématiques"), "{home}");
    // Sessions opened through the old registration are closed.
    let old = old_session.get("/").await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    // Nothing left to carry over.
    let again = admin.get(&href).await;
    assert!(again.text().contains("0 cours"), "{}", again.text());
}
crate::on_both_backends!(
    courses_are_carried_over_to_a_new_registration,
    super::courses_are_carried_over_to_a_new_registration
);

#[tokio::test]
async fn a_carry_over_that_would_overwrite_data_is_refused_and_the_cli_shows_its_plan() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    signed_student(&app, "42", "1", "MATH").await;
    register_again(&app).await;
    let issuer = app.platform.issuer().to_string();
    let url = app.db.url.clone();
    let args = |yes: bool| {
        let mut a = vec![
            "platform".to_string(),
            "carry-over".into(),
            "--issuer".into(),
            issuer.clone(),
            "--from".into(),
            CLIENT_ID.into(),
            "--to".into(),
            NEW_CLIENT.into(),
        ];
        if yes {
            a.push("--yes".into());
        }
        a
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        crate::support::cli::cpre(&url, &a)
    };
    // Without --yes: the plan, nothing changed.
    let out = run(args(false));
    assert!(
        out.status.success(),
        "{}",
        crate::support::cli::stderr(&out)
    );
    let text = crate::support::cli::stdout(&out);
    assert!(
        text.contains("1 cours") && text.contains("L1 Contrat"),
        "{text}"
    );
    assert!(text.contains("--yes"), "{text}");
    assert!(audit(&app, "platform.carry_over").await.is_empty());

    // The new registration's course 2 gets a configuration of its own: refused.
    let admin = crate::design::designer(&app).await;
    let configured =
        crate::design::post(&app, &admin, "/cours", &[("academic_year", "2026-2027")]).await;
    assert_eq!(
        configured.status,
        StatusCode::SEE_OTHER,
        "{}",
        configured.text()
    );
    let out = run(args(true));
    assert_eq!(out.status.code(), Some(1));
    let err = crate::support::cli::stderr(&out);
    assert!(
        err.contains("reprise impossible") && err.contains("L1 Contrat"),
        "{err}"
    );
    assert!(audit(&app, "platform.carry_over").await.is_empty());
    // The screen says the same.
    let page = admin
        .get(&format!("{}/admin/registrations", admin.base))
        .await;
    let href = plan_link(&page.html);
    let plan = admin.get(&href).await;
    assert!(
        plan.text().contains("Reprise impossible"),
        "{}",
        plan.text()
    );
    assert!(!plan.has("form[action$='/reprendre']"));
    // A teacher, and a registration of another Moodle, get nothing.
    let teacher = crate::design::teacher(&app).await;
    let refused = teacher
        .get(&format!("{}/admin/registrations", teacher.base))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = admin
        .get(&format!(
            "{}/admin/registrations/not-a-registration",
            admin.base
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn a_dynamically_registered_tool_reports_grades(app: TestApp) {
    register_again(&app).await;
    // Moodle turned on « grade sync and column management » and the roster, from the scopes
    // the tool asked for.
    let given = app
        .platform
        .state
        .services
        .registered_services
        .lock()
        .unwrap()[NEW_CLIENT]
        .clone();
    assert_eq!(given.grade_sync, 2);
    assert!(given.memberships);
    // A student of the dynamically registered tool signs: the gradebook gets « completed ».
    configure_demo(&app).await;
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    app.enqueue_completion("3", true).await;
    let outcomes = app.drain_grade_outbox().await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    let grade = app
        .platform
        .state
        .services
        .grade(2, "3")
        .expect("the grade reached the gradebook");
    assert!(grade.score.is_some(), "{grade:?}");
    assert_eq!(grade.grading_progress, "FullyGraded");
    let assertions = app
        .platform
        .state
        .services
        .assertions
        .lock()
        .unwrap()
        .clone();
    assert_eq!(assertions.last().unwrap()["sub"], json!(NEW_CLIENT));
}
crate::on_both_backends!(
    a_dynamically_registered_tool_reports_grades,
    super::a_dynamically_registered_tool_reports_grades
);
