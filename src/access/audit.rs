//! The audit log: who read which contract, exported what, validated, commented or changed the
//! configuration, and when. Designers of a course read its log.

use diesel::prelude::*;

use crate::store::schema::audit_log;
use crate::store::{DbConn, StoreResult, new_id, now_micros};

/// Actions recorded (stable strings: they are stored).
pub mod action {
    pub const CONTRACT_READ: &str = "contract.read";
    pub const CONTRACT_VALIDATE: &str = "contract.validate";
    pub const CONTRACT_COMMENT: &str = "contract.comment";
    pub const CONTRACT_REOPEN: &str = "contract.reopen";
    pub const CONTRACT_PDF: &str = "contract.pdf";
    pub const EXPORT: &str = "export";
    pub const REMINDER: &str = "reminder";
    pub const CONFIG_CHANGE: &str = "config.change";
    pub const GRANT: &str = "grant";
    pub const ROSTER_SYNC: &str = "roster.sync";
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_log)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuditEntry {
    pub id: String,
    pub platform_id: String,
    pub context_id: Option<String>,
    pub actor_user_id: Option<String>,
    /// The actor's name at the time (kept if the user row goes away).
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    /// JSON object with what else matters (formation, format, reason…).
    pub detail: String,
    pub created_at: i64,
}

/// What to record.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub platform_id: &'a str,
    pub context_id: Option<&'a str>,
    pub actor_user_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    pub detail: serde_json::Value,
}

/// Records an entry (in the caller's transaction when there is one).
pub fn record(conn: &mut DbConn, entry: &NewAuditEntry<'_>) -> StoreResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::platform_id.eq(entry.platform_id),
            audit_log::context_id.eq(entry.context_id),
            audit_log::actor_user_id.eq(entry.actor_user_id),
            audit_log::actor_label.eq(entry.actor_label),
            audit_log::action.eq(entry.action),
            audit_log::target_type.eq(entry.target_type),
            audit_log::target_id.eq(entry.target_id),
            audit_log::detail.eq(entry.detail.to_string()),
            audit_log::created_at.eq(now_micros()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest entries of a course, newest first, at most `limit`.
pub fn for_context(
    conn: &mut DbConn,
    context_id: &str,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    Ok(audit_log::table
        .filter(audit_log::context_id.eq(context_id))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}

/// The entries about one target (e.g. a contract's history of staff reads), oldest first.
pub fn for_target(
    conn: &mut DbConn,
    target_type: &str,
    target_id: &str,
) -> StoreResult<Vec<AuditEntry>> {
    Ok(audit_log::table
        .filter(audit_log::target_type.eq(target_type))
        .filter(audit_log::target_id.eq(target_id))
        .order((audit_log::created_at.asc(), audit_log::id.asc()))
        .select(AuditEntry::as_select())
        .load(conn)?)
}
