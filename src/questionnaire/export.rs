//! Canonical form of a questionnaire: content hash (SHA-256 of canonical JSON) and export to YAML/JSON.

use aws_lc_rs::digest;
use serde_json::{Map, Value};

use super::index::Questionnaire;
use super::model::QuestionnaireDoc;

/// Why a questionnaire could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Serialising the model failed (should not happen for a loaded questionnaire).
    #[error("impossible de sérialiser le questionnaire : {0}")]
    Json(#[from] serde_json::Error),
    /// Writing the YAML text failed.
    #[error("impossible d'écrire le YAML du questionnaire")]
    Yaml,
}

/// Recursively sorts object keys, so that equal values serialise to equal text.
pub(crate) fn canonicalize(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (k, v) in entries {
                out.insert(k, canonicalize(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonicalize).collect()),
        other => other,
    }
}

/// Canonical JSON text of a value: sorted keys, no insignificant whitespace.
pub fn canonical_json<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let v = canonicalize(serde_json::to_value(value)?);
    serde_json::to_string(&v)
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, bytes).as_ref())
}

pub(crate) fn content_hash(doc: &QuestionnaireDoc) -> String {
    sha256_hex(canonical_json(doc).unwrap_or_default().as_bytes())
}

impl Questionnaire {
    /// The document as canonical JSON (the text [`Questionnaire::content_hash`] is computed on).
    pub fn to_canonical_json(&self) -> Result<String, ExportError> {
        Ok(canonical_json(&self.doc)?)
    }

    /// The document as YAML, keys in a readable order, long texts as `|` blocks. Loading it
    /// again gives a questionnaire with the same content hash.
    pub fn to_yaml(&self) -> Result<String, ExportError> {
        self.doc.to_yaml()
    }
}

impl QuestionnaireDoc {
    /// The document as YAML (as [`Questionnaire::to_yaml`]): how the designer's form editor
    /// writes a changed document back before loading it again.
    pub fn to_yaml(&self) -> Result<String, ExportError> {
        let value = serde_json::to_value(self)?;
        super::yaml::to_yaml(&value).map_err(|_| ExportError::Yaml)
    }
}
