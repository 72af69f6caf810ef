//! Tool sessions created by a launch: who, in which course and placement, with which roles.

use super::ids::{CourseId, PlatformId, UserId};
use diesel::prelude::*;

use super::contexts::Context;
use super::schema::{contexts, sessions, users};
use super::text::{Json, text_enum};
use super::users::User;
use super::{DbConn, RunOnBackend, StoreResult, columns, now_micros};
use crate::lti::launch::{Launch, MessageType};
use crate::lti::roles::ToolRole;

text_enum! {
    /// How a session is bound to its browser (`sessions.binding_state`).
    pub enum Binding {
        /// The browser kept our cookies at the launch: the binding cookie is required.
        Cookie = "cookie",
        /// Third-party cookies blocked: the URL token alone.
        Token = "token",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SessionRow {
    /// SHA-256 (hex) of the session token; the token itself is never stored.
    pub id: String,
    pub platform_id: PlatformId,
    pub user_id: UserId,
    /// The course; `None` for a launch outside any course.
    pub context_id: Option<CourseId>,
    pub resource_link_id: Option<String>,
    pub deployment_id: String,
    #[diesel(serialize_as = String, deserialize_as = String)]
    pub message_type: MessageType,
    #[diesel(serialize_as = String, deserialize_as = String)]
    pub tool_role: ToolRole,
    /// The IMS role URIs of the launch.
    pub roles: Json<Vec<String>>,
    /// The Moodle group ids of the launch.
    pub group_ids: Json<Vec<i64>>,
    pub csrf_token: String,
    /// SHA-256 (hex) of the browser-binding cookie's secret.
    pub binding_hash: String,
    pub binding_state: Binding,
    /// The verified launch (custom claims, deep linking…), for the pages.
    pub launch: Json<Launch>,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert(conn: &mut DbConn, row: &SessionRow) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values(row.clone())
        .execute_on(conn)?;
    Ok(())
}

/// The session with this token hash, if it has not expired.
pub fn find_valid(conn: &mut DbConn, id: &str) -> StoreResult<Option<SessionRow>> {
    Ok(sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now_micros()))
        .select(columns::<SessionRow>())
        .get_result_on(conn)
        .optional()?)
}

pub fn purge_expired(conn: &mut DbConn) -> StoreResult<usize> {
    Ok(
        diesel::delete(sessions::table.filter(sessions::expires_at.lt(now_micros())))
            .execute_on(conn)?,
    )
}

/// The valid session with its user and course (none for a launch outside any course), in one
/// query.
pub fn find_valid_with_people(
    conn: &mut DbConn,
    id: &str,
) -> StoreResult<Option<(SessionRow, User, Option<Context>)>> {
    Ok(sessions::table
        .inner_join(users::table)
        .left_join(contexts::table.on(contexts::id.nullable().eq(sessions::context_id)))
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(now_micros()))
        .select((
            columns::<SessionRow>(),
            columns::<User>(),
            columns::<Context>().nullable(),
        ))
        .get_result_on(conn)
        .optional()?)
}
