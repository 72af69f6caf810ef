//! The staff's reads of the follow-up: the students of some formations of a course with
//! their contracts, those who have not started, the contracts that chose an option, one
//! contract of the scope, and the rows of an export. Every query takes the course and the
//! formations of the staff member's scope and puts both in its `WHERE`
//! (`followup::Scope`; `access::scope` decides them).

use super::ids::{ContractId, CourseId, FormationId};
use std::collections::{BTreeSet, HashMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;

use super::contracts::{ContractRow, ContractState};
use super::schema::{
    context_launches, contracts, course_grants, formation_groups, formations, moodle_course_roles,
    moodle_group_members, not_students, roster_members, user_groups, users,
};
use super::text::text_enum;
use super::{DbConn, RunOnBackend, StoreResult, columns};

text_enum! {
    /// Where a student of a formation stands: no contract yet, or their contract's state.
    /// Declared in lifecycle order (the dashboard sorts by it).
    pub enum StudentState {
        /// No contract yet (a student of the roster or of a launch).
        NotStarted = "not_started",
        Draft = "draft",
        Signed = "signed",
        Validated = "validated",
        Reopened = "reopened",
    }
}

impl StudentState {
    /// Not signed yet: the states a reminder is for.
    pub const UNSIGNED: [StudentState; 3] = [
        StudentState::NotStarted,
        StudentState::Draft,
        StudentState::Reopened,
    ];
}

impl From<ContractState> for StudentState {
    fn from(s: ContractState) -> Self {
        match s {
            ContractState::Draft => StudentState::Draft,
            ContractState::Signed => StudentState::Signed,
            ContractState::Validated => StudentState::Validated,
            ContractState::Reopened => StudentState::Reopened,
        }
    }
}

/// One student of a formation: a contract, or someone who has not started.
#[derive(Debug, Clone, Serialize)]
pub struct ListRow {
    pub contract_id: Option<ContractId>,
    /// The LTI `sub` of a student who has not started (staff may mark them « pas un
    /// étudiant », `store::roster`).
    pub sub: Option<String>,
    pub formation_id: FormationId,
    pub name: String,
    pub family_name: String,
    pub given_name: String,
    pub student_number: String,
    pub email: String,
    pub state: StudentState,
    pub number: Option<String>,
    pub started_at: Option<i64>,
    pub signed_at: Option<i64>,
    pub validated_at: Option<i64>,
    pub updated_at: Option<i64>,
    /// The contract was signed at least once (amendments included).
    pub signature_seq: i32,
}

/// Every student of the scope's formations for `year`: their contracts (one query, scoped by
/// course and formations), then the students with no contract yet whose Moodle groups (from
/// their launches, or the Moodle web service for those who never opened the tool) lead to a
/// formation of the scope.
pub fn students(
    conn: &mut DbConn,
    context_id: &CourseId,
    formation_ids: &[FormationId],
    year: &str,
) -> StoreResult<Vec<ListRow>> {
    if formation_ids.is_empty() {
        return Ok(Vec::new());
    }
    /// A contract of the list with its student.
    #[derive(Queryable)]
    struct Listed {
        id: ContractId,
        formation_id: FormationId,
        state: ContractState,
        number: Option<String>,
        created_at: i64,
        signed_at: Option<i64>,
        validated_at: Option<i64>,
        updated_at: i64,
        signature_seq: i32,
        sub: String,
        name: String,
        family_name: String,
        given_name: String,
        student_number: String,
        email: String,
    }
    let listed: Vec<Listed> = contracts::table
        .inner_join(users::table)
        .filter(contracts::context_id.eq(context_id))
        .filter(contracts::formation_id.eq_any(formation_ids))
        .filter(contracts::academic_year.eq(year))
        .select((
            contracts::id,
            contracts::formation_id,
            contracts::state,
            contracts::number,
            contracts::created_at,
            contracts::signed_at,
            contracts::validated_at,
            contracts::updated_at,
            contracts::signature_seq,
            users::sub,
            users::name,
            users::family_name,
            users::given_name,
            users::person_sourcedid,
            users::email,
        ))
        .load_on(conn)?;
    // (sub, formation id) of every contract: who has started where.
    let mut with_contract: HashSet<(String, FormationId)> = HashSet::with_capacity(listed.len());
    let mut rows: Vec<ListRow> = Vec::with_capacity(listed.len());
    for c in listed {
        with_contract.insert((c.sub, c.formation_id.clone()));
        rows.push(ListRow {
            sub: None,
            contract_id: Some(c.id),
            formation_id: c.formation_id,
            name: c.name,
            family_name: c.family_name,
            given_name: c.given_name,
            student_number: c.student_number,
            email: c.email,
            state: c.state.into(),
            number: c.number,
            started_at: Some(c.created_at),
            signed_at: c.signed_at,
            validated_at: c.validated_at,
            updated_at: Some(c.updated_at),
            signature_seq: c.signature_seq,
        });
    }
    rows.extend(not_started(
        conn,
        context_id,
        formation_ids,
        &with_contract,
    )?);
    Ok(rows)
}

/// Learners of the course with no contract in a formation of the scope that their groups
/// lead to. Only the members of the scope's groups are read: the groups seen in their
/// launches when they opened the tool (those win), else the groups the Moodle web service
/// gives.
fn not_started(
    conn: &mut DbConn,
    context_id: &CourseId,
    formation_ids: &[FormationId],
    with_contract: &HashSet<(String, FormationId)>,
) -> StoreResult<Vec<ListRow>> {
    let formation_of_group: HashMap<i64, FormationId> = formation_groups::table
        .filter(formation_groups::context_id.eq(context_id))
        .filter(formation_groups::formation_id.eq_any(formation_ids))
        .select((formation_groups::group_id, formation_groups::formation_id))
        .load_on::<(i64, FormationId)>(conn)?
        .into_iter()
        .collect();
    if formation_of_group.is_empty() {
        return Ok(Vec::new());
    }
    let groups: Vec<i64> = formation_of_group.keys().copied().collect();
    // The web service's members of those groups, and who launched in one of them.
    let mut ws_groups: HashMap<String, Vec<i64>> = HashMap::new();
    for (sub, group) in moodle_group_members::table
        .filter(moodle_group_members::context_id.eq(context_id))
        .filter(moodle_group_members::group_id.eq_any(&groups))
        .select((
            moodle_group_members::user_sub,
            moodle_group_members::group_id,
        ))
        .load_on::<(String, i64)>(conn)?
    {
        ws_groups.entry(sub).or_default().push(group);
    }
    let mut candidates: BTreeSet<String> = ws_groups.keys().cloned().collect();
    candidates.extend(
        user_groups::table
            .inner_join(users::table)
            .filter(user_groups::context_id.eq(context_id))
            .filter(user_groups::group_id.eq_any(&groups))
            .select(users::sub)
            .distinct()
            .load_on::<String>(conn)?,
    );
    // Most members of the groups have started everywhere they could: leave them out now.
    candidates.retain(|sub| {
        !formation_ids
            .iter()
            .all(|f| with_contract.contains(&(sub.clone(), f.clone())))
    });
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let candidates: Vec<String> = candidates.into_iter().collect();
    // Those who opened the tool in this course, and every group of their launches.
    let launched: HashMap<String, String> = context_launches::table
        .inner_join(users::table)
        .filter(context_launches::context_id.eq(context_id))
        .filter(users::sub.eq_any(&candidates))
        .select((users::sub, users::id))
        .load_on::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let launched_ids: Vec<&String> = launched.values().collect();
    let mut launch_groups: HashMap<String, Vec<i64>> = HashMap::new();
    for (user, group) in user_groups::table
        .filter(user_groups::context_id.eq(context_id))
        .filter(user_groups::user_id.eq_any(&launched_ids))
        .select((user_groups::user_id, user_groups::group_id))
        .load_on::<(String, i64)>(conn)?
    {
        launch_groups.entry(user).or_default().push(group);
    }
    /// A member of the roster who may not have started.
    #[derive(Queryable)]
    struct Member {
        sub: String,
        name: String,
        given_name: String,
        family_name: String,
        email: String,
        student_number: String,
        /// JSON array of the roster roles.
        roles: String,
    }
    let ctx = context_id;
    // Never a student: launched here with a staff role, holds a grant here, has a staff role
    // in the course according to Moodle, or was marked « pas un étudiant »
    // (`store::roster`).
    let staff_launchers = context_launches::table
        .inner_join(users::table)
        .filter(context_launches::context_id.eq(ctx))
        .filter(context_launches::staff.eq(true))
        .select(users::sub);
    let grant_holders = course_grants::table
        .inner_join(users::table.on(users::id.eq(course_grants::user_id)))
        .filter(course_grants::context_id.eq(ctx))
        .select(users::sub);
    let moodle_staff = moodle_course_roles::table
        .filter(moodle_course_roles::context_id.eq(ctx))
        .filter(moodle_course_roles::shortname.eq_any(crate::store::groups::STAFF_ROLES))
        .select(moodle_course_roles::user_sub);
    let marked = not_students::table
        .filter(not_students::context_id.eq(ctx))
        .select(not_students::user_sub);
    let members: Vec<Member> = roster_members::table
        .filter(roster_members::context_id.eq(context_id))
        .filter(roster_members::user_sub.eq_any(&candidates))
        .filter(roster_members::status.eq("Active"))
        .filter(diesel::dsl::not(
            roster_members::user_sub.eq_any(staff_launchers),
        ))
        .filter(diesel::dsl::not(
            roster_members::user_sub.eq_any(grant_holders),
        ))
        .filter(diesel::dsl::not(
            roster_members::user_sub.eq_any(moodle_staff),
        ))
        .filter(diesel::dsl::not(roster_members::user_sub.eq_any(marked)))
        .select((
            roster_members::user_sub,
            roster_members::name,
            roster_members::given_name,
            roster_members::family_name,
            roster_members::email,
            roster_members::person_sourcedid,
            roster_members::roles,
        ))
        .load_on(conn)?;
    let mut out = Vec::new();
    for m in members {
        let roles: Vec<String> = serde_json::from_str(&m.roles).unwrap_or_default();
        if !crate::store::roster::is_learner(&roles) {
            continue;
        }
        let user_id = launched.get(&m.sub);
        let groups: &[i64] = user_id
            .and_then(|u| launch_groups.get(u))
            .or_else(|| ws_groups.get(&m.sub))
            .map_or(&[], Vec::as_slice);
        let formations: BTreeSet<&FormationId> = groups
            .iter()
            .filter_map(|g| formation_of_group.get(g))
            .collect();
        for f in formations {
            if with_contract.contains(&(m.sub.clone(), f.clone())) {
                continue;
            }
            out.push(ListRow {
                contract_id: None,
                sub: Some(m.sub.clone()),
                formation_id: f.clone(),
                name: m.name.clone(),
                family_name: m.family_name.clone(),
                given_name: m.given_name.clone(),
                student_number: m.student_number.clone(),
                email: m.email.clone(),
                state: StudentState::NotStarted,
                number: None,
                started_at: None,
                signed_at: None,
                validated_at: None,
                updated_at: None,
                signature_seq: 0,
            });
        }
    }
    Ok(out)
}

/// Contracts of the scope whose answers chose `value` (in a list or as the single choice).
pub fn choosing(
    conn: &mut DbConn,
    context_id: &CourseId,
    formation_ids: &[FormationId],
    year: &str,
    value: &str,
) -> StoreResult<BTreeSet<ContractId>> {
    let needle = serde_json::Value::String(value.to_owned());
    // The answers hold the value as a JSON string: narrow in SQL, confirm on the parsed JSON.
    let pattern = format!("%{}%", like_escape(&needle.to_string()));
    let rows: Vec<(ContractId, String)> = contracts::table
        .filter(contracts::context_id.eq(context_id))
        .filter(contracts::formation_id.eq_any(formation_ids))
        .filter(contracts::academic_year.eq(year))
        .filter(contracts::answers.like(pattern).escape('!'))
        .select((contracts::id, contracts::answers))
        .load_on(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, answers)| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(answers)
                .ok()
                .is_some_and(|map| {
                    map.values().any(|v| match v {
                        serde_json::Value::Array(items) => items.contains(&needle),
                        other => *other == needle,
                    })
                })
        })
        .map(|(id, _)| id)
        .collect())
}

/// `text` with the `LIKE` wildcards (and the escape character `!`) escaped.
fn like_escape(text: &str) -> String {
    text.replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_")
}

/// A contract of the scope, by id; `None` when it does not exist or is outside the scope (the
/// course and the formations are in the query).
pub fn find_contract(
    conn: &mut DbConn,
    context_id: &CourseId,
    formation_ids: &[FormationId],
    id: &ContractId,
) -> StoreResult<Option<ContractRow>> {
    if formation_ids.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    Ok(contracts::table
        .filter(contracts::id.eq(id))
        .filter(contracts::context_id.eq(context_id))
        .filter(contracts::formation_id.eq_any(formation_ids))
        .select(columns::<ContractRow>())
        .get_result_on(conn)
        .optional()?)
}

/// The contracts of the scope for `year` that an export holds, in formation then name order:
/// (contract id, questionnaire version id).
pub fn export_order(
    conn: &mut DbConn,
    context_id: &CourseId,
    formation_ids: &[FormationId],
    year: &str,
) -> StoreResult<Vec<(ContractId, String)>> {
    if formation_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(contracts::table
        .inner_join(users::table)
        .inner_join(formations::table)
        .filter(contracts::context_id.eq(context_id))
        .filter(contracts::formation_id.eq_any(formation_ids))
        .filter(contracts::academic_year.eq(year))
        .order((
            formations::position.asc(),
            formations::code.asc(),
            users::family_name.asc(),
            users::given_name.asc(),
            contracts::id.asc(),
        ))
        .select((contracts::id, contracts::questionnaire_version_id))
        .load_on(conn)?)
}

/// What an export writes of one contract besides its answers.
#[derive(Debug, Clone, Queryable)]
pub struct ExportRow {
    pub id: ContractId,
    pub formation_id: FormationId,
    pub questionnaire_version_id: String,
    /// The answers (JSON).
    pub answers: String,
    pub formation_title: String,
    pub formation_code: String,
    pub family_name: String,
    pub given_name: String,
    pub student_number: String,
    pub email: String,
    pub number: Option<String>,
    pub state: ContractState,
    pub started_at: i64,
    pub signed_at: Option<i64>,
    pub validated_at: Option<i64>,
}

/// The export rows of contracts `ids` (a batch: the caller orders and pages them; the ids
/// come from [`export_order`], already scoped).
pub fn export_rows(conn: &mut DbConn, ids: &[ContractId]) -> StoreResult<Vec<ExportRow>> {
    Ok(contracts::table
        .inner_join(users::table)
        .inner_join(formations::table)
        .filter(contracts::id.eq_any(ids))
        .select((
            contracts::id,
            contracts::formation_id,
            contracts::questionnaire_version_id,
            contracts::answers,
            formations::title,
            formations::code,
            users::family_name,
            users::given_name,
            users::person_sourcedid,
            users::email,
            contracts::number,
            contracts::state,
            contracts::created_at,
            contracts::signed_at,
            contracts::validated_at,
        ))
        .load_on(conn)?)
}
