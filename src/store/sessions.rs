//! Tool sessions created by a launch: who, in which course and placement, with which roles.

use diesel::prelude::*;

use super::schema::sessions;
use super::{DbConn, StoreResult, now_micros};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SessionRow {
    /// SHA-256 (hex) of the session token; the token itself is never stored.
    pub id: String,
    pub platform_id: String,
    pub user_id: String,
    pub context_id: String,
    pub resource_link_id: Option<String>,
    pub deployment_id: String,
    pub message_type: String,
    pub tool_role: String,
    /// JSON array of the IMS role URIs of the launch.
    pub roles: String,
    /// JSON array of the Moodle group ids of the launch.
    pub group_ids: String,
    pub csrf_token: String,
    /// SHA-256 (hex) of the browser-binding cookie's secret.
    pub binding_hash: String,
    /// `pending` until the first request after the launch, then `cookie` (the browser kept
    /// the binding cookie: it is required from then on) or `token` (no cookie: token only).
    pub binding_state: String,
    /// JSON object with the rest of the launch the pages need (custom claims, deep linking…).
    pub launch: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert(conn: &mut DbConn, row: &SessionRow) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// The session with this token hash, if it has not expired.
pub fn find_valid(conn: &mut DbConn, id: &str) -> StoreResult<Option<SessionRow>> {
    Ok(sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now_micros()))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn purge_expired(conn: &mut DbConn) -> StoreResult<usize> {
    Ok(
        diesel::delete(sessions::table.filter(sessions::expires_at.lt(now_micros())))
            .execute(conn)?,
    )
}

/// Records how the session is bound, once, on its first request after the launch.
pub fn settle_binding(conn: &mut DbConn, id: &str, state: &str) -> StoreResult<bool> {
    let n = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::binding_state.eq("pending")),
    )
    .set(sessions::binding_state.eq(state))
    .execute(conn)?;
    Ok(n == 1)
}
