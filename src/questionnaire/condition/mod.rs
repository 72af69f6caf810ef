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
pub struct EvalError(pub String);

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

/// Line and column (1-based) of a character offset in `source`.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for c in source.chars().take(offset) {
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
