//! A formation's dashboard: counts by state (students of the roster who never started
//! included), signatures week by week, and the list of students with search, filters, sorting
//! and pages.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use super::{Scope, fold};
use crate::store::schema::{
    context_launches, contracts, course_grants, formation_groups, moodle_course_roles,
    moodle_group_members, not_students, roster_members, user_groups, users,
};
use crate::store::{DbConn, RunOnBackend, StoreResult, micros_to_datetime};

/// The state of a student who has no contract yet (from the roster or a launch).
pub const NOT_STARTED: &str = "not_started";
/// Every state of a list row, in lifecycle order.
pub const STATES: [&str; 5] = [NOT_STARTED, "draft", "signed", "validated", "reopened"];
/// Rows per page of the list.
pub const PAGE_SIZE: usize = 50;

/// One student of a formation: a contract, or someone who has not started.
#[derive(Debug, Clone, Serialize)]
pub struct ListRow {
    pub contract_id: Option<String>,
    /// The LTI `sub` of a student who has not started (staff may mark them « pas un
    /// étudiant », `roster::not_students`).
    pub sub: Option<String>,
    pub formation_id: String,
    pub name: String,
    pub family_name: String,
    pub given_name: String,
    pub student_number: String,
    pub email: String,
    /// A contract state or [`NOT_STARTED`].
    pub state: String,
    pub number: Option<String>,
    pub started_at: Option<i64>,
    pub signed_at: Option<i64>,
    pub validated_at: Option<i64>,
    pub updated_at: Option<i64>,
    /// The contract was signed at least once (amendments included).
    pub signature_seq: i32,
}

/// Counts by state.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub not_started: usize,
    pub draft: usize,
    pub signed: usize,
    pub validated: usize,
    pub reopened: usize,
    pub total: usize,
}

impl Counts {
    fn add(&mut self, state: &str) {
        match state {
            NOT_STARTED => self.not_started += 1,
            "draft" => self.draft += 1,
            "signed" => self.signed += 1,
            "validated" => self.validated += 1,
            "reopened" => self.reopened += 1,
            _ => return,
        }
        self.total += 1;
    }

    /// Signed or validated (the contracts that hold).
    pub fn done(&self) -> usize {
        self.signed + self.validated
    }
}

/// How to sort the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Name,
    Number,
    State,
    Updated,
    Signed,
}

/// The list's search, filters, sorting and page.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of a name, student number or address (case and accents ignored).
    pub query: String,
    /// One state of [`STATES`].
    pub state: Option<String>,
    /// A value of one of the formation's lists (an aménagement) the contract chose.
    pub option: Option<String>,
    pub sort: Sort,
    pub descending: bool,
    /// 1-based.
    pub page: usize,
}

/// One week of the progress chart.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Week {
    /// Monday of the week.
    pub monday: String,
    /// Contracts started up to the end of the week.
    pub started: usize,
    /// Contracts signed (first signature) up to the end of the week.
    pub signed: usize,
}

/// What the dashboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub counts: Counts,
    pub weeks: Vec<Week>,
    /// The rows of the page asked for.
    pub rows: Vec<ListRow>,
    /// Rows matching the search and filters (all pages).
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
}

/// Every student of the scope's formations for `year`: their contracts (one query, scoped by
/// course and formations), then the students with no contract yet whose Moodle groups (from
/// their launches, or the Moodle web service for those who never opened the tool) lead to a
/// formation of the scope.
pub fn students(conn: &mut DbConn, scope: &Scope, year: &str) -> StoreResult<Vec<ListRow>> {
    if scope.formation_ids.is_empty() {
        return Ok(Vec::new());
    }
    type Raw = (
        String,
        String,
        String,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
        i64,
        i32,
        (String, String, String, String, String, String),
    );
    let raw: Vec<Raw> = contracts::table
        .inner_join(users::table)
        .filter(contracts::context_id.eq(&scope.context_id))
        .filter(contracts::formation_id.eq_any(&scope.formation_ids))
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
            (
                users::sub,
                users::name,
                users::family_name,
                users::given_name,
                users::person_sourcedid,
                users::email,
            ),
        ))
        .load_on(conn)?;
    // (sub, formation id) of every contract: who has started where.
    let mut with_contract: HashSet<(String, String)> = HashSet::with_capacity(raw.len());
    let mut rows: Vec<ListRow> = Vec::with_capacity(raw.len());
    for (id, formation_id, state, number, created, signed, validated, updated, seq, user) in raw {
        with_contract.insert((user.0.clone(), formation_id.clone()));
        rows.push(ListRow {
            sub: None,
            contract_id: Some(id),
            formation_id,
            name: user.1,
            family_name: user.2,
            given_name: user.3,
            student_number: user.4,
            email: user.5,
            state,
            number,
            started_at: Some(created),
            signed_at: signed,
            validated_at: validated,
            updated_at: Some(updated),
            signature_seq: seq,
        });
    }
    rows.extend(not_started(conn, scope, &with_contract)?);
    Ok(rows)
}

/// Learners of the course with no contract in a formation of the scope that their groups
/// lead to. Only the members of the scope's groups are read: the groups seen in their
/// launches when they opened the tool (those win), else the groups the Moodle web service
/// gives.
fn not_started(
    conn: &mut DbConn,
    scope: &Scope,
    with_contract: &HashSet<(String, String)>,
) -> StoreResult<Vec<ListRow>> {
    let formation_of_group: HashMap<i64, String> = formation_groups::table
        .filter(formation_groups::context_id.eq(&scope.context_id))
        .filter(formation_groups::formation_id.eq_any(&scope.formation_ids))
        .select((formation_groups::group_id, formation_groups::formation_id))
        .load_on::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    if formation_of_group.is_empty() {
        return Ok(Vec::new());
    }
    let groups: Vec<i64> = formation_of_group.keys().copied().collect();
    // The web service's members of those groups, and who launched in one of them.
    let mut ws_groups: HashMap<String, Vec<i64>> = HashMap::new();
    for (sub, group) in moodle_group_members::table
        .filter(moodle_group_members::context_id.eq(&scope.context_id))
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
            .filter(user_groups::context_id.eq(&scope.context_id))
            .filter(user_groups::group_id.eq_any(&groups))
            .select(users::sub)
            .distinct()
            .load_on::<String>(conn)?,
    );
    // Most members of the groups have started everywhere they could: leave them out now.
    candidates.retain(|sub| {
        !scope
            .formation_ids
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
        .filter(context_launches::context_id.eq(&scope.context_id))
        .filter(users::sub.eq_any(&candidates))
        .select((users::sub, users::id))
        .load_on::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let launched_ids: Vec<&String> = launched.values().collect();
    let mut launch_groups: HashMap<String, Vec<i64>> = HashMap::new();
    for (user, group) in user_groups::table
        .filter(user_groups::context_id.eq(&scope.context_id))
        .filter(user_groups::user_id.eq_any(&launched_ids))
        .select((user_groups::user_id, user_groups::group_id))
        .load_on::<(String, i64)>(conn)?
    {
        launch_groups.entry(user).or_default().push(group);
    }
    type Member = (String, String, String, String, String, String, String);
    let ctx = scope.context_id.as_str();
    // Never a student: launched here with a staff role, holds a grant here, has a staff role
    // in the course according to Moodle, or was marked « pas un étudiant »
    // (`roster::not_students`).
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
        .filter(moodle_course_roles::shortname.eq_any(crate::roster::groups::STAFF_ROLES))
        .select(moodle_course_roles::user_sub);
    let marked = not_students::table
        .filter(not_students::context_id.eq(ctx))
        .select(not_students::user_sub);
    let members: Vec<Member> = roster_members::table
        .filter(roster_members::context_id.eq(&scope.context_id))
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
    for (sub, name, given_name, family_name, email, number, roles) in members {
        let roles: Vec<String> = serde_json::from_str(&roles).unwrap_or_default();
        if !crate::roster::members::is_learner(&roles) {
            continue;
        }
        let user_id = launched.get(&sub);
        let groups: &[i64] = user_id
            .and_then(|u| launch_groups.get(u))
            .or_else(|| ws_groups.get(&sub))
            .map_or(&[], Vec::as_slice);
        let formations: BTreeSet<&String> = groups
            .iter()
            .filter_map(|g| formation_of_group.get(g))
            .collect();
        for f in formations {
            if with_contract.contains(&(sub.clone(), f.clone())) {
                continue;
            }
            out.push(ListRow {
                contract_id: None,
                sub: Some(sub.clone()),
                formation_id: f.clone(),
                name: name.clone(),
                family_name: family_name.clone(),
                given_name: given_name.clone(),
                student_number: number.clone(),
                email: email.clone(),
                state: NOT_STARTED.to_owned(),
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

/// Counts by state of some rows.
pub fn counts(rows: &[ListRow]) -> Counts {
    let mut c = Counts::default();
    for r in rows {
        c.add(&r.state);
    }
    c
}

/// Counts by state per formation id.
pub fn counts_by_formation(rows: &[ListRow]) -> BTreeMap<String, Counts> {
    let mut map: BTreeMap<String, Counts> = BTreeMap::new();
    for r in rows {
        map.entry(r.formation_id.clone()).or_default().add(&r.state);
    }
    map
}

/// Contracts of the scope whose answers chose `value` (in a list or as the single choice).
pub fn choosing(
    conn: &mut DbConn,
    scope: &Scope,
    year: &str,
    value: &str,
) -> StoreResult<BTreeSet<String>> {
    let needle = serde_json::Value::String(value.to_owned());
    // The answers hold the value as a JSON string: narrow in SQL, confirm on the parsed JSON.
    let pattern = format!("%{}%", like_escape(&needle.to_string()));
    let rows: Vec<(String, String)> = contracts::table
        .filter(contracts::context_id.eq(&scope.context_id))
        .filter(contracts::formation_id.eq_any(&scope.formation_ids))
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

/// Searches, filters, sorts and pages the rows; `chose` holds the contracts that chose the
/// filter's option (when there is one).
pub fn dashboard(
    rows: Vec<ListRow>,
    filter: &Filter,
    chose: Option<&BTreeSet<String>>,
) -> Dashboard {
    let counts = counts(&rows);
    let weeks = weeks(&rows, crate::store::now_micros());
    let query = fold(&filter.query);
    let mut matching: Vec<ListRow> = rows
        .into_iter()
        .filter(|r| filter.state.as_deref().is_none_or(|s| r.state == s))
        .filter(|r| {
            chose.is_none_or(|set| r.contract_id.as_ref().is_some_and(|id| set.contains(id)))
        })
        .filter(|r| {
            query.is_empty()
                || fold(&r.name).contains(&query)
                || fold(&r.email).contains(&query)
                || (!r.student_number.is_empty() && fold(&r.student_number).contains(&query))
        })
        .collect();
    sort(&mut matching, filter.sort, filter.descending);
    let total = matching.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = filter.page.clamp(1, pages);
    let rows = matching
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Dashboard {
        counts,
        weeks,
        rows,
        matching: total,
        page,
        pages,
    }
}

fn state_rank(state: &str) -> usize {
    STATES
        .iter()
        .position(|s| *s == state)
        .unwrap_or(STATES.len())
}

/// Sorts rows (name as the tie-breaker).
pub fn sort(rows: &mut [ListRow], sort: Sort, descending: bool) {
    let name = |r: &ListRow| {
        (
            fold(&r.family_name),
            fold(&r.given_name),
            r.student_number.clone(),
        )
    };
    match sort {
        Sort::Name => rows.sort_by_cached_key(name),
        Sort::Number => rows.sort_by_cached_key(|r| (r.student_number.clone(), name(r))),
        Sort::State => rows.sort_by_cached_key(|r| (state_rank(&r.state), name(r))),
        Sort::Updated => rows.sort_by_cached_key(|r| (r.updated_at, name(r))),
        Sort::Signed => rows.sort_by_cached_key(|r| (r.signed_at, name(r))),
    }
    if descending {
        rows.reverse();
    }
}

/// Week by week (Mondays, display timezone ignored: weeks are UTC), the cumulative number of
/// contracts started and signed, from the week of the first start to the current week; at
/// most the last 26 weeks.
pub fn weeks(rows: &[ListRow], now: i64) -> Vec<Week> {
    let monday_of = |micros: i64| -> NaiveDate {
        let d = micros_to_datetime(micros).date_naive();
        d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
    };
    let Some(first) = rows.iter().filter_map(|r| r.started_at).min() else {
        return Vec::new();
    };
    let (first, last) = (monday_of(first), monday_of(now));
    let mut started: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut signed: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for r in rows {
        if let Some(t) = r.started_at {
            *started.entry(monday_of(t)).or_default() += 1;
        }
        if r.signature_seq > 0
            && let Some(t) = r.signed_at
        {
            *signed.entry(monday_of(t)).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    let (mut s, mut g) = (0, 0);
    let mut monday = first;
    while monday <= last {
        s += started.get(&monday).copied().unwrap_or(0);
        g += signed.get(&monday).copied().unwrap_or(0);
        out.push(Week {
            monday: monday.format("%d/%m").to_string(),
            started: s,
            signed: g,
        });
        monday += Duration::days(7);
    }
    let skip = out.len().saturating_sub(26);
    out.split_off(skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, state: &str, started: Option<i64>, signed: Option<i64>) -> ListRow {
        ListRow {
            sub: None,
            contract_id: started.map(|_| format!("c-{name}")),
            formation_id: "f".into(),
            name: name.into(),
            family_name: name.into(),
            given_name: String::new(),
            student_number: format!("2250{}", name.len()),
            email: format!("{}@example.org", fold(name)),
            state: state.into(),
            number: None,
            started_at: started,
            signed_at: signed,
            validated_at: None,
            updated_at: started,
            signature_seq: i32::from(signed.is_some()),
        }
    }

    const DAY: i64 = 86_400_000_000;
    // Monday 2025-09-01 00:00 UTC.
    const MONDAY: i64 = 1_756_684_800_000_000;

    #[test]
    fn counts_filters_search_sort_and_pages() {
        let mut rows = vec![
            row("Émile", "signed", Some(MONDAY), Some(MONDAY + DAY)),
            row("Zoé", "draft", Some(MONDAY + 8 * DAY), None),
            row("Anne", NOT_STARTED, None, None),
        ];
        for i in 0..60 {
            rows.push(row(&format!("N{i:02}"), "draft", Some(MONDAY), None));
        }
        let d = dashboard(rows.clone(), &Filter::default(), None);
        assert_eq!(d.counts.total, 63);
        assert_eq!(
            (d.counts.not_started, d.counts.draft, d.counts.signed),
            (1, 61, 1)
        );
        assert_eq!((d.matching, d.pages, d.rows.len()), (63, 2, PAGE_SIZE));
        assert_eq!(d.rows[0].name, "Anne", "sorted by family name");
        let search = Filter {
            query: "emile".into(),
            ..Filter::default()
        };
        let d = dashboard(rows.clone(), &search, None);
        assert_eq!(d.rows.len(), 1, "accents ignored");
        assert_eq!(d.counts.total, 63, "counts stay those of the formation");
        let state = Filter {
            state: Some(NOT_STARTED.into()),
            ..Filter::default()
        };
        assert_eq!(dashboard(rows.clone(), &state, None).rows[0].name, "Anne");
        let chose: BTreeSet<String> = ["c-Zoé".to_string()].into();
        let d = dashboard(rows.clone(), &Filter::default(), Some(&chose));
        assert_eq!(d.rows.len(), 1);
        let by_state = Filter {
            sort: Sort::State,
            descending: true,
            ..Filter::default()
        };
        assert_eq!(dashboard(rows, &by_state, None).rows[0].state, "signed");
    }

    #[test]
    fn weeks_are_cumulative_from_the_first_start() {
        let rows = vec![
            row("A", "signed", Some(MONDAY), Some(MONDAY + DAY)),
            row("B", "draft", Some(MONDAY + 8 * DAY), None),
            row(
                "C",
                "signed",
                Some(MONDAY + 8 * DAY),
                Some(MONDAY + 15 * DAY),
            ),
        ];
        let w = weeks(&rows, MONDAY + 16 * DAY);
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].started, w[0].signed), (1, 1));
        assert_eq!((w[1].started, w[1].signed), (3, 1));
        assert_eq!((w[2].started, w[2].signed), (3, 2));
        assert_eq!(w[0].monday, "01/09");
    }
}
