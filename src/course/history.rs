//! A student's history across years: the people of a course found by name, student number or address, and their contracts on the platform year by year (the contracts of other courses are listed without their content).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::store::contracts::ContractState;
use crate::store::ids::{ContractId, CourseId, PlatformId, UserId};
use crate::store::users::{self, User};
use crate::store::{DbConn, StoreResult, context_launches, contexts, contracts as contract_store};

/// At most this many people per search.
pub const MAX_RESULTS: usize = 50;

/// A contract in a student's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub contract_id: ContractId,
    pub academic_year: String,
    pub state: ContractState,
    pub number: Option<String>,
    pub signed_at: Option<i64>,
    pub formation_code: String,
    pub formation_title: String,
    pub course_title: String,
    /// In the session's course: staff of the course may open it.
    pub this_course: bool,
}

/// A person found, with their contracts by year (newest first).
#[derive(Debug, Clone, Serialize)]
pub struct StudentHistory {
    pub user: User,
    pub years: Vec<(String, Vec<HistoryEntry>)>,
}

/// Normalises for comparison: lower case, no surrounding blanks.
fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Searches the people of course `context_id` (who opened the tool there, are in its roster,
/// or have a contract there) whose name, student number or address contains `query`, and
/// returns their histories. A query shorter than two characters finds nobody.
pub fn search(
    conn: &mut DbConn,
    context_id: &CourseId,
    platform_id: &PlatformId,
    query: &str,
) -> StoreResult<Vec<StudentHistory>> {
    let q = norm(query);
    if q.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let mut ids: BTreeSet<UserId> = context_launches::of_context(conn, context_id)?
        .into_iter()
        .map(|l| l.user_id)
        .collect();
    ids.extend(contract_store::users_of_context(conn, context_id)?);
    let roster: Vec<String> = crate::store::roster::members(conn, context_id)?
        .into_iter()
        .map(|m| m.person.sub)
        .collect();
    let ids: Vec<UserId> = ids.into_iter().collect();
    let mut people = users::by_ids_or_subs(conn, platform_id, &ids, &roster)?;
    people.retain(|u| {
        norm(&u.name).contains(&q)
            || norm(&u.family_name).contains(&q)
            || (!u.person_sourcedid.is_empty() && norm(&u.person_sourcedid).contains(&q))
            || norm(&u.email).contains(&q)
    });
    people.sort_by(|a, b| {
        (norm(&a.family_name), norm(&a.given_name))
            .cmp(&(norm(&b.family_name), norm(&b.given_name)))
    });
    people.truncate(MAX_RESULTS);
    let mut titles: BTreeMap<CourseId, String> = BTreeMap::new();
    let mut out = Vec::new();
    for user in people {
        let mut years: BTreeMap<String, Vec<HistoryEntry>> = BTreeMap::new();
        for found in contract_store::of_user(conn, &user.id)? {
            let (c, code, title) = (found.contract, found.formation_code, found.formation_title);
            let course_title = match titles.get(&c.context_id) {
                Some(t) => t.clone(),
                None => {
                    let t = contexts::get(conn, &c.context_id)?.title;
                    titles.insert(c.context_id.clone(), t.clone());
                    t
                }
            };
            years
                .entry(c.academic_year.clone())
                .or_default()
                .push(HistoryEntry {
                    this_course: c.context_id == context_id,
                    contract_id: c.id,
                    academic_year: c.academic_year,
                    state: c.state,
                    number: c.number,
                    signed_at: c.signed_at,
                    formation_code: code,
                    formation_title: title,
                    course_title,
                });
        }
        out.push(StudentHistory {
            user,
            years: years.into_iter().rev().collect(),
        });
    }
    Ok(out)
}
