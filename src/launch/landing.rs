//! Where a session lands: a placement to choose (deep linking), a student's contract home,
//! the staff follow-up, the page for someone with no role in the course, or the tool's home
//! outside any course; read with the session in one snapshot.

use super::session::{AnySession, SessionError, SessionKey};
use crate::contract::ContractError;
use crate::contract::home::{self, Home};
use crate::contract::student::Student;
use crate::lti::roles::ToolRole;
use crate::store::{self, DbConn, StoreError};

/// Why the landing page could not be found.
#[derive(Debug, thiserror::Error)]
pub enum LandingError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the session's first page is, found in the same database call as the session.
pub enum Landing {
    /// A placement, with the academic years it may name.
    DeepLinking(Vec<String>),
    Student(Home),
    Staff,
    /// In a course, with no role the tool knows (a mentor, a guest): who the tool thinks the
    /// user is, and whom to ask.
    NoRole,
    /// Launched outside any course: what the tool is, and for an administrator the status of
    /// the platform's registration.
    NoCourse(Option<Box<crate::registration::PlatformStatus>>),
}

/// The session of `key` and where it lands. The reads run in one snapshot; what a
/// student's home records (unrouted students), after it. Blocking.
pub fn land(
    conn: &mut DbConn,
    key: SessionKey,
    today: chrono::NaiveDate,
) -> Result<(AnySession, Landing), LandingError> {
    // The reads in one snapshot; what the student's home records, after it.
    let (session, landing, books) = store::read_tx(conn, |c| -> Result<_, LandingError> {
        let session = key.open_any(c)?;
        let Some(course) = &session.context else {
            let status = if session.tool_role == ToolRole::Admin {
                Some(Box::new(crate::registration::status(
                    c,
                    &session.row.platform_id,
                )?))
            } else {
                None
            };
            return Ok((session, Landing::NoCourse(status), None));
        };
        if session.is_deep_linking() {
            let years = crate::course::years::placement_years(c, &course.id, today)?;
            return Ok((session, Landing::DeepLinking(years), None));
        }
        if session.tool_role == ToolRole::Student {
            let in_course = session.clone().in_course()?;
            let student = Student {
                user: in_course.user,
                context: in_course.context,
                group_ids: in_course.launch.group_ids,
                issuer: in_course.launch.issuer,
            };
            let (page, books) = home::load(c, &student)?;
            return Ok((session, Landing::Student(page), Some((student, books))));
        }
        let staff = crate::access::scope::resolve(
            c,
            &course.id,
            &session.user.id,
            session.tool_role,
            &session.launch.group_ids,
        )?;
        let landing = if staff.is_some() {
            Landing::Staff
        } else {
            Landing::NoRole
        };
        Ok((session, landing, None))
    })?;
    if let Some((student, books)) = books {
        home::keep_books(conn, &student, books)?;
    }
    Ok((session, landing))
}
