//! The tool's own RSA keys as stored: private PEM, public JWK, activation and retirement.

use diesel::prelude::*;

use super::schema::tool_keys;
use super::{DbConn, RunOnBackend, StoreResult, columns, now_micros};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tool_keys)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ToolKeyRow {
    pub kid: String,
    pub private_pem: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

pub fn insert(
    conn: &mut DbConn,
    kid: &str,
    private_pem: &str,
    public_jwk: &str,
) -> StoreResult<()> {
    diesel::insert_into(tool_keys::table)
        .values((
            tool_keys::kid.eq(kid),
            tool_keys::private_pem.eq(private_pem),
            tool_keys::public_jwk.eq(public_jwk),
            tool_keys::created_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// The key that signs: the newest key published for at least `activation_micros` and not
/// retired (a retirement may be scheduled in the future); when no key is that old (the first
/// minutes of an installation), the key published the longest.
pub fn find_active(conn: &mut DbConn, activation_micros: i64) -> StoreResult<Option<ToolKeyRow>> {
    let now = now_micros();
    let live: Vec<ToolKeyRow> = tool_keys::table
        .filter(
            tool_keys::retired_at
                .is_null()
                .or(tool_keys::retired_at.gt(now)),
        )
        .order((tool_keys::created_at.desc(), tool_keys::kid.desc()))
        .select(columns::<ToolKeyRow>())
        .load_on(conn)?;
    let seasoned = live
        .iter()
        .position(|k| k.created_at <= now.saturating_sub(activation_micros));
    Ok(match seasoned {
        Some(i) => live.into_iter().nth(i),
        None => live.into_iter().last(),
    })
}

/// Keys to publish: the active ones and those retired less than `grace_micros` ago, newest first.
pub fn published(conn: &mut DbConn, grace_micros: i64) -> StoreResult<Vec<ToolKeyRow>> {
    let cutoff = now_micros() - grace_micros;
    Ok(tool_keys::table
        .filter(
            tool_keys::retired_at
                .is_null()
                .or(tool_keys::retired_at.gt(cutoff)),
        )
        .order((tool_keys::created_at.desc(), tool_keys::kid.desc()))
        .select(columns::<ToolKeyRow>())
        .load_on(conn)?)
}

pub fn list(conn: &mut DbConn) -> StoreResult<Vec<ToolKeyRow>> {
    Ok(tool_keys::table
        .order((tool_keys::created_at.desc(), tool_keys::kid.desc()))
        .select(columns::<ToolKeyRow>())
        .load_on(conn)?)
}

/// Schedules the retirement, at `at`, of every key except `keep_kid` not already retired or
/// scheduled.
pub fn retire_all_but(conn: &mut DbConn, keep_kid: &str, at: i64) -> StoreResult<usize> {
    Ok(diesel::update(
        tool_keys::table
            .filter(tool_keys::retired_at.is_null())
            .filter(tool_keys::kid.ne(keep_kid)),
    )
    .set(tool_keys::retired_at.eq(at))
    .execute_on(conn)?)
}

/// Deletes keys retired longer ago than the grace period: they are no longer published.
pub fn purge_expired(conn: &mut DbConn, grace_micros: i64) -> StoreResult<usize> {
    let cutoff = now_micros() - grace_micros;
    Ok(
        diesel::delete(tool_keys::table.filter(tool_keys::retired_at.le(cutoff)))
            .execute_on(conn)?,
    )
}
