//! Questionnaire versions of a course: publishing a checked questionnaire, loading a stored version (cached per process: versions never change).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use crate::questionnaire::{Diagnostic, Questionnaire};
use crate::store::formations;
use crate::store::ids::CourseId;
use crate::store::questionnaire_versions::{self, NewVersion, Published, VersionRow};
use crate::store::{DbConn, StoreError};

/// Why a stored version could not be used.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// The stored text no longer loads (it did when published): an engine change refuses it.
    #[error("questionnaire version {id} does not load any more: {message}")]
    Unloadable { id: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Loaded = RwLock<HashMap<String, Arc<Questionnaire>>>;

/// Loaded questionnaires by version id. A version is immutable, so an entry never goes stale.
static LOADED: LazyLock<Loaded> = LazyLock::new(Default::default);

/// The questionnaire of a stored version (loaded once per process).
pub fn load(conn: &mut DbConn, row: &VersionRow) -> Result<Arc<Questionnaire>, VersionError> {
    if let Ok(cache) = LOADED.read()
        && let Some(q) = cache.get(&row.id)
    {
        return Ok(q.clone());
    }
    let (file_name, source) = questionnaire_versions::source(conn, &row.id)?;
    let loaded =
        Questionnaire::load(&file_name, &source).map_err(|e| VersionError::Unloadable {
            id: row.id.clone(),
            message: e.to_string(),
        })?;
    let q = Arc::new(loaded.questionnaire);
    if q.content_hash() != row.content_hash {
        tracing::warn!(version = %row.id, stored = %row.content_hash, now = %q.content_hash(),
            "questionnaire version hashes differently with this engine; the stored text is used as is");
    }
    if let Ok(mut cache) = LOADED.write() {
        if cache.len() >= 512 {
            cache.clear();
        }
        cache.insert(row.id.clone(), q.clone());
    }
    Ok(q)
}

/// A stored version by id, with its questionnaire.
pub fn load_by_id(
    conn: &mut DbConn,
    id: &str,
) -> Result<(VersionRow, Arc<Questionnaire>), VersionError> {
    let row = questionnaire_versions::get(conn, id)?;
    let q = load(conn, &row)?;
    Ok((row, q))
}

/// The latest version of a key in a course, with its questionnaire.
pub fn latest(
    conn: &mut DbConn,
    context_id: &CourseId,
    key: &str,
) -> Result<Option<(VersionRow, Arc<Questionnaire>)>, VersionError> {
    match questionnaire_versions::latest(conn, context_id, key)? {
        Some(row) => {
            let q = load(conn, &row)?;
            Ok(Some((row, q)))
        }
        None => Ok(None),
    }
}

/// Publishes a checked questionnaire in a course: a new version when its content differs
/// from the latest version of its key, else nothing (caller's transaction).
pub fn publish(
    conn: &mut DbConn,
    context_id: &CourseId,
    q: &Questionnaire,
    file_name: &str,
    text: &str,
) -> Result<Published, StoreError> {
    questionnaire_versions::publish(
        conn,
        context_id,
        &NewVersion {
            questionnaire_key: q.key(),
            title: q.title(),
            content_hash: q.content_hash(),
            file_name,
            source: text,
        },
    )
}

/// Checks the active formations of a course that use `q`'s key against `q` (before
/// publishing a new version of it): their lists and attributes must still fit.
pub fn check_course_formations(
    conn: &mut DbConn,
    context_id: &CourseId,
    q: &Questionnaire,
) -> Result<Vec<Diagnostic>, super::CourseError> {
    let mut out = Vec::new();
    for row in formations::of_context(conn, context_id)? {
        if row.archived_at.is_some() || row.questionnaire_key != q.key() {
            continue;
        }
        let formation = super::formation_data(&row)?;
        out.extend(q.check_formation(&formation));
    }
    Ok(out)
}

/// Why a publication was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The data of formations that use the questionnaire's key no longer fit it.
    #[error("les données des formations ne conviennent pas à ce questionnaire :\n{}", crate::questionnaire::diagnostic::format_all(.0))]
    Formations(Vec<Diagnostic>),
    #[error(transparent)]
    Course(#[from] super::CourseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Publishes a checked questionnaire after checking the course's formations that use its
/// key against it (errors refuse it; the warnings are returned). The one path of
/// `cpre questionnaire import` and of the designer's « Publier ». Caller's transaction.
pub fn publish_checked(
    conn: &mut DbConn,
    context_id: &CourseId,
    q: &Questionnaire,
    file_name: &str,
    text: &str,
) -> Result<(Published, Vec<Diagnostic>), PublishError> {
    let problems = check_course_formations(conn, context_id, q)?;
    if problems.iter().any(Diagnostic::is_error) {
        return Err(PublishError::Formations(problems));
    }
    let published = publish(conn, context_id, q, file_name, text)?;
    Ok((published, problems))
}
