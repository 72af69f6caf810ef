//! The grade outbox: one row per gradebook change to deliver, written in the transaction of
//! the change itself, with a snapshot of where and for whom it goes; claiming rows for
//! delivery (a lease, and `SKIP LOCKED` on PostgreSQL), their bookkeeping, and status.

use super::ids::{ContractId, CourseId, PlatformId, UserId};
use diesel::prelude::*;
use serde::Serialize;

use crate::store::schema::{contexts, grade_outbox, resource_links, users};
use crate::store::text::text_enum;
use crate::store::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros, write_tx};

/// Moodle compares score timestamps by whole seconds (`strtotime`): successive changes for
/// one user and placement are spaced by at least this much.
pub const TIMESTAMP_STEP_MICROS: i64 = 1_000_000;

text_enum! {
    /// States of an outbox row (`grade_outbox.state`).
    pub enum DeliveryState {
        /// Waiting for (re)delivery.
        Pending = "pending",
        /// Accepted by the platform.
        Delivered = "delivered",
        /// Refused for good (kept with its reason for staff and admins).
        Failed = "failed",
    }
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
/// than any earlier one for the same user and placement, by at least a second (Moodle refuses
/// an older or equal one, comparing whole seconds).
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
        .get_result_on(conn)?;
    let (platform_id, sub): (String, String) = users::table
        .find(completion.user_id)
        .select((users::platform_id, users::sub))
        .get_result_on(conn)?;
    let now = now_micros();
    let latest: Option<i64> = grade_outbox::table
        .filter(grade_outbox::user_id.eq(completion.user_id))
        .filter(grade_outbox::resource_link_id.eq(completion.resource_link_id))
        .select(diesel::dsl::max(grade_outbox::score_timestamp))
        .get_result_on(conn)?;
    let timestamp = latest.map_or(now, |t| now.max(t + TIMESTAMP_STEP_MICROS));
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
            grade_outbox::state.eq(DeliveryState::Pending),
            grade_outbox::attempts.eq(0),
            grade_outbox::next_attempt_at.eq(now),
            grade_outbox::created_at.eq(now),
            grade_outbox::updated_at.eq(now),
        ))
        .execute_on(conn)?;
    Ok(id)
}

/// Rows not delivered yet (pending), for tests and status.
pub fn count_pending(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(grade_outbox::table
        .filter(grade_outbox::state.eq(DeliveryState::Pending))
        .count()
        .get_result_on(conn)?)
}

text_enum! {
    /// Why the last attempt of a row did not deliver, or how a delivered row was settled
    /// (`grade_outbox.error_kind`), for staff pages (`delivery.kind.*` in the catalogue).
    pub enum ErrorKind {
        /// The platform was unreachable or failed (timeout, refused connection, 5xx, 429).
        Unavailable = "unavailable",
        /// The token endpoint refused the tool (tool pending in Moodle, unknown key…).
        TokenRefused = "token_refused",
        /// The platform refused our access token twice in a row (401).
        Unauthorized = "unauthorized",
        /// The user cannot be graded in the course (Moodle answers 400: no gradebook role).
        NotGradable = "not_gradable",
        /// The activity accepts no grades: no line item and no line items URL, or no score
        /// scope.
        GradesNotEnabled = "grades_not_enabled",
        /// Any other refusal (4xx), kept with the platform's reason.
        Refused = "refused",
        /// Retried for the configured number of days without success.
        GaveUp = "gave_up",
        /// Delivered: the platform already had this score or a newer one (409).
        AlreadyRecorded = "already_recorded",
        /// Not posted: a newer change for the same user and placement replaces it.
        Superseded = "superseded",
    }
}

/// A row of the outbox.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = grade_outbox)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OutboxRow {
    pub id: String,
    pub platform_id: PlatformId,
    pub context_id: CourseId,
    pub resource_link_id: String,
    pub user_id: UserId,
    pub contract_id: Option<ContractId>,
    pub user_sub: String,
    pub lineitem_url: Option<String>,
    pub lineitems_url: Option<String>,
    pub scopes: String,
    pub completed: bool,
    pub comment: String,
    pub score_timestamp: i64,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
    pub lease_token: Option<String>,
    pub error_kind: Option<ErrorKind>,
    pub last_attempt_at: Option<i64>,
}

pub fn get(conn: &mut DbConn, id: &str) -> StoreResult<Option<OutboxRow>> {
    Ok(grade_outbox::table
        .find(id)
        .select(columns::<OutboxRow>())
        .get_result_on(conn)
        .optional()?)
}

/// True when a newer change exists for the row's user and placement: only the latest change
/// is posted (after an outage, a backlog of changes for one user becomes one score).
pub fn has_newer(conn: &mut DbConn, row: &OutboxRow) -> StoreResult<bool> {
    Ok(grade_outbox::table
        .filter(grade_outbox::user_id.eq(&row.user_id))
        .filter(grade_outbox::resource_link_id.eq(&row.resource_link_id))
        .filter(grade_outbox::score_timestamp.gt(row.score_timestamp))
        .count()
        .get_result_on::<i64>(conn)?
        > 0)
}

/// Claims up to `max` due rows for delivery: each gets a lease until `now + lease_micros`
/// and one more attempt. A row is claimed by one worker only, across processes: PostgreSQL
/// skips rows another transaction has locked (`FOR UPDATE SKIP LOCKED`), SQLite takes the
/// write lock first (`BEGIN IMMEDIATE`), and on both the update only takes rows whose lease
/// is free. The claimed rows carry a fresh `lease_token` that fences their bookkeeping.
pub fn claim(
    conn: &mut DbConn,
    now: i64,
    lease_micros: i64,
    max: i64,
) -> StoreResult<Vec<OutboxRow>> {
    let token = new_id();
    write_tx(conn, |conn| {
        use grade_outbox::dsl as o;
        let ids: Vec<String> = match conn {
            DbConn::Pg(pg) => o::grade_outbox
                .filter(o::state.eq(DeliveryState::Pending))
                .filter(o::next_attempt_at.le(now))
                .filter(o::lease_until.is_null().or(o::lease_until.lt(now)))
                .order((o::next_attempt_at.asc(), o::id.asc()))
                .select(o::id)
                .limit(max)
                .for_update()
                .skip_locked()
                .load(pg)?,
            DbConn::Sqlite(lite) => o::grade_outbox
                .filter(o::state.eq(DeliveryState::Pending))
                .filter(o::next_attempt_at.le(now))
                .filter(o::lease_until.is_null().or(o::lease_until.lt(now)))
                .order((o::next_attempt_at.asc(), o::id.asc()))
                .select(o::id)
                .limit(max)
                .load(lite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        for id in &ids {
            diesel::update(
                o::grade_outbox
                    .find(id)
                    .filter(o::state.eq(DeliveryState::Pending))
                    .filter(o::lease_until.is_null().or(o::lease_until.lt(now))),
            )
            .set((
                o::lease_until.eq(now + lease_micros),
                o::lease_token.eq(&token),
                o::attempts.eq(o::attempts + 1),
                o::last_attempt_at.eq(now),
                o::updated_at.eq(now),
            ))
            .execute_on(conn)?;
        }
        Ok(o::grade_outbox
            .filter(o::lease_token.eq(&token))
            .order((o::next_attempt_at.asc(), o::id.asc()))
            .select(columns::<OutboxRow>())
            .load_on(conn)?)
    })
}

/// The row's platform accepted it. False when the lease was lost (another worker owns it).
pub fn mark_delivered(
    conn: &mut DbConn,
    id: &str,
    lease_token: &str,
    note: Option<ErrorKind>,
) -> StoreResult<bool> {
    let now = now_micros();
    let n = diesel::update(owned(id, lease_token))
        .set((
            grade_outbox::state.eq(DeliveryState::Delivered),
            grade_outbox::delivered_at.eq(now),
            grade_outbox::lease_until.eq(None::<i64>),
            grade_outbox::lease_token.eq(None::<String>),
            grade_outbox::last_error.eq(None::<String>),
            grade_outbox::error_kind.eq(note),
            grade_outbox::updated_at.eq(now),
        ))
        .execute_on(conn)?;
    Ok(n == 1)
}

/// The attempt failed and will be retried at `next_attempt_at`.
pub fn schedule_retry(
    conn: &mut DbConn,
    id: &str,
    lease_token: &str,
    next_attempt_at: i64,
    error_kind: ErrorKind,
    error: &str,
) -> StoreResult<bool> {
    let n = diesel::update(owned(id, lease_token))
        .set((
            grade_outbox::next_attempt_at.eq(next_attempt_at),
            grade_outbox::lease_until.eq(None::<i64>),
            grade_outbox::lease_token.eq(None::<String>),
            grade_outbox::last_error.eq(error),
            grade_outbox::error_kind.eq(error_kind),
            grade_outbox::updated_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(n == 1)
}

/// The row is refused for good (kept with its reason; `retry` puts it back).
pub fn mark_failed(
    conn: &mut DbConn,
    id: &str,
    lease_token: &str,
    error_kind: ErrorKind,
    error: &str,
) -> StoreResult<bool> {
    let n = diesel::update(owned(id, lease_token))
        .set((
            grade_outbox::state.eq(DeliveryState::Failed),
            grade_outbox::lease_until.eq(None::<i64>),
            grade_outbox::lease_token.eq(None::<String>),
            grade_outbox::last_error.eq(error),
            grade_outbox::error_kind.eq(error_kind),
            grade_outbox::updated_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(n == 1)
}

/// The pending row `id` still leased with `lease_token`.
type Owned<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<grade_outbox::table, &'a str>,
        diesel::dsl::Eq<grade_outbox::lease_token, &'a str>,
    >,
    diesel::dsl::Eq<grade_outbox::state, DeliveryState>,
>;

fn owned<'a>(id: &'a str, lease_token: &'a str) -> Owned<'a> {
    grade_outbox::table
        .find(id)
        .filter(grade_outbox::lease_token.eq(lease_token))
        .filter(grade_outbox::state.eq(DeliveryState::Pending))
}

/// Puts deliveries back in the queue, due now, with their attempts reset: the row `id` (a
/// failed one, or a pending one to retry it at once), or every failed row when `id` is
/// `None`; limited to one platform when `platform_id` is given. Rows a worker holds right
/// now are left alone. Returns how many.
pub fn retry(conn: &mut DbConn, id: Option<&str>, platform_id: Option<&str>) -> StoreResult<usize> {
    let now = now_micros();
    // The filters depend on the arguments: a boxed statement, built for each backend.
    macro_rules! retry_on {
        ($c:expr) => {{
            let mut query = diesel::update(grade_outbox::table)
                .filter(
                    grade_outbox::lease_until
                        .is_null()
                        .or(grade_outbox::lease_until.lt(now)),
                )
                .into_boxed();
            query = match id {
                Some(id) => query
                    .filter(grade_outbox::id.eq(id.to_string()))
                    .filter(grade_outbox::state.ne(DeliveryState::Delivered)),
                None => query.filter(grade_outbox::state.eq(DeliveryState::Failed)),
            };
            if let Some(platform_id) = platform_id {
                query = query.filter(grade_outbox::platform_id.eq(platform_id.to_string()));
            }
            query
                .set((
                    grade_outbox::state.eq(DeliveryState::Pending),
                    grade_outbox::next_attempt_at.eq(now),
                    grade_outbox::attempts.eq(0),
                    grade_outbox::lease_until.eq(None::<i64>),
                    grade_outbox::lease_token.eq(None::<String>),
                    grade_outbox::updated_at.eq(now),
                ))
                .execute($c)?
        }};
    }
    Ok(match conn {
        DbConn::Sqlite(c) => retry_on!(c),
        DbConn::Pg(c) => retry_on!(c),
    })
}

/// A delivery not done yet, with who and where, for staff and admin pages and the CLI.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct DeliveryStatus {
    pub id: String,
    pub platform_id: PlatformId,
    pub context_id: CourseId,
    pub context_title: String,
    pub user_id: UserId,
    pub user_sub: String,
    pub user_name: String,
    pub person_sourcedid: String,
    pub contract_id: Option<ContractId>,
    pub completed: bool,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub error_kind: Option<ErrorKind>,
    pub created_at: i64,
}

/// How many rows in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

impl Counts {
    fn from_rows(rows: Vec<(DeliveryState, i64)>) -> Counts {
        let mut counts = Counts::default();
        for (state, n) in rows {
            match state {
                DeliveryState::Pending => counts.pending = n,
                DeliveryState::Delivered => counts.delivered = n,
                DeliveryState::Failed => counts.failed = n,
            }
        }
        counts
    }
}

/// The gradebook deliveries of one course: counts, and the pending and failed ones in detail.
#[derive(Debug, Clone, Serialize)]
pub struct ContextDeliveries {
    pub counts: Counts,
    pub open: Vec<DeliveryStatus>,
}

macro_rules! status_query {
    () => {
        grade_outbox::table
            .inner_join(users::table)
            .inner_join(contexts::table.on(contexts::id.eq(grade_outbox::context_id)))
            .filter(grade_outbox::state.ne(DeliveryState::Delivered))
            .select((
                grade_outbox::id,
                grade_outbox::platform_id,
                grade_outbox::context_id,
                contexts::title,
                grade_outbox::user_id,
                grade_outbox::user_sub,
                users::name,
                users::person_sourcedid,
                grade_outbox::contract_id,
                grade_outbox::completed,
                grade_outbox::state,
                grade_outbox::attempts,
                grade_outbox::next_attempt_at,
                grade_outbox::last_attempt_at,
                grade_outbox::last_error,
                grade_outbox::error_kind,
                grade_outbox::created_at,
            ))
            .order((grade_outbox::state.asc(), grade_outbox::created_at.asc()))
    };
}

/// Deliveries of a course (what staff of that course see): counts, pending and failed rows.
pub fn status_for_context(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> StoreResult<ContextDeliveries> {
    let counts = grade_outbox::table
        .filter(grade_outbox::context_id.eq(context_id))
        .group_by(grade_outbox::state)
        .select((grade_outbox::state, diesel::dsl::count_star()))
        .load_on::<(DeliveryState, i64)>(conn)?;
    let open = status_query!()
        .filter(grade_outbox::context_id.eq(context_id))
        .load_on::<DeliveryStatus>(conn)?;
    Ok(ContextDeliveries {
        counts: Counts::from_rows(counts),
        open,
    })
}

/// Pending and failed deliveries of a platform (its administrators' page), or of every
/// platform (the operator's CLI), oldest first within each state.
pub fn open_deliveries(
    conn: &mut DbConn,
    platform_id: Option<&str>,
) -> StoreResult<Vec<DeliveryStatus>> {
    Ok(match platform_id {
        Some(p) => status_query!()
            .filter(grade_outbox::platform_id.eq(p))
            .load_on(conn)?,
        None => status_query!().load_on(conn)?,
    })
}

/// Rows per state, for a platform or for all.
pub fn counts(conn: &mut DbConn, platform_id: Option<&str>) -> StoreResult<Counts> {
    let rows = match platform_id {
        Some(p) => grade_outbox::table
            .filter(grade_outbox::platform_id.eq(p))
            .group_by(grade_outbox::state)
            .select((grade_outbox::state, diesel::dsl::count_star()))
            .load_on::<(DeliveryState, i64)>(conn)?,
        None => grade_outbox::table
            .group_by(grade_outbox::state)
            .select((grade_outbox::state, diesel::dsl::count_star()))
            .load_on::<(DeliveryState, i64)>(conn)?,
    };
    Ok(Counts::from_rows(rows))
}
