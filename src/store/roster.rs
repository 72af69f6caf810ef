//! The stored roster of a course (members as NRPS gave them, roles as given), its
//! synchronisation state, who in it never opened the tool, and who is never counted as a
//! student (`not_students`).
//!
//! Moodle's NRPS gives every member without `moodle/course:manageactivities` the Learner
//! role, so a non-editing teacher comes back as a Learner. A person is *not a student* when
//! they opened the tool in the course with a staff role, hold a grant in it, have a staff role
//! in the course according to Moodle's web service, or were marked « pas un étudiant » by a
//! designer or a gestionnaire (kept across roster synchronisations, audited). The staff
//! lists apply the four in their SQL (`store::followup`).

use super::ids::{CourseId, UserId};
use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;

use crate::lti::nrps::Member;
use crate::lti::person::Person;
use crate::store::audit::{Action, Actor, Target};
use crate::store::schema::{not_students, roster_members, roster_syncs};
use crate::store::text::Json;
use crate::store::{DbConn, RunOnBackend, StoreResult, columns, context_launches, now_micros};

/// The columns a [`RosterRow`] reads, the person's first.
type RosterColumns = (
    (
        roster_members::user_sub,
        roster_members::name,
        roster_members::given_name,
        roster_members::family_name,
        roster_members::email,
        roster_members::person_sourcedid,
        roster_members::username,
    ),
    roster_members::roles,
    roster_members::status,
    roster_members::first_seen_at,
    roster_members::synced_at,
);
const ROSTER_ROW: RosterColumns = (
    (
        roster_members::user_sub,
        roster_members::name,
        roster_members::given_name,
        roster_members::family_name,
        roster_members::email,
        roster_members::person_sourcedid,
        roster_members::username,
    ),
    roster_members::roles,
    roster_members::status,
    roster_members::first_seen_at,
    roster_members::synced_at,
);

#[derive(Debug, Clone, Queryable)]
struct RosterRow {
    #[diesel(embed)]
    person: Person,
    roles: Json<Vec<String>>,
    status: String,
    first_seen_at: i64,
    synced_at: i64,
}

/// A member of a course's roster (read through `Deref`: `member.name`), with whether (and
/// when) they opened the tool there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterMember {
    #[serde(flatten)]
    pub person: Person,
    /// As the roster gives them (Moodle: `Learner`, `Instructor`; not the launch's roles).
    pub roles: Vec<String>,
    /// `Active` or `Inactive`.
    pub status: String,
    pub first_seen_at: i64,
    pub synced_at: i64,
    /// The tool's user, when they launched in this course.
    pub user_id: Option<UserId>,
    pub first_launch_at: Option<i64>,
    pub last_launch_at: Option<i64>,
}

impl std::ops::Deref for RosterMember {
    type Target = Person;
    fn deref(&self) -> &Person {
        &self.person
    }
}

impl RosterMember {
    pub fn launched(&self) -> bool {
        self.user_id.is_some()
    }

    /// True when the roster gives the Learner role (short name or URI).
    pub fn is_learner(&self) -> bool {
        is_learner(&self.roles)
    }
}

/// True when roster roles include Learner (short name or URI).
pub fn is_learner(roles: &[String]) -> bool {
    roles
        .iter()
        .any(|r| r == "Learner" || r.ends_with("#Learner") || r.ends_with("/Learner"))
}

/// The members of a course's roster, by family then given name, with their launches.
pub fn members(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<RosterMember>> {
    let rows: Vec<RosterRow> = roster_members::table
        .filter(roster_members::context_id.eq(context_id))
        .order((
            roster_members::family_name.asc(),
            roster_members::given_name.asc(),
            roster_members::user_sub.asc(),
        ))
        .select(ROSTER_ROW)
        .load_on::<RosterRow>(conn)?;
    let launched: HashMap<String, context_launches::CourseLaunches> =
        context_launches::of_context(conn, context_id)?
            .into_iter()
            .map(|l| (l.sub.clone(), l))
            .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let launch = launched.get(&row.person.sub);
            RosterMember {
                user_id: launch.map(|l| l.user_id.clone()),
                first_launch_at: launch.map(|l| l.first_at),
                last_launch_at: launch.map(|l| l.last_at),
                person: row.person,
                roles: row.roles.into_inner(),
                status: row.status,
                first_seen_at: row.first_seen_at,
                synced_at: row.synced_at,
            }
        })
        .collect())
}

/// Members of the roster who never opened the tool in this course (every role: staff filter
/// learners with [`RosterMember::is_learner`]).
pub fn never_launched(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<RosterMember>> {
    Ok(members(conn, context_id)?
        .into_iter()
        .filter(|m| !m.launched())
        .collect())
}

/// What replacing a roster changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Replaced {
    pub total: usize,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
}

/// Replaces the stored roster of a course with a complete fetched one (caller's
/// transaction): new members added, changed ones updated, those who left removed.
pub fn replace(
    conn: &mut DbConn,
    context_id: &CourseId,
    fetched: &[Member],
    now: i64,
) -> StoreResult<Replaced> {
    let existing: HashMap<String, RosterRow> = roster_members::table
        .filter(roster_members::context_id.eq(context_id))
        .select(ROSTER_ROW)
        .load_on::<RosterRow>(conn)?
        .into_iter()
        .map(|r| (r.person.sub.clone(), r))
        .collect();
    let mut seen = HashSet::new();
    let mut report = Replaced::default();
    for m in fetched {
        if !seen.insert(m.user_id.clone()) {
            continue;
        }
        let person = m.person();
        let values = (
            roster_members::name.eq(person.name.clone()),
            roster_members::given_name.eq(person.given_name.clone()),
            roster_members::family_name.eq(person.family_name.clone()),
            roster_members::email.eq(person.email.clone()),
            roster_members::person_sourcedid.eq(person.person_sourcedid.clone()),
            roster_members::username.eq(person.username.clone()),
            roster_members::roles.eq(Json(&m.roles)),
            roster_members::status.eq(m.status.clone()),
            roster_members::synced_at.eq(now),
        );
        match existing.get(&m.user_id) {
            None => {
                diesel::insert_into(roster_members::table)
                    .values((
                        roster_members::context_id.eq(context_id),
                        roster_members::user_sub.eq(&m.user_id),
                        roster_members::first_seen_at.eq(now),
                        values,
                    ))
                    .execute_on(conn)?;
                report.added += 1;
            }
            Some(old) => {
                let changed =
                    old.person != person || old.roles.0 != m.roles || old.status != m.status;
                diesel::update(roster_members::table.find((context_id, &m.user_id)))
                    .set(values)
                    .execute_on(conn)?;
                if changed {
                    report.updated += 1;
                }
            }
        }
    }
    for sub in existing.keys().filter(|s| !seen.contains(*s)) {
        diesel::delete(roster_members::table.find((context_id, sub))).execute_on(conn)?;
        report.removed += 1;
    }
    report.total = seen.len();
    Ok(report)
}

/// The synchronisation state of a course's roster and groups.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Default)]
#[diesel(table_name = roster_syncs)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SyncState {
    pub context_id: CourseId,
    pub synced_at: Option<i64>,
    pub members: i32,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub groups_synced_at: Option<i64>,
    pub groups_error: Option<String>,
    pub lease_until: Option<i64>,
}

pub fn sync_state(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Option<SyncState>> {
    Ok(roster_syncs::table
        .find(context_id)
        .select(columns::<SyncState>())
        .get_result_on(conn)
        .optional()?)
}

fn ensure_sync_row(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<()> {
    if sync_state(conn, context_id)?.is_none() {
        let inserted = diesel::insert_into(roster_syncs::table)
            .values((
                roster_syncs::context_id.eq(context_id),
                roster_syncs::members.eq(0),
            ))
            .execute_on(conn);
        match inserted {
            Ok(_) => {}
            Err(e) if crate::store::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Reserves a course for a scheduled synchronisation (one instance at a time, at most once
/// per `min_interval`). True when this caller got it.
pub fn try_lease(
    conn: &mut DbConn,
    context_id: &CourseId,
    now: i64,
    lease_micros: i64,
    min_interval_micros: i64,
) -> StoreResult<bool> {
    ensure_sync_row(conn, context_id)?;
    let n = diesel::update(
        roster_syncs::table
            .find(context_id)
            .filter(
                roster_syncs::lease_until
                    .is_null()
                    .or(roster_syncs::lease_until.lt(now)),
            )
            .filter(
                roster_syncs::last_attempt_at
                    .is_null()
                    .or(roster_syncs::last_attempt_at.lt(now - min_interval_micros)),
            ),
    )
    .set((
        roster_syncs::lease_until.eq(now + lease_micros),
        roster_syncs::last_attempt_at.eq(now),
    ))
    .execute_on(conn)?;
    Ok(n == 1)
}

/// Records a successful roster synchronisation (and frees the lease).
pub fn record_success(
    conn: &mut DbConn,
    context_id: &CourseId,
    now: i64,
    members: usize,
) -> StoreResult<()> {
    ensure_sync_row(conn, context_id)?;
    diesel::update(roster_syncs::table.find(context_id))
        .set((
            roster_syncs::synced_at.eq(now),
            roster_syncs::last_attempt_at.eq(now),
            roster_syncs::members.eq(i32::try_from(members).unwrap_or(i32::MAX)),
            roster_syncs::last_error.eq(None::<String>),
            roster_syncs::lease_until.eq(None::<i64>),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// Records a failed roster synchronisation (the stored roster is kept as it was).
pub fn record_failure(
    conn: &mut DbConn,
    context_id: &CourseId,
    now: i64,
    error: &str,
) -> StoreResult<()> {
    ensure_sync_row(conn, context_id)?;
    diesel::update(roster_syncs::table.find(context_id))
        .set((
            roster_syncs::last_attempt_at.eq(now),
            roster_syncs::last_error.eq(error),
            roster_syncs::lease_until.eq(None::<i64>),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// Records the outcome of a group synchronisation.
pub fn record_groups(
    conn: &mut DbConn,
    context_id: &CourseId,
    now: i64,
    error: Option<&str>,
) -> StoreResult<()> {
    ensure_sync_row(conn, context_id)?;
    match error {
        None => diesel::update(roster_syncs::table.find(context_id))
            .set((
                roster_syncs::groups_synced_at.eq(now),
                roster_syncs::groups_error.eq(None::<String>),
            ))
            .execute_on(conn)?,
        Some(error) => diesel::update(roster_syncs::table.find(context_id))
            .set(roster_syncs::groups_error.eq(error))
            .execute_on(conn)?,
    };
    Ok(())
}

/// True when `sub` is in the stored roster of the course.
pub fn is_member(conn: &mut DbConn, context_id: &CourseId, sub: &str) -> StoreResult<bool> {
    Ok(roster_members::table
        .find((context_id, sub))
        .count()
        .get_result_on::<i64>(conn)?
        > 0)
}

/// A person marked « pas un étudiant » in a course.
#[derive(Debug, Clone, Serialize)]
pub struct Marked {
    pub sub: String,
    /// From the roster (empty when they left it).
    pub name: String,
    pub marked_at: i64,
}

/// The people marked in a course, by name.
pub fn marked(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<Marked>> {
    let rows: Vec<(String, i64, Option<String>)> = not_students::table
        .left_join(
            roster_members::table.on(roster_members::context_id
                .eq(not_students::context_id)
                .and(roster_members::user_sub.eq(not_students::user_sub))),
        )
        .filter(not_students::context_id.eq(context_id))
        .select((
            not_students::user_sub,
            not_students::marked_at,
            roster_members::name.nullable(),
        ))
        .load_on(conn)?;
    let mut out: Vec<Marked> = rows
        .into_iter()
        .map(|(sub, marked_at, name)| Marked {
            sub,
            name: name.unwrap_or_default(),
            marked_at,
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.sub).cmp(&(&b.name, &b.sub)));
    Ok(out)
}

/// Marks `sub` « pas un étudiant » in the course (no-op when already marked), with its audit
/// entry (caller's transaction). Returns whether it was new.
pub fn mark(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    sub: &str,
) -> StoreResult<bool> {
    let known = not_students::table
        .find((context_id, sub))
        .count()
        .get_result_on::<i64>(conn)?
        > 0;
    if known {
        return Ok(false);
    }
    diesel::insert_into(not_students::table)
        .values((
            not_students::context_id.eq(context_id),
            not_students::user_sub.eq(sub),
            not_students::marked_by.eq(actor.user_id.as_deref()),
            not_students::marked_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    actor.record(
        conn,
        context_id,
        Action::NotStudent,
        (Target::Person, Some(sub)),
        serde_json::json!({}),
    )?;
    Ok(true)
}

/// Puts `sub` back among the students of the course, with its audit entry (caller's
/// transaction). Returns whether they were marked.
pub fn unmark(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    sub: &str,
) -> StoreResult<bool> {
    let n = diesel::delete(not_students::table.find((context_id, sub))).execute_on(conn)?;
    if n > 0 {
        actor.record(
            conn,
            context_id,
            Action::Student,
            (Target::Person, Some(sub)),
            serde_json::json!({}),
        )?;
    }
    Ok(n > 0)
}
