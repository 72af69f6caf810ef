//! A formation's dashboard: counts by state (students of the roster who never started
//! included), signatures week by week, and the list of students with search, filters, sorting
//! and pages.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::{Scope, fold};
pub use crate::store::followup::{ListRow, StudentState};
use crate::store::ids::{ContractId, FormationId};
use crate::store::{DbConn, StoreResult, followup, micros_to_datetime};

/// Rows per page of the list.
pub const PAGE_SIZE: usize = 50;

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
    fn add(&mut self, state: StudentState) {
        *match state {
            StudentState::NotStarted => &mut self.not_started,
            StudentState::Draft => &mut self.draft,
            StudentState::Signed => &mut self.signed,
            StudentState::Validated => &mut self.validated,
            StudentState::Reopened => &mut self.reopened,
        } += 1;
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
    pub state: Option<StudentState>,
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

/// Every student of the scope's formations for `year`: their contracts, then the students
/// with no contract yet whose Moodle groups lead to a formation of the scope
/// (`store::followup::students`).
pub fn students(conn: &mut DbConn, scope: &Scope, year: &str) -> StoreResult<Vec<ListRow>> {
    followup::students(conn, &scope.context_id, &scope.formation_ids, year)
}

/// Contracts of the scope whose answers chose `value` (`store::followup::choosing`).
pub fn choosing(
    conn: &mut DbConn,
    scope: &Scope,
    year: &str,
    value: &str,
) -> StoreResult<BTreeSet<ContractId>> {
    followup::choosing(conn, &scope.context_id, &scope.formation_ids, year, value)
}

/// Counts by state of some rows.
pub fn counts(rows: &[ListRow]) -> Counts {
    let mut c = Counts::default();
    for r in rows {
        c.add(r.state);
    }
    c
}

/// Counts by state per formation id.
pub fn counts_by_formation(rows: &[ListRow]) -> BTreeMap<FormationId, Counts> {
    let mut map: BTreeMap<FormationId, Counts> = BTreeMap::new();
    for r in rows {
        map.entry(r.formation_id.clone()).or_default().add(r.state);
    }
    map
}

/// Searches, filters, sorts and pages the rows; `chose` holds the contracts that chose the
/// filter's option (when there is one).
pub fn dashboard(
    rows: Vec<ListRow>,
    filter: &Filter,
    chose: Option<&BTreeSet<ContractId>>,
) -> Dashboard {
    let counts = counts(&rows);
    let weeks = weeks(&rows, crate::store::now_micros());
    let query = fold(&filter.query);
    let mut matching: Vec<ListRow> = rows
        .into_iter()
        .filter(|r| filter.state.is_none_or(|s| r.state == s))
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
        Sort::State => rows.sort_by_cached_key(|r| (r.state, name(r))),
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

    fn row(name: &str, state: StudentState, started: Option<i64>, signed: Option<i64>) -> ListRow {
        ListRow {
            sub: None,
            contract_id: started.map(|_| format!("c-{name}").into()),
            formation_id: "f".into(),
            name: name.into(),
            family_name: name.into(),
            given_name: String::new(),
            student_number: format!("2250{}", name.len()),
            email: format!("{}@example.org", fold(name)),
            state,
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
            row(
                "Émile",
                StudentState::Signed,
                Some(MONDAY),
                Some(MONDAY + DAY),
            ),
            row("Zoé", StudentState::Draft, Some(MONDAY + 8 * DAY), None),
            row("Anne", StudentState::NotStarted, None, None),
        ];
        for i in 0..60 {
            rows.push(row(
                &format!("N{i:02}"),
                StudentState::Draft,
                Some(MONDAY),
                None,
            ));
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
            state: Some(StudentState::NotStarted),
            ..Filter::default()
        };
        assert_eq!(dashboard(rows.clone(), &state, None).rows[0].name, "Anne");
        let chose: BTreeSet<ContractId> = [ContractId::from("c-Zoé")].into();
        let d = dashboard(rows.clone(), &Filter::default(), Some(&chose));
        assert_eq!(d.rows.len(), 1);
        let by_state = Filter {
            sort: Sort::State,
            descending: true,
            ..Filter::default()
        };
        assert_eq!(
            dashboard(rows, &by_state, None).rows[0].state,
            StudentState::Signed
        );
    }

    #[test]
    fn weeks_are_cumulative_from_the_first_start() {
        let rows = vec![
            row("A", StudentState::Signed, Some(MONDAY), Some(MONDAY + DAY)),
            row("B", StudentState::Draft, Some(MONDAY + 8 * DAY), None),
            row(
                "C",
                StudentState::Signed,
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
