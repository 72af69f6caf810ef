//! Questionnaires: an invalid file imported then fixed and published, live checking, the form editor (a label and a condition), export.

use reqwest::StatusCode;

use super::{SAMPLE, Staff, audit, designer, follow_ok, get, post, post_form};
use crate::contract::{configure_demo, launch_student};
use crate::support::app::TestApp;

/// Uploads `text` as a file (multipart/form-data, as a browser sends it).
async fn upload(app: &TestApp, d: &Staff, file_name: &str, text: &str) -> crate::contract::Page {
    let csrf = app.session_csrf(&d.base).await;
    let boundary = "----cpreTestBoundary7MA4YWxkTrZu0gW";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/x-yaml\r\n\r\n{text}\r\n--{boundary}--\r\n"
    );
    let r = d
        .browser
        .client
        .post(
            d.browser
                .url(&format!("{}/config/questionnaires/importer", d.base)),
        )
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    crate::contract::Page {
        status,
        html: r.text().await.unwrap(),
        location,
    }
}

async fn an_invalid_file_then_a_valid_one(app: TestApp) {
    configure_demo(&app).await;
    let d = designer(&app).await;
    let invalid = SAMPLE.replace("    title: Votre identité", "    titre: Votre identité");
    let imported = upload(&app, &d, "questionnaire-l1.yaml", &invalid).await;
    assert_eq!(
        imported.status,
        StatusCode::SEE_OTHER,
        "{}",
        imported.text()
    );
    let editor = follow_ok(&d, &imported).await;
    let text = editor.text();
    assert!(text.contains("erreur(s) à corriger"), "{text}");
    assert!(text.contains("champ inconnu « titre »"), "{text}");
    let line = invalid
        .lines()
        .position(|l| l.contains("titre: Votre identité"))
        .unwrap()
        + 1;
    assert!(
        text.contains(&format!("ligne {line}, colonne")),
        "line {line}: {text}"
    );
    let draft_path = imported.location.clone().unwrap();
    let draft_path = draft_path.split('?').next().unwrap().to_owned();
    assert!(
        editor
            .form(&draft_path)
            .get("text")
            .unwrap()
            .contains("titre: Votre identité"),
        "the text is kept"
    );

    // The live check answers in JSON, without writing.
    let audit_before = app.count("audit_log").await;
    let live = post(&app, &d, "/questionnaires/verifier", &[("text", &invalid)]).await;
    assert_eq!(live.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&live.html).unwrap();
    assert!(json["errors"].as_u64().unwrap() >= 1);
    assert!(
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["line"] == line && d["message"].as_str().unwrap().contains("titre")),
        "{json}"
    );
    assert_eq!(app.count("audit_log").await, audit_before);

    // Publishing it is refused; the draft keeps the text.
    let refused = post_form(&d, &editor, &draft_path, &[("action", &["publish"])]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("Publication refusée"),
        "{}",
        refused.text()
    );
    assert_eq!(app.count("questionnaire_versions").await, 1);

    // Fixed in the editor (and changed a little), then published: version 2.
    let fixed = SAMPLE.replace(
        "    title: Assiduité\n",
        "    title: Assiduité et absences\n",
    );
    let published = post_form(
        &d,
        &refused,
        &draft_path,
        &[("text", &[&fixed]), ("action", &["publish"])],
    )
    .await;
    let list = follow_ok(&d, &published).await;
    assert!(
        list.text()
            .contains("nouvelle version du questionnaire est publiée"),
        "{}",
        list.text()
    );
    assert_eq!(app.count("questionnaire_versions").await, 2);
    assert_eq!(
        app.count("questionnaire_drafts").await,
        0,
        "the draft is gone once published"
    );
    let entries = audit(&app, "config.publish").await;
    assert_eq!(entries[0]["version"], 2);

    let student = launch_student(&app, "121", "1").await;
    student.start("MATH").await;
    assert_eq!(
        student.get("/contrat/MATH/page/assiduite").await.h1(),
        "Assiduité et absences"
    );

    // Export: the published version as imported.
    let v2 = list
        .html
        .split("/versions/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let file = get(&d, &format!("/questionnaires/versions/{v2}/fichier")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.html.contains("title: Assiduité et absences") && file.html.starts_with("# Contrat")
    );
}
crate::on_both_backends!(
    an_invalid_file_then_a_valid_one,
    super::an_invalid_file_then_a_valid_one
);

#[tokio::test]
async fn an_empty_import_and_a_binary_file_are_explained() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let d = designer(&app).await;
    let list = get(&d, "/questionnaires").await;
    let empty = post_form(&d, &list, "/questionnaires/coller", &[("text", &["  "])]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().contains("collez le texte du questionnaire"));
    let none = upload(&app, &d, "", "").await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text().contains("choisissez un fichier"));
    assert_eq!(app.count("questionnaire_drafts").await, 0);
}

#[tokio::test]
async fn the_form_editor_changes_a_label_and_a_condition() {
    let app = crate::support::app::spawn(crate::support::db::Backend::Sqlite)
        .await
        .unwrap();
    configure_demo(&app).await;
    let d = designer(&app).await;
    let list = get(&d, "/questionnaires").await;
    let drafted = post_form(&d, &list, "/brouillon", &[]).await;
    let editor = follow_ok(&d, &drafted).await;
    let draft_path = drafted.location.clone().unwrap();
    // The « Votre situation » page (index 6 of the sample).
    let page = d.get(&format!("{draft_path}/formulaire?page=6")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(
        page.form("/formulaire").get("title"),
        Some("Votre situation")
    );
    assert_eq!(
        page.form("/formulaire").get("blocks/2/condition"),
        Some("a_un_statut == 'oui'")
    );
    let refused = post_form(
        &d,
        &page,
        "/formulaire",
        &[
            (
                "blocks/1/label",
                &["Avez-vous une situation particulière ?"],
            ),
            ("blocks/2/condition", &["a_un_statu == 'oui'"]),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("vouliez-vous dire « a_un_statut »"),
        "{}",
        refused.text()
    );
    assert!(refused.has("#f-blocks-2-condition[aria-invalid=true]"));
    let form = refused.form("/formulaire");
    assert_eq!(
        form.get("blocks/1/label"),
        Some("Avez-vous une situation particulière ?")
    );
    assert_eq!(form.get("blocks/2/condition"), Some("a_un_statu == 'oui'"));

    let saved = post_form(
        &d,
        &refused,
        "/formulaire",
        &[(
            "blocks/2/condition",
            &["a_un_statut == 'oui' && annee >= 2025"],
        )],
    )
    .await;
    let page = follow_ok(&d, &saved).await;
    assert!(page.text().contains("Le brouillon est enregistré"));
    let editor_again = d.get(&draft_path).await;
    let text = editor_again
        .form(&draft_path)
        .get("text")
        .unwrap()
        .to_owned();
    assert!(
        text.contains("Avez-vous une situation particulière ?"),
        "{text}"
    );
    assert!(text.contains("a_un_statut == 'oui' && annee >= 2025"));
    assert_ne!(editor.form(&draft_path).get("text").unwrap(), text);

    let published = post_form(&d, &editor_again, &draft_path, &[("action", &["publish"])]).await;
    follow_ok(&d, &published).await;
    let student = launch_student(&app, "131", "1").await;
    student.start("MATH").await;
    let statut = student.get("/contrat/MATH/page/statut").await;
    assert!(
        statut
            .text()
            .contains("Avez-vous une situation particulière ?"),
        "{}",
        statut.text()
    );
}
