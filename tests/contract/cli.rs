//! `cpre course …`, `cpre questionnaire …` and `cpre demo load`, run as the designer runs them.

use std::path::Path;
use std::process::Output;

use cpre::questionnaire::{Formation, Questionnaire};

use crate::support::db::TestDb;

use crate::support::cli::{stderr, stdout};

fn cpre(db: Option<&TestDb>, args: &[&str]) -> Output {
    // Commands that must not need a database get one that cannot be opened.
    let url = db.map_or("sqlite:///nonexistent/dir/x.sqlite", |db| db.url.as_str());
    crate::support::cli::cpre(url, args)
}

const DEMO: &str = "lti-config/demo/course.yaml";
const SAMPLE: &str = "docs/examples/questionnaire-l1.yaml";
const COURSE: [&str; 6] = [
    "--issuer",
    "http://127.0.0.1:8081",
    "--client-id",
    "P8G71mrVyMbH8G0",
    "--context",
    "2",
];

#[test]
fn the_demo_course_and_the_sample_validate_without_a_database() {
    let out = cpre(None, &["course", "validate", DEMO]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 formation(s)"));
    let out = cpre(
        None,
        &[
            "questionnaire",
            "validate",
            SAMPLE,
            "--formations",
            "docs/examples/formations-demo.yaml",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("cpre-l1"));
}

#[test]
fn the_demo_formations_are_the_documented_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let course = cpre::course::file::read(&root.join(DEMO)).unwrap();
    let documented = Formation::list_from_yaml(
        "formations-demo.yaml",
        &std::fs::read_to_string(root.join("docs/examples/formations-demo.yaml")).unwrap(),
    )
    .unwrap();
    let configured: Vec<Formation> = course
        .formations
        .iter()
        .map(|f| f.formation.clone())
        .collect();
    assert_eq!(configured, documented);
    let groups: Vec<Vec<i64>> = course.formations.iter().map(|f| f.groups.clone()).collect();
    assert_eq!(groups, [[1], [2], [3]]);
}

#[test]
fn a_broken_course_file_is_refused_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE);
    let file = dir.path().join("cours.yaml");
    std::fs::write(
        &file,
        format!(
            r#"schema_version: 1
platform:
  issuer: https://moodle.univ.example
  client_id: abc
course:
  id: 12
academic_year: "2025-2027"
contact:
  email: pas-une-adresse
questionnaires:
  - {}
formations:
  - code: MATH
    titel: L1 Maths
    title: L1 Mathématiques
    groups: [1, 2]
  - code: math
    title: Doublon
    groups: [3]
  - code: PHYS
    title: L1 Physique
    groups: [2]
    lists:
      amenagements:
        - value: x
          label: X
          conditon: "true"
"#,
            sample.display()
        ),
    )
    .unwrap();
    let out = cpre(None, &["course", "validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let shown = file.display().to_string();
    for (line, needle) in [
        (7, "n'est pas une année universitaire"),
        (9, "n'est pas une adresse électronique"),
        (14, "champ inconnu « titel »"),
        (17, "deux formations ont le code « math »"),
        (22, "déjà associé à la formation « MATH »"),
        (27, "champ inconnu « conditon »"),
    ] {
        let prefix = format!("{shown}:{line}:");
        assert!(
            err.lines()
                .any(|l| l.starts_with(&prefix) && l.contains(needle)),
            "expected `{prefix}… {needle}` in:\n{err}"
        );
    }
    assert!(err.contains("vouliez-vous dire « title »"), "{err}");
}

#[test]
fn a_broken_questionnaire_fails_validation_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.yaml");
    std::fs::write(
        &file,
        "schema_version: 1\nkey: test\ntitle: Test\nlanguage: fr\npages:\n  - id: p\n    title: P\n    blocks:\n      - id: a\n        type: short_text\n        label: A\n        condition: \"b == 'x'\"\n",
    )
    .unwrap();
    let out = cpre(None, &["questionnaire", "validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with(&format!("{}:12:", file.display())), "{err}");
}

#[tokio::test]
async fn configure_import_export_and_show_a_course() {
    let db = TestDb::sqlite();
    // Without its platform, a course cannot be configured.
    let out = cpre(Some(&db), &["course", "configure", DEMO]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cpre platform add"),
        "{}",
        stderr(&out)
    );

    let out = cpre(Some(&db), &["demo", "load"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("MATH, PHYS, INFO"),
        "{}",
        stdout(&out)
    );
    // Idempotent.
    let out = cpre(Some(&db), &["course", "configure", DEMO]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("questionnaire cpre-l1 : inchangé (version 1)"),
        "{text}"
    );
    assert!(text.contains("formation MATH : inchangée"), "{text}");

    // A changed questionnaire is a new version; the same one again changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("questionnaire-l1.yaml");
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE)).unwrap();
    std::fs::write(
        &changed,
        sample.replace("title: Assiduité", "title: Assiduité et absences"),
    )
    .unwrap();
    let import = |path: &str| {
        let mut args = vec!["questionnaire", "import", path];
        args.extend(COURSE);
        cpre(Some(&db), &args)
    };
    let out = import(changed.to_str().unwrap());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("version 2 publiée"),
        "{}",
        stdout(&out)
    );
    let out = import(changed.to_str().unwrap());
    assert!(
        stdout(&out).contains("inchangé, identique à la version 2"),
        "{}",
        stdout(&out)
    );

    // A questionnaire the course's formations do not fit is refused, nothing published.
    let misfit = dir.path().join("misfit.yaml");
    std::fs::write(
        &misfit,
        "schema_version: 1\nkey: cpre-l1\ntitle: Autre\nlanguage: fr\nformation_lists:\n  amenagements: {}\nformation_attributes:\n  oui_si:\n    type: number\npages:\n  - id: p\n    title: P\n    blocks:\n      - id: choix\n        type: multiple_choice\n        label: Choix\n        options_from: amenagements\n",
    )
    .unwrap();
    let out = import(misfit.to_str().unwrap());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("formation MATH") && err.contains("statuts"),
        "{err}"
    );
    assert!(err.contains("rien n'a été publié"), "{err}");

    // Export: the latest, a given version, the original text.
    let mut args = vec!["questionnaire", "export", "cpre-l1"];
    args.extend(COURSE);
    let out = cpre(Some(&db), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let latest = Questionnaire::load("x.yaml", &stdout(&out))
        .unwrap()
        .questionnaire;
    assert_eq!(latest.pages()[2].title, "Assiduité et absences");
    let mut args = vec!["questionnaire", "export", "cpre-l1", "--version", "1"];
    args.extend(COURSE);
    let v1 = Questionnaire::load("x.yaml", &stdout(&cpre(Some(&db), &args)))
        .unwrap()
        .questionnaire;
    let original = Questionnaire::load("y.yaml", &sample)
        .unwrap()
        .questionnaire;
    assert_eq!(v1.content_hash(), original.content_hash());
    let mut args = vec![
        "questionnaire",
        "export",
        "cpre-l1",
        "--version",
        "1",
        "--original",
    ];
    args.extend(COURSE);
    assert_eq!(stdout(&cpre(Some(&db), &args)), sample);
    let mut args = vec!["questionnaire", "export", "cpre-l1", "--version", "9"];
    args.extend(COURSE);
    let out = cpre(Some(&db), &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("pas de version 9"));

    // Show.
    let mut args = vec!["course", "show"];
    args.extend(COURSE);
    let out = cpre(Some(&db), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "2025-2026",
        "MATH — L1 Mathématiques ; groupes : 1",
        "cpre-l1 version 2",
        "Étudiants sans formation (0)",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}
