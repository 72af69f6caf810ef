//! Questionnaire drafts written in the designer's screens: created by an import (even a file that does not load yet: its text is kept), saved as typed, checked with the engine and the course's formations, published as a new immutable version.

use std::sync::Arc;

use super::versions::{self, PublishError};
use crate::questionnaire::{Diagnostic, Questionnaire};
use crate::store::audit::{Action, Actor, Target};
use crate::store::ids::CourseId;
use crate::store::questionnaire_drafts::{self, DraftRow, DraftUpdate, NewDraft};
use crate::store::questionnaire_versions::{Published, VersionRow};
use crate::store::{DbConn, StoreError};

/// Largest questionnaire text accepted (the sample is 17 KB; a form posts at most 256 KiB).
pub const MAX_TEXT: usize = 200 * 1024;

/// Why a draft operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// No draft with this id in the session's course.
    #[error("brouillon introuvable dans ce cours")]
    NotFound,
    /// The draft changed since the form was shown (another tab or designer).
    #[error("le brouillon a été modifié entre-temps")]
    Stale(Box<DraftRow>),
    /// The text does not load: every problem, with its line.
    #[error("le questionnaire contient des erreurs")]
    Invalid(Vec<Diagnostic>),
    /// Formations of the course that use the key do not fit it.
    #[error("les données des formations ne conviennent pas à ce questionnaire")]
    Formations(Vec<Diagnostic>),
    /// Too long a text.
    #[error("le texte dépasse {} Kio", MAX_TEXT / 1024)]
    TooLong,
    #[error(transparent)]
    Course(#[from] super::CourseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PublishError> for DraftError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Formations(d) => DraftError::Formations(d),
            PublishError::Course(c) => DraftError::Course(c),
            PublishError::Store(s) => DraftError::Store(s),
        }
    }
}

/// The key and title a text declares, read even when the rest of it does not load.
pub fn peek(text: &str) -> (String, String) {
    let Ok((value, _)) = crate::questionnaire::yaml::parse(text) else {
        return (String::new(), String::new());
    };
    let field = |name: &str| {
        value
            .get(name)
            .and_then(|v| v.as_str())
            .map(|s| s.trim().chars().take(200).collect())
            .unwrap_or_default()
    };
    (field("key"), field("title"))
}

/// What checking a text found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The questionnaire, when the text loads.
    pub questionnaire: Option<Arc<Questionnaire>>,
    /// The engine's diagnostics (errors, or warnings when it loads).
    pub diagnostics: Vec<Diagnostic>,
    /// The course's formations that use its key, checked against it (`file` names them).
    pub formations: Vec<Diagnostic>,
}

impl Checked {
    /// Whether it can be published.
    pub fn publishable(&self) -> bool {
        self.questionnaire.is_some() && !self.formations.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .chain(&self.formations)
            .filter(|d| d.is_error())
            .count()
    }
}

/// Checks a text with the engine and against the course's formations (no write).
pub fn check(
    conn: &mut DbConn,
    context_id: &CourseId,
    file_name: &str,
    text: &str,
) -> Result<Checked, DraftError> {
    Ok(match Questionnaire::load(file_name, text) {
        Ok(loaded) => {
            let formations =
                versions::check_course_formations(conn, context_id, &loaded.questionnaire)?;
            Checked {
                questionnaire: Some(Arc::new(loaded.questionnaire)),
                diagnostics: loaded.warnings,
                formations,
            }
        }
        Err(e) => Checked {
            questionnaire: None,
            diagnostics: e.diagnostics,
            formations: Vec::new(),
        },
    })
}

/// A draft of the session's course.
pub fn get(conn: &mut DbConn, context_id: &CourseId, id: &str) -> Result<DraftRow, DraftError> {
    questionnaire_drafts::get_in_context(conn, context_id, id)?.ok_or(DraftError::NotFound)
}

/// A clean file name for an imported file (`questionnaire.yaml` when none was given).
pub fn file_name(given: &str) -> String {
    let name: String = given
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if name.trim().is_empty() {
        "questionnaire.yaml".into()
    } else {
        name.trim().to_owned()
    }
}

/// Creates a draft from an imported text or a published version, whatever its state (the
/// designer fixes it in the editor).
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    file_name: &str,
    text: &str,
    base: Option<&VersionRow>,
) -> Result<DraftRow, DraftError> {
    if text.len() > MAX_TEXT {
        return Err(DraftError::TooLong);
    }
    let (key, title) = peek(text);
    let row = questionnaire_drafts::insert(
        conn,
        &NewDraft {
            context_id,
            questionnaire_key: &key,
            title: &title,
            base_version_id: base.map(|v| v.id.as_str()),
            file_name,
            source: text,
            user_id: actor.user_id.as_deref(),
        },
    )?;
    actor.record(
        conn,
        context_id,
        Action::ConfigDraft,
        (Target::QuestionnaireDraft, Some(&row.id)),
        serde_json::json!({
            "change": "create", "key": key, "file": file_name,
            "from_version": base.map(|v| v.version),
        }),
    )?;
    Ok(row)
}

/// Saves a draft's text as typed (valid or not) if it is still at `revision`.
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    id: &str,
    revision: i32,
    text: &str,
) -> Result<DraftRow, DraftError> {
    if text.len() > MAX_TEXT {
        return Err(DraftError::TooLong);
    }
    let current = get(conn, context_id, id)?;
    if current.source == text && current.revision == revision {
        return Ok(current);
    }
    let (key, title) = peek(text);
    let saved = questionnaire_drafts::update(
        conn,
        context_id,
        id,
        revision,
        &DraftUpdate {
            questionnaire_key: &key,
            title: &title,
            source: text,
            user_id: actor.user_id.as_deref(),
        },
    )?;
    if !saved {
        return Err(DraftError::Stale(Box::new(current)));
    }
    actor.record(
        conn,
        context_id,
        Action::ConfigDraft,
        (Target::QuestionnaireDraft, Some(id)),
        serde_json::json!({ "change": "save", "key": key, "revision": revision + 1 }),
    )?;
    get(conn, context_id, id)
}

/// Drops a draft.
pub fn discard(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    id: &str,
) -> Result<(), DraftError> {
    let draft = get(conn, context_id, id)?;
    questionnaire_drafts::delete(conn, context_id, id)?;
    actor.record(
        conn,
        context_id,
        Action::ConfigDraft,
        (Target::QuestionnaireDraft, Some(id)),
        serde_json::json!({ "change": "discard", "key": draft.questionnaire_key }),
    )?;
    Ok(())
}

/// Publishes a draft at `revision` as a new immutable version (refused when it does not load
/// or a formation's data no longer fits), then drops the draft. Returns the version and the
/// warnings.
pub fn publish(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    id: &str,
    revision: i32,
) -> Result<(Published, Vec<Diagnostic>), DraftError> {
    let draft = get(conn, context_id, id)?;
    if draft.revision != revision {
        return Err(DraftError::Stale(Box::new(draft)));
    }
    let loaded = Questionnaire::load(&draft.file_name, &draft.source)
        .map_err(|e| DraftError::Invalid(e.diagnostics))?;
    let (published, mut warnings) = versions::publish_checked(
        conn,
        context_id,
        &loaded.questionnaire,
        &draft.file_name,
        &draft.source,
    )?;
    warnings.extend(loaded.warnings);
    questionnaire_drafts::delete(conn, context_id, id)?;
    let v = &published.row;
    actor.record(
        conn,
        context_id,
        Action::ConfigPublish,
        (Target::QuestionnaireVersion, Some(&v.id)),
        serde_json::json!({
            "key": v.questionnaire_key, "version": v.version, "content_hash": v.content_hash,
            "new": published.created, "draft": id,
        }),
    )?;
    Ok((published, warnings))
}
