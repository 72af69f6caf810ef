//! The student's flow: start, one page at a time, errors, resume on another device, summary, signature, receipt, print, prefill from last year, questionnaire versions.

use cpre::contract::signing;
use reqwest::StatusCode;

use super::*;
use crate::support::app::TestApp;

async fn a_math_student_fills_signs_and_gets_a_receipt(app: TestApp) {
    configure_demo(&app).await;
    let student = launch_student(&app, "101", "1").await;
    // Home is the contract of the student's formation, not yet started.
    let home = crate::support::text(&student.home);
    assert!(home.contains("L1 Mathématiques"), "{home}");
    assert!(home.contains("Commencer mon contrat"), "{home}");
    assert!(home.contains("2025-2026"));
    assert!(home.contains("Camille Martin101"));

    let first = student.start("MATH").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.h1(), "Votre identité");
    assert!(
        first.title().starts_with("Page 1 sur "),
        "{}",
        first.title()
    );
    // Identity comes from the launch; the contact e-mail is prefilled and editable.
    assert!(first.text().contains("22510101"), "student number shown");
    assert_eq!(
        first.form("").get("q.email_contact"),
        Some("camille@example.com")
    );

    let summary = student.fill(first, plain_answers).await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(
        summary.title().contains("Vérifier et signer"),
        "{}",
        summary.title()
    );
    let text = summary.text();
    assert!(text.contains(PROJECT), "summary shows every answer");
    assert!(text.contains("Modifier"), "edit links");
    assert!(
        summary.has("a[href$=\"/page/projet\"]"),
        "edit link to the page"
    );
    assert!(summary.has("input#consent[name=consent]"));

    // Signing needs the consent box.
    let unticked = summary.form("/signer");
    let refused = student.post(&unticked.action, &unticked.fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("Cochez la case"),
        "{}",
        refused.text()
    );
    assert!(refused.has("#consent[aria-invalid=true]"));
    assert_eq!(count_where(&app, "contracts", "state = 'signed'").await, 0);

    let signed = sign(&student, &summary).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let receipt = student.follow(&signed).await;
    let text = receipt.text();
    assert!(text.contains("Votre contrat est signé"), "{text}");
    assert!(text.contains("CPRE-2025-000001"), "{text}");
    assert!(text.contains("L1 Mathématiques"));
    assert!(text.contains(PROJECT), "read-only answers on the receipt");

    let rows = contracts(&app).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.state.as_str(), "signed");
    assert_eq!(row.number.as_deref(), Some("CPRE-2025-000001"));
    assert_eq!(row.signature_seq, 1);
    let fingerprint = row.fingerprint.clone().unwrap();
    assert_eq!(fingerprint.len(), 64);
    assert!(text.contains(&fingerprint), "fingerprint on the receipt");
    assert_eq!(answers_of(row)["projet_formation"], PROJECT);
    assert!(answers_of(row).get("telephone").is_none());

    // The stored signed content is canonical and matches its fingerprint.
    let content: String = {
        use cpre::store::contracts::signature;
        let id = row.id.clone();
        app.state
            .db
            .run(move |conn| Ok(signature(conn, &id, 1)?.unwrap().content))
            .await
            .unwrap()
    };
    assert!(signing::verify(&content, &fingerprint));
    let parsed = signing::SignedContent::read(&content).unwrap();
    assert_eq!(parsed.formation.code, "MATH");
    assert_eq!(parsed.contract.academic_year, "2025-2026");
    assert_eq!(parsed.identity.student_number, "22510101");
    assert_eq!(parsed.questionnaire.key, "cpre-l1");
    assert_eq!(parsed.questionnaire.version, 1);

    // The gradebook completion was enqueued in the same transaction.
    assert_eq!(
        count_where(
            &app,
            "grade_outbox",
            &format!(
                "contract_id = '{}' AND completed AND state = 'pending'",
                row.id
            )
        )
        .await,
        1
    );

    // Coming back from Moodle (a new launch) shows the receipt.
    let again = student
        .browser
        .launch(
            &app.platform,
            crate::support::platform::LaunchSpec::student()
                .person("101", "Camille", "Martin101", "22510101")
                .groups("1"),
        )
        .await;
    assert!(crate::support::text(&again.page).contains("CPRE-2025-000001"));

    // The printable page.
    let print = student.get(&format!("/contrats/{}/imprimer", row.id)).await;
    assert_eq!(print.status, StatusCode::OK);
    let text = print.text();
    assert!(text.contains("CPRE-2025-000001") && text.contains(&fingerprint));
    assert!(text.contains(PROJECT));
    assert!(
        print.has("[data-print][hidden]"),
        "print button for JS only"
    );
}
crate::on_both_backends!(
    a_math_student_fills_signs_and_gets_a_receipt,
    super::a_math_student_fills_signs_and_gets_a_receipt
);

/// Goes to the `statut` page, declares `statuses`, and returns the page after it.
async fn declare(student: &Student, code: &str, statuses: &[&str]) -> Page {
    let mut page = student.start(code).await;
    loop {
        let form = page.form("");
        let id = Student::page_id(&form.action).unwrap();
        if id == "statut" {
            break;
        }
        let next = student.submit(plain_answers(&id, form)).await;
        assert_eq!(next.status, StatusCode::SEE_OTHER, "{id}: {}", next.text());
        page = student.follow(&next).await;
    }
    // With JavaScript off, the list of statuses appears once « oui » is saved.
    let revealed = student
        .submit(page.form("").answer("a_un_statut", &["oui"]))
        .await;
    assert_eq!(revealed.status, StatusCode::OK, "{}", revealed.text());
    assert!(
        revealed.text().contains("nouvelles questions"),
        "{}",
        revealed.text()
    );
    assert!(revealed.has("fieldset#q-statuts"));
    let next = student
        .submit(revealed.form("").answer("statuts", statuses))
        .await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.text());
    student.follow(&next).await
}

/// Fills pages until the `amenagements` page.
async fn to_amenagements(student: &Student, mut page: Page) -> Page {
    for _ in 0..10 {
        let form = page.form("");
        let id = Student::page_id(&form.action).unwrap();
        if id == "amenagements" {
            return page;
        }
        let form = match id.as_str() {
            "statut_salarie" => form.answer("heures_travail", &["20"]),
            "statut_handicap" => form.answer("suivi_service_handicap", &["oui"]),
            "statut_sportif" => form
                .answer("discipline_sportive", &["Judo"])
                .answer("niveau_sportif", &["universite"]),
            _ => form,
        };
        let next = student.submit(form).await;
        assert_eq!(next.status, StatusCode::SEE_OTHER, "{id}: {}", next.text());
        page = student.follow(&next).await;
    }
    panic!("no amenagements page");
}

async fn each_formation_sees_its_own_amenagements(app: TestApp) {
    configure_demo(&app).await;
    let math = launch_student(&app, "201", "1").await;
    let page = declare(&math, "MATH", &["salarie"]).await;
    let page = to_amenagements(&math, page).await;
    let offered = page.options("amenagements_demandes");
    assert!(
        offered.contains(&"dispense_assiduite_td".to_string()),
        "{offered:?}"
    );
    assert!(offered.contains(&"groupe_td_soir".to_string()));
    assert!(
        !offered.contains(&"tiers_temps".to_string()),
        "handicap only"
    );
    assert!(
        !offered
            .iter()
            .any(|o| o == "dispense_assiduite_tp_hors_securite" || o == "projets_a_distance")
    );

    let phys = launch_student(&app, "202", "2").await;
    let page = declare(&phys, "PHYS", &["salarie"]).await;
    let page = to_amenagements(&phys, page).await;
    let offered = page.options("amenagements_demandes");
    assert!(
        offered.contains(&"dispense_assiduite_tp_hors_securite".to_string()),
        "{offered:?}"
    );
    assert!(
        !offered
            .iter()
            .any(|o| o == "dispense_assiduite_td" || o == "groupe_td_soir")
    );

    let info = launch_student(&app, "203", "3").await;
    let page = declare(&info, "INFO", &["handicap"]).await;
    let page = to_amenagements(&info, page).await;
    let offered = page.options("amenagements_demandes");
    assert!(offered.contains(&"poste_adapte".to_string()), "{offered:?}");
    assert!(offered.contains(&"tiers_temps".to_string()));
    assert!(
        !offered.contains(&"projets_a_distance".to_string()),
        "salariés only"
    );
}
crate::on_both_backends!(
    each_formation_sees_its_own_amenagements,
    super::each_formation_sees_its_own_amenagements
);

#[tokio::test]
async fn each_status_leads_to_its_own_page() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    for (i, (status, page_id, heading)) in [
        ("salarie", "statut_salarie", "Étudiant salarié"),
        (
            "sportif_haut_niveau",
            "statut_sportif",
            "Sportif de haut niveau",
        ),
        (
            "artiste_haut_niveau",
            "statut_artiste",
            "Artiste de haut niveau",
        ),
        ("handicap", "statut_handicap", "Situation de handicap"),
        ("charge_famille", "statut_famille", "Chargé de famille"),
        ("elu_etudiant", "statut_elu", "Élu étudiant"),
    ]
    .into_iter()
    .enumerate()
    {
        let student = launch_student(&app, &format!("3{i:02}"), "1").await;
        let next = declare(&student, "MATH", &[status]).await;
        let form = next.form("");
        assert_eq!(
            Student::page_id(&form.action).as_deref(),
            Some(page_id),
            "{status}"
        );
        assert_eq!(next.h1(), heading);
        // The page after it is the aménagements page: no other status page.
        let filled = match page_id {
            "statut_salarie" => form.answer("heures_travail", &["12"]),
            "statut_sportif" => form
                .answer("discipline_sportive", &["Aviron"])
                .answer("niveau_sportif", &["liste_ministerielle"]),
            "statut_artiste" => form.answer("domaine_artistique", &["Violon"]),
            "statut_handicap" => form.answer("suivi_service_handicap", &["en_cours"]),
            "statut_famille" => form.answer("personnes_a_charge", &["2"]),
            _ => form.answer("instances_elu", &["crous"]),
        };
        let after = student.submit(filled).await;
        assert_eq!(
            after.status,
            StatusCode::SEE_OTHER,
            "{status}: {}",
            after.text()
        );
        assert!(
            after
                .location
                .as_deref()
                .unwrap()
                .ends_with("/page/amenagements"),
            "{status}: {:?}",
            after.location
        );
    }
}

#[tokio::test]
async fn a_student_without_status_skips_every_status_page() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let student = launch_student(&app, "401", "1").await;
    let first = student.start("MATH").await;
    let mut visited = Vec::new();
    let summary = student
        .fill(first, |id, form| {
            visited.push(id.to_owned());
            plain_answers(id, form)
        })
        .await;
    assert_eq!(summary.status, StatusCode::OK);
    assert_eq!(
        visited,
        [
            "identite",
            "presentation",
            "assiduite",
            "controle_connaissances",
            "tutorat_regles",
            "reorientation",
            "statut",
            "accompagnement",
            "projet",
            "engagement"
        ]
    );
    // The summary comes after the 10 pages shown, on the same counter.
    assert!(
        summary
            .text()
            .contains("après les pages : 10 page(s) enregistrée(s) sur 10"),
        "{}",
        summary.text()
    );
}

async fn a_draft_resumes_on_another_device(app: TestApp) {
    configure_demo(&app).await;
    let phone = launch_student(&app, "501", "1").await;
    let mut page = phone.start("MATH").await;
    for _ in 0..3 {
        let form = page.form("");
        let id = Student::page_id(&form.action).unwrap();
        let next = phone.submit(plain_answers(&id, form)).await;
        page = phone.follow(&next).await;
    }
    assert_eq!(page.h1(), "Contrôle des connaissances");

    // One counter: the page and the overview count the same visible pages.
    let total = page
        .text()
        .split("Page 4 sur ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .expect("the page shows its number");

    // Later, from a laptop: a new launch, a new browser.
    let laptop = launch_student(&app, "501", "1").await;
    let home = crate::support::text(&laptop.home);
    assert!(
        home.contains(&format!("3 page(s) enregistrée(s) sur {total}")),
        "{home}"
    );
    assert!(home.contains("Reprendre"));
    let resume = laptop.get("/contrat/MATH/reprendre").await;
    assert_eq!(resume.status, StatusCode::SEE_OTHER);
    assert!(
        resume
            .location
            .as_deref()
            .unwrap()
            .ends_with("/page/controle_connaissances")
    );
    // Earlier pages keep their answers.
    let earlier = laptop.get("/contrat/MATH/page/assiduite").await;
    assert!(earlier.has("input[name=\"q.lu_assiduite\"][checked]"));
}
crate::on_both_backends!(
    a_draft_resumes_on_another_device,
    super::a_draft_resumes_on_another_device
);

#[tokio::test]
async fn previous_and_save_buttons_save_the_page() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let student = launch_student(&app, "601", "1").await;
    let first = student.start("MATH").await;
    let next = student.submit(first.form("")).await;
    let presentation = student.follow(&next).await;
    assert_eq!(presentation.h1(), "Le contrat pédagogique");
    assert!(presentation.text().contains("Page 2 sur"));

    let form = presentation
        .form("")
        .answer("lu_presentation", &["oui"])
        .set("nav", &["previous"]);
    let back = student.post(&form.action, &form.fields).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert!(
        back.location
            .as_deref()
            .unwrap()
            .ends_with("/page/identite")
    );
    assert_eq!(
        answers_of(&contracts(&app).await[0])["lu_presentation"],
        true
    );

    let identity = student.follow(&back).await;
    let form = identity
        .form("")
        .answer("telephone", &["06 12 34 56 78"])
        .set("nav", &["save"]);
    let left = student.post(&form.action, &form.fields).await;
    assert_eq!(left.status, StatusCode::SEE_OTHER);
    let overview = student.follow(&left).await;
    assert!(
        overview.text().contains("Vos réponses sont enregistrées"),
        "{}",
        overview.text()
    );
    assert_eq!(
        answers_of(&contracts(&app).await[0])["telephone"],
        "06 12 34 56 78"
    );
}

#[tokio::test]
async fn refused_answers_are_shown_again_with_an_error_summary() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let student = launch_student(&app, "701", "1").await;
    let first = student.start("MATH").await;
    let revision_before = contracts(&app).await[0].revision;
    let refused = student
        .submit(first.form("").answer("telephone", &["12 34"]))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.title().starts_with("Erreur"), "{}", refused.title());
    // The summary links to the field; the field says why and keeps what was typed.
    assert!(refused.has(".error-summary[role=alert][tabindex=\"-1\"] a[href=\"#q-telephone\"]"));
    assert!(refused.has("input#q-telephone[aria-invalid=true][aria-describedby~=\"q-telephone-error\"][value=\"12 34\"]"));
    assert!(
        refused.text().contains("06 12 34 56 78"),
        "the pattern message shows an example"
    );
    assert_eq!(
        contracts(&app).await[0].revision,
        revision_before,
        "nothing saved"
    );

    // A required question left empty.
    let form = refused.form("").answer("telephone", &[]);
    let ok = student.submit(form).await;
    let presentation = student.follow(&ok).await;
    let refused = student.submit(presentation.form("")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("a[href=\"#q-lu_presentation\"]"));
    assert!(
        refused
            .text()
            .contains("revenir à la page précédente sans enregistrer")
    );
}

#[tokio::test]
async fn an_incomplete_contract_cannot_be_signed() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let student = launch_student(&app, "801", "1").await;
    student.start("MATH").await;
    let summary = student.get("/contrat/MATH/recapitulatif").await;
    assert_eq!(summary.status, StatusCode::OK);
    let text = summary.text();
    assert!(text.contains("Il reste"), "{text}");
    assert!(summary.has("a[href$=\"/page/presentation#q-lu_presentation\"]"));
    assert!(
        !summary.has("form[action$=\"/signer\"]"),
        "no signature form"
    );
    // Forcing the signature anyway.
    let revision = contracts(&app).await[0].revision.to_string();
    let csrf = student
        .get("/contrat/MATH/page/identite")
        .await
        .form("")
        .get("csrf")
        .unwrap()
        .to_owned();
    let forced = student
        .post(
            &format!("{}/contrat/MATH/signer", student.base),
            &[
                ("csrf".into(), csrf),
                ("revision".into(), revision),
                ("consent".into(), "oui".into()),
            ],
        )
        .await;
    assert_eq!(forced.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count_where(&app, "contracts", "state = 'signed'").await, 0);
    assert_eq!(app.count("contract_signatures").await, 0);
    assert_eq!(app.count("grade_outbox").await, 0);
}

async fn next_year_is_prefilled_from_last_year(app: TestApp) {
    configure_demo(&app).await;
    let (_, _) = signed_student(&app, "901", "1", "MATH").await;
    // The next year's course is a new Moodle course (id 3) of the same platform.
    let mut next = demo_course(&app);
    next.context_id = "3".into();
    next.academic_year = "2026-2027".into();
    configure(&app, next).await;
    let browser = app.browser();
    let launched = browser
        .launch(
            &app.platform,
            crate::support::platform::LaunchSpec::student()
                .person("901", "Camille", "Martin901", "22510901")
                .groups("1")
                .claim(
                    "https://purl.imsglobal.org/spec/lti/claim/context",
                    serde_json::json!({"id": "3", "label": "L2", "title": "L2 Contrat"}),
                ),
        )
        .await;
    let student = Student {
        browser,
        base: launched.base,
        home: launched.page,
    };
    let home = crate::support::text(&student.home);
    assert!(home.contains("2026-2027"), "{home}");
    assert!(
        home.contains("seront reprises"),
        "prefill announced: {home}"
    );
    assert!(
        home.contains("Vos autres contrats") && home.contains("CPRE-2025-000001"),
        "{home}"
    );
    let first = student.start("MATH").await;
    let next = student.submit(first.form("")).await;
    let presentation = student.follow(&next).await;
    assert!(
        presentation
            .text()
            .contains("Vous avez déjà signé un contrat l'an dernier"),
        "contrat_precedent"
    );
    let rows = contracts(&app).await;
    let new = rows
        .iter()
        .find(|c| c.academic_year == "2026-2027")
        .unwrap();
    assert_eq!(answers_of(new)["projet_formation"], PROJECT, "carried over");
    assert!(
        answers_of(new).get("lu_presentation").is_none(),
        "acknowledgements are not carried"
    );
    assert_eq!(
        new.previous_contract_id.as_deref(),
        Some(rows[0].id.as_str())
    );
    let projet = student.get("/contrat/MATH/page/projet").await;
    assert_eq!(
        crate::contract::select_text(&projet.html, "textarea#q-projet_formation"),
        PROJECT
    );
}
crate::on_both_backends!(
    next_year_is_prefilled_from_last_year,
    super::next_year_is_prefilled_from_last_year
);

#[tokio::test]
async fn a_draft_keeps_its_questionnaire_version() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let early = launch_student(&app, "1001", "1").await;
    early.start("MATH").await;
    // The designer publishes a new version: the assiduité page gets a new title.
    let mut course = demo_course(&app);
    let source = &mut course.questionnaires[0];
    source.text = source
        .text
        .replace("title: Assiduité", "title: Assiduité et absences");
    source.questionnaire = std::sync::Arc::new(
        cpre::questionnaire::Questionnaire::load("questionnaire-l1.yaml", &source.text)
            .unwrap()
            .questionnaire,
    );
    let applied = configure(&app, course).await;
    assert_eq!(applied.versions[0].0.version, 2);
    assert!(applied.versions[0].1);

    let late = launch_student(&app, "1002", "1").await;
    late.start("MATH").await;
    assert_eq!(
        late.get("/contrat/MATH/page/assiduite").await.h1(),
        "Assiduité et absences"
    );
    assert_eq!(
        early.get("/contrat/MATH/page/assiduite").await.h1(),
        "Assiduité",
        "still version 1"
    );
    // And the early draft can be completed and signed on version 1.
    let first = early.get("/contrat/MATH/page/identite").await;
    let summary = early.fill(first, plain_answers).await;
    let signed = sign(&early, &summary).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let rows = contracts(&app).await;
    let content: String = {
        let id = rows[0].id.clone();
        app.state
            .db
            .run(move |conn| {
                Ok(cpre::store::contracts::signature(conn, &id, 1)?
                    .unwrap()
                    .content)
            })
            .await
            .unwrap()
    };
    assert_eq!(
        signing::SignedContent::read(&content)
            .unwrap()
            .questionnaire
            .version,
        1
    );
    assert_ne!(
        rows[0].questionnaire_version_id,
        rows[1].questionnaire_version_id
    );
}
