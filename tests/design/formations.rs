//! Formations and groups: a first configuration from nothing, create / rename / archive / restore, group mapping with its conflicts, formation data checked with the engine.

use reqwest::StatusCode;

use super::{SAMPLE, audit, designer, follow_ok, formation, get, post_form};
use crate::contract::{configure_demo, launch_student};
use crate::support::app::TestApp;

async fn first_configuration_from_scratch(app: TestApp) {
    let d = designer(&app).await;
    let home = get(&d, "/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.text());
    assert!(home.text().contains("À faire"), "{}", home.text());

    // The course: a bad address comes back with what was typed.
    let refused = post_form(
        &d,
        &home,
        "/config/cours",
        &[
            ("academic_year", &["2025-2026"]),
            ("contact.name", &["Scolarité L1"]),
            ("contact.email", &["scolarite-at-univ"]),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("n'est pas une adresse électronique"),
        "{}",
        refused.text()
    );
    assert_eq!(
        refused.form("/config/cours").get("contact.name"),
        Some("Scolarité L1")
    );
    assert_eq!(
        refused.form("/config/cours").get("academic_year"),
        Some("2025-2026")
    );
    let saved = post_form(
        &d,
        &refused,
        "/config/cours",
        &[("contact.email", &["scolarite@univ.fr"])],
    )
    .await;
    let home = follow_ok(&d, &saved).await;
    assert!(
        home.text().contains("Année universitaire 2025-2026"),
        "{}",
        home.text()
    );

    // The questionnaire, pasted, then published.
    let list = get(&d, "/questionnaires").await;
    let created = post_form(
        &d,
        &list,
        "/questionnaires/coller",
        &[
            ("text", &[SAMPLE]),
            ("file_name", &["questionnaire-l1.yaml"]),
        ],
    )
    .await;
    let editor = follow_ok(&d, &created).await;
    assert!(
        editor.text().contains("Le questionnaire est valide"),
        "{}",
        editor.text()
    );
    let draft_path = created.location.clone().unwrap();
    let draft_path = draft_path.split('?').next().unwrap();
    let published = post_form(&d, &editor, draft_path, &[("action", &["publish"])]).await;
    let list = follow_ok(&d, &published).await;
    assert!(
        list.text()
            .contains("nouvelle version du questionnaire est publiée"),
        "{}",
        list.text()
    );
    assert_eq!(app.count("questionnaire_versions").await, 1);
    assert_eq!(app.count("questionnaire_drafts").await, 0);

    // A formation with that questionnaire, and its Moodle group typed by id.
    let formations = get(&d, "/formations").await;
    let created = post_form(
        &d,
        &formations,
        "/config/formations",
        &[
            ("code", &["MATH"]),
            ("title", &["L1 Mathématiques"]),
            ("questionnaire", &["cpre-l1"]),
        ],
    )
    .await;
    let page = follow_ok(&d, &created).await;
    assert!(page.h1().contains("MATH"), "{}", page.text());
    let mapped = post_form(&d, &page, "/groupes", &[("extra_groups", &["1"])]).await;
    let page = follow_ok(&d, &mapped).await;
    assert!(
        page.text()
            .contains("L'association des groupes Moodle est enregistrée")
    );

    // A student of group 1 now opens the MATH contract.
    let student = launch_student(&app, "101", "1").await;
    let home = crate::support::text(&student.home);
    assert!(
        home.contains("L1 Mathématiques") && home.contains("Commencer mon contrat"),
        "{home}"
    );

    for action in [
        "config.course",
        "config.draft",
        "config.publish",
        "config.formation",
        "config.groups",
    ] {
        assert!(
            !audit(&app, action).await.is_empty(),
            "no audit entry {action}"
        );
    }
    let home = get(&d, "/").await;
    assert!(
        !home.text().contains("À faire"),
        "every step done: {}",
        home.text()
    );
}
crate::on_both_backends!(
    first_configuration_from_scratch,
    super::first_configuration_from_scratch
);

async fn formations_are_created_renamed_archived_and_mapped(app: TestApp) {
    configure_demo(&app).await;
    let d = designer(&app).await;
    let list = get(&d, "/formations").await;
    for code in ["MATH", "PHYS", "INFO"] {
        assert!(list.text().contains(code));
    }
    // A code already used (in another case) is refused; what was typed stays.
    let refused = post_form(
        &d,
        &list,
        "/config/formations",
        &[("code", &["math"]), ("title", &["Maths bis"])],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("a déjà le code MATH"),
        "{}",
        refused.text()
    );
    assert_eq!(
        refused.form("/config/formations").get("title"),
        Some("Maths bis")
    );
    let bad = post_form(
        &d,
        &list,
        "/config/formations",
        &[("code", &["L1 ÉCO"]), ("title", &[""])],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text().contains("ne convient pas comme code")
            && bad.text().contains("l'intitulé ne peut pas être vide")
    );
    assert_eq!(app.count("formations").await, 3);

    // Rename PHYS: its students see the new title.
    let phys = formation(&app, "PHYS").await;
    let page = get(&d, &format!("/formations/{}", phys.id)).await;
    let renamed = post_form(
        &d,
        &page,
        &format!("/formations/{}", phys.id),
        &[("title", &["L1 Physique-Chimie"])],
    )
    .await;
    follow_ok(&d, &renamed).await;
    let s = launch_student(&app, "111", "2").await;
    assert!(s.home.contains("L1 Physique-Chimie"));

    // Group 2 is PHYS's: adding it to MATH is refused with a message naming PHYS.
    let math = formation(&app, "MATH").await;
    let page = get(&d, &format!("/formations/{}", math.id)).await;
    let conflict = post_form(&d, &page, "/groupes", &[("group", &["1", "2"])]).await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        conflict
            .text()
            .contains("appartient déjà à la formation PHYS"),
        "{}",
        conflict.text()
    );
    assert!(
        conflict.has("input#f-groups-2[checked][aria-invalid=true]"),
        "what was ticked stays"
    );
    let s = launch_student(&app, "112", "2").await;
    assert!(s.home.contains("L1 Physique-Chimie"), "nothing changed");

    // The groups page: group 3 goes to MATH.
    let groups = get(&d, "/groupes").await;
    assert!(groups.text().contains("identifiant") || groups.text().contains("Groupe n°"));
    let saved = post_form(&d, &groups, "/config/groupes", &[("g.3", &[&math.id])]).await;
    follow_ok(&d, &saved).await;
    let s = launch_student(&app, "113", "3").await;
    assert!(s.home.contains("L1 Mathématiques"), "{}", s.home);

    // Archive PHYS: nobody is routed there; restore it: its students come back.
    let page = get(&d, &format!("/formations/{}", phys.id)).await;
    let archived = post_form(&d, &page, "/archiver", &[]).await;
    let page = follow_ok(&d, &archived).await;
    assert!(page.text().contains("Formation archivée"));
    let s = launch_student(&app, "114", "2").await;
    assert!(crate::support::text(&s.home).contains("Votre formation n'a pas été reconnue"));
    assert_eq!(app.count("formations").await, 3, "archived, never deleted");
    let restored = post_form(&d, &page, "/reactiver", &[]).await;
    follow_ok(&d, &restored).await;
    let s = launch_student(&app, "115", "2").await;
    assert!(s.home.contains("L1 Physique-Chimie"));

    let changes: Vec<String> = audit(&app, "config.formation")
        .await
        .iter()
        .map(|d| d["change"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(changes, ["settings", "archive", "restore"]);
    assert_eq!(
        audit(&app, "config.groups").await.len(),
        1,
        "the refused mapping wrote nothing"
    );
}
crate::on_both_backends!(
    formations_are_created_renamed_archived_and_mapped,
    super::formations_are_created_renamed_archived_and_mapped
);

async fn amenagements_with_a_bad_condition_then_fixed(app: TestApp) {
    configure_demo(&app).await;
    let d = designer(&app).await;
    let math = formation(&app, "MATH").await;
    let page = get(&d, &format!("/formations/{}/donnees", math.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(
        page.form("/donnees").get("list.amenagements.0.value"),
        Some("dispense_assiduite_td")
    );
    let refused = post_form(
        &d,
        &page,
        "/donnees",
        &[
            ("list.amenagements.0.condition", &["'salarie' in statut"]),
            ("list.amenagements.5.value", &["tutorat_renforce"]),
            ("list.amenagements.5.label", &["Tutorat renforcé"]),
            ("ref.name", &["Mme Claire Dubois"]),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(text.contains("vouliez-vous dire « statuts »"), "{text}");
    assert!(refused.has("#f-lists-amenagements-0-condition[aria-invalid=true]"));
    assert!(
        refused.has("a[href=\"#f-lists-amenagements-0-condition\"]"),
        "error summary links to the field"
    );
    let form = refused.form("/donnees");
    assert_eq!(
        form.get("list.amenagements.0.condition"),
        Some("'salarie' in statut")
    );
    assert_eq!(
        form.get("list.amenagements.5.label"),
        Some("Tutorat renforcé")
    );
    assert_eq!(
        formation(&app, "MATH").await.data,
        math.data,
        "nothing saved"
    );

    let saved = post_form(
        &d,
        &refused,
        "/donnees",
        &[("list.amenagements.0.condition", &["'salarie' in statuts"])],
    )
    .await;
    let page = follow_ok(&d, &saved).await;
    assert!(page.text().contains("Les modifications sont enregistrées"));
    let data: serde_json::Value =
        serde_json::from_str(&formation(&app, "MATH").await.data).unwrap();
    let items = data["lists"]["amenagements"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    assert_eq!(items[0]["condition"], "'salarie' in statuts");
    assert_eq!(items[5]["value"], "tutorat_renforce");
    assert_eq!(
        page.form("/donnees").get("list.amenagements.5.label"),
        Some("Tutorat renforcé")
    );
    let entries = audit(&app, "config.formation").await;
    assert_eq!(entries.last().unwrap()["change"], "data");
}
crate::on_both_backends!(
    amenagements_with_a_bad_condition_then_fixed,
    super::amenagements_with_a_bad_condition_then_fixed
);
