//! Tampering, refused: answers to hidden questions and to options of another formation, another student's contract, a signed contract, stale forms, forged pages, CSRF.

use reqwest::StatusCode;

use super::*;
use crate::support::app::TestApp;

/// Fills pages with `plain_answers` until page `target`, returning it.
async fn until(student: &Student, code: &str, target: &str) -> Page {
    let mut page = student.start(code).await;
    for _ in 0..20 {
        let form = page.form("");
        let id = Student::page_id(&form.action).unwrap();
        if id == target {
            return page;
        }
        let next = student.submit(plain_answers(&id, form)).await;
        assert_eq!(next.status, StatusCode::SEE_OTHER, "{id}: {}", next.text());
        page = student.follow(&next).await;
    }
    panic!("page {target} not reached");
}

async fn answers_to_hidden_questions_are_dropped(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "21", "1").await;
    let statut = until(&student, "MATH", "statut").await;
    // « non » hides the list of statuses; a forged value for it is ignored.
    let forged = statut
        .form("")
        .answer("a_un_statut", &["non"])
        .answer("statuts", &["salarie", "handicap"])
        .answer("heures_travail", &["30"]);
    let saved = student.submit(forged).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(
        saved
            .location
            .as_deref()
            .unwrap()
            .ends_with("/page/accompagnement"),
        "no status page"
    );
    let stored = answers_of(&contracts(&app).await[0]);
    assert_eq!(stored["a_un_statut"], "non");
    assert!(stored.get("statuts").is_none(), "{stored}");
    assert!(stored.get("heures_travail").is_none());
    // A page hidden by the answers cannot be posted either.
    let form = saved_form(&student).await;
    let hidden = student
        .post(
            &format!("{}/contrat/MATH/page/statut_salarie", student.base),
            &[
                ("csrf".into(), form.get("csrf").unwrap().into()),
                ("revision".into(), form.get("revision").unwrap().into()),
                ("q.heures_travail".into(), "30".into()),
            ],
        )
        .await;
    assert_eq!(hidden.status, StatusCode::BAD_REQUEST);
    assert!(
        hidden
            .text()
            .contains("ne fait pas partie de votre contrat")
    );
    let unknown = student
        .post(
            &format!("{}/contrat/MATH/page/nope", student.base),
            &[
                ("csrf".into(), form.get("csrf").unwrap().into()),
                ("revision".into(), form.get("revision").unwrap().into()),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        answers_of(&contracts(&app).await[0])
            .get("heures_travail")
            .is_none()
    );
}
crate::on_both_backends!(
    answers_to_hidden_questions_are_dropped,
    super::answers_to_hidden_questions_are_dropped
);

/// The form of the page the student is on (any page: for its csrf and revision).
async fn saved_form(student: &Student) -> Form {
    student.get("/contrat/MATH/page/identite").await.form("")
}

async fn an_option_of_another_formation_is_refused(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "22", "1").await;
    let statut = until(&student, "MATH", "statut").await;
    let revealed = student
        .submit(statut.form("").answer("a_un_statut", &["oui"]))
        .await;
    let next = student
        .submit(revealed.form("").answer("statuts", &["charge_famille"]))
        .await;
    let famille = student.follow(&next).await;
    let next = student
        .submit(famille.form("").answer("personnes_a_charge", &["1"]))
        .await;
    let amenagements = student.follow(&next).await;
    assert_eq!(amenagements.h1(), "Aménagements d'études");
    let before = contracts(&app).await[0].clone();
    // `binome_tp_fixe` is a PHYS aménagement; `tiers_temps` a MATH one not offered here.
    for forged in [
        ["groupe_td_soir", "binome_tp_fixe"],
        ["groupe_td_soir", "tiers_temps"],
    ] {
        let refused = student
            .submit(
                amenagements
                    .form("")
                    .answer("amenagements_demandes", &forged),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{forged:?}");
        assert!(refused.has(".error-summary a[href=\"#q-amenagements_demandes-0\"]"));
        assert!(
            refused.has("input[value=groupe_td_soir][checked]"),
            "what was ticked stays ticked"
        );
    }
    let after = contracts(&app).await[0].clone();
    assert_eq!(after.revision, before.revision, "nothing saved");
    assert!(answers_of(&after).get("amenagements_demandes").is_none());
}
crate::on_both_backends!(
    an_option_of_another_formation_is_refused,
    super::an_option_of_another_formation_is_refused
);

async fn another_students_contract_is_not_found(app: TestApp) {
    configure_demo(&app).await;
    let (alice, _) = signed_student(&app, "23", "1", "MATH").await;
    let bob = launch_student(&app, "24", "1").await;
    let alices = contracts(&app).await[0].id.clone();
    let own = alice.get(&format!("/contrats/{alices}/imprimer")).await;
    assert_eq!(own.status, StatusCode::OK);
    let theirs = bob.get(&format!("/contrats/{alices}/imprimer")).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert!(!theirs.text().contains("Camille Martin23"));
    // Bob's own MATH pages are his own contract, never Alice's.
    let page = bob.overview("MATH").await;
    assert!(page.text().contains("Commencer mon contrat"));
    assert!(!page.text().contains("CPRE-2025-000001"));
    // A draft is not printable, even by its owner.
    bob.start("MATH").await;
    let bobs = contracts(&app).await[1].id.clone();
    assert_eq!(
        bob.get(&format!("/contrats/{bobs}/imprimer")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get("/contrats/not-an-id/imprimer").await.status,
        StatusCode::NOT_FOUND
    );
}
crate::on_both_backends!(
    another_students_contract_is_not_found,
    super::another_students_contract_is_not_found
);

async fn a_signed_contract_cannot_be_changed(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "25", "1").await;
    let first = student.start("MATH").await;
    let summary = student.fill(first, plain_answers).await;
    let old_page = student.get("/contrat/MATH/page/projet").await.form("");
    let signed = sign(&student, &summary).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let before = contracts(&app).await[0].clone();

    // Old forms, posted after the signature.
    let changed = student
        .submit(old_page.clone().answer(
            "projet_formation",
            &["Autre projet, beaucoup plus court mais assez long quand même."],
        ))
        .await;
    assert_eq!(changed.status, StatusCode::CONFLICT);
    assert!(changed.text().contains("déjà signé"), "{}", changed.text());
    let resigned = sign(&student, &summary).await;
    assert_eq!(resigned.status, StatusCode::CONFLICT);
    let restarted = student
        .post(
            &format!("{}/contrat/MATH/commencer", student.base),
            &[("csrf".into(), old_page.get("csrf").unwrap().into())],
        )
        .await;
    assert_eq!(
        restarted.status,
        StatusCode::SEE_OTHER,
        "starting again just shows the contract"
    );
    // Pages of a signed contract lead to the receipt.
    let page = student.get("/contrat/MATH/page/projet").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().ends_with("/contrat/MATH/"));

    let after = contracts(&app).await[0].clone();
    assert_eq!(after.answers, before.answers);
    assert_eq!(after.revision, before.revision);
    assert_eq!(app.count("contract_signatures").await, 1);
    assert_eq!(app.count("grade_outbox").await, 1);
}
crate::on_both_backends!(
    a_signed_contract_cannot_be_changed,
    super::a_signed_contract_cannot_be_changed
);

async fn a_stale_form_is_refused_without_losing_what_was_typed(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "26", "1").await;
    let first = student.start("MATH").await;
    // Two tabs: the identity page is open in both.
    let tab1 = first.form("");
    let tab2 = first.form("");
    let saved = student
        .submit(tab2.answer("telephone", &["07 00 00 00 01"]))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let before = contracts(&app).await[0].clone();
    let stale = student
        .submit(tab1.answer("telephone", &["06 99 99 99 99"]))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text().contains("a été modifié"), "{}", stale.text());
    assert!(
        stale.has("input#q-telephone[value=\"06 99 99 99 99\"]"),
        "typed value kept"
    );
    let after = contracts(&app).await[0].clone();
    assert_eq!(after.revision, before.revision, "nothing saved");
    assert_eq!(answers_of(&after)["telephone"], "07 00 00 00 01");
    // The page shown again carries the current revision: sending it again works.
    let again = student.submit(stale.form("")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answers_of(&contracts(&app).await[0])["telephone"],
        "06 99 99 99 99"
    );

    // A summary consented to before a change is not signed.
    let first = student.get("/contrat/MATH/page/presentation").await;
    let summary = student.fill(first, plain_answers).await;
    let tab = student.get("/contrat/MATH/page/projet").await;
    student
        .submit(tab.form("").answer(
            "projet_formation",
            &[&format!("{PROJECT} Et la recherche.")],
        ))
        .await;
    let stale = sign(&student, &summary).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.text().contains("n'a pas été signé"),
        "{}",
        stale.text()
    );
    assert!(
        stale.text().contains("Et la recherche."),
        "the summary shows the current answers"
    );
    assert_eq!(count_where(&app, "contracts", "state = 'signed'").await, 0);
    let signed = sign(&student, &stale).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
}
crate::on_both_backends!(
    a_stale_form_is_refused_without_losing_what_was_typed,
    super::a_stale_form_is_refused_without_losing_what_was_typed
);

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let student = launch_student(&app, "27", "1,2").await;
    let overview = student.overview("MATH").await;
    let start = overview.form("/commencer");
    for csrf in [None, Some("forged")] {
        let fields = match csrf {
            Some(c) => start.clone().set("csrf", &[c]).fields,
            None => start.clone().set("csrf", &[]).fields,
        };
        assert_eq!(
            student.post(&start.action, &fields).await.status,
            StatusCode::FORBIDDEN
        );
        let chooser = student
            .post(
                &format!("{}/formation", student.base),
                &[("formation".into(), "MATH".into())],
            )
            .await;
        assert_eq!(chooser.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count("contracts").await, 0);

    let first = student.start("MATH").await;
    let form = first.form("").answer("telephone", &["06 12 34 56 78"]);
    let before = contracts(&app).await[0].clone();
    for csrf in [&[][..], &["forged"][..]] {
        let refused = student.submit(form.clone().set("csrf", csrf)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.text().contains("Formulaire expiré"));
    }
    let summary = student.fill(first, plain_answers).await;
    let sign_form = summary.form("/signer").set("consent", &["oui"]);
    let refused = student
        .post(
            &sign_form.action,
            &sign_form.clone().set("csrf", &["x"]).fields,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(count_where(&app, "contracts", "state = 'signed'").await, 0);
    let _ = before;
}

async fn the_same_page_sent_twice_at_once_is_saved_once(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "28", "1").await;
    let first = student.start("MATH").await;
    let form = first.form("").answer("telephone", &["06 12 34 56 78"]);
    let (r1, r2) = tokio::join!(student.submit(form.clone()), student.submit(form));
    let mut statuses = [r1.status, r2.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(contracts(&app).await[0].revision, 2, "one save");
}
crate::on_both_backends!(
    the_same_page_sent_twice_at_once_is_saved_once,
    super::the_same_page_sent_twice_at_once_is_saved_once
);
