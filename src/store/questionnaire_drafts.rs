//! Questionnaire drafts of a course: text being written in the designer's screens, kept until published (or dropped).

use super::ids::{CourseId, UserId};
use diesel::prelude::*;

use super::schema::questionnaire_drafts;
use super::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

/// A draft.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = questionnaire_drafts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DraftRow {
    pub id: String,
    pub context_id: CourseId,
    /// The key read from the text (`''` while the text does not tell).
    pub questionnaire_key: String,
    pub title: String,
    /// The published version it started from.
    pub base_version_id: Option<String>,
    pub file_name: String,
    pub source: String,
    pub revision: i32,
    pub created_by: Option<String>,
    pub updated_by: Option<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a new draft holds.
#[derive(Debug, Clone)]
pub struct NewDraft<'a> {
    pub context_id: &'a str,
    pub questionnaire_key: &'a str,
    pub title: &'a str,
    pub base_version_id: Option<&'a str>,
    pub file_name: &'a str,
    pub source: &'a str,
    pub user_id: Option<&'a str>,
}

/// Inserts a draft; returns it.
pub fn insert(conn: &mut DbConn, new: &NewDraft<'_>) -> StoreResult<DraftRow> {
    let now = now_micros();
    let id = new_id();
    diesel::insert_into(questionnaire_drafts::table)
        .values((
            questionnaire_drafts::id.eq(&id),
            questionnaire_drafts::context_id.eq(new.context_id),
            questionnaire_drafts::questionnaire_key.eq(new.questionnaire_key),
            questionnaire_drafts::title.eq(new.title),
            questionnaire_drafts::base_version_id.eq(new.base_version_id),
            questionnaire_drafts::file_name.eq(new.file_name),
            questionnaire_drafts::source.eq(new.source),
            questionnaire_drafts::revision.eq(1),
            questionnaire_drafts::created_by.eq(new.user_id),
            questionnaire_drafts::updated_by.eq(new.user_id),
            questionnaire_drafts::created_at.eq(now),
            questionnaire_drafts::updated_at.eq(now),
        ))
        .execute_on(conn)?;
    Ok(questionnaire_drafts::table
        .find(&id)
        .select(columns::<DraftRow>())
        .get_result_on(conn)?)
}

/// A draft of a course by id (`None` for another course's).
pub fn get_in_context(
    conn: &mut DbConn,
    context_id: &CourseId,
    id: &str,
) -> StoreResult<Option<DraftRow>> {
    Ok(questionnaire_drafts::table
        .filter(questionnaire_drafts::context_id.eq(context_id))
        .filter(questionnaire_drafts::id.eq(id))
        .select(columns::<DraftRow>())
        .get_result_on(conn)
        .optional()?)
}

/// The drafts of a course, most recently changed first.
pub fn of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<DraftRow>> {
    Ok(questionnaire_drafts::table
        .filter(questionnaire_drafts::context_id.eq(context_id))
        .order(questionnaire_drafts::updated_at.desc())
        .select(columns::<DraftRow>())
        .load_on(conn)?)
}

/// What a save changes.
#[derive(Debug, Clone)]
pub struct DraftUpdate<'a> {
    pub questionnaire_key: &'a str,
    pub title: &'a str,
    pub source: &'a str,
    pub user_id: Option<&'a str>,
}

/// Saves a draft if it is still at `revision` (scoped by course); returns whether it was.
pub fn update(
    conn: &mut DbConn,
    context_id: &CourseId,
    id: &str,
    revision: i32,
    update: &DraftUpdate<'_>,
) -> StoreResult<bool> {
    Ok(diesel::update(
        questionnaire_drafts::table
            .filter(questionnaire_drafts::context_id.eq(context_id))
            .filter(questionnaire_drafts::id.eq(id))
            .filter(questionnaire_drafts::revision.eq(revision)),
    )
    .set((
        questionnaire_drafts::questionnaire_key.eq(update.questionnaire_key),
        questionnaire_drafts::title.eq(update.title),
        questionnaire_drafts::source.eq(update.source),
        questionnaire_drafts::revision.eq(revision + 1),
        questionnaire_drafts::updated_by.eq(update.user_id),
        questionnaire_drafts::updated_at.eq(now_micros()),
    ))
    .execute_on(conn)?
        == 1)
}

/// Deletes a draft of a course (published or dropped); returns whether it existed.
pub fn delete(conn: &mut DbConn, context_id: &CourseId, id: &str) -> StoreResult<bool> {
    Ok(diesel::delete(
        questionnaire_drafts::table
            .filter(questionnaire_drafts::context_id.eq(context_id))
            .filter(questionnaire_drafts::id.eq(id)),
    )
    .execute_on(conn)?
        > 0)
}
