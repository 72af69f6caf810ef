//! Conversion of answers and environment values to CEL values, and the values of unanswered questions.

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value;

use crate::questionnaire::answers::AnswerValue;
use crate::questionnaire::env::AttributeValue;
use crate::questionnaire::model::{AttributeType, QuestionKind};

/// The CEL value of an answer.
pub(crate) fn answer_to_cel(value: &AnswerValue) -> Value {
    match value {
        AnswerValue::Bool(b) => Value::Bool(*b),
        AnswerValue::Number(n) => Value::Float(*n),
        AnswerValue::Text(t) => Value::String(Arc::new(t.clone())),
        AnswerValue::List(items) => Value::List(Arc::new(
            items
                .iter()
                .map(|s| Value::String(Arc::new(s.clone())))
                .collect(),
        )),
    }
}

/// The value a question has in conditions while it is unanswered or hidden:
/// `""` for texts, choices and dates, `[]` for multiple choices, `false` for boxes, `0` for numbers.
pub(crate) fn unanswered(kind: &QuestionKind) -> Value {
    match kind {
        QuestionKind::MultipleChoice(_) => Value::List(Arc::new(Vec::new())),
        QuestionKind::Acknowledgement | QuestionKind::Engagement(_) => Value::Bool(false),
        QuestionKind::Number(_) => Value::Float(0.0),
        QuestionKind::ShortText(_)
        | QuestionKind::LongText(_)
        | QuestionKind::SingleChoice(_)
        | QuestionKind::Date(_)
        | QuestionKind::Identity(_) => Value::String(Arc::new(String::new())),
    }
}

/// The CEL value of a formation attribute, converted to its declared type when it can be,
/// else the declared type's empty value.
pub(crate) fn attribute_to_cel(value: Option<&AttributeValue>, kind: AttributeType) -> Value {
    match (kind, value) {
        (AttributeType::Boolean, Some(AttributeValue::Bool(b))) => Value::Bool(*b),
        (AttributeType::Boolean, _) => Value::Bool(false),
        (AttributeType::Number, Some(AttributeValue::Number(n))) => Value::Float(*n),
        (AttributeType::Number, _) => Value::Float(0.0),
        (AttributeType::Text, Some(AttributeValue::Text(t))) => Value::String(Arc::new(t.clone())),
        (AttributeType::Text, Some(AttributeValue::Number(n))) => {
            Value::String(Arc::new(n.to_string()))
        }
        (AttributeType::Text, Some(AttributeValue::Bool(b))) => {
            Value::String(Arc::new(b.to_string()))
        }
        (AttributeType::Text, None) => Value::String(Arc::new(String::new())),
    }
}

/// A CEL map with string keys.
pub(crate) fn map_value(entries: HashMap<String, Value>) -> Value {
    Value::from(entries)
}
