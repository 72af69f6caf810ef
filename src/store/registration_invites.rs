//! One-time Dynamic Registration links (`cpre platform invite`): only the SHA-256 of the
//! secret is stored; a link is claimed while a registration runs, consumed when it succeeds,
//! released when it fails, and never valid after it expires.

use super::ids::PlatformId;
use diesel::prelude::*;

use super::schema::registration_invites;
use super::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = registration_invites)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Invite {
    pub id: String,
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub platform_id: Option<PlatformId>,
}

/// Why an invite cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteRefusal {
    Unknown,
    Used,
    Expired,
}

impl InviteRefusal {
    /// The stable code of the message shown (catalogue `error.<code>.*`).
    pub fn code(&self) -> &'static str {
        match self {
            InviteRefusal::Unknown => "registration.invite_unknown",
            InviteRefusal::Used => "registration.invite_used",
            InviteRefusal::Expired => "registration.invite_expired",
        }
    }
}

/// Stores a new invite (the hash of its secret) valid until `expires_at`.
pub fn insert(conn: &mut DbConn, token_hash: &str, expires_at: i64) -> StoreResult<Invite> {
    let id = new_id();
    diesel::insert_into(registration_invites::table)
        .values((
            registration_invites::id.eq(&id),
            registration_invites::token_hash.eq(token_hash),
            registration_invites::created_at.eq(now_micros()),
            registration_invites::expires_at.eq(expires_at),
        ))
        .execute_on(conn)?;
    Ok(registration_invites::table
        .find(&id)
        .select(columns::<Invite>())
        .get_result_on::<Invite>(conn)?)
}

/// Claims the unused, unexpired invite with this hash for one registration: exactly one
/// caller wins. Returns its id, or why it was refused.
pub fn claim(
    conn: &mut DbConn,
    token_hash: &str,
    now: i64,
) -> StoreResult<Result<String, InviteRefusal>> {
    let n = diesel::update(
        registration_invites::table
            .filter(registration_invites::token_hash.eq(token_hash))
            .filter(registration_invites::used_at.is_null())
            .filter(registration_invites::expires_at.gt(now)),
    )
    .set(registration_invites::used_at.eq(now))
    .execute_on(conn)?;
    let invite = registration_invites::table
        .filter(registration_invites::token_hash.eq(token_hash))
        .select(columns::<Invite>())
        .get_result_on::<Invite>(conn)
        .optional()?;
    Ok(match (n, invite) {
        (1, Some(invite)) => Ok(invite.id),
        (_, None) => Err(InviteRefusal::Unknown),
        (_, Some(invite)) if invite.expires_at <= now => Err(InviteRefusal::Expired),
        (_, Some(_)) => Err(InviteRefusal::Used),
    })
}

/// Gives a claimed invite back (the registration failed; the administrator may try again).
pub fn release(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    diesel::update(
        registration_invites::table
            .find(id)
            .filter(registration_invites::platform_id.is_null()),
    )
    .set(registration_invites::used_at.eq(None::<i64>))
    .execute_on(conn)?;
    Ok(())
}

/// Records which platform an invite registered (it stays used).
pub fn consume(conn: &mut DbConn, id: &str, platform_id: &PlatformId) -> StoreResult<()> {
    diesel::update(registration_invites::table.find(id))
        .set(registration_invites::platform_id.eq(platform_id))
        .execute_on(conn)?;
    Ok(())
}
