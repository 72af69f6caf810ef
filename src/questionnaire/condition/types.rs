//! Static types of condition expressions, and what the type checker knows of the questionnaire.

use std::collections::{BTreeMap, HashMap};

use crate::questionnaire::model::{AttributeType, QuestionKind};

/// The static type of a condition sub-expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Bool,
    Int,
    Double,
    String,
    /// A date answer: a string `AAAA-MM-JJ` (`""` when unanswered).
    Date,
    /// The answer to the single choice question at this index: one of its option values.
    Choice(usize),
    List(Box<Ty>),
    Map(Box<Ty>),
    Null,
    /// The `formation` variable.
    Formation,
    /// The `reponses` variable.
    Answers,
    /// Unknown (after an error, or from a generic list): accepted everywhere.
    Dyn,
}

impl Ty {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Double | Ty::Dyn)
    }

    pub fn is_stringy(&self) -> bool {
        matches!(self, Ty::String | Ty::Date | Ty::Choice(_) | Ty::Dyn)
    }

    /// The type a question's answer has in conditions.
    pub fn of_question(index: usize, kind: &QuestionKind) -> Ty {
        match kind {
            QuestionKind::ShortText(_) | QuestionKind::LongText(_) | QuestionKind::Identity(_) => {
                Ty::String
            }
            QuestionKind::SingleChoice(_) => Ty::Choice(index),
            QuestionKind::MultipleChoice(_) => Ty::List(Box::new(Ty::Choice(index))),
            QuestionKind::Acknowledgement | QuestionKind::Engagement(_) => Ty::Bool,
            QuestionKind::Date(_) => Ty::Date,
            QuestionKind::Number(_) => Ty::Double,
        }
    }

    pub fn of_attribute(kind: AttributeType) -> Ty {
        match kind {
            AttributeType::Boolean => Ty::Bool,
            AttributeType::Text => Ty::String,
            AttributeType::Number => Ty::Double,
        }
    }

    /// Whether values of the two types can be compared with `==`.
    pub fn comparable(a: &Ty, b: &Ty) -> bool {
        match (a, b) {
            (Ty::Dyn, _) | (_, Ty::Dyn) => true,
            (Ty::Bool, Ty::Bool) => true,
            (x, y) if x.is_numeric() && y.is_numeric() => true,
            (x, y) if x.is_stringy() && y.is_stringy() => true,
            (Ty::List(x), Ty::List(y)) | (Ty::Map(x), Ty::Map(y)) => Ty::comparable(x, y),
            _ => false,
        }
    }

    /// The common type of two branches or list elements, if they have one.
    pub fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
        if a == b {
            return Some(a.clone());
        }
        match (a, b) {
            (Ty::Dyn, other) | (other, Ty::Dyn) => Some(other.clone()),
            (Ty::Int, Ty::Double) | (Ty::Double, Ty::Int) => Some(Ty::Double),
            (x, y) if x.is_stringy() && y.is_stringy() => Some(Ty::String),
            (Ty::List(x), Ty::List(y)) => Ty::unify(x, y).map(|t| Ty::List(Box::new(t))),
            (Ty::Map(x), Ty::Map(y)) => Ty::unify(x, y).map(|t| Ty::Map(Box::new(t))),
            _ => None,
        }
    }
}

/// What the type checker knows of one question.
#[derive(Debug, Clone)]
pub(crate) struct QuestionInfo {
    pub id: String,
    pub ty: Ty,
    /// Index of its page.
    pub page: usize,
    /// Values of its options when they are all written in the questionnaire (no `options_from`).
    pub known_options: Option<Vec<String>>,
}

/// The names conditions can use: questions (in document order) and formation attributes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub questions: Vec<QuestionInfo>,
    pub by_id: HashMap<String, usize>,
    pub attributes: BTreeMap<String, AttributeType>,
    pub page_ids: Vec<String>,
}

/// Where a condition is written, which decides the questions it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SiteKind {
    /// A page condition: questions of earlier pages only.
    Page,
    /// A question, text block or option condition: earlier questions.
    Element,
}

/// The position of a condition in the questionnaire.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site {
    pub kind: SiteKind,
    /// Questions with an index below this one may be used.
    pub limit: usize,
    /// The page the condition is on.
    pub page: usize,
    /// The question the condition belongs to (its own or one of its options'), if any.
    pub owner: Option<usize>,
}

/// How types are named to a designer.
pub(crate) fn describe(ty: &Ty, catalog: &Catalog) -> String {
    let q = |i: &usize| {
        catalog
            .questions
            .get(*i)
            .map(|q| q.id.as_str())
            .unwrap_or("?")
            .to_owned()
    };
    match ty {
        Ty::Bool => "une valeur vrai/faux".into(),
        Ty::Int | Ty::Double => "un nombre".into(),
        Ty::String => "un texte".into(),
        Ty::Date => "une date (texte AAAA-MM-JJ)".into(),
        Ty::Choice(i) => format!("la valeur choisie à « {} » (un texte)", q(i)),
        Ty::List(inner) => match inner.as_ref() {
            Ty::Choice(i) => format!("les valeurs cochées à « {} » (une liste)", q(i)),
            _ => "une liste".into(),
        },
        Ty::Map(_) => "une table".into(),
        Ty::Null => "null".into(),
        Ty::Formation => "la formation".into(),
        Ty::Answers => "l'ensemble des réponses".into(),
        Ty::Dyn => "une valeur".into(),
    }
}
