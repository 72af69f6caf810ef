//! Answer validation: parsing posted form values and checking a value against its question's rules, with French messages.

use serde::Serialize;

use super::answers::AnswerValue;
use super::display::{french_date, french_number};
use super::env::Environment;
use super::flow::OptionRef;
use super::model::{IdentityField, Question, QuestionKind};

/// Why an answer was refused (stable, for the web layer and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// A required question is unanswered (or a box unticked).
    Required,
    /// Text shorter than `min_length`.
    TooShort,
    /// Text longer than `max_length`.
    TooLong,
    /// Text does not match `pattern`.
    PatternMismatch,
    /// Not a number.
    NotANumber,
    /// Not a whole number where `integer: true`.
    NotAnInteger,
    /// Below `min`.
    TooSmall,
    /// Above `max`.
    TooLarge,
    /// Not a date.
    NotADate,
    /// Before the minimum date.
    TooEarly,
    /// After the maximum date.
    TooLate,
    /// Fewer boxes ticked than `min_selections`.
    TooFewChoices,
    /// More boxes ticked than `max_selections`.
    TooManyChoices,
    /// A value that is not among the options offered to this student: refused as tampering.
    NotOffered,
    /// Not an e-mail address.
    InvalidEmail,
    /// Several values posted for a single-valued question.
    SeveralValues,
    /// A stored answer of the wrong shape for its question.
    WrongType,
}

/// An answer refused, with the message to show next to the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub code: FieldErrorCode,
    pub message: String,
}

fn invalid(code: FieldErrorCode, message: impl Into<String>) -> Invalid {
    Invalid {
        code,
        message: message.into(),
    }
}

/// Parses `12`, `12,5`, `1 200.5` (French or English decimal separator, spaces as thousands).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() || cleaned.contains(['e', 'E', 'i', 'I', 'n', 'N']) {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Parses `AAAA-MM-JJ` (HTML date input) or `JJ/MM/AAAA`.
pub(crate) fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let t = text.trim();
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .ok()
}

fn single<'v>(raw: &[&'v str]) -> Result<Option<&'v str>, Invalid> {
    let filled: Vec<&str> = raw
        .iter()
        .copied()
        .filter(|v| !v.trim().is_empty())
        .collect();
    match filled.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(invalid(
            FieldErrorCode::SeveralValues,
            "Une seule réponse est attendue.",
        )),
    }
}

/// Parses the values posted for a question (none, one, or several for a multiple choice).
/// `Ok(None)` means unanswered.
pub(crate) fn parse_form(q: &Question, raw: &[&str]) -> Result<Option<AnswerValue>, Invalid> {
    match &q.kind {
        QuestionKind::ShortText(_) | QuestionKind::Identity(_) => Ok(single(raw)?
            .map(|v| AnswerValue::Text(v.split_whitespace().collect::<Vec<_>>().join(" ")))),
        QuestionKind::LongText(_) => Ok(single(raw)?.map(|v| {
            AnswerValue::Text(
                v.replace("\r\n", "\n")
                    .replace('\r', "\n")
                    .trim()
                    .to_owned(),
            )
        })),
        QuestionKind::Number(_) => match single(raw)? {
            None => Ok(None),
            Some(v) => parse_number(v)
                .map(|n| Some(AnswerValue::Number(n)))
                .ok_or_else(|| {
                    invalid(
                        FieldErrorCode::NotANumber,
                        "Saisissez un nombre (par exemple 12 ou 12,5).",
                    )
                }),
        },
        QuestionKind::Date(_) => match single(raw)? {
            None => Ok(None),
            Some(v) => parse_date(v)
                .map(|d| Some(AnswerValue::Text(d.format("%Y-%m-%d").to_string())))
                .ok_or_else(|| {
                    invalid(
                        FieldErrorCode::NotADate,
                        "Saisissez une date valide au format JJ/MM/AAAA.",
                    )
                }),
        },
        QuestionKind::SingleChoice(_) => {
            Ok(single(raw)?.map(|v| AnswerValue::Text(v.trim().to_owned())))
        }
        QuestionKind::MultipleChoice(_) => {
            let mut values: Vec<String> = Vec::new();
            for v in raw.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
                if !values.iter().any(|x| x == v) {
                    values.push(v.to_owned());
                }
            }
            Ok((!values.is_empty()).then_some(AnswerValue::List(values)))
        }
        QuestionKind::Acknowledgement | QuestionKind::Engagement(_) => Ok(raw
            .iter()
            .any(|v| !v.trim().is_empty())
            .then_some(AnswerValue::Bool(true))),
    }
}

fn is_unanswered(value: Option<&AnswerValue>) -> bool {
    match value {
        None | Some(AnswerValue::Bool(false)) => true,
        Some(AnswerValue::Text(t)) => t.trim().is_empty(),
        Some(AnswerValue::List(l)) => l.is_empty(),
        Some(AnswerValue::Number(_) | AnswerValue::Bool(true)) => false,
    }
}

fn required_message(q: &Question) -> &'static str {
    match &q.kind {
        QuestionKind::Acknowledgement => {
            "Cochez la case pour confirmer que vous avez lu cette page."
        }
        QuestionKind::Engagement(_) => "Cochez la case pour vous engager.",
        QuestionKind::SingleChoice(_) => "Choisissez une réponse.",
        QuestionKind::MultipleChoice(_) => "Cochez au moins une réponse.",
        QuestionKind::Identity(_) if q.is_read_only() => {
            "Cette information n'a pas été transmise par Moodle : contactez votre scolarité."
        }
        _ => "Cette question est obligatoire.",
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n <= 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(char::is_whitespace)
}

/// Checks the value of a visible question against its rules and offered options.
///
/// For a read-only identity question the value checked is the launch's, whatever is passed.
pub(crate) fn validate(
    q: &Question,
    value: Option<&AnswerValue>,
    options: &[OptionRef<'_>],
    env: &Environment,
) -> Result<(), Invalid> {
    let launch_value;
    let value = match &q.kind {
        QuestionKind::Identity(rules) => {
            let from_launch = env
                .identity
                .get(rules.field)
                .map(|s| AnswerValue::Text(s.to_owned()));
            if q.is_read_only() || is_unanswered(value) {
                launch_value = from_launch;
                launch_value.as_ref()
            } else {
                value
            }
        }
        _ => value,
    };
    if is_unanswered(value) {
        // A required choice with nothing to choose from (e.g. a formation offering no item
        // to this student) cannot be answered: it does not block the student.
        let nothing_to_choose = q.choice_source().is_some() && options.is_empty();
        return if q.is_required() && !nothing_to_choose {
            Err(invalid(FieldErrorCode::Required, required_message(q)))
        } else {
            Ok(())
        };
    }
    let Some(value) = value else { return Ok(()) };
    let wrong = || {
        invalid(
            FieldErrorCode::WrongType,
            "Réponse invalide : saisissez-la à nouveau.",
        )
    };
    match (&q.kind, value) {
        (
            QuestionKind::ShortText(rules) | QuestionKind::LongText(rules),
            AnswerValue::Text(text),
        ) => {
            let len = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
            if let Some(min) = rules.min_length
                && len < min
            {
                return Err(invalid(
                    FieldErrorCode::TooShort,
                    format!(
                        "Votre réponse doit contenir au moins {} (actuellement {len}).",
                        plural(min, "caractère", "caractères")
                    ),
                ));
            }
            if let Some(max) = rules.max_length
                && len > max
            {
                return Err(invalid(
                    FieldErrorCode::TooLong,
                    format!(
                        "Votre réponse doit contenir au plus {} (actuellement {len}).",
                        plural(max, "caractère", "caractères")
                    ),
                ));
            }
            if let Some(pattern) = &rules.pattern
                && !pattern.is_match(text)
            {
                let message = rules
                    .pattern_message
                    .clone()
                    .unwrap_or_else(|| "Le format de la réponse n'est pas celui attendu.".into());
                return Err(invalid(FieldErrorCode::PatternMismatch, message));
            }
            Ok(())
        }
        (QuestionKind::Identity(rules), AnswerValue::Text(text)) => {
            if rules.field == IdentityField::Email && !q.is_read_only() && !looks_like_email(text) {
                return Err(invalid(
                    FieldErrorCode::InvalidEmail,
                    "Saisissez une adresse électronique valide (ex. prenom.nom@exemple.fr).",
                ));
            }
            Ok(())
        }
        (QuestionKind::Number(rules), AnswerValue::Number(n)) => {
            if !n.is_finite() {
                return Err(wrong());
            }
            if rules.integer == Some(true) && n.fract() != 0.0 {
                return Err(invalid(
                    FieldErrorCode::NotAnInteger,
                    "Saisissez un nombre entier.",
                ));
            }
            if let Some(min) = rules.min
                && *n < min
            {
                return Err(invalid(
                    FieldErrorCode::TooSmall,
                    format!("La valeur doit être au moins {}.", french_number(min)),
                ));
            }
            if let Some(max) = rules.max
                && *n > max
            {
                return Err(invalid(
                    FieldErrorCode::TooLarge,
                    format!("La valeur doit être au plus {}.", french_number(max)),
                ));
            }
            Ok(())
        }
        (QuestionKind::Date(rules), AnswerValue::Text(text)) => {
            let Some(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok() else {
                return Err(invalid(
                    FieldErrorCode::NotADate,
                    "Saisissez une date valide au format JJ/MM/AAAA.",
                ));
            };
            if let Some(min) = rules.min.as_deref().and_then(parse_date)
                && date < min
            {
                return Err(invalid(
                    FieldErrorCode::TooEarly,
                    format!("La date doit être le {} ou après.", french_date(min)),
                ));
            }
            if let Some(max) = rules.max.as_deref().and_then(parse_date)
                && date > max
            {
                return Err(invalid(
                    FieldErrorCode::TooLate,
                    format!("La date doit être le {} ou avant.", french_date(max)),
                ));
            }
            Ok(())
        }
        (QuestionKind::SingleChoice(_), AnswerValue::Text(v)) => {
            if options.iter().any(|o| o.value() == v) {
                Ok(())
            } else {
                Err(invalid(
                    FieldErrorCode::NotOffered,
                    "Ce choix ne vous est pas proposé.",
                ))
            }
        }
        (QuestionKind::MultipleChoice(rules), AnswerValue::List(values)) => {
            if values
                .iter()
                .any(|v| !options.iter().any(|o| o.value() == v))
            {
                return Err(invalid(
                    FieldErrorCode::NotOffered,
                    "Un des choix cochés ne vous est pas proposé.",
                ));
            }
            let count = u32::try_from(values.len()).unwrap_or(u32::MAX);
            if let Some(min) = rules.min_selections
                && count < min
            {
                return Err(invalid(
                    FieldErrorCode::TooFewChoices,
                    format!("Cochez au moins {}.", plural(min, "réponse", "réponses")),
                ));
            }
            if let Some(max) = rules.max_selections
                && count > max
            {
                return Err(invalid(
                    FieldErrorCode::TooManyChoices,
                    format!("Cochez au plus {}.", plural(max, "réponse", "réponses")),
                ));
            }
            Ok(())
        }
        (QuestionKind::Acknowledgement | QuestionKind::Engagement(_), AnswerValue::Bool(true)) => {
            Ok(())
        }
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_french_or_english() {
        assert_eq!(parse_number("12"), Some(12.0));
        assert_eq!(parse_number(" 12,5 "), Some(12.5));
        assert_eq!(parse_number("1 200.5"), Some(1200.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        for bad in ["", "douze", "1e3", "NaN", "inf", "1,2,3"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_iso_or_french() {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 9, 1);
        assert_eq!(parse_date("2025-09-01"), d);
        assert_eq!(parse_date("01/09/2025"), d);
        assert_eq!(parse_date("31/02/2025"), None);
        assert_eq!(parse_date("septembre"), None);
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("a.b@exemple.fr"));
        for bad in ["a", "a@b", "@b.fr", "a@@b.fr", "a b@c.fr", "a@.fr"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
