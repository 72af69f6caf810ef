//! Each kind of import error, with its line and French message.

use super::*;

const HEAD: &str = "schema_version: 1\nkey: test\ntitle: Test\nlanguage: fr\n";

/// A document with `HEAD`, `extra` top-level fields, then `pages`.
fn doc(extra: &str, pages: &str) -> String {
    format!("{HEAD}{extra}pages:\n{pages}")
}

/// 1-based line of the first line containing `needle` (the `nth` one, 0-based).
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in text"))
}

/// The only error of `yaml` with `code`; asserts its line and that its message contains `words`.
#[track_caller]
fn assert_error(yaml: &str, code: DiagnosticCode, line: usize, words: &str) -> Diagnostic {
    let all = diagnostics(yaml);
    let found: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.code == code && d.is_error())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {code:?} error, got:\n{}",
        diagnostic::format_all(&all)
    );
    let d = found[0].clone();
    assert_eq!(d.line, Some(line), "{d}");
    assert!(d.message.contains(words), "« {words} » not in: {d}");
    assert_eq!(d.file, "test.yaml");
    d
}

const TWO_PAGES: &str = "  - id: p1
    title: Première
    blocks:
      - id: statuts
        type: multiple_choice
        label: Situation
        options:
          - {value: salarie, label: Salarié}
          - {value: sportif, label: Sportif}
      - id: heures
        type: number
        label: Heures
      - id: choix
        type: single_choice
        label: Choix
        options:
          - {value: oui, label: Oui}
          - {value: non, label: Non}
      - id: lu
        type: acknowledgement
        label: Lu
  - id: p2
    title: Seconde
    blocks:
      - id: commentaire
        type: long_text
        label: Commentaire
";

/// The two-page document with `condition` on a new short text question at the end of page 1.
fn with_condition(condition: &str) -> String {
    let pages = TWO_PAGES.replace(
        "  - id: p2\n",
        &format!("      - id: cible\n        type: short_text\n        label: Cible\n        condition: {condition}\n  - id: p2\n"),
    );
    doc("", &pages)
}

#[test]
fn valid_base_document_loads() {
    let q = load_ok(&doc("", TWO_PAGES));
    assert_eq!(q.pages().len(), 2);
    assert!(diagnostics(&doc("", TWO_PAGES)).is_empty());
}

#[test]
fn yaml_syntax_error_has_line_and_column() {
    let yaml =
        doc("", TWO_PAGES).replace("    title: Seconde\n", "    title: Seconde\n   blocks: [\n");
    let d = assert_error(
        &yaml,
        DiagnosticCode::Syntax,
        line_of(&yaml, "   blocks: [", 0),
        "erreur de syntaxe",
    );
    assert!(d.column.is_some());
}

#[test]
fn yaml_duplicate_key_is_a_syntax_error() {
    let yaml = doc("title: Encore\n", TWO_PAGES);
    assert_error(
        &yaml,
        DiagnosticCode::Syntax,
        line_of(&yaml, "title: Encore", 0),
        "deux fois",
    );
}

#[test]
fn json_is_accepted_with_right_lines() {
    let json = r#"{
	"schema_version": 1,
	"key": "json",
	"title": "En JSON",
	"language": "fr",
	"pages": [
		{
			"id": "p1",
			"title": "Une",
			"blocks": [
				{"id": "a", "type": "short_text", "label": "A"},
				{"id": "a", "type": "short_text", "label": "B"}
			]
		}
	]
}
"#;
    let d = assert_error(
        json,
        DiagnosticCode::DuplicateId,
        12,
        "« a » est déjà utilisé",
    );
    assert!(d.column.is_some());
    let fixed = json.replace(
        r#""id": "a", "type": "short_text", "label": "B""#,
        r#""id": "b", "type": "short_text", "label": "B""#,
    );
    assert_eq!(load_ok(&fixed).key(), "json");
}

#[test]
fn json_syntax_error_has_line() {
    let json = "{\n  \"schema_version\": 1,\n  \"key\": \"x\"\n  \"title\": \"T\"\n}\n";
    let all = diagnostics(json);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].code, DiagnosticCode::Syntax);
    assert!(matches!(all[0].line, Some(3 | 4)), "{}", all[0]);
}

#[test]
fn empty_file_is_refused() {
    let all = diagnostics("");
    assert_eq!(all[0].code, DiagnosticCode::Syntax);
    assert!(all[0].message.contains("vide"), "{}", all[0]);
}

#[test]
fn unknown_field_is_a_schema_error_at_its_line() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Heures\n",
            "        label: Heures\n        requird: true\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::Schema,
        line_of(&yaml, "requird", 0),
        "champ inconnu « requird »",
    );
}

#[test]
fn field_of_another_type_is_refused() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Heures\n",
            "        label: Heures\n        max_length: 3\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::Schema,
        line_of(&yaml, "max_length", 0),
        "champ inconnu « max_length »",
    );
}

#[test]
fn missing_required_field_is_reported_on_its_block() {
    let yaml = doc("", &TWO_PAGES.replace("        label: Commentaire\n", ""));
    assert_error(
        &yaml,
        DiagnosticCode::Schema,
        line_of(&yaml, "id: commentaire", 0),
        "« label » manque",
    );
}

#[test]
fn wrong_value_type_is_explained() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Heures\n",
            "        label: Heures\n        min: beaucoup\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::Schema,
        line_of(&yaml, "min: beaucoup", 0),
        "« min » doit être un nombre",
    );
}

#[test]
fn unknown_question_type_lists_the_types() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace("type: long_text", "type: texte_long"),
    );
    assert_error(
        &yaml,
        DiagnosticCode::Schema,
        line_of(&yaml, "texte_long", 0),
        "type inconnu \"texte_long\" ; types possibles : text, short_text",
    );
}

#[test]
fn bad_id_is_explained() {
    let yaml = doc("", &TWO_PAGES.replace("id: heures", "id: Heures-Sup"));
    assert_error(
        &yaml,
        DiagnosticCode::Schema,
        line_of(&yaml, "Heures-Sup", 0),
        "minuscules sans accents",
    );
}

#[test]
fn future_schema_version_is_refused() {
    let yaml = doc("", TWO_PAGES).replace("schema_version: 1", "schema_version: 2");
    assert_error(
        &yaml,
        DiagnosticCode::UnsupportedVersion,
        1,
        "version de format 2 inconnue",
    );
}

#[test]
fn duplicate_page_ids() {
    let yaml = doc("", &TWO_PAGES.replace("id: p2", "id: p1"));
    assert_error(
        &yaml,
        DiagnosticCode::DuplicateId,
        line_of(&yaml, "id: p1", 1),
        "deux pages ont l'identifiant « p1 »",
    );
}

#[test]
fn duplicate_question_ids_across_pages() {
    let yaml = doc("", &TWO_PAGES.replace("id: commentaire", "id: heures"));
    assert_error(
        &yaml,
        DiagnosticCode::DuplicateId,
        line_of(&yaml, "id: heures", 1),
        "« heures » est déjà utilisé (page n° 1)",
    );
}

#[test]
fn duplicate_option_values() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace("{value: non, label: Non}", "{value: oui, label: Non}"),
    );
    assert_error(
        &yaml,
        DiagnosticCode::DuplicateId,
        line_of(&yaml, "{value: oui, label: Non}", 0),
        "la valeur « oui »",
    );
}

#[test]
fn reserved_question_id() {
    let yaml = doc("", &TWO_PAGES.replace("id: commentaire", "id: formation"));
    assert_error(
        &yaml,
        DiagnosticCode::ReservedName,
        line_of(&yaml, "id: formation", 0),
        "mot réservé",
    );
}

#[test]
fn condition_syntax_error_has_column() {
    let yaml = with_condition("\"heures > \"");
    let d = assert_error(
        &yaml,
        DiagnosticCode::ConditionSyntax,
        line_of(&yaml, "condition:", 0),
        "s'arrête trop tôt",
    );
    // `        condition: "heures > "`: the text starts at column 21, the error is at its end.
    assert_eq!(d.column, Some(21 + 9), "{d}");
}

#[test]
fn condition_in_block_scalar_reports_the_right_line() {
    let yaml = with_condition("|\n          heures > 3.0 &&\n          inconnue");
    assert_error(
        &yaml,
        DiagnosticCode::UnknownName,
        line_of(&yaml, "          inconnue", 0),
        "« inconnue »",
    );
}

#[test]
fn unknown_id_in_condition_suggests_a_name() {
    let yaml = with_condition("\"'salarie' in statut\"");
    let d = assert_error(
        &yaml,
        DiagnosticCode::UnknownName,
        line_of(&yaml, "condition:", 0),
        "« statut » n'est ni une question",
    );
    assert!(d.message.contains("vouliez-vous dire « statuts »"), "{d}");
    assert_eq!(d.column, Some(21 + 13), "{d}");
}

#[test]
fn unknown_formation_attribute() {
    let yaml = with_condition("formation.oui_si");
    assert_error(
        &yaml,
        DiagnosticCode::UnknownName,
        line_of(&yaml, "condition:", 0),
        "pas d'attribut « oui_si »",
    );
    let declared = doc("formation_attributes:\n  oui_si:\n    type: boolean\n", TWO_PAGES).replace("  - id: p2\n", "      - id: cible\n        type: short_text\n        label: C\n        condition: formation.oui_si && formation.code == 'MATH'\n  - id: p2\n");
    load_ok(&declared);
}

#[test]
fn reference_to_a_later_page_is_refused() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Heures\n",
            "        label: Heures\n        condition: commentaire != ''\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::LaterReference,
        line_of(&yaml, "condition: commentaire", 0),
        "« commentaire » est posée plus loin (page « p2 »)",
    );
}

#[test]
fn reference_to_a_later_question_of_the_same_page_is_refused() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Heures\n",
            "        label: Heures\n        condition: choix == 'oui'\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::LaterReference,
        line_of(&yaml, "condition: choix", 0),
        "posée plus loin",
    );
}

#[test]
fn reference_to_itself_is_refused() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Heures\n",
            "        label: Heures\n        condition: heures > 1.0\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::LaterReference,
        line_of(&yaml, "condition: heures", 0),
        "« heures » elle-même",
    );
}

#[test]
fn page_condition_on_its_own_questions_is_refused() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "    title: Première\n",
            "    title: Première\n    condition: lu\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::LaterReference,
        line_of(&yaml, "condition: lu", 0),
        "une question de cette même page",
    );
}

#[test]
fn earlier_questions_may_be_used() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "    title: Seconde\n",
            "    title: Seconde\n    condition: \"'sportif' in statuts && lu\"\n",
        ),
    );
    load_ok(&yaml);
    let same_page = with_condition("\"heures >= 10 && choix == 'oui' && size(statuts) >= 2\"");
    load_ok(&same_page);
}

#[test]
fn list_compared_to_text_is_a_type_error() {
    let yaml = with_condition("\"statuts == 'salarie'\"");
    assert_error(
        &yaml,
        DiagnosticCode::TypeMismatch,
        line_of(&yaml, "condition:", 0),
        "écrivez `'salarie' in statuts`",
    );
}

#[test]
fn number_compared_to_text_is_a_type_error() {
    let yaml = with_condition("\"heures > '10'\"");
    assert_error(
        &yaml,
        DiagnosticCode::TypeMismatch,
        line_of(&yaml, "condition:", 0),
        "un nombre s'écrit sans guillemets",
    );
}

#[test]
fn unknown_option_value_is_an_error() {
    let yaml = with_condition("\"choix == 'peut-etre'\"");
    assert_error(
        &yaml,
        DiagnosticCode::UnknownOption,
        line_of(&yaml, "condition:", 0),
        "« choix » n'a pas d'option de valeur 'peut-etre'",
    );
    let yaml = with_condition("\"'salaire' in statuts\"");
    assert_error(
        &yaml,
        DiagnosticCode::UnknownOption,
        line_of(&yaml, "condition:", 0),
        "'salaire'",
    );
}

#[test]
fn condition_must_be_yes_or_no() {
    let yaml = with_condition("heures");
    assert_error(
        &yaml,
        DiagnosticCode::TypeMismatch,
        line_of(&yaml, "condition:", 0),
        "doit valoir vrai ou faux",
    );
}

#[test]
fn box_compared_to_text_is_a_type_error() {
    let yaml = with_condition("\"lu == 'oui'\"");
    assert_error(
        &yaml,
        DiagnosticCode::TypeMismatch,
        line_of(&yaml, "condition:", 0),
        "true ou false",
    );
}

#[test]
fn mixed_arithmetic_is_a_type_error() {
    let yaml = with_condition("\"heures * 2 > 30\"");
    assert_error(
        &yaml,
        DiagnosticCode::TypeMismatch,
        line_of(&yaml, "condition:", 0),
        "écrivez l'entier avec une décimale",
    );
    load_ok(&with_condition("\"heures * 2.0 > 30\""));
}

#[test]
fn null_comparison_suggests_has() {
    let yaml = with_condition("\"heures == null\"");
    assert_error(
        &yaml,
        DiagnosticCode::TypeMismatch,
        line_of(&yaml, "condition:", 0),
        "has(reponses.identifiant)",
    );
    load_ok(&with_condition("\"has(reponses.heures) && heures < 3.0\""));
}

#[test]
fn constant_false_page_is_unreachable() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "    title: Seconde\n",
            "    title: Seconde\n    condition: 1 > 2\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::NeverShown,
        line_of(&yaml, "condition: 1 > 2", 0),
        "toujours fausse",
    );
}

#[test]
fn page_depending_on_a_never_shown_page_is_unreachable() {
    let pages = TWO_PAGES
        .replace(
            "    title: Seconde\n",
            "    title: Seconde\n    condition: \"false\"\n",
        )
        .to_owned()
        + "  - id: p3\n    title: Troisième\n    condition: commentaire != ''\n    blocks:\n      - type: text\n        text: Bonjour\n";
    let yaml = doc("", &pages);
    let all = diagnostics(&yaml);
    let never: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.code == DiagnosticCode::NeverShown)
        .collect();
    assert_eq!(never.len(), 2, "{}", diagnostic::format_all(&all));
    assert_eq!(
        never[1].line,
        Some(line_of(&yaml, "condition: commentaire", 0))
    );
    assert!(
        never[1].message.contains("dépend de « commentaire »"),
        "{}",
        never[1]
    );
}

#[test]
fn constant_false_question_is_a_warning() {
    let yaml = with_condition("\"false\"");
    let loaded = Questionnaire::load("test.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(loaded.warnings[0].code, DiagnosticCode::NeverShown);
    assert_eq!(loaded.warnings[0].severity, Severity::Warning);
}

#[test]
fn undeclared_formation_list() {
    let yaml = doc(
        "formation_lists:\n  amenagements: {}\n",
        &TWO_PAGES.replace(
            "        label: Choix\n",
            "        label: Choix\n        options_from: amenagement\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::UnknownFormationList,
        line_of(&yaml, "options_from", 0),
        "« amenagement » n'est pas déclarée dans `formation_lists` (listes déclarées : amenagements)",
    );
}

#[test]
fn unused_formation_list_is_a_warning() {
    let yaml = doc("formation_lists:\n  amenagements: {}\n", TWO_PAGES);
    let loaded = Questionnaire::load("test.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.warnings[0].code, DiagnosticCode::Unused);
    assert_eq!(
        loaded.warnings[0].line,
        Some(line_of(&yaml, "amenagements: {}", 0))
    );
}

#[test]
fn invalid_regex() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Commentaire\n",
            "        label: Commentaire\n        pattern: \"[0-9\"\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::InvalidPattern,
        line_of(&yaml, "pattern:", 0),
        "l'expression régulière « [0-9 » est invalide",
    );
}

#[test]
fn min_greater_than_max() {
    let cases = [
        (
            "        label: Commentaire\n",
            "        min_length: 10\n        max_length: 5\n",
            "longueur du texte",
        ),
        (
            "        label: Heures\n",
            "        min: 10\n        max: 5\n",
            "valeur du nombre",
        ),
        (
            "        label: Situation\n",
            "        min_selections: 2\n        max_selections: 1\n",
            "nombre de cases",
        ),
    ];
    for (anchor, extra, words) in cases {
        let yaml = doc("", &TWO_PAGES.replace(anchor, &format!("{anchor}{extra}")));
        let first = extra.trim_start().split(':').next().unwrap_or_default();
        assert_error(
            &yaml,
            DiagnosticCode::MinGreaterThanMax,
            line_of(&yaml, first, 0),
            words,
        );
    }
}

#[test]
fn date_bounds() {
    let pages = TWO_PAGES.replace(
        "      - id: commentaire\n",
        "      - id: arrivee\n        type: date\n        label: Arrivée\n        min: \"2026-01-01\"\n        max: \"2025-01-01\"\n      - id: commentaire\n",
    );
    let yaml = doc("", &pages);
    assert_error(
        &yaml,
        DiagnosticCode::MinGreaterThanMax,
        line_of(&yaml, "min: \"2026", 0),
        "dates",
    );
    let bad = doc("", &pages.replace("\"2025-01-01\"", "\"2025-02-30\""));
    assert_error(
        &bad,
        DiagnosticCode::Schema,
        line_of(&bad, "2025-02-30", 0),
        "n'est pas une date valide",
    );
}

#[test]
fn min_selections_above_option_count() {
    let yaml = doc(
        "",
        &TWO_PAGES.replace(
            "        label: Situation\n",
            "        label: Situation\n        min_selections: 3\n",
        ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::MinGreaterThanMax,
        line_of(&yaml, "min_selections", 0),
        "n'a que 2 options",
    );
}

#[test]
fn choice_without_options() {
    let yaml = doc(
        "",
        &TWO_PAGES
            .replace(
                "          - {value: oui, label: Oui}\n          - {value: non, label: Non}\n",
                "",
            )
            .replace("        options:\n  - id: p2", "  - id: p2")
            .replace(
                "        label: Choix\n        options:\n",
                "        label: Choix\n",
            ),
    );
    assert_error(
        &yaml,
        DiagnosticCode::NoOptions,
        line_of(&yaml, "id: choix", 0),
        "aucune option",
    );
}

#[test]
fn academic_year_must_be_two_consecutive_years() {
    let yaml = doc("academic_year: \"2025-2027\"\n", TWO_PAGES);
    assert_error(
        &yaml,
        DiagnosticCode::InvalidValue,
        5,
        "deux années qui se suivent",
    );
}

#[test]
fn all_errors_are_collected() {
    let pages = TWO_PAGES
        .replace("id: commentaire", "id: heures")
        .replace(
            "        label: Commentaire\n",
            "        label: Commentaire\n        pattern: \"(\"\n        condition: inconnue\n",
        )
        .replace(
            "    title: Seconde\n",
            "    title: Seconde\n    condition: \"'x' in statuts\"\n",
        );
    let all = diagnostics(&doc("", &pages));
    let codes: Vec<DiagnosticCode> = all.iter().map(|d| d.code).collect();
    for code in [
        DiagnosticCode::DuplicateId,
        DiagnosticCode::InvalidPattern,
        DiagnosticCode::UnknownName,
        DiagnosticCode::UnknownOption,
    ] {
        assert!(
            codes.contains(&code),
            "{code:?} missing in\n{}",
            diagnostic::format_all(&all)
        );
    }
    // In file order.
    let lines: Vec<usize> = all.iter().filter_map(|d| d.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn diagnostics_display_like_a_compiler() {
    let yaml = with_condition("inconnue");
    let d = assert_error(
        &yaml,
        DiagnosticCode::UnknownName,
        line_of(&yaml, "condition:", 0),
        "inconnue",
    );
    assert!(
        d.to_string()
            .starts_with(&format!("test.yaml:{}:20: erreur : ", d.line.unwrap_or(0))),
        "{d}"
    );
}
