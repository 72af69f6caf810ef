//! Courses as the designer configures them: formations and their Moodle groups, the academic year, the scolarité contact, questionnaire versions, and routing a student to their formation.
//!
//! A course is configured from a file (`cpre course configure FILE`, format in
//! `docs/configuration-cours.md`): [`file::read`] checks it without a database,
//! [`configure::apply`] writes it in one transaction; or in the designer's screens, whose
//! changes go through [`editing`] (formations, groups, formation data), [`drafts`]
//! (questionnaire drafts and publication), [`model_edit`] (the form editor of a draft) and
//! [`years`] (academic years), each recorded in the audit log. [`versions`] publishes and loads immutable questionnaire versions;
//! [`routing`] finds a student's formations from the launch's groups.

pub mod configure;
pub mod demo;
pub mod drafts;
pub mod editing;
pub mod file;
pub mod history;
pub mod model_edit;
pub mod preview;
pub mod reference;
pub mod routing;
pub mod screens;
pub mod versions;
pub mod years;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use serde::{Deserialize, Serialize};

use crate::questionnaire::{Formation, PreparedFormation};
use crate::store::formations::FormationRow;
use crate::store::ids::FormationId;

/// A person or office to contact: the scolarité of a course, the referent of a formation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Office, opening hours… (plain text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// A web page (https://…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Contact {
    /// Nothing to show.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.phone.is_none()
            && self.details.is_none()
            && self.url.is_none()
    }

    /// Reads a stored contact (`{}` or an unreadable value give an empty contact).
    pub fn from_json(text: &str) -> Contact {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// Errors about a course's stored configuration.
#[derive(Debug, thiserror::Error)]
pub enum CourseError {
    /// The stored formation data does not read back (it was checked when configured).
    #[error("stored data of formation {code} is unreadable: {message}")]
    FormationData { code: String, message: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The formation data of a row.
pub fn formation_data(row: &FormationRow) -> Result<Formation, CourseError> {
    serde_json::from_str(&row.data).map_err(|e| CourseError::FormationData {
        code: row.code.clone(),
        message: e.to_string(),
    })
}

type PreparedCache = RwLock<HashMap<(FormationId, i64), Arc<PreparedFormation>>>;

/// Prepared formations by (id, updated_at): preparing renders Markdown and parses item
/// conditions and the information text, done once per formation version per process.
static PREPARED: LazyLock<PreparedCache> = LazyLock::new(Default::default);

/// The formation of a row, prepared for the engine (cached).
pub fn prepared_formation(row: &FormationRow) -> Result<Arc<PreparedFormation>, CourseError> {
    let key = (row.id.clone(), row.updated_at);
    if let Ok(cache) = PREPARED.read()
        && let Some(p) = cache.get(&key)
    {
        return Ok(p.clone());
    }
    let prepared =
        Arc::new(PreparedFormation::new(formation_data(row)?).with_info(row.info.as_deref()));
    if let Ok(mut cache) = PREPARED.write() {
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(key, prepared.clone());
    }
    Ok(prepared)
}
