//! Published questionnaire versions of a course: immutable, numbered 1, 2, 3… per questionnaire key.

use super::ids::CourseId;
use diesel::prelude::*;

use super::schema::questionnaire_versions;
use super::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

/// A published version, without its source text.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = questionnaire_versions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct VersionRow {
    pub id: String,
    pub context_id: CourseId,
    pub questionnaire_key: String,
    /// 1 for the first version of a key in the course, then 2, 3…
    pub version: i32,
    pub title: String,
    /// SHA-256 of the questionnaire's canonical JSON (`Questionnaire::content_hash`).
    pub content_hash: String,
    pub file_name: String,
    pub published_at: i64,
}

/// What to publish: the checked questionnaire's identity and the text it was loaded from.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub questionnaire_key: &'a str,
    pub title: &'a str,
    pub content_hash: &'a str,
    pub file_name: &'a str,
    pub source: &'a str,
}

/// The outcome of a publication.
#[derive(Debug, Clone)]
pub struct Published {
    pub row: VersionRow,
    /// False when the latest version already had this content (nothing was written).
    pub created: bool,
}

/// The latest version of a questionnaire key in a course.
pub fn latest(
    conn: &mut DbConn,
    context_id: &CourseId,
    key: &str,
) -> StoreResult<Option<VersionRow>> {
    let versions: Vec<VersionRow> = questionnaire_versions::table
        .filter(questionnaire_versions::context_id.eq(context_id))
        .filter(questionnaire_versions::questionnaire_key.eq(key))
        .order(questionnaire_versions::version.desc())
        .select(columns::<VersionRow>())
        .load_on(conn)?;
    Ok(versions.into_iter().next())
}

/// A given version number of a questionnaire key in a course.
pub fn by_number(
    conn: &mut DbConn,
    context_id: &CourseId,
    key: &str,
    version: i32,
) -> StoreResult<Option<VersionRow>> {
    Ok(questionnaire_versions::table
        .filter(questionnaire_versions::context_id.eq(context_id))
        .filter(questionnaire_versions::questionnaire_key.eq(key))
        .filter(questionnaire_versions::version.eq(version))
        .select(columns::<VersionRow>())
        .get_result_on(conn)
        .optional()?)
}

/// A version by id.
pub fn get(conn: &mut DbConn, id: &str) -> StoreResult<VersionRow> {
    Ok(questionnaire_versions::table
        .find(id)
        .select(columns::<VersionRow>())
        .get_result_on(conn)?)
}

/// The file name and source text of a version (to load it).
pub fn source(conn: &mut DbConn, id: &str) -> StoreResult<(String, String)> {
    Ok(questionnaire_versions::table
        .find(id)
        .select((
            questionnaire_versions::file_name,
            questionnaire_versions::source,
        ))
        .get_result_on(conn)?)
}

/// Every version published in a course, by key then version.
pub fn of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<VersionRow>> {
    Ok(questionnaire_versions::table
        .filter(questionnaire_versions::context_id.eq(context_id))
        .order((
            questionnaire_versions::questionnaire_key.asc(),
            questionnaire_versions::version.asc(),
        ))
        .select(columns::<VersionRow>())
        .load_on(conn)?)
}

/// Publishes a new version unless the latest one of the key has the same content hash
/// (caller's transaction: two concurrent publications cannot get the same number, the
/// unique index refuses the second).
pub fn publish(
    conn: &mut DbConn,
    context_id: &CourseId,
    new: &NewVersion<'_>,
) -> StoreResult<Published> {
    let latest = latest(conn, context_id, new.questionnaire_key)?;
    if let Some(row) = &latest
        && row.content_hash == new.content_hash
    {
        return Ok(Published {
            row: row.clone(),
            created: false,
        });
    }
    let version = latest.map_or(1, |r| r.version + 1);
    let id = new_id();
    diesel::insert_into(questionnaire_versions::table)
        .values((
            questionnaire_versions::id.eq(&id),
            questionnaire_versions::context_id.eq(context_id),
            questionnaire_versions::questionnaire_key.eq(new.questionnaire_key),
            questionnaire_versions::version.eq(version),
            questionnaire_versions::title.eq(new.title),
            questionnaire_versions::content_hash.eq(new.content_hash),
            questionnaire_versions::file_name.eq(new.file_name),
            questionnaire_versions::source.eq(new.source),
            questionnaire_versions::published_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(Published {
        row: get(conn, &id)?,
        created: true,
    })
}
