//! The sample L1 questionnaire: it loads cleanly and routes each formation and status.

use serde_json::json;

use super::*;

#[test]
fn sample_loads_without_any_diagnostic() {
    let loaded =
        Questionnaire::load("questionnaire-l1.yaml", SAMPLE).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        loaded.warnings.is_empty(),
        "{}",
        diagnostic::format_all(&loaded.warnings)
    );
    let q = loaded.questionnaire;
    assert_eq!(q.key(), "cpre-l1");
    assert_eq!(q.academic_year(), Some("2025-2026"));
    assert!(
        q.description()
            .is_some_and(|d| d.html().contains("<strong>15 minutes</strong>"))
    );
}

#[test]
fn demo_formations_fit_the_sample() {
    let q = sample();
    for code in ["MATH", "PHYS", "INFO"] {
        let d = q.check_formation(&formation(code));
        assert!(d.is_empty(), "{code}: {}", diagnostic::format_all(&d));
    }
}

#[test]
fn check_formation_finds_bad_item_conditions() {
    let q = sample();
    let mut f = formation("MATH");
    f.attributes
        .insert("oui_si".into(), AttributeValue::Text("oui".into()));
    if let Some(items) = f.lists.get_mut("amenagements") {
        items[0].condition = Some("'salarie' in projet_formation".into());
        items[1].condition = Some("statuts == 'salarie'".into());
    }
    let d = q.check_formation(&f);
    let codes: Vec<DiagnosticCode> = d.iter().map(|d| d.code).collect();
    assert!(
        codes.contains(&DiagnosticCode::LaterReference),
        "{}",
        diagnostic::format_all(&d)
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == DiagnosticCode::TypeMismatch)
            .count(),
        3,
        "{}",
        diagnostic::format_all(&d)
    );
    assert!(
        d.iter()
            .any(|d| d.path == "/lists/amenagements/1/condition")
    );
}

fn submit(
    q: &Questionnaire,
    env: &Environment,
    answers: &Answers,
    page: &str,
    form: &[(&str, &str)],
) -> Answers {
    q.submit_page(env, answers, page, form)
        .unwrap_or_else(|e| panic!("{page}: {e:?}"))
}

const PROJET: &str =
    "Je veux devenir professeure de mathématiques, et cette licence est la première étape.";

/// A MATH student, salaried and with a disability, fills every page through the forms.
fn fill_math(env: &Environment) -> Answers {
    let q = sample();
    let mut a = Answers::new();
    a = submit(
        &q,
        env,
        &a,
        "identite",
        &[("q.telephone", "06 12 34 56 78")],
    );
    for (page, field) in [
        ("presentation", "q.lu_presentation"),
        ("assiduite", "q.lu_assiduite"),
        ("controle_connaissances", "q.lu_controle"),
        ("tutorat_regles", "q.lu_tutorat"),
        ("reorientation", "q.lu_reorientation"),
    ] {
        a = submit(&q, env, &a, page, &[(field, "on")]);
    }
    a = submit(
        &q,
        env,
        &a,
        "statut",
        &[
            ("q.a_un_statut", "oui"),
            ("q.statuts", "salarie"),
            ("q.statuts", "handicap"),
        ],
    );
    a = submit(
        &q,
        env,
        &a,
        "statut_salarie",
        &[
            ("q.heures_travail", "12"),
            ("q.debut_contrat_travail", "01/09/2025"),
        ],
    );
    a = submit(
        &q,
        env,
        &a,
        "statut_handicap",
        &[
            ("q.suivi_service_handicap", "oui"),
            ("q.besoins_specifiques", "Une place près du tableau."),
        ],
    );
    a = submit(
        &q,
        env,
        &a,
        "amenagements",
        &[
            ("q.amenagements_demandes", "tiers_temps"),
            ("q.amenagements_demandes", "dispense_assiduite_td"),
            (
                "q.justification_amenagements",
                "Je travaille le soir et j'ai besoin de temps aux examens.",
            ),
        ],
    );
    a = submit(
        &q,
        env,
        &a,
        "accompagnement",
        &[
            ("q.tutorat", "oui"),
            ("q.creneaux_tutorat", "samedi_matin"),
            ("q.admission_oui_si", "non"),
        ],
    );
    a = submit(
        &q,
        env,
        &a,
        "projet",
        &[
            ("q.projet_formation", PROJET),
            ("q.projet_professionnel", "precise"),
        ],
    );
    submit(
        &q,
        env,
        &a,
        "engagement",
        &[("q.engagement_etudiant", "on")],
    )
}

fn visible_options(flow: &Flow<'_>, page: &str, question: &str) -> Vec<String> {
    flow.page(page)
        .and_then(|p| {
            p.blocks.iter().find_map(|b| match b {
                BlockView::Question(v) if v.id == question => {
                    Some(v.options.iter().map(|o| o.value.to_owned()).collect())
                }
                _ => None,
            })
        })
        .unwrap_or_default()
}

fn visible_questions(flow: &Flow<'_>, page: &str) -> Vec<String> {
    flow.page(page)
        .map(|p| {
            p.blocks
                .iter()
                .filter_map(|b| match b {
                    BlockView::Question(v) => Some(v.id.to_owned()),
                    BlockView::Text { .. } => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn page_ids<'a>(flow: &Flow<'a>) -> Vec<&'a str> {
    flow.pages.iter().map(|p| p.id).collect()
}

#[test]
fn each_formation_sees_its_own_amenagements() {
    let q = sample();
    let a = answers(&[
        ("a_un_statut", json!("oui")),
        ("statuts", json!(["salarie"])),
    ]);
    let expected = [
        (
            "MATH",
            vec![
                "aucun_amenagement",
                "dispense_assiduite_td",
                "groupe_td_soir",
                "etalement_licence",
            ],
        ),
        (
            "PHYS",
            vec!["aucun_amenagement", "dispense_assiduite_tp_hors_securite"],
        ),
        ("INFO", vec!["aucun_amenagement", "projets_a_distance"]),
    ];
    for (code, options) in expected {
        let env = env(code);
        let flow = q.flow(&env, &a);
        assert!(flow.problems.is_empty(), "{:?}", flow.problems);
        assert_eq!(
            visible_options(&flow, "amenagements", "amenagements_demandes"),
            options,
            "{code}"
        );
    }
    let handicap = answers(&[
        ("a_un_statut", json!("oui")),
        ("statuts", json!(["handicap"])),
    ]);
    let env_phys = env("PHYS");
    let flow = q.flow(&env_phys, &handicap);
    assert_eq!(
        visible_options(&flow, "amenagements", "amenagements_demandes"),
        ["aucun_amenagement", "tiers_temps", "binome_tp_fixe"]
    );
}

#[test]
fn each_status_leads_to_its_page() {
    let q = sample();
    let env = env("MATH");
    let pages = [
        ("salarie", "statut_salarie"),
        ("sportif_haut_niveau", "statut_sportif"),
        ("artiste_haut_niveau", "statut_artiste"),
        ("handicap", "statut_handicap"),
        ("charge_famille", "statut_famille"),
        ("elu_etudiant", "statut_elu"),
    ];
    for (status, page) in pages {
        let a = answers(&[("a_un_statut", json!("oui")), ("statuts", json!([status]))]);
        let flow = q.flow(&env, &a);
        let shown: Vec<&str> = page_ids(&flow)
            .into_iter()
            .filter(|p| p.starts_with("statut_"))
            .collect();
        assert_eq!(shown, [page], "{status}");
        assert!(flow.page("amenagements").is_some());
    }
    let none = q.flow(&env, &answers(&[("a_un_statut", json!("non"))]));
    assert!(
        !page_ids(&none)
            .iter()
            .any(|p| p.starts_with("statut_") || *p == "amenagements")
    );
    assert_eq!(visible_questions(&none, "statut"), ["a_un_statut"]);
    assert_eq!(page_ids(&none).len(), 10);
}

#[test]
fn oui_si_depends_on_the_formation() {
    let q = sample();
    let a = answers(&[
        ("tutorat", json!("non")),
        ("admission_oui_si", json!("oui")),
    ]);
    let math_env = env("MATH");
    let math = q.flow(&math_env, &a);
    assert_eq!(
        visible_questions(&math, "accompagnement"),
        ["tutorat", "admission_oui_si", "modules_remediation"]
    );
    assert_eq!(
        visible_options(&math, "accompagnement", "modules_remediation"),
        ["methodologie", "expression_ecrite", "bases_mathematiques"]
    );
    let info_env = env("INFO");
    let info = q.flow(&info_env, &a);
    assert_eq!(visible_questions(&info, "accompagnement"), ["tutorat"]);
    assert!(info.answers.get("admission_oui_si").is_none());
}

#[test]
fn previous_contract_shows_its_text() {
    let q = sample();
    let count_texts = |previous: bool| {
        let env = Environment::new(formation("MATH"), "2025-2026", previous, identity());
        let flow = q.flow(&env, &Answers::new());
        flow.page("presentation")
            .map(|p| {
                p.blocks
                    .iter()
                    .filter(|b| matches!(b, BlockView::Text { .. }))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(count_texts(false), 1);
    assert_eq!(count_texts(true), 2);
}

#[test]
fn identity_comes_from_the_launch() {
    let q = sample();
    let env = env("MATH");
    let a = submit(
        &q,
        &env,
        &Answers::new(),
        "identite",
        &[
            ("q.numero_etudiant", "99999999"),
            ("q.nom_complet", "Quelqu'un d'autre"),
        ],
    );
    assert_eq!(
        a.get("numero_etudiant"),
        Some(&AnswerValue::Text("22512345".into()))
    );
    assert_eq!(
        a.get("nom_complet"),
        Some(&AnswerValue::Text("Camille Martin".into()))
    );
    // The editable e-mail is prefilled from the launch, and the student may change it.
    assert_eq!(
        a.get("email_contact"),
        Some(&AnswerValue::Text("camille.martin@etu.exemple.fr".into()))
    );
    let a = submit(
        &q,
        &env,
        &a,
        "identite",
        &[("q.email_contact", "camille@exemple.org")],
    );
    assert_eq!(
        a.get("email_contact"),
        Some(&AnswerValue::Text("camille@exemple.org".into()))
    );
    let flow = q.flow(&env, &a);
    let Some(BlockView::Question(number)) = flow.page("identite").and_then(|p| p.blocks.get(2))
    else {
        panic!("no student number view");
    };
    assert!(number.read_only);
    assert_eq!(number.input_value, "22512345");
}

#[test]
fn page_errors_are_per_field_and_in_french() {
    let q = sample();
    let env = env("MATH");
    let a = answers(&[
        ("a_un_statut", json!("oui")),
        ("statuts", json!(["salarie"])),
    ]);
    let err = q
        .submit_page(
            &env,
            &a,
            "statut_salarie",
            &[
                ("q.heures_travail", "12,5"),
                ("q.debut_contrat_travail", "32/13/2025"),
                ("q.inconnu", "x"),
            ],
        )
        .unwrap_err();
    let SubmitError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.errors.len(), 2, "{errors:?}");
    let hours = errors.error_for("heures_travail").unwrap();
    assert_eq!(hours.code, FieldErrorCode::NotAnInteger);
    assert_eq!(hours.message, "Saisissez un nombre entier.");
    assert_eq!(hours.field_name, "q.heures_travail");
    let date = errors.error_for("debut_contrat_travail").unwrap();
    assert_eq!(date.code, FieldErrorCode::NotADate);
    assert_eq!(
        errors.submitted_values("debut_contrat_travail"),
        ["32/13/2025"]
    );

    let err = q
        .submit_page(&env, &a, "statut_salarie", &[("q.heures_travail", "40")])
        .unwrap_err();
    let SubmitError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.errors[0].message, "La valeur doit être au plus 35.");

    let err = q
        .submit_page(&env, &a, "identite", &[("q.telephone", "12")])
        .unwrap_err();
    let SubmitError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        errors.errors[0].message,
        "Écrivez un numéro à dix chiffres, par exemple 06 12 34 56 78."
    );

    let err = q
        .submit_page(&env, &a, "projet", &[("q.projet_formation", "Trop court.")])
        .unwrap_err();
    let SubmitError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.errors[0].code, FieldErrorCode::TooShort);
    assert!(
        errors.errors[0]
            .message
            .starts_with("Votre réponse doit contenir au moins 50 caractères"),
        "{}",
        errors.errors[0].message
    );

    let err = q
        .submit_page(&env, &a, "presentation", &[("q.lu_presentation", "")])
        .unwrap_err();
    let SubmitError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.errors[0].code, FieldErrorCode::Required);
    assert_eq!(
        errors.errors[0].message,
        "Cochez la case pour confirmer que vous avez lu cette page."
    );
}

#[test]
fn option_of_another_formation_is_refused_as_tampering() {
    let q = sample();
    let env = env("MATH");
    let a = answers(&[
        ("a_un_statut", json!("oui")),
        ("statuts", json!(["salarie"])),
    ]);
    let err = q
        .submit_page(
            &env,
            &a,
            "amenagements",
            &[("q.amenagements_demandes", "projets_a_distance")],
        )
        .unwrap_err();
    let SubmitError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.errors[0].code, FieldErrorCode::NotOffered);
    // An option of this formation whose condition is false is refused too.
    let err = q
        .submit_page(
            &env,
            &a,
            "amenagements",
            &[("q.amenagements_demandes", "tiers_temps")],
        )
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::Invalid(ref e) if e.errors[0].code == FieldErrorCode::NotOffered),
        "{err:?}"
    );
    let err = q
        .submit_page(&env, &a, "statut", &[("q.a_un_statut", "peut-etre")])
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::Invalid(ref e) if e.errors[0].code == FieldErrorCode::NotOffered),
        "{err:?}"
    );
}

#[test]
fn hidden_and_unknown_pages_are_refused() {
    let q = sample();
    let env = env("MATH");
    let err = q
        .submit_page(
            &env,
            &Answers::new(),
            "statut_salarie",
            &[("q.heures_travail", "3")],
        )
        .unwrap_err();
    assert_eq!(err, SubmitError::HiddenPage("statut_salarie".into()));
    let err = q
        .submit_page::<&str, &str>(&env, &Answers::new(), "nulle_part", &[])
        .unwrap_err();
    assert_eq!(err, SubmitError::UnknownPage("nulle_part".into()));
}

#[test]
fn changing_an_answer_drops_what_became_hidden() {
    let q = sample();
    let env = env("MATH");
    let a = fill_math(&env);
    assert!(a.get("heures_travail").is_some());
    assert!(a.get("amenagements_demandes").is_some());
    let a = submit(&q, &env, &a, "statut", &[("q.a_un_statut", "non")]);
    for gone in [
        "statuts",
        "heures_travail",
        "debut_contrat_travail",
        "besoins_specifiques",
        "amenagements_demandes",
        "justification_amenagements",
        "suivi_service_handicap",
    ] {
        assert!(a.get(gone).is_none(), "{gone} kept");
    }
    // The Saturday slot is offered to salaried students only.
    assert!(a.get("creneaux_tutorat").is_none());
    assert!(a.get("projet_formation").is_some());
    assert!(q.check_complete(&env, &a).is_ok());
}

#[test]
fn a_complete_contract_passes_the_final_check() {
    let q = sample();
    let env = env("MATH");
    let a = fill_math(&env);
    let checked = q
        .check_complete(&env, &a)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(checked, a);
    assert_eq!(a.get("heures_travail"), Some(&AnswerValue::Number(12.0)));
    assert_eq!(
        a.get("debut_contrat_travail"),
        Some(&AnswerValue::Text("2025-09-01".into()))
    );
    assert_eq!(
        a.get("amenagements_demandes"),
        Some(&AnswerValue::List(vec![
            "dispense_assiduite_td".into(),
            "tiers_temps".into()
        ]))
    );
}

#[test]
fn incomplete_contract_lists_its_problems_by_page() {
    let q = sample();
    let env = env("MATH");
    let a = answers(&[
        ("a_un_statut", json!("oui")),
        ("statuts", json!(["charge_famille"])),
        ("lu_assiduite", json!(true)),
    ]);
    let err = q.check_complete(&env, &a).unwrap_err();
    let where_: Vec<(&str, &str)> = err
        .problems
        .iter()
        .map(|p| (p.page_id.as_str(), p.question_id.as_str()))
        .collect();
    assert_eq!(
        where_,
        [
            ("presentation", "lu_presentation"),
            ("controle_connaissances", "lu_controle"),
            ("tutorat_regles", "lu_tutorat"),
            ("reorientation", "lu_reorientation"),
            ("statut_famille", "personnes_a_charge"),
            ("accompagnement", "tutorat"),
            ("accompagnement", "admission_oui_si"),
            ("projet", "projet_formation"),
            ("engagement", "engagement_etudiant"),
        ]
    );
    assert_eq!(err.problems[4].message, "Cette question est obligatoire.");
    assert_eq!(err.problems[8].message, "Cochez la case pour vous engager.");
}

#[test]
fn missing_launch_identity_is_a_problem_for_required_identity() {
    let q = load_ok(
        "schema_version: 1\nkey: t\ntitle: T\nlanguage: fr\npages:\n  - id: p\n    title: P\n    blocks:\n      - {id: num, type: identity, field: student_number, label: Numéro, required: true}\n",
    );
    let env = Environment::new(formation("MATH"), "2025-2026", false, Identity::default());
    let err = q.check_complete(&env, &Answers::new()).unwrap_err();
    assert!(
        err.problems[0]
            .message
            .contains("pas été transmise par Moodle")
    );
}

#[test]
fn carry_over_keeps_only_valid_carry_over_answers() {
    let q = sample();
    let env = env("MATH");
    let last_year = answers(&[
        ("projet_formation", json!(PROJET)),
        ("besoins_specifiques", json!("Une place près du tableau.")),
        ("telephone", json!("06 12 34 56 78")),
        ("lu_assiduite", json!(true)),
    ]);
    let prefill = q.carry_over(&env, &last_year);
    assert_eq!(prefill.len(), 2);
    assert_eq!(
        prefill.get("projet_formation"),
        Some(&AnswerValue::Text(PROJET.into()))
    );
    let too_short = answers(&[
        ("projet_formation", json!("Court.")),
        ("besoins_specifiques", json!(["liste"])),
    ]);
    assert!(q.carry_over(&env, &too_short).is_empty());
}

#[test]
fn summary_shows_answers_for_people() {
    let q = sample();
    let env = env("MATH");
    let a = fill_math(&env);
    let summary = q.summary(&env, &a);
    let find = |id: &str| {
        summary
            .iter()
            .flat_map(|p| p.items.iter())
            .find(|i| i.question_id == id)
            .and_then(|i| i.answer.clone())
    };
    assert_eq!(find("nom_complet").as_deref(), Some("Camille Martin"));
    assert_eq!(
        find("heures_travail").as_deref(),
        Some("12 heures par semaine")
    );
    assert_eq!(find("debut_contrat_travail").as_deref(), Some("01/09/2025"));
    assert_eq!(find("lu_assiduite").as_deref(), Some("Oui"));
    assert_eq!(find("a_un_statut").as_deref(), Some("Oui"));
    assert_eq!(
        find("amenagements_demandes").as_deref(),
        Some(
            "Dispense d'assiduité en travaux dirigés ; Temps majoré (tiers-temps) aux épreuves écrites"
        )
    );
    assert_eq!(find("employeur"), None);
    assert!(summary.iter().all(|p| p.page_id != "statut_sportif"));
    assert_eq!(
        q.display_answer(None, "heures_travail", &AnswerValue::Number(7.5)),
        "7,5 heures par semaine"
    );
    assert_eq!(
        q.display_answer(
            None,
            "amenagements_demandes",
            &AnswerValue::List(vec!["tiers_temps".into()])
        ),
        "tiers_temps"
    );
}

#[test]
fn flow_navigation_and_views() {
    let q = sample();
    let env = env("MATH");
    let flow = q.flow(&env, &Answers::new());
    assert_eq!(flow.first_page().map(|p| p.id), Some("identite"));
    assert_eq!(
        flow.next_page("reorientation").map(|p| p.id),
        Some("statut")
    );
    assert_eq!(
        flow.next_page("statut").map(|p| p.id),
        Some("accompagnement")
    );
    assert_eq!(
        flow.previous_page("accompagnement").map(|p| p.id),
        Some("statut")
    );
    assert!(flow.next_page("engagement").is_none());
    let page = flow.page("engagement").unwrap();
    let Some(BlockView::Question(e)) = page.blocks.get(1) else {
        panic!()
    };
    assert!(e.required && !e.checked);
    assert!(e.statement_html.is_some_and(|h| h.contains("<li>")));
    let json = serde_json::to_value(page).unwrap();
    assert_eq!(json["blocks"][1]["type"], "engagement");
    assert_eq!(json["blocks"][1]["field_name"], "q.engagement_etudiant");
    assert_eq!(json["blocks"][0]["block"], "text");
}

#[test]
fn export_round_trips_with_the_same_hash() {
    let q = sample();
    let yaml = q.to_yaml().unwrap();
    let again = load_ok(&yaml);
    assert_eq!(again.content_hash(), q.content_hash());
    assert_eq!(q.content_hash().len(), 64);
    // JSON of the same content has the same hash.
    let json = q.to_canonical_json().unwrap();
    assert_eq!(load_ok(&json).content_hash(), q.content_hash());
    // Any change of content changes it.
    let changed = load_ok(&SAMPLE.replace("Votre identité", "Identité"));
    assert_ne!(changed.content_hash(), q.content_hash());
}

#[test]
fn questionnaire_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Questionnaire>();
    assert_send_sync::<Environment>();
}

#[test]
fn required_choice_with_nothing_offered_does_not_block() {
    let q = load_ok(
        "schema_version: 1\nkey: t\ntitle: T\nlanguage: fr\nformation_lists:\n  options_locales: {}\npages:\n  - id: p\n    title: P\n    blocks:\n      - {id: choix, type: multiple_choice, label: Choix, required: true, options_from: options_locales}\n",
    );
    let env = env("MATH");
    assert!(q.check_complete(&env, &Answers::new()).is_ok());
    let flow = q.flow(&env, &Answers::new());
    assert!(flow.problems.is_empty());
}

#[test]
fn formation_item_conditions_may_use_has() {
    let q = sample();
    let mut f = formation("INFO");
    if let Some(items) = f.lists.get_mut("amenagements") {
        items[0].condition = Some("has(reponses.statuts)".into());
    }
    let env = Environment::new(f, "2025-2026", false, identity());
    let a = answers(&[
        ("a_un_statut", json!("oui")),
        ("statuts", json!(["elu_etudiant"])),
    ]);
    let flow = q.flow(&env, &a);
    assert!(flow.problems.is_empty(), "{:?}", flow.problems);
    assert_eq!(
        visible_options(&flow, "amenagements", "amenagements_demandes"),
        [
            "aucun_amenagement",
            "projets_a_distance",
            "dispense_assiduite_cm"
        ]
    );
}
