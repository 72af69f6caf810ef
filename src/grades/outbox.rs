//! The grade outbox: one row per gradebook change to deliver, written in the transaction of
//! the change itself, with a snapshot of where and for whom it goes.

use diesel::prelude::*;

use crate::store::schema::{grade_outbox, resource_links, users};
use crate::store::{DbConn, StoreResult, new_id, now_micros};

/// States of an outbox row.
pub mod state {
    /// Waiting for (re)delivery.
    pub const PENDING: &str = "pending";
    /// Accepted by the platform.
    pub const DELIVERED: &str = "delivered";
    /// Refused for good (kept with its reason for staff and admins).
    pub const FAILED: &str = "failed";
}

/// A gradebook change to deliver: completed (signed) or cleared (reopened for amendment).
#[derive(Debug, Clone)]
pub struct Completion<'a> {
    pub user_id: &'a str,
    pub resource_link_id: &'a str,
    pub contract_id: Option<&'a str>,
    /// True: scoreGiven 1 / Completed / FullyGraded. False: the grade is cleared.
    pub completed: bool,
    /// A short comment shown in the gradebook.
    pub comment: &'a str,
}

/// Enqueues a gradebook change, in the caller's transaction. The AGS endpoints and scopes of
/// the placement and the user's `sub` are copied now; the score timestamp is strictly later
/// than any earlier one for the same user and placement (Moodle refuses an older or equal one).
pub fn enqueue(conn: &mut DbConn, completion: &Completion<'_>) -> StoreResult<String> {
    let (context_id, lineitem, lineitems, scopes): (
        String,
        Option<String>,
        Option<String>,
        String,
    ) = resource_links::table
        .find(completion.resource_link_id)
        .select((
            resource_links::context_id,
            resource_links::ags_lineitem,
            resource_links::ags_lineitems,
            resource_links::ags_scopes,
        ))
        .get_result(conn)?;
    let (platform_id, sub): (String, String) = users::table
        .find(completion.user_id)
        .select((users::platform_id, users::sub))
        .get_result(conn)?;
    let now = now_micros();
    let latest: Option<i64> = grade_outbox::table
        .filter(grade_outbox::user_id.eq(completion.user_id))
        .filter(grade_outbox::resource_link_id.eq(completion.resource_link_id))
        .select(diesel::dsl::max(grade_outbox::score_timestamp))
        .get_result(conn)?;
    let timestamp = latest.map_or(now, |t| now.max(t + 1_000));
    let id = new_id();
    diesel::insert_into(grade_outbox::table)
        .values((
            grade_outbox::id.eq(&id),
            grade_outbox::platform_id.eq(&platform_id),
            grade_outbox::context_id.eq(&context_id),
            grade_outbox::resource_link_id.eq(completion.resource_link_id),
            grade_outbox::user_id.eq(completion.user_id),
            grade_outbox::contract_id.eq(completion.contract_id),
            grade_outbox::user_sub.eq(&sub),
            grade_outbox::lineitem_url.eq(&lineitem),
            grade_outbox::lineitems_url.eq(&lineitems),
            grade_outbox::scopes.eq(&scopes),
            grade_outbox::completed.eq(completion.completed),
            grade_outbox::comment.eq(completion.comment),
            grade_outbox::score_timestamp.eq(timestamp),
            grade_outbox::state.eq(state::PENDING),
            grade_outbox::attempts.eq(0),
            grade_outbox::next_attempt_at.eq(now),
            grade_outbox::created_at.eq(now),
            grade_outbox::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Rows not delivered yet (pending), for tests and status.
pub fn count_pending(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(grade_outbox::table
        .filter(grade_outbox::state.eq(state::PENDING))
        .count()
        .get_result(conn)?)
}
