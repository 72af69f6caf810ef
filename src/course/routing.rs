//! Routing a student to their formation: the launch's Moodle groups matched against the formations of the session's course, never a free choice.

use crate::store::formations::{self, CourseConfigRow, FormationRow};
use crate::store::ids::CourseId;
use crate::store::{DbConn, StoreResult};

/// Where a student's groups lead, in their course.
#[derive(Debug, Clone)]
pub enum Routing {
    /// The course has no configuration (no formation, no academic year) yet.
    NotConfigured,
    /// The course is configured but none of the student's groups belongs to a formation.
    Unrouted { config: CourseConfigRow },
    /// One or more formations (several: a double licence), in configuration order.
    Formations {
        config: CourseConfigRow,
        formations: Vec<FormationRow>,
    },
}

/// Finds the formations of the course `context_id` that the groups lead to.
pub fn route(conn: &mut DbConn, context_id: &CourseId, group_ids: &[i64]) -> StoreResult<Routing> {
    let Some(config) = formations::course_config(conn, context_id)? else {
        return Ok(Routing::NotConfigured);
    };
    let found = formations::for_groups(conn, context_id, group_ids)?;
    Ok(if found.is_empty() {
        Routing::Unrouted { config }
    } else {
        Routing::Formations {
            config,
            formations: found,
        }
    })
}

/// Why a formation code is not the student's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The course is not configured.
    NotConfigured,
    /// The student is in no formation of the course.
    Unrouted,
    /// The code exists in the course, but the student's groups do not lead to it.
    NotTheirs,
    /// No formation of the course has this code.
    Unknown,
}

/// The formation `code` if the student's groups lead to it in this course, with the course
/// configuration; otherwise why not. This is the check every contract page makes: a code
/// in a URL or a form is only ever accepted through it.
pub fn formation_of_student(
    conn: &mut DbConn,
    context_id: &CourseId,
    group_ids: &[i64],
    code: &str,
) -> StoreResult<Result<(CourseConfigRow, FormationRow), Refusal>> {
    match route(conn, context_id, group_ids)? {
        Routing::NotConfigured => Ok(Err(Refusal::NotConfigured)),
        Routing::Unrouted { .. } | Routing::Formations { .. }
            if !super::file::is_formation_code(code) =>
        {
            Ok(Err(Refusal::Unknown))
        }
        Routing::Unrouted { .. } => Ok(Err(
            if formations::by_code(conn, context_id, code)?.is_some() {
                Refusal::Unrouted
            } else {
                Refusal::Unknown
            },
        )),
        Routing::Formations { config, formations } => {
            match formations.into_iter().find(|f| f.code == code) {
                Some(f) => Ok(Ok((config, f))),
                None => Ok(Err(
                    if formations::by_code(conn, context_id, code)?.is_some() {
                        Refusal::NotTheirs
                    } else {
                        Refusal::Unknown
                    },
                )),
            }
        }
    }
}
