//! Academic years of a course: the current year (contracts started now belong to it), opening the next one, closing a year (read-only for students), and the years a course has known.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Contact;
use super::file::is_academic_year;
use crate::store::audit::{Action, Actor, Target};
use crate::store::formations::{self, CourseConfigRow};
use crate::store::ids::CourseId;
use crate::store::{DbConn, StoreError, contracts as contract_store, years};

/// What `source_file` says when the course was configured in the tool's screens.
pub const SCREENS: &str = "écrans de configuration";

/// Why a change of academic year was refused (French, shown to the designer).
#[derive(Debug, thiserror::Error)]
pub enum YearError {
    #[error("« {0} » n'est pas une année universitaire : écrivez par exemple 2026-2027")]
    Invalid(String),
    #[error(
        "l'année {asked} n'est pas postérieure à l'année en cours ({current}) : on n'ouvre que l'année suivante"
    )]
    NotLater { asked: String, current: String },
    #[error("le cours n'est pas encore configuré : indiquez d'abord son année universitaire")]
    NotConfigured,
    #[error("le cours ne connaît pas l'année {0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A year of a course, as the years page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct YearInfo {
    pub academic_year: String,
    /// Contracts started now belong to it.
    pub current: bool,
    pub opened_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// Contracts of the course for the year, by state.
    pub counts: BTreeMap<String, i64>,
    pub total: i64,
}

/// Whether students may no longer edit or sign the contracts of `year` in the course.
pub fn is_closed(conn: &mut DbConn, context_id: &CourseId, year: &str) -> Result<bool, StoreError> {
    years::is_closed(conn, context_id, year)
}

/// The academic years a placement (Deep Linking) may name: the course's current year first,
/// then its other years still open, newest first; for a course not configured yet, the
/// academic year of `today` (in the tool's timezone) and the next one.
pub fn placement_years(
    conn: &mut DbConn,
    context_id: &CourseId,
    today: chrono::NaiveDate,
) -> Result<Vec<String>, StoreError> {
    let Some(current) = formations::course_config(conn, context_id)?.map(|c| c.academic_year)
    else {
        return Ok(crate::lti::deep_linking::academic_years(today).to_vec());
    };
    let others = years::open_others(conn, context_id, &current)?;
    let mut all = vec![current];
    all.extend(others);
    Ok(all)
}

/// Every year of a course, newest first: the current one, those opened or closed, and those
/// of its contracts.
pub fn list(conn: &mut DbConn, context_id: &CourseId) -> Result<Vec<YearInfo>, StoreError> {
    let current = formations::course_config(conn, context_id)?.map(|c| c.academic_year);
    let rows = years::of_context(conn, context_id)?;
    let counts = years::contract_counts(conn, context_id)?;
    let mut years: BTreeMap<String, YearInfo> = BTreeMap::new();
    let entry = |year: &str| -> YearInfo {
        YearInfo {
            academic_year: year.to_owned(),
            current: current.as_deref() == Some(year),
            opened_at: None,
            closed_at: None,
            counts: BTreeMap::new(),
            total: 0,
        }
    };
    if let Some(c) = &current {
        years.insert(c.clone(), entry(c));
    }
    for (year, opened, closed) in rows {
        let y = years.entry(year.clone()).or_insert_with(|| entry(&year));
        y.opened_at = Some(opened);
        y.closed_at = closed;
    }
    for c in counts {
        let y = years
            .entry(c.academic_year.clone())
            .or_insert_with(|| entry(&c.academic_year));
        y.counts.insert(c.state.as_str().to_owned(), c.count);
        y.total += c.count;
    }
    Ok(years.into_values().rev().collect())
}

/// First configuration of a course in the screens (or a change of its scolarité contact):
/// writes the course row with its year when there is none, else only the contact.
pub fn configure_course(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    first_year: Option<&str>,
    contact: &Contact,
) -> Result<CourseConfigRow, YearError> {
    match formations::course_config(conn, context_id)? {
        Some(_) => {
            formations::set_contact(conn, context_id, &contact.to_json())?;
            actor.record(
                conn,
                context_id,
                Action::ConfigCourse,
                (Target::Course, Some(context_id)),
                serde_json::json!({ "contact": contact }),
            )?;
        }
        None => {
            let year = first_year.unwrap_or_default().trim();
            if !is_academic_year(year) {
                return Err(YearError::Invalid(year.to_owned()));
            }
            formations::put_course_config(conn, context_id, year, &contact.to_json(), SCREENS, "")?;
            years::ensure(conn, context_id, year)?;
            contract_store::ensure_year_counter(conn, year)?;
            actor.record(
                conn,
                context_id,
                Action::ConfigCourse,
                (Target::Course, Some(context_id)),
                serde_json::json!({ "academic_year": year, "contact": contact, "first": true }),
            )?;
        }
    }
    formations::course_config(conn, context_id)?.ok_or(YearError::NotConfigured)
}

/// Opens the next academic year: contracts started from now on belong to it (and prefill
/// from the student's previous year). The previous year stays as it is (open or closed).
pub fn open_next(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    year: &str,
) -> Result<(), YearError> {
    let year = year.trim();
    if !is_academic_year(year) {
        return Err(YearError::Invalid(year.to_owned()));
    }
    let config = formations::course_config(conn, context_id)?.ok_or(YearError::NotConfigured)?;
    if year <= config.academic_year.as_str() {
        return Err(YearError::NotLater {
            asked: year.to_owned(),
            current: config.academic_year,
        });
    }
    years::ensure(conn, context_id, &config.academic_year)?;
    years::set_current(conn, context_id, year)?;
    years::ensure(conn, context_id, year)?;
    contract_store::ensure_year_counter(conn, year)?;
    actor.record(
        conn,
        context_id,
        Action::ConfigYear,
        (Target::Year, Some(year)),
        serde_json::json!({ "change": "open", "previous": config.academic_year }),
    )?;
    Ok(())
}

/// Closes (`closed` true) or reopens a year of the course.
pub fn set_closed(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    year: &str,
    closed: bool,
) -> Result<(), YearError> {
    if !list(conn, context_id)?
        .iter()
        .any(|y| y.academic_year == year)
    {
        return Err(YearError::Unknown(year.to_owned()));
    }
    years::ensure(conn, context_id, year)?;
    years::set_closed(conn, context_id, year, closed, actor.user_id.as_deref())?;
    actor.record(
        conn,
        context_id,
        Action::ConfigYear,
        (Target::Year, Some(year)),
        serde_json::json!({ "change": if closed { "close" } else { "reopen" } }),
    )?;
    Ok(())
}

/// The academic year of today: from September on, this year and the next.
pub fn default_year() -> String {
    use chrono::Datelike;
    let now = chrono::Utc::now();
    let start = if now.month() >= 8 {
        now.year()
    } else {
        now.year() - 1
    };
    format!("{start}-{}", start + 1)
}
