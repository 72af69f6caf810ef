//! Staff grants per course: `designer` (everything in the course) and `gestionnaire` (follow,
//! remind, export for some formations).

use super::ids::{CourseId, FormationId, UserId};
use diesel::prelude::*;

use crate::store::schema::course_grants;
use crate::store::text::text_enum;
use crate::store::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

text_enum! {
    /// The role a grant gives (`course_grants.role`).
    pub enum GrantRole {
        /// Everything in the course: configuration, rights, every formation.
        Designer = "designer",
        /// Follow, remind and export for one formation.
        Gestionnaire = "gestionnaire",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = course_grants)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Grant {
    pub id: String,
    pub context_id: CourseId,
    pub user_id: UserId,
    pub role: GrantRole,
    /// For a gestionnaire: the formation the grant covers.
    pub formation_id: Option<FormationId>,
    /// The user who granted it (none for the operator or a deep-linking placement).
    pub granted_by: Option<UserId>,
    pub created_at: i64,
}

/// Makes `user_id` a designer of the course (no-op when already one).
pub fn grant_designer(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
    granted_by: Option<&str>,
) -> StoreResult<()> {
    grant(
        conn,
        context_id,
        user_id,
        GrantRole::Designer,
        None,
        granted_by,
    )
}

/// True when a grant makes the user a designer of the course.
pub fn is_designer(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
) -> StoreResult<bool> {
    Ok(course_grants::table
        .filter(course_grants::context_id.eq(context_id))
        .filter(course_grants::user_id.eq(user_id))
        .filter(course_grants::role.eq(GrantRole::Designer))
        .count()
        .get_result_on::<i64>(conn)?
        > 0)
}

/// The grants of a user in a course.
pub fn of_user(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
) -> StoreResult<Vec<Grant>> {
    Ok(course_grants::table
        .filter(course_grants::context_id.eq(context_id))
        .filter(course_grants::user_id.eq(user_id))
        .select(columns::<Grant>())
        .load_on(conn)?)
}

/// Grants `role` (`designer` or `gestionnaire`, the latter for one formation) to a user; no-op
/// when the same grant exists.
pub fn grant(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
    role: GrantRole,
    formation_id: Option<&str>,
    granted_by: Option<&str>,
) -> StoreResult<()> {
    let existing = course_grants::table
        .filter(course_grants::context_id.eq(context_id))
        .filter(course_grants::user_id.eq(user_id))
        .filter(course_grants::role.eq(role))
        .select(course_grants::formation_id)
        .load_on::<Option<String>>(conn)?;
    if existing.iter().any(|f| f.as_deref() == formation_id) {
        return Ok(());
    }
    diesel::insert_into(course_grants::table)
        .values((
            course_grants::id.eq(new_id()),
            course_grants::context_id.eq(context_id),
            course_grants::user_id.eq(user_id),
            course_grants::role.eq(role),
            course_grants::formation_id.eq(formation_id),
            course_grants::granted_by.eq(granted_by),
            course_grants::created_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// Removes a grant of the course (scoped by course). Returns whether it existed.
pub fn revoke(conn: &mut DbConn, context_id: &CourseId, grant_id: &str) -> StoreResult<bool> {
    Ok(diesel::delete(
        course_grants::table
            .filter(course_grants::context_id.eq(context_id))
            .filter(course_grants::id.eq(grant_id)),
    )
    .execute_on(conn)?
        > 0)
}

/// Every grant of a course.
pub fn of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<Grant>> {
    Ok(course_grants::table
        .filter(course_grants::context_id.eq(context_id))
        .order(course_grants::created_at.asc())
        .select(columns::<Grant>())
        .load_on(conn)?)
}
