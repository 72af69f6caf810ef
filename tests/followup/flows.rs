//! What each role sees and does: the teacher of one group (dashboard, contract, validate, comment, ask for changes, exports, PDF), the gestionnaire (follow, no decision), the designer (every formation), the teacher without a mapped group.

use reqwest::StatusCode;

use super::{contract_of, download, get, post, store_roster, teacher_of};
use crate::contract::{configure_demo, fill_and_sign_again, launch_student, signed_student};
use crate::design::{audit, designer, launch};
use crate::support::app::TestApp;
use crate::support::platform::LaunchSpec;

async fn a_teacher_sees_validates_and_exports_only_their_formation(app: TestApp) {
    configure_demo(&app).await;
    signed_student(&app, "31", "1", "MATH").await;
    signed_student(&app, "32", "2", "PHYS").await;
    let draft = launch_student(&app, "33", "1").await;
    draft.start("MATH").await;

    let t = teacher_of(&app, "901", "1").await;
    // The launch lands on the follow-up.
    assert!(t.home.contains("Suivi des contrats"), "{}", t.home);
    let home = get(&t, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text().contains("L1 Mathématiques"));
    assert!(!home.text().contains("L1 Physique"), "{}", home.text());

    let board = get(&t, "/formations/MATH").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    let text = board.text();
    assert!(
        text.contains("Martin31") && text.contains("Martin33"),
        "{text}"
    );
    assert!(
        !text.contains("Martin32"),
        "a PHYS student in the MATH list"
    );
    assert!(board.has("svg[role=img]"), "progress chart");
    // Search and filters.
    let found = get(&t, "/formations/MATH?q=martin31").await;
    assert!(found.text().contains("Martin31") && !found.text().contains("Martin33"));
    let drafts = get(&t, "/formations/MATH?etat=draft").await;
    assert!(drafts.text().contains("Martin33") && !drafts.text().contains("Martin31"));
    assert_eq!(
        get(&t, "/formations/PHYS").await.status,
        StatusCode::NOT_FOUND
    );

    // The contract page: answers, fingerprint, history; the read is journaled.
    let id = contract_of(&app, "31").await;
    let page = get(&t, &format!("/contrats/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let text = page.text();
    assert!(
        text.contains("Empreinte SHA-256") && text.contains("Historique"),
        "{text}"
    );
    assert!(text.contains("Réponses signées (version 1)"), "{text}");
    assert_eq!(audit(&app, "contract.read").await.len(), 1);

    // Validate: the contract is countersigned and the action journaled.
    let done = post(&app, &t, &format!("/contrats/{id}/valider"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let after = t.follow(&done).await;
    assert!(
        after.text().contains("Le contrat est validé"),
        "{}",
        after.text()
    );
    assert!(after.text().contains("Validé le"));
    assert_eq!(audit(&app, "contract.validate").await.len(), 1);
    // Validating twice is refused (the state moved on).
    let again = post(&app, &t, &format!("/contrats/{id}/valider"), &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Exports hold only MATH.
    let (status, kind, csv) = download(&t, "/formations/MATH/export/csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains("Martin31") && csv.contains("Martin33"),
        "{csv}"
    );
    assert!(!csv.contains("Martin32"));
    assert!(csv.contains("Validé") && csv.contains("Brouillon"), "{csv}");
    assert!(
        csv.lines().next().unwrap().contains("Projet de formation") || csv.contains("projet"),
        "a column per question: {csv}"
    );
    let (_, _, all) = download(&t, "/export/csv").await;
    assert!(
        !String::from_utf8(all).unwrap().contains("Martin32"),
        "course export scoped too"
    );
    let (status, kind, xlsx) = download(&t, "/formations/MATH/export/xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"));
    assert_eq!(&xlsx[..2], b"PK");
    assert_eq!(audit(&app, "export").await.len(), 3);

    // Print and PDF.
    let print = get(&t, &format!("/contrats/{id}/imprimer")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.text().contains("Martin31"));
    let (status, kind, pdf) = download(&t, &format!("/contrats/{id}/pdf")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(audit(&app, "contract.pdf").await.len(), 1);
}
crate::on_both_backends!(
    a_teacher_sees_validates_and_exports_only_their_formation,
    super::a_teacher_sees_validates_and_exports_only_their_formation
);

async fn comments_and_amendments_reach_the_student(app: TestApp) {
    configure_demo(&app).await;
    let (student, _) = signed_student(&app, "41", "1", "MATH").await;
    let id = contract_of(&app, "41").await;
    let t = teacher_of(&app, "902", "1").await;

    // A private comment and one for the student.
    let p = post(
        &app,
        &t,
        &format!("/contrats/{id}/commenter"),
        &[("comment", "Note interne au jury"), ("visibility", "staff")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    let p = post(
        &app,
        &t,
        &format!("/contrats/{id}/commenter"),
        &[("comment", "Pensez au tutorat"), ("visibility", "student")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let seen = student.overview("MATH").await.text();
    assert!(seen.contains("Pensez au tutorat"), "{seen}");
    assert!(
        !seen.contains("Note interne"),
        "a private comment leaked: {seen}"
    );

    // An empty comment comes back with the message; what was typed elsewhere stays.
    let empty = post(
        &app,
        &t,
        &format!("/contrats/{id}/commenter"),
        &[("comment", "  "), ("visibility", "student")],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.has(".error-summary"));
    assert!(empty.has("#f-vis-student[checked]"), "the choice is kept");
    let no_reason = post(
        &app,
        &t,
        &format!("/contrats/{id}/modifier"),
        &[("reason", "")],
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text().contains("Indiquez ce que"));
    // Over 4,000 characters: refused, and what was typed comes back.
    let long = "x".repeat(4001);
    let too_long = post(
        &app,
        &t,
        &format!("/contrats/{id}/commenter"),
        &[("comment", &long), ("visibility", "staff")],
    )
    .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.text().contains("trop long"), "{}", too_long.text());
    assert!(too_long.html.contains(&long), "the text typed is kept");
    let too_long = post(
        &app,
        &t,
        &format!("/contrats/{id}/modifier"),
        &[("reason", &long)],
    )
    .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        audit(&app, "contract.comment").await.len(),
        2,
        "nothing recorded"
    );

    // Ask for changes: reopened, the reason reaches the student, the grade is cleared.
    let before = app.count("grade_outbox").await;
    let p = post(
        &app,
        &t,
        &format!("/contrats/{id}/modifier"),
        &[("reason", "Précisez votre projet de formation")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    assert_eq!(
        app.count("grade_outbox").await,
        before + 1,
        "the grade is cleared"
    );
    let seen = student.overview("MATH").await.text();
    assert!(
        seen.contains("Précisez votre projet de formation"),
        "{seen}"
    );
    let page = get(&t, &format!("/contrats/{id}")).await.text();
    assert!(page.contains("Modification demandée"), "{page}");
    assert!(page.contains("Réponses en cours"));

    // The student signs again: version 2, version 1 still readable.
    fill_and_sign_again(&student, "MATH").await;
    let page = get(&t, &format!("/contrats/{id}")).await;
    assert!(
        page.text().contains("Réponses signées (version 2)"),
        "{}",
        page.text()
    );
    let v1 = get(&t, &format!("/contrats/{id}?version=1")).await;
    assert_eq!(v1.status, StatusCode::OK);
    assert!(v1.text().contains("Réponses signées (version 1)"));
    assert_eq!(
        get(&t, &format!("/contrats/{id}?version=3")).await.status,
        StatusCode::NOT_FOUND
    );
    for bad in ["0", "-1", "abc"] {
        assert_eq!(
            get(&t, &format!("/contrats/{id}?version={bad}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "version={bad}"
        );
    }
    // Unknown export formats are not served.
    for path in ["/export/pdf", "/formations/MATH/export/json"] {
        let (status, _, _) = download(&t, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // Once the year is closed, no amendment can be asked (the student could not answer it).
    let d = crate::design::designer(&app).await;
    let closed =
        crate::design::post(&app, &d, "/annees/clore", &[("academic_year", "2025-2026")]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.text());
    let page = get(&t, &format!("/contrats/{id}")).await;
    assert!(
        !page.has("form[action$='/modifier']"),
        "no amendment form on a closed year"
    );
    let refused = post(
        &app,
        &t,
        &format!("/contrats/{id}/modifier"),
        &[("reason", "Trop tard")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    assert!(refused.text().contains("année universitaire est close"));
    assert_eq!(
        audit(&app, "contract.reopen").await.len(),
        1,
        "nothing recorded"
    );
    assert_eq!(audit(&app, "contract.comment").await.len(), 2);
}
crate::on_both_backends!(
    comments_and_amendments_reach_the_student,
    super::comments_and_amendments_reach_the_student
);

#[tokio::test]
async fn a_gestionnaire_follows_and_exports_but_does_not_decide() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    signed_student(&app, "51", "2", "PHYS").await;
    let id = contract_of(&app, "51").await;
    // The gestionnaire opens the tool once (no Moodle group), then is granted PHYS.
    let g = launch(
        &app,
        LaunchSpec::teacher()
            .person("950", "Sacha", "Gestion", "")
            .groups("98"),
    )
    .await;
    let d = designer(&app).await;
    let phys = crate::design::formation(&app, "PHYS").await;
    assert_eq!(
        get(&g, "/export/csv").await.status,
        StatusCode::FORBIDDEN,
        "nothing before the grant"
    );
    let granted = crate::design::post(
        &app,
        &d,
        "/droits",
        &[
            ("person", "950"),
            ("role", "gestionnaire"),
            ("formation", &phys.id),
        ],
    )
    .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.text());
    let board = get(&g, "/formations/PHYS").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    assert!(board.text().contains("Martin51"));
    let page = get(&g, &format!("/contrats/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.has("form[action$='/valider']"), "no validate button");
    let (status, _, _) = download(&g, "/formations/PHYS/export/csv").await;
    assert_eq!(status, StatusCode::OK);
    for action in ["valider", "commenter", "modifier"] {
        let p = post(
            &app,
            &g,
            &format!("/contrats/{id}/{action}"),
            &[("comment", "x"), ("reason", "x")],
        )
        .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{action}: {}", p.text());
    }
    assert_eq!(
        get(&g, "/formations/MATH").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_designer_sees_every_formation_and_a_teacher_without_group_is_told_whom_to_ask() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    signed_student(&app, "61", "3", "INFO").await;
    let d = designer(&app).await;
    let home = get(&d, "/").await;
    let text = home.text();
    assert!(
        text.contains("L1 Mathématiques")
            && text.contains("L1 Physique")
            && text.contains("L1 Informatique"),
        "{text}"
    );
    assert!(
        home.has("a[href$='/config/']"),
        "designers reach the configuration"
    );
    let id = contract_of(&app, "61").await;
    assert_eq!(
        get(&d, &format!("/contrats/{id}")).await.status,
        StatusCode::OK
    );

    let lost = teacher_of(&app, "903", "99").await;
    assert!(
        lost.home.contains("Aucune formation à suivre"),
        "the launch says so"
    );
    let page = get(&lost, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("ingénieur·e pédagogique"),
        "whom to ask"
    );
    assert!(page.text().contains("99"), "the groups of the launch");
    let (status, _, _) = download(&lost, "/export/csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&lost, &format!("/contrats/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn students_who_never_started_are_counted_from_the_roster(app: TestApp) {
    configure_demo(&app).await;
    signed_student(&app, "31", "1", "MATH").await;
    launch_student(&app, "504", "1").await; // opened the tool, never started
    let t = teacher_of(&app, "905", "1").await;
    let member = |sub: &str, family: &str, role: &str, status: &str| {
        serde_json::json!({
            "user_id": sub, "roles": [role], "status": status,
            "name": format!("Nadia {family}"), "given_name": "Nadia", "family_name": family,
            "email": format!("{}@example.org", family.to_lowercase()),
            "lis_person_sourcedid": format!("2251{sub:0>4}"),
        })
    };
    store_roster(
        &app,
        serde_json::json!([
            member("31", "Martin31", "Learner", "Active"),
            member("500", "Absente", "Learner", "Active"),
            member("501", "Physicienne", "Learner", "Active"),
            member("502", "Collegue", "Instructor", "Active"),
            member("503", "Partie", "Learner", "Inactive"),
            member("504", "Martin504", "Learner", "Active"),
        ]),
        serde_json::json!([
            {"groupid": 1, "userids": [31, 500, 502, 503]},
            {"groupid": 2, "userids": [501]},
        ]),
    )
    .await;
    let board = get(&t, "/formations/MATH?etat=not_started").await;
    let text = board.text();
    assert!(
        text.contains("Absente") && text.contains("Martin504"),
        "{text}"
    );
    for absent in ["Physicienne", "Collegue", "Partie", "Martin31"] {
        assert!(
            !text.contains(absent),
            "{absent} is not a MATH student to start: {text}"
        );
    }
    assert!(text.contains("2 étudiant·e(s) correspondent"), "{text}");
    let reminders = get(&t, "/formations/MATH/relances").await;
    assert!(reminders.text().contains("absente@example.org"));
    let home = get(&t, "/").await;
    assert!(home.text().contains("Non commencé"));

    // Sixty more in group 1: two pages, and the pager keeps the filter.
    let mut many: Vec<serde_json::Value> = (600..660)
        .map(|i| member(&i.to_string(), &format!("Nouveau{i}"), "Learner", "Active"))
        .collect();
    many.push(member("31", "Martin31", "Learner", "Active"));
    let ids: Vec<i64> = (600..660).collect();
    store_roster(
        &app,
        serde_json::json!(many),
        serde_json::json!([{"groupid": 1, "userids": ids}]),
    )
    .await;
    let first = get(&t, "/formations/MATH?etat=not_started").await;
    assert!(
        first.text().contains("60 étudiant·e(s) correspondent"),
        "{}",
        first.text()
    );
    assert!(first.text().contains("Page 1 sur 2"));
    let next = first
        .html
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(
        next.contains("etat=not_started") && next.contains("page=2"),
        "{next}"
    );
    let second = get(&t, &format!("/formations/MATH{next}")).await;
    assert!(second.text().contains("Page 2 sur 2"), "{}", second.text());
    assert!(second.text().contains("Nouveau659"));
    assert!(
        !second.text().contains("Martin31"),
        "the filter holds on page 2"
    );
}
crate::on_both_backends!(
    students_who_never_started_are_counted_from_the_roster,
    super::students_who_never_started_are_counted_from_the_roster
);
