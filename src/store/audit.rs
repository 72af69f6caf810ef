//! The audit log: who read which contract, exported what, validated, commented or changed the
//! configuration, and when. Designers of a course read its log.

use super::ids::{CourseId, PlatformId, UserId};
use diesel::prelude::*;

use crate::store::schema::audit_log;
use crate::store::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

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
    /// The course's year and scolarité contact (designer screens).
    pub const CONFIG_COURSE: &str = "config.course";
    /// An academic year opened, closed or reopened.
    pub const CONFIG_YEAR: &str = "config.year";
    /// A formation created, renamed, archived, restored, its questionnaire or data changed.
    pub const CONFIG_FORMATION: &str = "config.formation";
    /// The Moodle group → formation mapping.
    pub const CONFIG_GROUPS: &str = "config.groups";
    /// A questionnaire draft created, saved or dropped.
    pub const CONFIG_DRAFT: &str = "config.draft";
    /// A questionnaire version published.
    pub const CONFIG_PUBLISH: &str = "config.publish";
    /// A grant removed.
    pub const GRANT_REVOKE: &str = "grant.revoke";

    /// The configuration actions a designer can filter the log by (with `GRANT`).
    pub const CONFIGURATION: [&str; 8] = [
        CONFIG_COURSE,
        CONFIG_YEAR,
        CONFIG_FORMATION,
        CONFIG_GROUPS,
        CONFIG_DRAFT,
        CONFIG_PUBLISH,
        GRANT,
        GRANT_REVOKE,
    ];
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_log)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuditEntry {
    pub id: String,
    pub platform_id: PlatformId,
    pub context_id: Option<CourseId>,
    pub actor_user_id: Option<UserId>,
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

/// Who changes a course's configuration, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub platform_id: PlatformId,
    /// The tool's user (none for the operator's command line).
    pub user_id: Option<UserId>,
    /// The name recorded in the log.
    pub label: String,
}

impl Actor {
    /// Records a configuration change of course `context_id` (caller's transaction).
    pub fn record(
        &self,
        conn: &mut DbConn,
        context_id: &CourseId,
        action: &str,
        target: (&str, Option<&str>),
        detail: serde_json::Value,
    ) -> StoreResult<()> {
        record(
            conn,
            &NewAuditEntry {
                platform_id: &self.platform_id,
                context_id: Some(context_id),
                actor_user_id: self.user_id.as_deref(),
                actor_label: &self.label,
                action,
                target_type: target.0,
                target_id: target.1,
                detail,
            },
        )
    }
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
        .execute_on(conn)?;
    Ok(())
}

/// The newest entries of a course, newest first, at most `limit`.
pub fn for_context(
    conn: &mut DbConn,
    context_id: &CourseId,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    Ok(audit_log::table
        .filter(audit_log::context_id.eq(context_id))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(columns::<AuditEntry>())
        .load_on(conn)?)
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
        .select(columns::<AuditEntry>())
        .load_on(conn)?)
}

/// One page of a course's log, newest first, optionally for one action; `offset` entries
/// are skipped. Returns the entries and whether more follow.
pub fn page_of_context(
    conn: &mut DbConn,
    context_id: &CourseId,
    action: Option<&str>,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<AuditEntry>, bool)> {
    let base = audit_log::table
        .filter(audit_log::context_id.eq(context_id))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit + 1)
        .select(columns::<AuditEntry>());
    let mut rows: Vec<AuditEntry> = match action {
        Some(action) => base.filter(audit_log::action.eq(action)).load_on(conn)?,
        None => base.load_on(conn)?,
    };
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((rows, more))
}

/// The distinct actions recorded in a course's log.
pub fn actions_of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<String>> {
    Ok(audit_log::table
        .filter(audit_log::context_id.eq(context_id))
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action.asc())
        .load_on(conn)?)
}
