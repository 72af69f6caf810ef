//! OIDC login states: stored at login initiation, consumed exactly once at launch.

use super::ids::PlatformId;
use diesel::prelude::*;

use super::schema::oidc_states;
use super::{DbConn, RunOnBackend, StoreResult, columns, now_micros};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_states)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OidcState {
    pub state: String,
    pub nonce: String,
    pub platform_id: PlatformId,
    pub deployment_id: Option<String>,
    pub target_link_uri: String,
    /// SHA-256 (hex) of the secret put in the browser's state cookie.
    pub browser_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert(conn: &mut DbConn, row: &OidcState) -> StoreResult<()> {
    diesel::insert_into(oidc_states::table)
        .values(row.clone())
        .execute_on(conn)?;
    Ok(())
}

/// The state, if it exists and has not expired (it stays stored until consumed).
pub fn find_valid(conn: &mut DbConn, state: &str) -> StoreResult<Option<OidcState>> {
    Ok(oidc_states::table
        .find(state)
        .filter(oidc_states::expires_at.ge(now_micros()))
        .select(columns::<OidcState>())
        .get_result_on(conn)
        .optional()?)
}

/// Consumes a state that has not expired: true only for the one call that deleted it (a
/// replay, or a state that expired since it was read, gets false).
pub fn consume(conn: &mut DbConn, state: &str) -> StoreResult<bool> {
    Ok(diesel::delete(
        oidc_states::table
            .find(state)
            .filter(oidc_states::expires_at.ge(now_micros())),
    )
    .execute_on(conn)?
        == 1)
}

/// Deletes expired states; returns how many.
pub fn purge_expired(conn: &mut DbConn) -> StoreResult<usize> {
    Ok(
        diesel::delete(oidc_states::table.filter(oidc_states::expires_at.lt(now_micros())))
            .execute_on(conn)?,
    )
}
