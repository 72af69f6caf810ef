//! The audit log: who read which contract, exported what, validated, commented or changed the
//! configuration, and when. Designers of a course read its log.

use super::ids::{CourseId, PlatformId, UserId};
use diesel::prelude::*;

use crate::store::schema::audit_log;
use crate::store::text::{Json, text_enum};
use crate::store::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

text_enum! {
    /// What an audit entry records (`audit_log.action`; the names are stored and shown in
    /// the designer's journal through `journal.action.*`).
    pub enum Action {
        /// A staff member opened a contract.
        ContractRead = "contract.read",
        ContractValidate = "contract.validate",
        ContractComment = "contract.comment",
        ContractReopen = "contract.reopen",
        /// A staff member downloaded a contract's PDF.
        ContractPdf = "contract.pdf",
        /// A list of contracts exported (CSV or XLSX).
        Export = "export",
        /// Students reminded.
        Reminder = "reminder",
        /// The course file applied from the command line.
        ConfigChange = "config.change",
        /// A role granted.
        Grant = "grant",
        /// A roster synchronisation (kept for entries written by earlier versions).
        RosterSync = "roster.sync",
        /// The course's year and scolarité contact (designer screens).
        ConfigCourse = "config.course",
        /// An academic year opened, closed or reopened.
        ConfigYear = "config.year",
        /// A formation created, renamed, archived, restored, its questionnaire or data changed.
        ConfigFormation = "config.formation",
        /// The Moodle group → formation mapping.
        ConfigGroups = "config.groups",
        /// A questionnaire draft created, saved or dropped.
        ConfigDraft = "config.draft",
        /// A questionnaire version published.
        ConfigPublish = "config.publish",
        /// A grant removed.
        GrantRevoke = "grant.revoke",
        /// A person of the roster marked « pas un·e étudiant·e ».
        NotStudent = "roster.not_student",
        /// That mark removed.
        Student = "roster.student",
        /// A registration's courses carried over to another registration.
        CarryOver = "platform.carry_over",
    }
}

impl Action {
    /// The configuration actions a designer can filter the log by.
    pub const CONFIGURATION: [Action; 8] = [
        Action::ConfigCourse,
        Action::ConfigYear,
        Action::ConfigFormation,
        Action::ConfigGroups,
        Action::ConfigDraft,
        Action::ConfigPublish,
        Action::Grant,
        Action::GrantRevoke,
    ];
}

text_enum! {
    /// What an audit entry is about (`audit_log.target_type`).
    pub enum Target {
        Contract = "contract",
        /// Several contracts (an export).
        Contracts = "contracts",
        Course = "course",
        Formation = "formation",
        Year = "year",
        QuestionnaireDraft = "questionnaire_draft",
        QuestionnaireVersion = "questionnaire_version",
        /// A user of the tool (grants).
        User = "user",
        /// A person of the roster, by `sub`.
        Person = "person",
    }
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
    pub action: Action,
    pub target_type: Target,
    pub target_id: Option<String>,
    /// What else matters (formation, format, reason…).
    pub detail: Json<serde_json::Value>,
    pub created_at: i64,
}

/// What to record.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub platform_id: &'a PlatformId,
    pub context_id: Option<&'a CourseId>,
    pub actor_user_id: Option<&'a UserId>,
    pub actor_label: &'a str,
    pub action: Action,
    pub target_type: Target,
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
        action: Action,
        target: (Target, Option<&str>),
        detail: serde_json::Value,
    ) -> StoreResult<()> {
        record(
            conn,
            &NewAuditEntry {
                platform_id: &self.platform_id,
                context_id: Some(context_id),
                actor_user_id: self.user_id.as_ref(),
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
            audit_log::detail.eq(Json(&entry.detail)),
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
    target_type: Target,
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
    action: Option<Action>,
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
pub fn actions_of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<Action>> {
    Ok(audit_log::table
        .filter(audit_log::context_id.eq(context_id))
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action.asc())
        .load_on(conn)?)
}
