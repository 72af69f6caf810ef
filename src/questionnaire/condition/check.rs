//! The type checker: walks a parsed CEL expression and finds unknown names, later references and type errors.

use std::collections::BTreeSet;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators as op};

use super::names;
use super::types::{Catalog, Site, SiteKind, Ty, describe};
use crate::questionnaire::diagnostic::DiagnosticCode;

/// One problem found by the checker, at a node of the expression.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub node: u64,
    pub code: DiagnosticCode,
    pub message: String,
    pub warning: bool,
}

/// What the checker learnt about an expression.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analysis {
    /// Indices of the questions the expression reads.
    pub refs: BTreeSet<usize>,
    /// Whether it reads `reponses`.
    pub uses_answers_map: bool,
    /// Whether it reads anything at all (a question, `formation`, `annee`…).
    pub reads_variables: bool,
    /// Whether it reads `formation`, `reponses`, `annee`, `annee_universitaire` or `contrat_precedent`.
    pub reads_env: bool,
    pub problems: Vec<Problem>,
}

pub(crate) struct Checker<'a> {
    catalog: &'a Catalog,
    site: Site,
    locals: Vec<(String, Ty)>,
    pub analysis: Analysis,
}

/// A string literal, if the expression is one.
fn literal_str(e: &IdedExpr) -> Option<&str> {
    match &e.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(s.inner()),
        _ => None,
    }
}

impl<'a> Checker<'a> {
    pub fn new(catalog: &'a Catalog, site: Site) -> Self {
        Checker {
            catalog,
            site,
            locals: Vec::new(),
            analysis: Analysis::default(),
        }
    }

    fn error(&mut self, node: u64, code: DiagnosticCode, message: String) {
        self.analysis.problems.push(Problem {
            node,
            code,
            message,
            warning: false,
        });
    }

    fn describe(&self, ty: &Ty) -> String {
        describe(ty, self.catalog)
    }

    /// Checks the whole expression, which must be a yes/no expression.
    pub fn check_condition(&mut self, e: &IdedExpr) {
        let ty = self.check(e);
        if !matches!(ty, Ty::Bool | Ty::Dyn) {
            let d = self.describe(&ty);
            self.error(
                e.id,
                DiagnosticCode::TypeMismatch,
                format!(
                    "une condition doit valoir vrai ou faux, or cette expression donne {d} \
                     (comparez-la à quelque chose, par ex. avec == ou in)"
                ),
            );
        }
    }

    fn check(&mut self, e: &IdedExpr) -> Ty {
        match &e.expr {
            Expr::Literal(lit) => match lit {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) | LiteralValue::UInt(_) => Ty::Int,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::Null => Ty::Null,
                LiteralValue::Bytes(_) => {
                    self.error(
                        e.id,
                        DiagnosticCode::TypeMismatch,
                        "les octets (b\"…\") ne sont pas utilisables dans une condition".into(),
                    );
                    Ty::Dyn
                }
            },
            Expr::Ident(name) => self.ident(e.id, name),
            Expr::Select(sel) => {
                let operand = self.check(&sel.operand);
                self.select(e.id, operand, &sel.field, sel.test)
            }
            Expr::List(list) => {
                let mut elem: Option<Ty> = None;
                for item in &list.elements {
                    let t = self.check(item);
                    elem = Some(match elem {
                        None => t,
                        Some(prev) => Ty::unify(&prev, &t).unwrap_or(Ty::Dyn),
                    });
                }
                Ty::List(Box::new(elem.unwrap_or(Ty::Dyn)))
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(m) = &entry.expr {
                        self.check(&m.key);
                        self.check(&m.value);
                    }
                }
                Ty::Map(Box::new(Ty::Dyn))
            }
            Expr::Struct(_) | Expr::Unspecified => {
                self.error(
                    e.id,
                    DiagnosticCode::ConditionSyntax,
                    "cette construction n'est pas utilisable dans une condition".into(),
                );
                Ty::Dyn
            }
            Expr::Comprehension(c) => {
                let range = self.check(&c.iter_range);
                let item = match range {
                    Ty::List(t) => *t,
                    Ty::Map(_) => Ty::String,
                    Ty::Dyn => Ty::Dyn,
                    other => {
                        let d = self.describe(&other);
                        self.error(
                            c.iter_range.id,
                            DiagnosticCode::TypeMismatch,
                            format!("exists/all/filter s'appliquent à une liste, pas à {d}"),
                        );
                        Ty::Dyn
                    }
                };
                let accu = self.check(&c.accu_init);
                self.locals.push((c.iter_var.clone(), item));
                if let Some(v2) = &c.iter_var2 {
                    self.locals.push((v2.clone(), Ty::Dyn));
                }
                self.locals.push((c.accu_var.clone(), accu.clone()));
                self.check(&c.loop_cond);
                let step = self.check(&c.loop_step);
                let accu = match (&accu, &step) {
                    (Ty::List(inner), Ty::List(_)) if **inner == Ty::Dyn => step,
                    _ => accu,
                };
                if let Some(last) = self.locals.last_mut() {
                    last.1 = accu;
                }
                let result = self.check(&c.result);
                self.locals.pop();
                if c.iter_var2.is_some() {
                    self.locals.pop();
                }
                self.locals.pop();
                result
            }
            Expr::Call(call) => {
                let target = call.target.as_deref();
                self.call(e, &call.func_name, target, &call.args)
            }
        }
    }

    fn ident(&mut self, node: u64, name: &str) -> Ty {
        if let Some((_, t)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return t.clone();
        }
        self.analysis.reads_variables = true;
        let env_ty = match name {
            names::FORMATION => Some(Ty::Formation),
            names::ANSWERS => {
                self.analysis.uses_answers_map = true;
                Some(Ty::Answers)
            }
            names::ACADEMIC_YEAR => Some(Ty::String),
            names::YEAR => Some(Ty::Int),
            names::PREVIOUS_CONTRACT => Some(Ty::Bool),
            _ => None,
        };
        if let Some(ty) = env_ty {
            self.analysis.reads_env = true;
            return ty;
        }
        match self.catalog.by_id.get(name) {
            Some(&index) => self.question_ref(node, index),
            None => {
                let hint = suggestion(name, self.catalog);
                self.error(
                    node,
                    DiagnosticCode::UnknownName,
                    format!("« {name} » n'est ni une question du questionnaire ni une variable connue{hint}"),
                );
                Ty::Dyn
            }
        }
    }

    /// A use of the answer to question `index`: it must come before the condition.
    fn question_ref(&mut self, node: u64, index: usize) -> Ty {
        let Some(info) = self.catalog.questions.get(index) else {
            return Ty::Dyn;
        };
        let id = info.id.clone();
        let page = info.page;
        let ty = info.ty.clone();
        self.analysis.refs.insert(index);
        if index >= self.site.limit {
            let page_id = self.catalog.page_ids.get(page).cloned().unwrap_or_default();
            let message = if Some(index) == self.site.owner {
                format!(
                    "la condition utilise la réponse à « {id} » elle-même : une question ne peut \
                     dépendre que des questions qui la précèdent"
                )
            } else if self.site.kind == SiteKind::Page && page == self.site.page {
                format!(
                    "la condition de la page utilise « {id} », une question de cette même page : \
                     une page ne peut dépendre que des questions des pages précédentes"
                )
            } else {
                format!(
                    "« {id} » est posée plus loin (page « {page_id} ») : une condition ne peut \
                     utiliser que les questions qui la précèdent"
                )
            };
            self.error(node, DiagnosticCode::LaterReference, message);
        }
        ty
    }

    fn select(&mut self, node: u64, operand: Ty, field: &str, test: bool) -> Ty {
        let result = match operand {
            Ty::Formation => match field {
                names::FORMATION_CODE | names::FORMATION_TITLE => Ty::String,
                _ => match self.catalog.attributes.get(field) {
                    Some(kind) => Ty::of_attribute(*kind),
                    None => {
                        let declared: Vec<&str> =
                            self.catalog.attributes.keys().map(String::as_str).collect();
                        let known = if declared.is_empty() {
                            String::new()
                        } else {
                            format!(" (attributs déclarés : {})", declared.join(", "))
                        };
                        self.error(
                            node,
                            DiagnosticCode::UnknownName,
                            format!(
                                "la formation n'a pas d'attribut « {field} » : déclarez-le dans \
                                 `formation_attributes`{known}, ou utilisez formation.code / formation.intitule"
                            ),
                        );
                        Ty::Dyn
                    }
                },
            },
            Ty::Answers => match self.catalog.by_id.get(field) {
                Some(&index) => self.question_ref(node, index),
                None => {
                    let hint = suggestion(field, self.catalog);
                    self.error(
                        node,
                        DiagnosticCode::UnknownName,
                        format!("« {field} » n'est pas une question du questionnaire{hint}"),
                    );
                    Ty::Dyn
                }
            },
            Ty::Map(inner) => *inner,
            Ty::Dyn => Ty::Dyn,
            other => {
                let d = self.describe(&other);
                self.error(
                    node,
                    DiagnosticCode::TypeMismatch,
                    format!("« .{field} » ne s'applique pas à {d}"),
                );
                Ty::Dyn
            }
        };
        if test { Ty::Bool } else { result }
    }

    fn call(
        &mut self,
        e: &IdedExpr,
        name: &str,
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
    ) -> Ty {
        let node = e.id;
        match (name, target, args) {
            (op::LOGICAL_NOT | op::NOT_STRICTLY_FALSE, None, [a]) => {
                let t = self.check(a);
                self.expect_bool(a.id, &t, "« ! » (non)");
                Ty::Bool
            }
            (op::LOGICAL_AND | op::LOGICAL_OR, None, [a, b]) => {
                let word = if name == op::LOGICAL_AND {
                    "« && » (et)"
                } else {
                    "« || » (ou)"
                };
                let ta = self.check(a);
                self.expect_bool(a.id, &ta, word);
                let tb = self.check(b);
                self.expect_bool(b.id, &tb, word);
                Ty::Bool
            }
            (op::CONDITIONAL, None, [c, a, b]) => {
                let tc = self.check(c);
                self.expect_bool(c.id, &tc, "« ? : »");
                let ta = self.check(a);
                let tb = self.check(b);
                Ty::unify(&ta, &tb).unwrap_or(Ty::Dyn)
            }
            (op::NEGATE, None, [a]) => {
                let t = self.check(a);
                if !t.is_numeric() {
                    let d = self.describe(&t);
                    self.error(
                        a.id,
                        DiagnosticCode::TypeMismatch,
                        format!("« - » s'applique à un nombre, pas à {d}"),
                    );
                }
                t
            }
            (op::EQUALS | op::NOT_EQUALS, None, [a, b]) => {
                let ta = self.check(a);
                let tb = self.check(b);
                self.equality(node, a, &ta, b, &tb);
                Ty::Bool
            }
            (op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS, None, [a, b]) => {
                let ta = self.check(a);
                let tb = self.check(b);
                self.ordering(node, a, &ta, b, &tb);
                Ty::Bool
            }
            (op::IN, None, [a, b]) => {
                let ta = self.check(a);
                let tb = self.check(b);
                self.membership(node, a, &ta, b, &tb);
                Ty::Bool
            }
            (op::ADD | op::SUBSTRACT | op::MULTIPLY | op::DIVIDE | op::MODULO, None, [a, b]) => {
                let ta = self.check(a);
                let tb = self.check(b);
                self.arithmetic(node, name, &ta, &tb)
            }
            (op::INDEX, None, [a, b]) => {
                let ta = self.check(a);
                let tb = self.check(b);
                match ta {
                    Ty::List(inner) => {
                        if !matches!(tb, Ty::Int | Ty::Dyn) {
                            self.error(
                                b.id,
                                DiagnosticCode::TypeMismatch,
                                "l'indice d'une liste est un entier (0 pour le premier élément)"
                                    .into(),
                            );
                        }
                        *inner
                    }
                    Ty::Map(inner) => *inner,
                    Ty::Dyn => Ty::Dyn,
                    other => {
                        let d = self.describe(&other);
                        self.error(
                            node,
                            DiagnosticCode::TypeMismatch,
                            format!("[…] ne s'applique pas à {d}"),
                        );
                        Ty::Dyn
                    }
                }
            }
            ("size", None, [a]) | ("size", Some(a), []) => {
                let t = self.check(a);
                if !matches!(
                    t,
                    Ty::String | Ty::Date | Ty::Choice(_) | Ty::List(_) | Ty::Map(_) | Ty::Dyn
                ) {
                    let d = self.describe(&t);
                    self.error(a.id, DiagnosticCode::TypeMismatch, format!("size() compte les éléments d'une liste ou les caractères d'un texte, pas {d}"));
                }
                Ty::Int
            }
            ("contains" | "startsWith" | "endsWith" | "matches", Some(t), [a]) => {
                let tt = self.check(t);
                let ta = self.check(a);
                if let Ty::List(_) = tt {
                    self.error(
                        node,
                        DiagnosticCode::TypeMismatch,
                        format!("{name}() s'applique à un texte ; pour une liste de choix, écrivez `'valeur' in liste`"),
                    );
                } else if !tt.is_stringy() {
                    let d = self.describe(&tt);
                    self.error(
                        t.id,
                        DiagnosticCode::TypeMismatch,
                        format!("{name}() s'applique à un texte, pas à {d}"),
                    );
                }
                if !ta.is_stringy() {
                    let d = self.describe(&ta);
                    self.error(
                        a.id,
                        DiagnosticCode::TypeMismatch,
                        format!("{name}() attend un texte entre parenthèses, pas {d}"),
                    );
                }
                if name == "matches"
                    && let Some(pattern) = literal_str(a)
                    && let Err(err) = regex::Regex::new(pattern)
                {
                    self.error(
                        a.id,
                        DiagnosticCode::InvalidPattern,
                        format!("expression régulière invalide : {err}"),
                    );
                }
                Ty::Bool
            }
            ("int" | "double" | "string", None, [a]) => {
                self.check(a);
                match name {
                    "int" => Ty::Int,
                    "double" => Ty::Double,
                    _ => Ty::String,
                }
            }
            _ => {
                for a in target.into_iter().chain(args.iter()) {
                    self.check(a);
                }
                self.error(
                    node,
                    DiagnosticCode::UnknownName,
                    format!(
                        "fonction ou opération « {} » inconnue ou mal employée ; fonctions disponibles : \
                         size, contains, startsWith, endsWith, matches, has, exists, all, exists_one, filter, int, double, string",
                        name.trim_matches('_')
                    ),
                );
                Ty::Dyn
            }
        }
    }

    fn expect_bool(&mut self, node: u64, ty: &Ty, what: &str) {
        if !matches!(ty, Ty::Bool | Ty::Dyn) {
            let d = self.describe(ty);
            let hint = match ty {
                Ty::List(_) => " ; pour tester une case cochée, écrivez `'valeur' in liste`",
                Ty::Choice(_) | Ty::String => " ; comparez-le avec == 'valeur'",
                _ => "",
            };
            self.error(
                node,
                DiagnosticCode::TypeMismatch,
                format!("{what} attend une valeur vrai/faux, pas {d}{hint}"),
            );
        }
    }

    fn question_id(&self, index: usize) -> &str {
        self.catalog
            .questions
            .get(index)
            .map(|q| q.id.as_str())
            .unwrap_or("?")
    }

    /// Checks that `literal` is an option of the single choice question `index`.
    fn check_option(&mut self, node: u64, index: usize, literal: &str) {
        let Some(info) = self.catalog.questions.get(index) else {
            return;
        };
        let Some(options) = &info.known_options else {
            return;
        };
        if !options.iter().any(|o| o == literal) {
            let id = info.id.clone();
            let list = options
                .iter()
                .map(|o| format!("'{o}'"))
                .collect::<Vec<_>>()
                .join(", ");
            self.error(
                node,
                DiagnosticCode::UnknownOption,
                format!("« {id} » n'a pas d'option de valeur '{literal}' : la condition ne serait jamais vraie (valeurs possibles : {list})"),
            );
        }
    }

    fn check_date_literal(&mut self, node: u64, literal: &str) {
        if !literal.is_empty() && chrono::NaiveDate::parse_from_str(literal, "%Y-%m-%d").is_err() {
            self.error(
                node,
                DiagnosticCode::TypeMismatch,
                format!("'{literal}' n'est pas une date au format AAAA-MM-JJ (ex. '2025-09-01')"),
            );
        }
    }

    fn equality(&mut self, node: u64, a: &IdedExpr, ta: &Ty, b: &IdedExpr, tb: &Ty) {
        for (x, tx, y) in [(a, ta, b), (b, tb, a)] {
            if let (Ty::Choice(i), Some(lit)) = (tx, literal_str(y)) {
                self.check_option(y.id, *i, lit);
            }
            if let (Ty::Date, Some(lit)) = (tx, literal_str(y)) {
                self.check_date_literal(y.id, lit);
            }
            let _ = x;
        }
        if matches!(ta, Ty::Null) || matches!(tb, Ty::Null) {
            if !(matches!(ta, Ty::Null | Ty::Dyn) && matches!(tb, Ty::Null | Ty::Dyn)) {
                self.error(
                    node,
                    DiagnosticCode::TypeMismatch,
                    "une réponse n'est jamais null (une question sans réponse vaut '', [], false ou 0) : \
                     pour savoir si une question a reçu une réponse, écrivez has(reponses.identifiant)"
                        .into(),
                );
            }
            return;
        }
        if !Ty::comparable(ta, tb) {
            let message = self.mismatch_message(ta, tb, a, b);
            self.error(node, DiagnosticCode::TypeMismatch, message);
        }
    }

    fn mismatch_message(&self, ta: &Ty, tb: &Ty, a: &IdedExpr, b: &IdedExpr) -> String {
        let (da, db) = (self.describe(ta), self.describe(tb));
        let hint = match (ta, tb) {
            (Ty::List(inner), _) | (_, Ty::List(inner)) if matches!(**inner, Ty::Choice(_)) => {
                let q = match **inner {
                    Ty::Choice(i) => self.question_id(i).to_owned(),
                    _ => String::new(),
                };
                let v = literal_str(b).or(literal_str(a)).unwrap_or("valeur");
                format!(" ; pour tester une case cochée, écrivez `'{v}' in {q}`")
            }
            (Ty::Double | Ty::Int, Ty::String) | (Ty::String, Ty::Double | Ty::Int) => {
                " ; un nombre s'écrit sans guillemets (ex. heures > 10)".into()
            }
            (Ty::Bool, _) | (_, Ty::Bool) => {
                " ; une case à cocher vaut true ou false : écrivez simplement `question` ou `!question`".into()
            }
            _ => String::new(),
        };
        format!("on ne peut pas comparer {da} et {db}{hint}")
    }

    fn ordering(&mut self, node: u64, a: &IdedExpr, ta: &Ty, b: &IdedExpr, tb: &Ty) {
        for (tx, y) in [(ta, b), (tb, a)] {
            if let (Ty::Date, Some(lit)) = (tx, literal_str(y)) {
                self.check_date_literal(y.id, lit);
            }
        }
        let ok = (ta.is_numeric() && tb.is_numeric()) || (ta.is_stringy() && tb.is_stringy());
        if !ok {
            let message = self.mismatch_message(ta, tb, a, b);
            self.error(
                node,
                DiagnosticCode::TypeMismatch,
                message.replace("comparer", "ordonner (<, >) "),
            );
        }
    }

    fn membership(&mut self, node: u64, a: &IdedExpr, ta: &Ty, b: &IdedExpr, tb: &Ty) {
        match tb {
            Ty::List(inner) => {
                if let (Ty::Choice(i), Some(lit)) = (inner.as_ref(), literal_str(a)) {
                    self.check_option(a.id, *i, lit);
                }
                if let (Ty::Choice(i), Expr::List(list)) = (ta, &b.expr) {
                    for item in &list.elements {
                        if let Some(lit) = literal_str(item) {
                            self.check_option(item.id, *i, lit);
                        }
                    }
                }
                if !Ty::comparable(ta, inner) {
                    let (da, db) = (self.describe(ta), self.describe(tb));
                    self.error(
                        node,
                        DiagnosticCode::TypeMismatch,
                        format!("on ne peut pas chercher {da} dans {db}"),
                    );
                }
            }
            Ty::Map(_) | Ty::Answers => {
                if !ta.is_stringy() {
                    let d = self.describe(ta);
                    self.error(
                        node,
                        DiagnosticCode::TypeMismatch,
                        format!("on ne peut pas chercher {d} dans une table"),
                    );
                }
            }
            Ty::Dyn => {}
            other => {
                let d = self.describe(other);
                let hint = if other.is_stringy() {
                    " ; pour chercher un mot dans un texte, écrivez texte.contains('mot')"
                } else {
                    ""
                };
                self.error(
                    node,
                    DiagnosticCode::TypeMismatch,
                    format!("« in » cherche dans une liste, pas dans {d}{hint}"),
                );
            }
        }
    }

    fn arithmetic(&mut self, node: u64, name: &str, ta: &Ty, tb: &Ty) -> Ty {
        let (da, db) = (self.describe(ta), self.describe(tb));
        match (ta, tb) {
            (Ty::Dyn, t) | (t, Ty::Dyn) => t.clone(),
            (Ty::Int, Ty::Int) => Ty::Int,
            (Ty::Double, Ty::Double) => Ty::Double,
            (Ty::Int, Ty::Double) | (Ty::Double, Ty::Int) => {
                self.error(
                    node,
                    DiagnosticCode::TypeMismatch,
                    "un calcul mélange un nombre décimal (les réponses de type number le sont) et un entier : \
                     écrivez l'entier avec une décimale (ex. 2.0 au lieu de 2)"
                        .into(),
                );
                Ty::Double
            }
            (x, y) if name == op::ADD && x.is_stringy() && y.is_stringy() => Ty::String,
            (Ty::List(x), Ty::List(y)) if name == op::ADD => {
                Ty::List(Box::new(Ty::unify(x, y).unwrap_or(Ty::Dyn)))
            }
            _ => {
                self.error(
                    node,
                    DiagnosticCode::TypeMismatch,
                    format!("calcul impossible entre {da} et {db}"),
                );
                Ty::Dyn
            }
        }
    }
}

/// « ; vouliez-vous dire « x » ? » when a known name is close.
fn suggestion(name: &str, catalog: &Catalog) -> String {
    let candidates = catalog
        .questions
        .iter()
        .map(|q| q.id.as_str())
        .chain(names::ALL_VARIABLES.iter().copied());
    let best = candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!(" ; vouliez-vous dire « {c} » ?"),
        None => String::new(),
    }
}
