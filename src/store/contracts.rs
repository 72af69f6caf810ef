//! Contracts, their signed versions, their history events and the contract-number counters.
//!
//! Every student-facing query is scoped by the user id; staff queries (issue 5) by course and
//! formation: both are indexed (`contracts_user`, `contracts_staff_list`).

use super::ids::{ContractId, CourseId, FormationId, UserId};
use diesel::prelude::*;

use super::schema::{
    contract_counters, contract_events, contract_signatures, contracts, formations, grade_outbox,
};
use super::text::{Json, text_enum};
use super::{DbConn, RunOnBackend, StoreError, StoreResult, columns, new_id, now_micros};

text_enum! {
    /// Where a contract is in its life (`contracts.state`).
    ///
    /// ```text
    /// draft ──sign──▶ signed ──validate──▶ validated
    ///                   ▲  │                  │
    ///                   │  └──reopen──┐       │
    ///                 sign            ▼       │
    ///                   └──────── reopened ◀──┘ reopen
    /// ```
    ///
    /// The student edits a `draft` or a `reopened` contract; `signed` and `validated` are
    /// read-only for everyone. Every signature adds a signed version (`contract_signatures`),
    /// so reopening never loses what was signed before.
    pub enum ContractState {
        /// Being filled by the student, never signed.
        Draft = "draft",
        /// Signed by the student; immutable.
        Signed = "signed",
        /// Countersigned by staff; immutable.
        Validated = "validated",
        /// Reopened by staff for an amendment: the student edits it and signs again.
        Reopened = "reopened",
    }
}

impl ContractState {
    /// The states where the student may change the answers.
    pub const EDITABLE: [ContractState; 2] = [ContractState::Draft, ContractState::Reopened];
    /// The states whose current answers are signed.
    pub const SIGNED: [ContractState; 2] = [ContractState::Signed, ContractState::Validated];

    /// Whether the student may change the answers.
    pub fn is_editable(self) -> bool {
        Self::EDITABLE.contains(&self)
    }

    /// Whether the current answers are signed (read-only).
    pub fn is_signed(self) -> bool {
        Self::SIGNED.contains(&self)
    }
}

text_enum! {
    /// Kinds of history events (`contract_events.kind`).
    pub enum EventKind {
        /// The draft was created (detail: `prefilled_from`, `questionnaire_version`).
        Started = "started",
        /// The student signed (detail: `seq`, `fingerprint`, `number`).
        Signed = "signed",
        /// Staff countersigned.
        Validated = "validated",
        /// Staff reopened it for an amendment (detail: `reason`).
        Reopened = "reopened",
    }
}

/// A contract row.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = contracts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ContractRow {
    pub id: ContractId,
    pub context_id: CourseId,
    pub formation_id: FormationId,
    pub user_id: UserId,
    pub academic_year: String,
    /// The questionnaire version the contract is answered with (kept for its whole life).
    pub questionnaire_version_id: String,
    pub state: ContractState,
    /// JSON answers (the engine's `Answers`): the draft while editable, the signed ones after.
    pub answers: String,
    /// JSON array of the ids of the pages saved at least once.
    pub pages_done: String,
    /// Incremented at every change; forms carry it to detect stale submissions.
    pub revision: i32,
    /// The earlier year's contract it was prefilled from.
    pub previous_contract_id: Option<ContractId>,
    /// `CPRE-2025-000042`, given at the first signature.
    pub number: Option<String>,
    /// Number of signed versions (0 for a draft never signed).
    pub signature_seq: i32,
    /// Time of the latest signature.
    pub signed_at: Option<i64>,
    /// SHA-256 of the latest signed content.
    pub fingerprint: Option<String>,
    pub validated_at: Option<i64>,
    pub validated_by: Option<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One signed version of a contract.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = contract_signatures)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SignatureRow {
    pub id: String,
    pub contract_id: ContractId,
    /// 1 for the first signature, 2 after an amendment…
    pub seq: i32,
    pub questionnaire_version_id: String,
    /// The canonical JSON that was signed (its SHA-256 is `fingerprint`).
    pub content: String,
    pub fingerprint: String,
    pub signed_at: i64,
    pub signed_by: UserId,
}

/// One event of a contract's history.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = contract_events)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EventRow {
    pub id: String,
    pub contract_id: ContractId,
    pub kind: EventKind,
    pub actor_id: Option<UserId>,
    /// The event's details.
    pub detail: Json<serde_json::Value>,
    pub at: i64,
}

/// A new draft.
#[derive(Debug, Clone)]
pub struct NewContract<'a> {
    pub context_id: &'a CourseId,
    pub formation_id: &'a FormationId,
    pub user_id: &'a UserId,
    pub academic_year: &'a str,
    pub questionnaire_version_id: &'a str,
    pub state: ContractState,
    pub answers: &'a str,
    pub previous_contract_id: Option<&'a ContractId>,
}

/// Inserts a contract; returns the row.
pub fn insert(conn: &mut DbConn, new: &NewContract<'_>) -> StoreResult<ContractRow> {
    let now = now_micros();
    let id = ContractId::new();
    diesel::insert_into(contracts::table)
        .values((
            contracts::id.eq(&id),
            contracts::context_id.eq(new.context_id),
            contracts::formation_id.eq(new.formation_id),
            contracts::user_id.eq(new.user_id),
            contracts::academic_year.eq(new.academic_year),
            contracts::questionnaire_version_id.eq(new.questionnaire_version_id),
            contracts::state.eq(new.state),
            contracts::answers.eq(new.answers),
            contracts::pages_done.eq("[]"),
            contracts::revision.eq(1),
            contracts::previous_contract_id.eq(new.previous_contract_id),
            contracts::signature_seq.eq(0),
            contracts::created_at.eq(now),
            contracts::updated_at.eq(now),
        ))
        .execute_on(conn)?;
    get(conn, &id)
}

/// A contract by id (no scoping: for code that already checked who may see it).
pub fn get(conn: &mut DbConn, id: &ContractId) -> StoreResult<ContractRow> {
    Ok(contracts::table
        .find(id)
        .select(columns::<ContractRow>())
        .get_result_on(conn)?)
}

/// A contract by id, only if it belongs to `user_id` (students' URLs).
pub fn get_of_user(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &ContractId,
) -> StoreResult<Option<ContractRow>> {
    Ok(contracts::table
        .filter(contracts::id.eq(id))
        .filter(contracts::user_id.eq(user_id))
        .select(columns::<ContractRow>())
        .get_result_on(conn)
        .optional()?)
}

/// The contract of a student for a formation and a year.
pub fn find_for(
    conn: &mut DbConn,
    user_id: &UserId,
    formation_id: &FormationId,
    academic_year: &str,
) -> StoreResult<Option<ContractRow>> {
    Ok(contracts::table
        .filter(contracts::user_id.eq(user_id))
        .filter(contracts::formation_id.eq(formation_id))
        .filter(contracts::academic_year.eq(academic_year))
        .select(columns::<ContractRow>())
        .get_result_on(conn)
        .optional()?)
}

/// A contract with its formation's code and title.
#[derive(Debug, Clone, Queryable)]
pub struct ContractOfFormation {
    #[diesel(embed)]
    pub contract: ContractRow,
    pub formation_code: String,
    pub formation_title: String,
}

/// Every contract of a student (every course of the platform, every year), newest year
/// first, with its formation's code and title.
pub fn of_user(conn: &mut DbConn, user_id: &UserId) -> StoreResult<Vec<ContractOfFormation>> {
    Ok(contracts::table
        .inner_join(formations::table)
        .filter(contracts::user_id.eq(user_id))
        .order((
            contracts::academic_year.desc(),
            contracts::created_at.desc(),
        ))
        .select((
            columns::<ContractRow>(),
            formations::code,
            formations::title,
        ))
        .load_on(conn)?)
}

/// The contracts of a formation of a course for a year, in creation order (staff lists).
pub fn of_formation(
    conn: &mut DbConn,
    context_id: &CourseId,
    formation_id: &FormationId,
    academic_year: &str,
) -> StoreResult<Vec<ContractRow>> {
    Ok(contracts::table
        .filter(contracts::context_id.eq(context_id))
        .filter(contracts::formation_id.eq(formation_id))
        .filter(contracts::academic_year.eq(academic_year))
        .order(contracts::created_at.asc())
        .select(columns::<ContractRow>())
        .load_on(conn)?)
}

/// How many contracts of a formation are in a state.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct StateCount {
    pub formation_id: FormationId,
    pub state: ContractState,
    pub count: i64,
}

/// Contracts of a course by formation and state (staff counts).
pub fn counts_by_state(
    conn: &mut DbConn,
    context_id: &CourseId,
    academic_year: &str,
) -> StoreResult<Vec<StateCount>> {
    Ok(contracts::table
        .filter(contracts::context_id.eq(context_id))
        .filter(contracts::academic_year.eq(academic_year))
        .group_by((contracts::formation_id, contracts::state))
        .select((
            contracts::formation_id,
            contracts::state,
            diesel::dsl::count_star(),
        ))
        .load_on(conn)?)
}

/// Saves a draft's answers if the contract is still at `revision` and in one of `states`;
/// returns whether it was (a false means another save won, or the state changed).
pub fn save_draft(
    conn: &mut DbConn,
    id: &ContractId,
    revision: i32,
    states: &[ContractState],
    answers: &str,
    pages_done: &str,
) -> StoreResult<bool> {
    let updated = diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::revision.eq(revision))
            .filter(contracts::state.eq_any(states)),
    )
    .set((
        contracts::answers.eq(answers),
        contracts::pages_done.eq(pages_done),
        contracts::revision.eq(revision + 1),
        contracts::updated_at.eq(now_micros()),
    ))
    .execute_on(conn)?;
    Ok(updated == 1)
}

/// Claims a contract for a signature: makes it `to_state` if it is still at `revision` and in
/// one of `from_states` (the conditional update takes the row lock on PostgreSQL, so of two
/// concurrent signatures one only gets `true`). Returns whether it did.
pub fn claim_for_signature(
    conn: &mut DbConn,
    id: &ContractId,
    revision: i32,
    from_states: &[ContractState],
    to_state: ContractState,
    now: i64,
) -> StoreResult<bool> {
    let updated = diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::revision.eq(revision))
            .filter(contracts::state.eq_any(from_states)),
    )
    .set((
        contracts::state.eq(to_state),
        contracts::revision.eq(revision + 1),
        contracts::updated_at.eq(now),
    ))
    .execute_on(conn)?;
    Ok(updated == 1)
}

/// What a signature writes on the contract row (after [`claim_for_signature`]).
#[derive(Debug, Clone)]
pub struct SignatureUpdate<'a> {
    pub answers: &'a str,
    pub number: &'a str,
    pub seq: i32,
    pub signed_at: i64,
    pub fingerprint: &'a str,
}

/// Records a signature on a claimed contract.
pub fn record_signature(
    conn: &mut DbConn,
    id: &ContractId,
    update: &SignatureUpdate<'_>,
) -> StoreResult<()> {
    diesel::update(contracts::table.find(id))
        .set((
            contracts::answers.eq(update.answers),
            contracts::number.eq(update.number),
            contracts::signature_seq.eq(update.seq),
            contracts::signed_at.eq(update.signed_at),
            contracts::fingerprint.eq(update.fingerprint),
            contracts::validated_at.eq(None::<i64>),
            contracts::validated_by.eq(None::<String>),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// Changes the state of a contract if it is in one of `from_states`; `validated` sets or
/// clears the validation stamp. Returns whether it changed.
pub fn set_state(
    conn: &mut DbConn,
    id: &ContractId,
    from_states: &[ContractState],
    to_state: ContractState,
    validated: Option<(i64, &str)>,
) -> StoreResult<bool> {
    let now = now_micros();
    let updated = diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::state.eq_any(from_states)),
    )
    .set((
        contracts::state.eq(to_state),
        contracts::validated_at.eq(validated.map(|(at, _)| at)),
        contracts::validated_by.eq(validated.map(|(_, by)| by.to_owned())),
        contracts::revision.eq(contracts::revision + 1),
        contracts::updated_at.eq(now),
    ))
    .execute_on(conn)?;
    Ok(updated == 1)
}

/// A signed version to record.
#[derive(Debug, Clone)]
pub struct NewSignature<'a> {
    pub contract_id: &'a str,
    pub seq: i32,
    pub questionnaire_version_id: &'a str,
    pub content: &'a str,
    pub fingerprint: &'a str,
    pub signed_at: i64,
    pub signed_by: &'a str,
}

/// Records a signed version (rows of `contract_signatures` are only ever inserted).
pub fn insert_signature(conn: &mut DbConn, new: &NewSignature<'_>) -> StoreResult<String> {
    let id = new_id();
    diesel::insert_into(contract_signatures::table)
        .values((
            contract_signatures::id.eq(&id),
            contract_signatures::contract_id.eq(new.contract_id),
            contract_signatures::seq.eq(new.seq),
            contract_signatures::questionnaire_version_id.eq(new.questionnaire_version_id),
            contract_signatures::content.eq(new.content),
            contract_signatures::fingerprint.eq(new.fingerprint),
            contract_signatures::signed_at.eq(new.signed_at),
            contract_signatures::signed_by.eq(new.signed_by),
        ))
        .execute_on(conn)?;
    Ok(id)
}

/// Every signed version of a contract, oldest first.
pub fn signatures_of(
    conn: &mut DbConn,
    contract_id: &ContractId,
) -> StoreResult<Vec<SignatureRow>> {
    Ok(contract_signatures::table
        .filter(contract_signatures::contract_id.eq(contract_id))
        .order(contract_signatures::seq.asc())
        .select(columns::<SignatureRow>())
        .load_on(conn)?)
}

/// One signed version of a contract.
pub fn signature(
    conn: &mut DbConn,
    contract_id: &ContractId,
    seq: i32,
) -> StoreResult<Option<SignatureRow>> {
    Ok(contract_signatures::table
        .filter(contract_signatures::contract_id.eq(contract_id))
        .filter(contract_signatures::seq.eq(seq))
        .select(columns::<SignatureRow>())
        .get_result_on(conn)
        .optional()?)
}

/// Appends an event to a contract's history.
pub fn add_event(
    conn: &mut DbConn,
    contract_id: &ContractId,
    kind: EventKind,
    actor_id: Option<&UserId>,
    detail: &serde_json::Value,
) -> StoreResult<()> {
    diesel::insert_into(contract_events::table)
        .values((
            contract_events::id.eq(new_id()),
            contract_events::contract_id.eq(contract_id),
            contract_events::kind.eq(kind),
            contract_events::actor_id.eq(actor_id),
            contract_events::detail.eq(Json(detail)),
            contract_events::at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// A contract's history, oldest first.
pub fn events_of(conn: &mut DbConn, contract_id: &ContractId) -> StoreResult<Vec<EventRow>> {
    Ok(contract_events::table
        .filter(contract_events::contract_id.eq(contract_id))
        .order((contract_events::at.asc(), contract_events::id.asc()))
        .select(columns::<EventRow>())
        .load_on(conn)?)
}

/// The counter of an academic year: its first year (`2025` for `2025-2026`).
pub fn counter_scope(academic_year: &str) -> String {
    academic_year
        .split('-')
        .next()
        .unwrap_or(academic_year)
        .to_owned()
}

/// Makes sure the contract counter of `academic_year` exists (caller's transaction).
pub fn ensure_year_counter(conn: &mut DbConn, academic_year: &str) -> StoreResult<()> {
    ensure_counter(conn, &counter_scope(academic_year))
}

/// Makes sure the counter of `scope` exists (done when a course is configured for a year,
/// so that signatures only ever update it).
fn ensure_counter(conn: &mut DbConn, scope: &str) -> StoreResult<()> {
    let exists = contract_counters::table
        .find(scope)
        .count()
        .get_result_on::<i64>(conn)?
        > 0;
    if !exists {
        diesel::insert_into(contract_counters::table)
            .values((
                contract_counters::scope.eq(scope),
                contract_counters::last_value.eq(0_i64),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

/// Takes the next value of a counter, in the caller's transaction. The UPDATE comes first:
/// it locks the row (PostgreSQL) or the database (SQLite, `BEGIN IMMEDIATE`), so two
/// signatures never get the same value.
pub fn next_counter_value(conn: &mut DbConn, scope: &str) -> StoreResult<i64> {
    let updated = diesel::update(contract_counters::table.find(scope))
        .set(contract_counters::last_value.eq(contract_counters::last_value + 1_i64))
        .execute_on(conn)?;
    if updated == 0 {
        ensure_counter(conn, scope)?;
        diesel::update(contract_counters::table.find(scope))
            .set(contract_counters::last_value.eq(contract_counters::last_value + 1_i64))
            .execute_on(conn)?;
    }
    contract_counters::table
        .find(scope)
        .select(contract_counters::last_value)
        .get_result_on(conn)
        .map_err(StoreError::from)
}

/// The placements (resource links) a contract's completion was ever sent to.
pub fn graded_placements(conn: &mut DbConn, contract_id: &ContractId) -> StoreResult<Vec<String>> {
    Ok(grade_outbox::table
        .filter(grade_outbox::contract_id.eq(contract_id))
        .select(grade_outbox::resource_link_id)
        .distinct()
        .load_on(conn)?)
}

/// The users with a contract in a course.
pub fn users_of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<UserId>> {
    Ok(contracts::table
        .filter(contracts::context_id.eq(context_id))
        .select(contracts::user_id)
        .distinct()
        .load_on::<UserId>(conn)?)
}
