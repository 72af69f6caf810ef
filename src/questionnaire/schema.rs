//! The JSON Schema of the file format, generated from the model, and schema validation with French diagnostics.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::diagnostic::DiagnosticCode;
use super::load::Reporter;
use super::model::QuestionnaireDoc;

/// The JSON Schema (draft 2020-12) of questionnaire files, generated from the model types.
pub fn json_schema() -> Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<QuestionnaireDoc>();
    let mut value = schema.to_value();
    drop_null(&mut value);
    value
}

/// Optional fields are written or left out, never `null`: removes the `null` alternatives
/// schemars adds for `Option` fields.
fn drop_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [single] = types.as_slice() {
                    let single = single.clone();
                    map.insert("type".into(), single);
                }
            }
            if let Some(Value::Array(alternatives)) = map.get_mut("anyOf") {
                alternatives.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
                if let [single] = alternatives.as_slice() {
                    let single = single.clone();
                    map.remove("anyOf");
                    if let Value::Object(inner) = single {
                        for (k, v) in inner {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// The schema as published in `docs/questionnaire.schema.json` (pretty JSON, final newline).
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

static VALIDATOR: LazyLock<Result<Validator, String>> = LazyLock::new(|| {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&json_schema())
        .map_err(|e| e.to_string())
});

/// Validates a document against the schema and reports each violation where it is written.
pub(crate) fn validate(instance: &Value, r: &mut Reporter<'_>) {
    let validator = match &*VALIDATOR {
        Ok(v) => v,
        Err(e) => {
            r.error(
                "",
                DiagnosticCode::Schema,
                format!("schéma interne invalide : {e}"),
            );
            return;
        }
    };
    let errors: Vec<ValidationError<'_>> = validator.iter_errors(instance).collect();
    let mut seen = std::collections::HashSet::new();
    for (pointer, message) in explain_all(&errors) {
        if seen.insert((pointer.clone(), message.clone())) {
            r.error(&pointer, DiagnosticCode::Schema, message);
        }
    }
}

/// Every field name some question type defines.
static KIND_FIELDS: LazyLock<std::collections::HashSet<String>> = LazyLock::new(|| {
    let schema = json_schema();
    let mut names = std::collections::HashSet::new();
    if let Some(kinds) = schema
        .pointer("/$defs/Question/oneOf")
        .and_then(Value::as_array)
    {
        for kind in kinds {
            if let Some(props) = kind.get("properties").and_then(Value::as_object) {
                names.extend(props.keys().cloned());
            }
        }
    }
    names
});

/// Explains sibling errors. When a question's type-specific part is invalid, JSON Schema also
/// calls all its type-specific fields "unevaluated": those are left out, the type-specific
/// errors say what is wrong.
fn explain_all(errors: &[ValidationError<'_>]) -> Vec<(String, String)> {
    let failed_kinds: Vec<&str> = errors
        .iter()
        .filter(|e| {
            matches!(
                e.kind(),
                ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. }
            )
        })
        .map(|e| e.instance_path().as_str())
        .collect();
    let mut out = Vec::new();
    for error in errors {
        if let ValidationErrorKind::UnevaluatedProperties { unexpected } = error.kind() {
            let pointer = error.instance_path().as_str();
            if failed_kinds.contains(&pointer) {
                for name in unexpected.iter().filter(|n| !KIND_FIELDS.contains(*n)) {
                    out.push((
                        format!("{pointer}/{}", super::yaml::escape_segment(name)),
                        format!("champ inconnu « {name} » (faute de frappe ? ce champ n'existe pas à cet endroit ou pour ce type)"),
                    ));
                }
                continue;
            }
        }
        out.extend(explain(error));
    }
    out
}

/// The names of the question types, for « type inconnu » messages.
const BLOCK_TYPES: &str = "text, short_text, long_text, single_choice, multiple_choice, acknowledgement, date, number, identity, engagement";

fn field_of(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or("")
}

fn json_type_name(kind: &TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "string" => "un texte (entre guillemets s'il contient des caractères spéciaux)".to_owned(),
        "integer" => "un nombre entier".to_owned(),
        "number" => "un nombre".to_owned(),
        "boolean" => "true ou false".to_owned(),
        "array" => "une liste (lignes commençant par « - »)".to_owned(),
        "object" => "un bloc de champs « clé: valeur »".to_owned(),
        "null" => "vide".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" ou "),
    }
}

/// Turns one schema violation into (pointer, French message) pairs.
fn explain(error: &ValidationError<'_>) -> Vec<(String, String)> {
    let pointer = error.instance_path().as_str().to_owned();
    let field = field_of(&pointer).to_owned();
    let instance = error.instance();
    let one = |message: String| vec![(pointer.clone(), message)];
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().map(str::to_owned).unwrap_or_else(|| property.to_string());
            one(format!("le champ obligatoire « {name} » manque ici"))
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => unexpected
            .iter()
            .map(|name| {
                let child = format!("{pointer}/{}", super::yaml::escape_segment(name));
                (child, format!("champ inconnu « {name} » (faute de frappe ? ce champ n'existe pas à cet endroit ou pour ce type)"))
            })
            .collect(),
        ValidationErrorKind::Type { kind } => {
            one(format!("« {field} » doit être {}", json_type_name(kind)))
        }
        ValidationErrorKind::Enum { options } => {
            let list = options
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            one(format!("valeur {instance} non reconnue pour « {field} » ; valeurs possibles : {list}"))
        }
        ValidationErrorKind::Constant { expected_value } => {
            one(format!("« {field} » doit valoir {expected_value}"))
        }
        ValidationErrorKind::Pattern { .. } => {
            let hint = match field.as_str() {
                "id" => "un identifiant s'écrit en minuscules sans accents, chiffres et « _ », en commençant par une lettre (ex. statut_salarie)",
                "key" => "la clé s'écrit en minuscules, chiffres, « - » et « _ » (ex. cpre-l1)",
                "academic_year" => "une année universitaire s'écrit AAAA-AAAA (ex. 2025-2026)",
                "language" => "un code de langue s'écrit comme fr ou fr-FR",
                _ => "la valeur n'a pas la forme attendue",
            };
            one(format!("{instance} ne convient pas pour « {field} » : {hint}"))
        }
        ValidationErrorKind::MinLength { .. } => one(format!("« {field} » ne peut pas être vide")),
        ValidationErrorKind::MaxLength { limit } => {
            one(format!("« {field} » est trop long ({limit} caractères au plus)"))
        }
        ValidationErrorKind::MinItems { .. } => one(format!("la liste « {field} » ne peut pas être vide")),
        ValidationErrorKind::Minimum { limit } => {
            one(format!("« {field} » doit être au moins {limit}"))
        }
        ValidationErrorKind::Format { format } if format == "date" => one(format!(
            "{instance} n'est pas une date valide pour « {field} » : écrivez-la au format AAAA-MM-JJ (ex. 2025-09-01)"
        )),
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            explain_alternatives(&pointer, instance, context)
        }
        _ => one(format!("« {field} » : {error}")),
    }
}

/// For a value that matches none of several shapes (a block is a text or one of the question
/// types), explains the errors of the shape it was meant to have: the one whose `type` matches.
fn explain_alternatives(
    pointer: &str,
    instance: &Value,
    context: &[Vec<ValidationError<'static>>],
) -> Vec<(String, String)> {
    let type_pointer = format!("{pointer}/type");
    let type_mismatch = |branch: &Vec<ValidationError<'static>>| {
        branch.iter().any(|e| {
            e.instance_path().as_str() == type_pointer
                && matches!(
                    e.kind(),
                    ValidationErrorKind::Constant { .. }
                        | ValidationErrorKind::Enum { .. }
                        | ValidationErrorKind::OneOfNotValid { .. }
                        | ValidationErrorKind::AnyOf { .. }
                )
        }) || branch.iter().any(|e| {
            // A nested choice between kinds where no kind matched: the type is unknown there.
            e.instance_path().as_str() == pointer
                && matches!(e.kind(), ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context }
                    if context.iter().all(|b| b.iter().any(|x| x.instance_path().as_str() == type_pointer)))
        })
    };
    let candidates: Vec<&Vec<ValidationError<'static>>> =
        context.iter().filter(|b| !type_mismatch(b)).collect();
    if let Some(kind) = instance.get("type") {
        if candidates.is_empty() {
            return vec![(
                type_pointer,
                format!("type inconnu {kind} ; types possibles : {BLOCK_TYPES}"),
            )];
        }
    } else if instance.is_object() && pointer.contains("/blocks/") {
        return vec![(
            pointer.to_owned(),
            format!("il manque le champ « type » (types possibles : {BLOCK_TYPES})"),
        )];
    }
    let best = candidates
        .into_iter()
        .min_by_key(|b| b.len())
        .or_else(|| context.iter().min_by_key(|b| b.len()));
    match best {
        Some(branch) => explain_all(branch),
        None => vec![(
            pointer.to_owned(),
            "valeur non reconnue à cet endroit".into(),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published schema is the generated one. Regenerate with
    /// `CPRE_WRITE_SCHEMA=1 cargo test --lib questionnaire::schema`.
    #[test]
    fn published_schema_is_up_to_date() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/questionnaire.schema.json"
        );
        let generated = json_schema_text();
        if std::env::var_os("CPRE_WRITE_SCHEMA").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/questionnaire.schema.json is stale: run CPRE_WRITE_SCHEMA=1 cargo test --lib questionnaire::schema"
        );
    }

    #[test]
    fn validator_builds() {
        assert!(VALIDATOR.is_ok(), "{:?}", VALIDATOR.as_ref().err());
    }
}
