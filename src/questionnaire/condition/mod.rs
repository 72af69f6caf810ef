//! The condition language: CEL expressions parsed by the `cel` crate, type-checked here, evaluated at run time.
//!
//! A condition is a CEL expression that must be true for a page, block, question or option to
//! be shown. The names it can use are listed in [`names`]; the checker ([`check`]) knows the
//! type of every question's answer, and refuses unknown names, questions that come later, and
//! comparisons that could never be true. See `docs/questionnaire.md` for the designer's guide.

pub(crate) mod check;
pub(crate) mod eval;
pub(crate) mod types;

use std::sync::{Arc, LazyLock};

use cel::{Context, Env, Program, Value};

use self::check::Checker;
use self::types::{Catalog, Site};
use super::diagnostic::DiagnosticCode;

/// The variable names of the condition language (besides question ids).
pub mod names {
    /// `formation`: the student's formation, with `.code`, `.intitule` and declared attributes.
    pub const FORMATION: &str = "formation";
    /// `formation.code`, e.g. `"MATH"`.
    pub const FORMATION_CODE: &str = "code";
    /// `formation.intitule`, e.g. `"L1 Mathématiques"`.
    pub const FORMATION_TITLE: &str = "intitule";
    /// `reponses`: the answered questions, for `has(reponses.<id>)`.
    pub const ANSWERS: &str = "reponses";
    /// `annee_universitaire`: the contract's academic year, e.g. `"2025-2026"`.
    pub const ACADEMIC_YEAR: &str = "annee_universitaire";
    /// `annee`: the first calendar year of the academic year, e.g. `2025`.
    pub const YEAR: &str = "annee";
    /// `contrat_precedent`: whether the student has a contract from a previous year.
    pub const PREVIOUS_CONTRACT: &str = "contrat_precedent";

    /// Every variable that is not a question id.
    pub const ALL_VARIABLES: &[&str] =
        &[FORMATION, ANSWERS, ACADEMIC_YEAR, YEAR, PREVIOUS_CONTRACT];

    /// Words a question id cannot be: the variables above and CEL's reserved words.
    pub const RESERVED: &[&str] = &[
        FORMATION,
        ANSWERS,
        ACADEMIC_YEAR,
        YEAR,
        PREVIOUS_CONTRACT,
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
        "has",
        "size",
        "int",
        "double",
        "string",
        "dyn",
        "type",
    ];
}

/// The CEL environment: standard library and macros, without the optional-value syntax.
static ENV: LazyLock<Arc<Env>> =
    LazyLock::new(|| Arc::new(Env::stdlib().with_optional_support(false)));

/// A new evaluation context with the standard functions and no variables.
pub(crate) fn new_context() -> Context<'static, 'static> {
    Context::with_env(Arc::clone(&ENV))
}

/// A condition that parsed and type-checked, ready to evaluate.
#[derive(Debug)]
pub(crate) struct Compiled {
    program: Program,
    /// Indices of the questions it reads, in increasing order.
    pub refs: Vec<usize>,
    /// Whether it reads the `reponses` map.
    pub uses_answers_map: bool,
    /// Whether it reads `formation`, `annee`, `annee_universitaire` or `contrat_precedent`.
    pub reads_env: bool,
    /// Its value when it reads no variable at all.
    pub constant: Option<bool>,
}

/// A problem in a condition, at a 1-based (line, column) of the expression text when known.
#[derive(Debug, Clone)]
pub(crate) struct ConditionProblem {
    pub at: Option<(usize, usize)>,
    pub code: DiagnosticCode,
    pub message: String,
    pub warning: bool,
}

/// Why evaluating a condition gave no yes/no answer (the element is then hidden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EvalError(pub String);

impl Compiled {
    /// Evaluates to true or false; anything else (a run-time error, a non-boolean) is an error.
    pub(crate) fn eval(&self, context: &Context<'_, '_>) -> Result<bool, EvalError> {
        match self.program.execute(context) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(EvalError(format!(
                "la condition a donné {other:?} au lieu de vrai/faux"
            ))),
            Err(e) => Err(EvalError(e.to_string())),
        }
    }
}

/// Line and column (1-based, in characters) of a byte offset in `source` (the parser's
/// offsets are in bytes).
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for (_, c) in source.char_indices().take_while(|(i, _)| *i < offset) {
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// Parses and type-checks `source` as a condition written at `site`.
///
/// Returns the compiled condition when there is no error, and every problem found.
pub(crate) fn compile(
    source: &str,
    catalog: &Catalog,
    site: Site,
) -> (Option<Compiled>, Vec<ConditionProblem>) {
    if source.trim().is_empty() {
        return (
            None,
            vec![ConditionProblem {
                at: None,
                code: DiagnosticCode::ConditionSyntax,
                message: "la condition est vide : écrivez une expression ou retirez `condition`"
                    .into(),
                warning: false,
            }],
        );
    }
    let program = match ENV.compile(source) {
        Ok(p) => p,
        Err(errors) => {
            let problems = errors
                .errors
                .iter()
                .map(|e| {
                    let at = (e.pos.0 > 0 && e.pos.1 > 0)
                        .then(|| (e.pos.0.unsigned_abs(), e.pos.1.unsigned_abs()));
                    ConditionProblem {
                        at,
                        code: DiagnosticCode::ConditionSyntax,
                        message: format!(
                            "la condition n'est pas une expression correcte : {}",
                            french_parse_message(&e.msg)
                        ),
                        warning: false,
                    }
                })
                .collect();
            return (None, problems);
        }
    };
    let mut checker = Checker::new(catalog, site);
    checker.check_condition(program.expression());
    let analysis = checker.analysis;
    let problems: Vec<ConditionProblem> = analysis
        .problems
        .iter()
        .map(|p| ConditionProblem {
            at: program
                .source_info()
                .offset_for(p.node)
                .map(|(start, _)| line_col(source, start as usize)),
            code: p.code,
            message: p.message.clone(),
            warning: p.warning,
        })
        .collect();
    if problems.iter().any(|p| !p.warning) {
        return (None, problems);
    }
    let constant = if analysis.reads_variables {
        None
    } else {
        match program.execute(&new_context()) {
            Ok(Value::Bool(b)) => Some(b),
            _ => None,
        }
    };
    let compiled = Compiled {
        program,
        refs: analysis.refs.into_iter().collect(),
        uses_answers_map: analysis.uses_answers_map,
        reads_env: analysis.reads_env,
        constant,
    };
    (Some(compiled), problems)
}

/// Parses a condition without type-checking it (formation list items, whose conditions are
/// checked against a questionnaire by `Questionnaire::check_formation`).
pub(crate) fn compile_unchecked(source: &str) -> Result<Compiled, String> {
    let program = ENV.compile(source).map_err(|e| e.to_string())?;
    let uses_answers_map = program.references().has_variable(names::ANSWERS);
    Ok(Compiled {
        program,
        refs: Vec::new(),
        uses_answers_map,
        reads_env: true,
        constant: None,
    })
}

fn french_parse_message(msg: &str) -> String {
    let what = if msg.contains("<EOF>") {
        "l'expression s'arrête trop tôt (il manque la fin)"
    } else if msg.contains("token recognition error") {
        "caractère inattendu (les textes s'écrivent entre guillemets droits ' ou \")"
    } else if msg.contains("mismatched input") || msg.contains("extraneous input") {
        "un mot ou un symbole est mal placé (une parenthèse, un guillemet ou un opérateur manque ?)"
    } else if msg.contains("no viable alternative") {
        "l'expression est incomplète ou mal construite"
    } else {
        "syntaxe incorrecte"
    };
    format!("{what} (détail : {msg})")
}

#[cfg(test)]
mod tests {
    use super::types::{Catalog, QuestionInfo, Site, SiteKind, Ty};
    use super::*;
    use crate::questionnaire::model::AttributeType;

    /// Questions: `statuts` (multiple choice a/b), `heures` (number), `choix` (single choice
    /// oui/non), `nom` (text), `arrivee` (date); attribute `oui_si` (boolean).
    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        let questions = [
            (
                "statuts",
                Ty::List(Box::new(Ty::Choice(0))),
                Some(vec!["a", "b"]),
            ),
            ("heures", Ty::Double, None),
            ("choix", Ty::Choice(2), Some(vec!["oui", "non"])),
            ("nom", Ty::String, None),
            ("arrivee", Ty::Date, None),
        ];
        for (i, (id, ty, options)) in questions.into_iter().enumerate() {
            c.by_id.insert(id.into(), i);
            c.questions.push(QuestionInfo {
                id: id.into(),
                ty,
                page: 0,
                known_options: options.map(|o| o.into_iter().map(String::from).collect()),
            });
        }
        c.attributes.insert("oui_si".into(), AttributeType::Boolean);
        c.page_ids.push("p".into());
        c
    }

    const AFTER_ALL: Site = Site {
        kind: SiteKind::Element,
        limit: 5,
        page: 1,
        owner: None,
    };

    fn ok(source: &str) -> Compiled {
        let (compiled, problems) = compile(source, &catalog(), AFTER_ALL);
        assert!(problems.is_empty(), "{source}: {problems:?}");
        compiled.unwrap()
    }

    fn err(source: &str) -> ConditionProblem {
        let (compiled, problems) = compile(source, &catalog(), AFTER_ALL);
        assert!(compiled.is_none(), "{source} should not compile");
        problems.into_iter().next().unwrap()
    }

    fn context() -> Context<'static, 'static> {
        let mut ctx = new_context();
        ctx.add_variable_from_value(
            "statuts",
            Value::List(Arc::new(vec![Value::from("a".to_owned())])),
        );
        ctx.add_variable_from_value("heures", Value::Float(12.0));
        ctx.add_variable_from_value("choix", Value::from(String::new()));
        ctx.add_variable_from_value("nom", Value::from("Zoé".to_owned()));
        ctx.add_variable_from_value("arrivee", Value::from("2025-09-01".to_owned()));
        let formation: std::collections::HashMap<String, Value> = [
            ("code".to_owned(), Value::from("MATH".to_owned())),
            (
                "intitule".to_owned(),
                Value::from("L1 Mathématiques".to_owned()),
            ),
            ("oui_si".to_owned(), Value::Bool(true)),
        ]
        .into_iter()
        .collect();
        ctx.add_variable_from_value("formation", formation);
        ctx.add_variable_from_value("annee_universitaire", "2025-2026".to_owned());
        ctx.add_variable_from_value("annee", 2025i64);
        ctx.add_variable_from_value("contrat_precedent", false);
        ctx.add_variable_from_value(
            "reponses",
            std::collections::HashMap::<String, Value>::new(),
        );
        ctx
    }

    #[test]
    fn well_typed_conditions_evaluate() {
        let ctx = context();
        let cases = [
            ("'a' in statuts", true),
            ("'b' in statuts", false),
            ("size(statuts) >= 2", false),
            ("heures > 10", true),
            ("heures >= 10.5 && heures < 20", true),
            ("choix == 'oui'", false),
            ("choix in ['oui', 'non']", false),
            ("formation.code == 'MATH'", true),
            ("formation.oui_si && !contrat_precedent", true),
            ("formation.intitule.startsWith('L1')", true),
            ("annee >= 2025 && annee_universitaire == '2025-2026'", true),
            ("arrivee >= '2025-09-01'", true),
            ("nom.contains('o') || nom.matches('^Z')", true),
            ("statuts.exists(s, s == 'a')", true),
            ("statuts.all(s, s in ['a', 'b'])", true),
            ("size(statuts.filter(s, s != 'a')) == 0", true),
            ("has(reponses.heures)", false),
            ("heures * 2.0 > 20.0", true),
            ("int(heures) == 12", true),
            ("(choix == 'oui' ? heures : 0.0) == 0.0", true),
        ];
        for (source, expected) in cases {
            assert_eq!(ok(source).eval(&ctx), Ok(expected), "{source}");
        }
    }

    #[test]
    fn constants_are_found() {
        assert_eq!(ok("1 > 2").constant, Some(false));
        assert_eq!(ok("true || false").constant, Some(true));
        assert_eq!(ok("heures > 1").constant, None);
        assert_eq!(ok("heures > 1").refs, [1]);
        assert!(ok("has(reponses.nom)").uses_answers_map);
    }

    #[test]
    fn type_errors_are_found() {
        let cases = [
            ("statuts == 'a'", DiagnosticCode::TypeMismatch),
            ("heures == 'douze'", DiagnosticCode::TypeMismatch),
            ("choix == 'peut-etre'", DiagnosticCode::UnknownOption),
            ("'c' in statuts", DiagnosticCode::UnknownOption),
            ("choix in ['oui', 'parfois']", DiagnosticCode::UnknownOption),
            ("heures", DiagnosticCode::TypeMismatch),
            ("nom && true", DiagnosticCode::TypeMismatch),
            ("heures + 1 > 2", DiagnosticCode::TypeMismatch),
            ("arrivee > '1er septembre'", DiagnosticCode::TypeMismatch),
            ("statuts.contains('a')", DiagnosticCode::TypeMismatch),
            ("'a' in nom", DiagnosticCode::TypeMismatch),
            ("nom == null", DiagnosticCode::TypeMismatch),
            ("formation.inconnu", DiagnosticCode::UnknownName),
            ("inconnu == 1", DiagnosticCode::UnknownName),
            ("max(heures, 2.0) > 1.0", DiagnosticCode::UnknownName),
            ("has(reponses.absente)", DiagnosticCode::UnknownName),
            ("nom.matches('[')", DiagnosticCode::InvalidPattern),
            ("heures >", DiagnosticCode::ConditionSyntax),
            ("'non fermé", DiagnosticCode::ConditionSyntax),
            ("  ", DiagnosticCode::ConditionSyntax),
        ];
        for (source, code) in cases {
            assert_eq!(err(source).code, code, "{source}: {:?}", err(source));
        }
    }

    #[test]
    fn later_questions_are_refused_with_their_position() {
        let site = Site {
            kind: SiteKind::Element,
            limit: 2,
            page: 0,
            owner: Some(2),
        };
        let (_, problems) = compile("'a' in statuts && choix == 'oui'", &catalog(), site);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, DiagnosticCode::LaterReference);
        assert_eq!(problems[0].at, Some((1, 19)));
        assert!(
            problems[0].message.contains("« choix » elle-même"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn positions_count_characters_and_lines() {
        let (_, problems) = compile("nom == 'é' &&\n  inconnu", &catalog(), AFTER_ALL);
        assert_eq!(problems[0].at, Some((2, 3)), "{problems:?}");
    }

    #[test]
    fn run_time_errors_are_values_not_panics() {
        let ctx = context();
        // `reponses.heures` without `has()` fails when unanswered: an error, not a panic.
        let c = ok("reponses.heures > 1.0");
        assert!(c.eval(&ctx).is_err());
        let c = compile_unchecked("1 / 0 == 1").unwrap();
        assert!(c.eval(&ctx).is_err());
        let c = compile_unchecked("'texte'").unwrap();
        assert!(c.eval(&ctx).is_err());
        assert!(compile_unchecked("(").is_err());
    }
}
