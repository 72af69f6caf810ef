//! The academic years of each course (`course_years`: opened, closed), and the contract
//! counts by year that the years page shows; `course::years` holds the rules.

use diesel::prelude::*;

use super::contracts::ContractState;
use super::ids::CourseId;
use super::schema::{contracts, course_configs, course_years};
use super::{DbConn, RunOnBackend, StoreResult, now_micros};

/// A year a course knows: (year, opened at, closed at).
pub type YearRow = (String, i64, Option<i64>);

/// Whether students may no longer edit or sign the contracts of `year` in the course.
pub fn is_closed(conn: &mut DbConn, context_id: &CourseId, year: &str) -> StoreResult<bool> {
    Ok(course_years::table
        .find((context_id, year))
        .select(course_years::closed_at)
        .get_result_on::<Option<i64>>(conn)
        .optional()?
        .flatten()
        .is_some())
}

/// Records that the course knows `year` (no-op when it does). Caller's transaction.
pub fn ensure(conn: &mut DbConn, context_id: &CourseId, year: &str) -> StoreResult<()> {
    let known = course_years::table
        .find((context_id, year))
        .count()
        .get_result_on::<i64>(conn)?
        > 0;
    if !known {
        diesel::insert_into(course_years::table)
            .values((
                course_years::context_id.eq(context_id),
                course_years::academic_year.eq(year),
                course_years::opened_at.eq(now_micros()),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

/// Every year recorded for a course.
pub fn of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<YearRow>> {
    Ok(course_years::table
        .filter(course_years::context_id.eq(context_id))
        .select((
            course_years::academic_year,
            course_years::opened_at,
            course_years::closed_at,
        ))
        .load_on(conn)?)
}

/// The years of a course still open, but `current`, newest first.
pub fn open_others(
    conn: &mut DbConn,
    context_id: &CourseId,
    current: &str,
) -> StoreResult<Vec<String>> {
    let mut years: Vec<String> = course_years::table
        .filter(course_years::context_id.eq(context_id))
        .filter(course_years::closed_at.is_null())
        .filter(course_years::academic_year.ne(current))
        .select(course_years::academic_year)
        .load_on(conn)?;
    years.sort_unstable_by(|a, b| b.cmp(a));
    Ok(years)
}

/// How many contracts of a year are in a state.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct YearCount {
    pub academic_year: String,
    pub state: ContractState,
    pub count: i64,
}

/// The contracts of a course by year and state.
pub fn contract_counts(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<YearCount>> {
    Ok(contracts::table
        .filter(contracts::context_id.eq(context_id))
        .group_by((contracts::academic_year, contracts::state))
        .select((
            contracts::academic_year,
            contracts::state,
            diesel::dsl::count_star(),
        ))
        .load_on(conn)?)
}

/// Makes `year` the course's current year (caller's transaction).
pub fn set_current(conn: &mut DbConn, context_id: &CourseId, year: &str) -> StoreResult<()> {
    diesel::update(course_configs::table.find(context_id))
        .set((
            course_configs::academic_year.eq(year),
            course_configs::updated_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(())
}

/// Closes (with who closed it) or reopens (`closed_by` none and `closed` false) a year.
pub fn set_closed(
    conn: &mut DbConn,
    context_id: &CourseId,
    year: &str,
    closed: bool,
    closed_by: Option<&str>,
) -> StoreResult<()> {
    diesel::update(course_years::table.find((context_id, year)))
        .set((
            course_years::closed_at.eq(closed.then_some(now_micros())),
            course_years::closed_by.eq(if closed { closed_by } else { None }),
        ))
        .execute_on(conn)?;
    Ok(())
}
