//! Who is never counted as a student of a course, whatever the roster says: Moodle's NRPS
//! gives every member without `moodle/course:manageactivities` the Learner role, so a
//! non-editing teacher comes back as a Learner. A person is *not a student* when they opened
//! the tool in the course with a staff role, hold a grant in it, have a staff role in the
//! course according to Moodle's web service, or were marked « pas un étudiant » by a designer
//! or a gestionnaire (kept across roster synchronisations, audited). The staff lists apply
//! the four in their SQL (`followup::dashboard`).

use diesel::prelude::*;
use serde::Serialize;

use crate::access::audit::Actor;
use crate::store::schema::{not_students, roster_members};
use crate::store::{DbConn, RunOnBackend, StoreResult, now_micros};

/// Audit action: a person marked « pas un étudiant », or put back among the students.
pub const ACTION_MARK: &str = "roster.not_student";
pub const ACTION_UNMARK: &str = "roster.student";

/// A person marked « pas un étudiant » in a course.
#[derive(Debug, Clone, Serialize)]
pub struct Marked {
    pub sub: String,
    /// From the roster (empty when they left it).
    pub name: String,
    pub marked_at: i64,
}

/// The people marked in a course, by name.
pub fn marked(conn: &mut DbConn, context_id: &str) -> StoreResult<Vec<Marked>> {
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
pub fn mark(conn: &mut DbConn, actor: &Actor, context_id: &str, sub: &str) -> StoreResult<bool> {
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
        ACTION_MARK,
        ("person", Some(sub)),
        serde_json::json!({}),
    )?;
    Ok(true)
}

/// Puts `sub` back among the students of the course, with its audit entry (caller's
/// transaction). Returns whether they were marked.
pub fn unmark(conn: &mut DbConn, actor: &Actor, context_id: &str, sub: &str) -> StoreResult<bool> {
    let n = diesel::delete(not_students::table.find((context_id, sub))).execute_on(conn)?;
    if n > 0 {
        actor.record(
            conn,
            context_id,
            ACTION_UNMARK,
            ("person", Some(sub)),
            serde_json::json!({}),
        )?;
    }
    Ok(n > 0)
}
