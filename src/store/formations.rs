//! Formations of a course, the Moodle groups mapped to them, the course's configuration row, and the students no formation was found for.

use super::ids::{CourseId, FormationId, UserId};
use diesel::prelude::*;

use super::schema::{course_configs, formation_groups, formations, unrouted_students, users};
use super::users::User;
use super::{DbConn, RunOnBackend, StoreResult, columns, now_micros};

/// A formation of a course (archived ones are kept: contracts point to them).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = formations)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct FormationRow {
    pub id: FormationId,
    pub context_id: CourseId,
    /// Short code, unique in the course (`MATH`); appears in URLs and in `formation.code`.
    pub code: String,
    pub title: String,
    /// Key of the questionnaire its students fill (`cpre-l1`).
    pub questionnaire_key: String,
    /// JSON of the engine's `Formation` (code, title, attributes, lists).
    pub data: String,
    /// JSON of a `Contact` (the formation's referent); `{}` when none.
    pub referent: String,
    /// Markdown shown to the formation's students on the contract's first page.
    pub info: Option<String>,
    /// Order in the course configuration file.
    pub position: i32,
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the course configuration says about one formation.
#[derive(Debug, Clone, PartialEq)]
pub struct FormationSpec {
    pub code: String,
    pub title: String,
    pub questionnaire_key: String,
    pub data: String,
    pub referent: String,
    pub info: Option<String>,
    pub position: i32,
}

/// The configuration of a course: current academic year and whom students ask for help.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = course_configs)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CourseConfigRow {
    pub context_id: CourseId,
    /// `2025-2026`: the year of the contracts started now.
    pub academic_year: String,
    /// JSON of a `Contact` (the scolarité).
    pub contact: String,
    /// The file it was configured from (for operators).
    pub source_file: String,
    /// SHA-256 of the applied configuration.
    pub content_hash: String,
    pub configured_at: i64,
    pub updated_at: i64,
}

/// A student who opened the contract of a course but is in no group of its formations.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = unrouted_students)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UnroutedRow {
    pub context_id: CourseId,
    pub user_id: UserId,
    /// JSON array of the Moodle group ids of the latest launch.
    pub group_ids: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub launches: i32,
}

/// The configuration of a course, if it was configured.
pub fn course_config(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> StoreResult<Option<CourseConfigRow>> {
    Ok(course_configs::table
        .find(context_id)
        .select(columns::<CourseConfigRow>())
        .get_result_on(conn)
        .optional()?)
}

/// Writes the configuration of a course (insert or replace).
/// Changes the scolarité contact of a configured course.
pub fn set_contact(
    conn: &mut DbConn,
    context_id: &CourseId,
    contact_json: &str,
) -> StoreResult<()> {
    diesel::update(course_configs::table.find(context_id))
        .set((
            course_configs::contact.eq(contact_json),
            course_configs::updated_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(())
}

pub fn put_course_config(
    conn: &mut DbConn,
    context_id: &CourseId,
    academic_year: &str,
    contact: &str,
    source_file: &str,
    content_hash: &str,
) -> StoreResult<()> {
    let now = now_micros();
    let updated = diesel::update(course_configs::table.find(context_id))
        .set((
            course_configs::academic_year.eq(academic_year),
            course_configs::contact.eq(contact),
            course_configs::source_file.eq(source_file),
            course_configs::content_hash.eq(content_hash),
            course_configs::updated_at.eq(now),
        ))
        .execute_on(conn)?;
    if updated == 0 {
        diesel::insert_into(course_configs::table)
            .values((
                course_configs::context_id.eq(context_id),
                course_configs::academic_year.eq(academic_year),
                course_configs::contact.eq(contact),
                course_configs::source_file.eq(source_file),
                course_configs::content_hash.eq(content_hash),
                course_configs::configured_at.eq(now),
                course_configs::updated_at.eq(now),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

/// Every formation of a course, archived ones included, in file order.
pub fn of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<FormationRow>> {
    Ok(formations::table
        .filter(formations::context_id.eq(context_id))
        .order((formations::position.asc(), formations::code.asc()))
        .select(columns::<FormationRow>())
        .load_on(conn)?)
}

/// The active formations of a course that `group_ids` map to, in file order: the routing
/// query, one indexed lookup per group (a student has one or two groups; a fixed statement
/// stays prepared, where an `IN` list of varying length is parsed again at every call).
pub fn for_groups(
    conn: &mut DbConn,
    context_id: &CourseId,
    group_ids: &[i64],
) -> StoreResult<Vec<FormationRow>> {
    let mut groups = group_ids.to_vec();
    groups.sort_unstable();
    groups.dedup();
    let mut rows: Vec<FormationRow> = Vec::new();
    for group in groups {
        rows.extend(
            formations::table
                .inner_join(formation_groups::table)
                .filter(formation_groups::context_id.eq(context_id))
                .filter(formation_groups::group_id.eq(group))
                .filter(formations::archived_at.is_null())
                .select(columns::<FormationRow>())
                .load_on(conn)?,
        );
    }
    rows.sort_by(|a, b| (a.position, &a.code).cmp(&(b.position, &b.code)));
    rows.dedup_by(|a, b| a.id == b.id);
    Ok(rows)
}

/// A formation of a course by code (archived or not).
pub fn by_code(
    conn: &mut DbConn,
    context_id: &CourseId,
    code: &str,
) -> StoreResult<Option<FormationRow>> {
    Ok(formations::table
        .filter(formations::context_id.eq(context_id))
        .filter(formations::code.eq(code))
        .select(columns::<FormationRow>())
        .get_result_on(conn)
        .optional()?)
}

/// A formation by id.
pub fn get(conn: &mut DbConn, id: &FormationId) -> StoreResult<FormationRow> {
    Ok(formations::table
        .find(id)
        .select(columns::<FormationRow>())
        .get_result_on(conn)?)
}

/// Inserts a formation, or updates (and un-archives) the one with the same code. Returns its
/// id and whether anything changed.
pub fn upsert(
    conn: &mut DbConn,
    context_id: &CourseId,
    spec: &FormationSpec,
) -> StoreResult<(FormationId, Change)> {
    let now = now_micros();
    match by_code(conn, context_id, &spec.code)? {
        Some(row) => {
            let same = row.title == spec.title
                && row.questionnaire_key == spec.questionnaire_key
                && row.data == spec.data
                && row.referent == spec.referent
                && row.info == spec.info
                && row.position == spec.position
                && row.archived_at.is_none();
            if same {
                return Ok((row.id, Change::Unchanged));
            }
            diesel::update(formations::table.find(&row.id))
                .set((
                    formations::title.eq(&spec.title),
                    formations::questionnaire_key.eq(&spec.questionnaire_key),
                    formations::data.eq(&spec.data),
                    formations::referent.eq(&spec.referent),
                    formations::info.eq(&spec.info),
                    formations::position.eq(spec.position),
                    formations::archived_at.eq(None::<i64>),
                    formations::updated_at.eq(now),
                ))
                .execute_on(conn)?;
            Ok((row.id, Change::Updated))
        }
        None => {
            let id = FormationId::new();
            diesel::insert_into(formations::table)
                .values((
                    formations::id.eq(&id),
                    formations::context_id.eq(context_id),
                    formations::code.eq(&spec.code),
                    formations::title.eq(&spec.title),
                    formations::questionnaire_key.eq(&spec.questionnaire_key),
                    formations::data.eq(&spec.data),
                    formations::referent.eq(&spec.referent),
                    formations::info.eq(&spec.info),
                    formations::position.eq(spec.position),
                    formations::created_at.eq(now),
                    formations::updated_at.eq(now),
                ))
                .execute_on(conn)?;
            Ok((id, Change::Created))
        }
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Unchanged,
}

/// Archives a formation (its students are no longer routed to it; its contracts stay).
pub fn archive(conn: &mut DbConn, id: &FormationId) -> StoreResult<()> {
    let now = now_micros();
    diesel::update(formations::table.find(id))
        .set((
            formations::archived_at.eq(Some(now)),
            formations::updated_at.eq(now),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// The group → formation mapping of a course, by group id.
pub fn groups_of_context(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> StoreResult<Vec<(i64, FormationId)>> {
    Ok(formation_groups::table
        .filter(formation_groups::context_id.eq(context_id))
        .order(formation_groups::group_id.asc())
        .select((formation_groups::group_id, formation_groups::formation_id))
        .load_on(conn)?)
}

/// Replaces the group mapping of a course (no write when it did not change).
pub fn replace_groups(
    conn: &mut DbConn,
    context_id: &CourseId,
    mapping: &[(i64, FormationId)],
) -> StoreResult<bool> {
    let mut wanted = mapping.to_vec();
    wanted.sort();
    if groups_of_context(conn, context_id)? == wanted {
        return Ok(false);
    }
    diesel::delete(formation_groups::table.filter(formation_groups::context_id.eq(context_id)))
        .execute_on(conn)?;
    for (group, formation) in &wanted {
        diesel::insert_into(formation_groups::table)
            .values((
                formation_groups::context_id.eq(context_id),
                formation_groups::group_id.eq(*group),
                formation_groups::formation_id.eq(formation),
            ))
            .execute_on(conn)?;
    }
    Ok(true)
}

/// Records (or refreshes) a student found in no formation of the course.
pub fn record_unrouted(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
    group_ids: &[i64],
) -> StoreResult<()> {
    let now = now_micros();
    let groups = serde_json::to_string(group_ids)
        .map_err(|e| super::StoreError::Corrupt(format!("group ids: {e}")))?;
    let updated = diesel::update(unrouted_students::table.find((context_id, user_id)))
        .set((
            unrouted_students::group_ids.eq(&groups),
            unrouted_students::last_seen.eq(now),
            unrouted_students::launches.eq(unrouted_students::launches + 1),
        ))
        .execute_on(conn)?;
    if updated == 0 {
        diesel::insert_into(unrouted_students::table)
            .values((
                unrouted_students::context_id.eq(context_id),
                unrouted_students::user_id.eq(user_id),
                unrouted_students::group_ids.eq(&groups),
                unrouted_students::first_seen.eq(now),
                unrouted_students::last_seen.eq(now),
                unrouted_students::launches.eq(1),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

/// Whether the student was recorded as unrouted with these groups less than `within` µs ago.
pub fn recently_unrouted(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
    group_ids: &[i64],
    within: i64,
) -> StoreResult<bool> {
    let groups = serde_json::to_string(group_ids)
        .map_err(|e| super::StoreError::Corrupt(format!("group ids: {e}")))?;
    Ok(unrouted_students::table
        .find((context_id, user_id))
        .filter(unrouted_students::group_ids.eq(&groups))
        .filter(unrouted_students::last_seen.gt(now_micros() - within))
        .count()
        .get_result_on::<i64>(conn)?
        > 0)
}

/// Whether the student is recorded as unrouted in the course.
pub fn is_unrouted(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
) -> StoreResult<bool> {
    Ok(unrouted_students::table
        .find((context_id, user_id))
        .count()
        .get_result_on::<i64>(conn)?
        > 0)
}

/// Forgets an unrouted student (they have been routed since).
pub fn clear_unrouted(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
) -> StoreResult<()> {
    diesel::delete(unrouted_students::table.find((context_id, user_id))).execute_on(conn)?;
    Ok(())
}

/// The unrouted students of a course with who they are, most recently seen first.
pub fn unrouted_of_context(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> StoreResult<Vec<(UnroutedRow, User)>> {
    Ok(unrouted_students::table
        .inner_join(users::table)
        .filter(unrouted_students::context_id.eq(context_id))
        .order(unrouted_students::last_seen.desc())
        .select((columns::<UnroutedRow>(), columns::<User>()))
        .load_on(conn)?)
}

/// A formation of a course by id: `None` when the id belongs to another course (every
/// designer screen looks formations up this way, with the session's course).
pub fn get_in_context(
    conn: &mut DbConn,
    context_id: &CourseId,
    id: &FormationId,
) -> StoreResult<Option<FormationRow>> {
    Ok(formations::table
        .filter(formations::context_id.eq(context_id))
        .filter(formations::id.eq(id))
        .select(columns::<FormationRow>())
        .get_result_on(conn)
        .optional()?)
}
