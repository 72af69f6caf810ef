//! A contract's answers: one JSON value per answered question, keyed by question id.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The answer to one question, in the shape stored in contracts (JSON, untagged):
///
/// | question `type`                                   | JSON value                          |
/// |---------------------------------------------------|-------------------------------------|
/// | `short_text`, `long_text`, `identity`             | string                              |
/// | `single_choice`                                   | string: the option `value`          |
/// | `multiple_choice`                                 | array of option values, in option order |
/// | `acknowledgement`, `engagement`                   | `true` (an unticked box is absent)  |
/// | `date`                                            | string `"AAAA-MM-JJ"`               |
/// | `number`                                          | number                              |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    /// A ticked box.
    Bool(bool),
    /// A number (always finite).
    Number(f64),
    /// A text, a single choice value or an ISO date.
    Text(String),
    /// The values of a multiple choice.
    List(Vec<String>),
}

impl AnswerValue {
    /// The text of a text, choice or date answer.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            AnswerValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The values of a multiple choice answer.
    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            AnswerValue::List(l) => Some(l),
            _ => None,
        }
    }
}

/// All the answers of a contract, keyed by question id: a JSON object such as
/// `{"projet": "…", "statuts": ["salarie"], "lu_assiduite": true, "heures_travail": 15}`.
///
/// Only answered questions appear; keys are sorted, so serialising is deterministic.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(BTreeMap<String, AnswerValue>);

impl Answers {
    /// No answers.
    pub fn new() -> Self {
        Answers::default()
    }

    /// The answer to question `id`.
    pub fn get(&self, id: &str) -> Option<&AnswerValue> {
        self.0.get(id)
    }

    /// Sets the answer to question `id`.
    pub fn insert(&mut self, id: impl Into<String>, value: AnswerValue) {
        self.0.insert(id.into(), value);
    }

    /// Removes the answer to question `id`.
    pub fn remove(&mut self, id: &str) -> Option<AnswerValue> {
        self.0.remove(id)
    }

    /// Answers in question id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AnswerValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of answered questions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no question is answered.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, AnswerValue)> for Answers {
    fn from_iter<T: IntoIterator<Item = (String, AnswerValue)>>(iter: T) -> Self {
        Answers(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_stable() {
        let mut a = Answers::new();
        a.insert("statuts", AnswerValue::List(vec!["salarie".into()]));
        a.insert("lu", AnswerValue::Bool(true));
        a.insert("heures", AnswerValue::Number(15.5));
        a.insert("projet", AnswerValue::Text("Devenir ingénieure".into()));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"heures":15.5,"lu":true,"projet":"Devenir ingénieure","statuts":["salarie"]}"#
        );
        let back: Answers = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
    }
}
