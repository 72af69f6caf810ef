//! Routing: the formation comes from the launch's Moodle groups; no formation, several formations (double licence), and who may open the contract pages.

use reqwest::StatusCode;

use super::*;
use crate::support::app::TestApp;
use crate::support::platform::LaunchSpec;

async fn a_student_in_no_formation_is_told_whom_to_contact_and_recorded(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "11", "99,98").await;
    let text = crate::support::text(&student.home);
    assert!(
        text.contains("Votre formation n'a pas été reconnue"),
        "{text}"
    );
    assert!(text.contains("Contactez la scolarité"), "{text}");
    assert!(
        text.contains("scolarite-licence@univ.example.fr"),
        "contact of the course: {text}"
    );
    assert!(
        text.contains("99, 98") || text.contains("98, 99"),
        "group ids to give: {text}"
    );
    assert!(text.contains("Camille Martin11"));
    assert_eq!(app.count("unrouted_students").await, 1);
    assert_eq!(app.count("contracts").await, 0);
    // Coming back within a quarter of an hour only reads; the contract pages stay closed.
    let again = student.get(&format!("{}/", student.base)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        count_where(&app, "unrouted_students", "launches = 1").await,
        1
    );
    assert_eq!(student.overview("MATH").await.status, StatusCode::FORBIDDEN);

    // The designer maps group 99 to INFO: the student is routed, the record disappears.
    let mut course = demo_course(&app);
    course.formations[2].groups.push(99);
    configure(&app, course).await;
    let home = student.get(&format!("{}/", student.base)).await;
    assert!(home.text().contains("L1 Informatique"), "{}", home.text());
    assert_eq!(app.count("unrouted_students").await, 0);
}
crate::on_both_backends!(
    a_student_in_no_formation_is_told_whom_to_contact_and_recorded,
    super::a_student_in_no_formation_is_told_whom_to_contact_and_recorded
);

#[tokio::test]
async fn a_course_not_configured_says_so() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    let student = launch_student(&app, "12", "1").await;
    let text = crate::support::text(&student.home);
    assert!(
        text.contains("Le contrat n'est pas encore ouvert"),
        "{text}"
    );
    assert_eq!(app.count("unrouted_students").await, 1);
    let page = student.overview("MATH").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text().contains("pas encore ouvert"));
}

async fn a_double_licence_student_chooses_among_their_formations_only(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "13", "2,1").await;
    let home = Page {
        status: StatusCode::OK,
        html: student.home.clone(),
        location: None,
    };
    assert_eq!(home.h1(), "Choisissez votre contrat");
    let text = home.text();
    assert!(
        text.contains("L1 Mathématiques") && text.contains("L1 Physique"),
        "{text}"
    );
    assert!(
        !text.contains("L1 Informatique"),
        "only the student's formations"
    );
    assert!(text.contains("pas encore commencé"));

    // Choosing PHYS opens its contract.
    let choose = home.form("/formation");
    let csrf = choose.get("csrf").unwrap().to_owned();
    let chosen = student
        .post(
            &choose.action,
            &[
                ("csrf".into(), csrf.clone()),
                ("formation".into(), "PHYS".into()),
            ],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    assert!(
        chosen
            .location
            .as_deref()
            .unwrap()
            .ends_with("/contrat/PHYS/")
    );
    let phys = student.follow(&chosen).await;
    assert!(phys.text().contains("L1 Physique"));

    // Forcing another formation, by the form or by the address, is refused.
    let forced = student
        .post(
            &choose.action,
            &[
                ("csrf".into(), csrf.clone()),
                ("formation".into(), "INFO".into()),
            ],
        )
        .await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN);
    assert!(
        forced.text().contains("n'est pas celui de votre formation"),
        "{}",
        forced.text()
    );
    assert_eq!(student.overview("INFO").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        student.get("/contrat/INFO/page/identite").await.status,
        StatusCode::FORBIDDEN
    );
    let unknown = student
        .post(
            &choose.action,
            &[("csrf".into(), csrf), ("formation".into(), "NOPE".into())],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // One contract per formation: both can be started, independently.
    student.start("PHYS").await;
    student.start("MATH").await;
    let rows = contracts(&app).await;
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0].formation_id, rows[1].formation_id);
    let home = student.get(&format!("{}/", student.base)).await;
    assert_eq!(home.text().matches("en cours de remplissage").count(), 2);
}
crate::on_both_backends!(
    a_double_licence_student_chooses_among_their_formations_only,
    super::a_double_licence_student_chooses_among_their_formations_only
);

#[tokio::test]
async fn teachers_keep_their_page_and_cannot_use_the_student_pages() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let browser = app.browser();
    let launched = browser
        .launch(&app.platform, LaunchSpec::teacher().groups("1"))
        .await;
    assert!(
        launched.page.contains("Claire Dubois"),
        "teacher's page unchanged"
    );
    let base = launched.base;
    let overview = browser.get(&format!("{base}/contrat/MATH/")).await;
    assert_eq!(overview.status(), StatusCode::FORBIDDEN);
    assert!(
        overview
            .text()
            .await
            .unwrap()
            .contains("réservée aux étudiants")
    );
    // Even with a valid CSRF token of the teacher's own session.
    let csrf: String = {
        use cpre::store::schema::sessions;
        use diesel::prelude::*;
        app.state
            .db
            .run(|conn| {
                Ok(sessions::table
                    .select(sessions::csrf_token)
                    .get_result(conn)?)
            })
            .await
            .unwrap()
    };
    for path in [
        "/contrat/MATH/commencer",
        "/contrat/MATH/page/identite",
        "/contrat/MATH/signer",
        "/formation",
    ] {
        let r = browser
            .post_form(
                &format!("{base}{path}"),
                &[
                    ("csrf", &csrf),
                    ("revision", "1"),
                    ("formation", "MATH"),
                    ("consent", "oui"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.count("contracts").await, 0);
}

#[tokio::test]
async fn a_formation_left_out_of_the_file_is_archived_and_comes_back_with_its_contracts() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let student = launch_student(&app, "14", "2").await;
    student.start("PHYS").await;

    let mut without = demo_course(&app);
    without.formations.retain(|f| f.formation.code != "PHYS");
    let applied = configure(&app, without).await;
    assert_eq!(applied.archived, ["PHYS"]);
    let home = student.get(&format!("{}/", student.base)).await;
    assert!(
        home.text().contains("Votre formation n'a pas été reconnue"),
        "{}",
        home.text()
    );
    assert_eq!(student.overview("PHYS").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("contracts").await, 1, "its contracts are kept");

    configure_demo(&app).await;
    let home = student.get(&format!("{}/", student.base)).await;
    assert!(
        home.text().contains("en cours de remplissage"),
        "{}",
        home.text()
    );
    assert_eq!(app.count("formations").await, 3);
}
