//! The preview walks the branching page by page as a student of a formation, and writes nothing.

use reqwest::StatusCode;

use super::{Staff, designer, formation, get};
use crate::contract::{Form, PROJECT, Page, configure_demo};
use crate::support::app::TestApp;

/// Walks the preview from `first`, answering with `answer` (page id, form); returns the page
/// ids seen and the summary.
async fn walk(d: &Staff, first: Page, answer: impl Fn(&str, Form) -> Form) -> (Vec<String>, Page) {
    let mut seen = Vec::new();
    let mut current = first;
    for _ in 0..30 {
        assert!(
            current.text().contains("Aperçu — rien n'est enregistré"),
            "{}",
            current.text()
        );
        if current.h1() == "Récapitulatif" {
            return (seen, current);
        }
        let form = current.form("/config/apercu");
        let id = form.get("page").unwrap().to_owned();
        seen.push(id.clone());
        let form = answer(&id, form).set("nav", &["next"]);
        current = d.post(&form.action, &form.fields).await;
        assert_eq!(
            current.status,
            StatusCode::OK,
            "page {id}: {}",
            current.text()
        );
    }
    panic!("the preview did not end");
}

fn answers(status: &'static [&'static str]) -> impl Fn(&str, Form) -> Form {
    move |page, form| match page {
        "presentation" => form.answer("lu_presentation", &["oui"]),
        "assiduite" => form.answer("lu_assiduite", &["oui"]),
        "controle_connaissances" => form.answer("lu_controle", &["oui"]),
        "tutorat_regles" => form.answer("lu_tutorat", &["oui"]),
        "reorientation" => form.answer("lu_reorientation", &["oui"]),
        "statut" if status.is_empty() => form.answer("a_un_statut", &["non"]),
        "statut" => form
            .answer("a_un_statut", &["oui"])
            .answer("statuts", status),
        "statut_salarie" => form.answer("heures_travail", &["12"]),
        "accompagnement" => form
            .answer("tutorat", &["non"])
            .answer("admission_oui_si", &["non"]),
        "projet" => form.answer("projet_formation", &[PROJECT]),
        "engagement" => form.answer("engagement_etudiant", &["oui"]),
        _ => form,
    }
}

async fn the_preview_walks_two_branches_and_records_nothing(app: TestApp) {
    configure_demo(&app).await;
    let d = designer(&app).await;
    let chooser = get(&d, "/apercu").await;
    assert_eq!(chooser.status, StatusCode::OK);
    let source = chooser
        .html
        .split("value=\"version:")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let math = formation(&app, "MATH").await;
    let audit_before = app.count("audit_log").await;
    let start = format!("/apercu?source=version:{source}&formation={}", math.id);

    let first = get(&d, &start).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.h1(), "Votre identité");
    // A refused page comes back with its message, as for a student.
    let mut statut_page = first;
    for _ in 0..6 {
        let form = statut_page.form("/config/apercu");
        let id = form.get("page").unwrap().to_owned();
        if id == "statut" {
            break;
        }
        let form = answers(&[])(&id, form).set("nav", &["next"]);
        statut_page = d.post(&form.action, &form.fields).await;
    }
    let refused = d
        .post(
            &statut_page
                .form("/config/apercu")
                .set("nav", &["next"])
                .action,
            &statut_page
                .form("/config/apercu")
                .set("nav", &["next"])
                .fields,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("#error-summary"));

    let (salarie, summary) = walk(&d, get(&d, &start).await, answers(&["salarie"])).await;
    assert!(
        salarie.contains(&"statut_salarie".to_owned())
            && salarie.contains(&"amenagements".to_owned()),
        "{salarie:?}"
    );
    assert!(
        summary
            .text()
            .contains("Toutes les réponses obligatoires sont données"),
        "{}",
        summary.text()
    );
    let (plain, _) = walk(&d, get(&d, &start).await, answers(&[])).await;
    assert!(
        !plain.contains(&"statut_salarie".to_owned())
            && !plain.contains(&"amenagements".to_owned()),
        "{plain:?}"
    );
    assert!(plain.contains(&"accompagnement".to_owned()));

    assert_eq!(app.count("contracts").await, 0);
    assert_eq!(app.count("questionnaire_drafts").await, 0);
    assert_eq!(
        app.count("audit_log").await,
        audit_before,
        "a preview writes nothing"
    );
}
crate::on_both_backends!(
    the_preview_walks_two_branches_and_records_nothing,
    super::the_preview_walks_two_branches_and_records_nothing
);
