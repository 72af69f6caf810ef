//! How an operator names a course on the command line: the course reference `cpre course
//! show` prints (the tool's id of the course), or Moodle's course id (`--context`) narrowed
//! by the platform's issuer and client id. When the choice is ambiguous (one Moodle
//! registered twice, two Moodles with a course 2), the error lists the registrations to pick
//! from.

use crate::store::contexts::{self, Context};
use crate::store::ids::CourseId;
use crate::store::platforms::{self, Platform};
use crate::store::{DbConn, StoreError};

/// What the operator gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseRef {
    /// The tool's reference of the course (wins over the rest).
    pub course: Option<CourseId>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Moodle's course id (the LTI context id).
    pub context: Option<String>,
}

/// A registration and, when it has one, its course with the asked context id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub issuer: String,
    pub client_id: String,
    pub course: Option<CourseId>,
}

/// Why a course reference names no course, or several. `code()` names the message
/// (`cli.course_ref.<code>`).
#[derive(Debug, thiserror::Error)]
pub enum CourseRefError {
    #[error("give --course, or --context with --issuer (and --client-id)")]
    Missing,
    #[error("no course with reference `{0}`")]
    UnknownReference(String),
    #[error("no platform registered for issuer `{0}`")]
    UnknownIssuer(String),
    #[error("no registration of `{issuer}` with client id `{client_id}`")]
    UnknownRegistration {
        issuer: String,
        client_id: String,
        registrations: Vec<Candidate>,
    },
    #[error("no course `{context}` known to the tool on these registrations")]
    UnknownCourse {
        context: String,
        registrations: Vec<Candidate>,
    },
    #[error("course `{context}` exists under several registrations")]
    Ambiguous {
        context: String,
        candidates: Vec<Candidate>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CourseRefError {
    /// The catalogue key of the message (`cli.course_ref.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            CourseRefError::Missing => "missing",
            CourseRefError::UnknownReference(_) => "unknown_reference",
            CourseRefError::UnknownIssuer(_) => "unknown_issuer",
            CourseRefError::UnknownRegistration { .. } => "unknown_registration",
            CourseRefError::UnknownCourse { .. } => "unknown_course",
            CourseRefError::Ambiguous { .. } => "ambiguous",
            CourseRefError::Store(_) => "store",
        }
    }

    /// The registrations to choose from, when the message lists them.
    pub fn candidates(&self) -> &[Candidate] {
        match self {
            CourseRefError::UnknownRegistration { registrations, .. }
            | CourseRefError::UnknownCourse { registrations, .. } => registrations,
            CourseRefError::Ambiguous { candidates, .. } => candidates,
            _ => &[],
        }
    }
}

/// The course `r` names, and its platform.
pub fn resolve(conn: &mut DbConn, r: &CourseRef) -> Result<(Context, Platform), CourseRefError> {
    if let Some(reference) = r.course.as_deref() {
        let context = contexts::find(conn, &reference.into())?
            .ok_or_else(|| CourseRefError::UnknownReference(reference.to_owned()))?;
        let platform = platforms::get(conn, &context.platform_id)?;
        return Ok((context, platform));
    }
    let context = r.context.as_deref().ok_or(CourseRefError::Missing)?;
    let mut registrations = match r.issuer.as_deref() {
        Some(issuer) => {
            let found = platforms::find_by_issuer(conn, issuer)?;
            if found.is_empty() {
                return Err(CourseRefError::UnknownIssuer(issuer.to_owned()));
            }
            found
        }
        None => platforms::list(conn)?,
    };
    let all = candidates(conn, &registrations, context)?;
    if let Some(client_id) = r.client_id.as_deref() {
        registrations.retain(|p| p.client_id == client_id);
        if registrations.is_empty() {
            return Err(CourseRefError::UnknownRegistration {
                issuer: r.issuer.clone().unwrap_or_default(),
                client_id: client_id.to_owned(),
                registrations: all,
            });
        }
    }
    let mut found = Vec::new();
    for platform in registrations {
        if let Some(course) = contexts::find_by_lti_id(conn, &platform.id, context)? {
            found.push((course, platform));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(CourseRefError::UnknownCourse {
            context: context.to_owned(),
            registrations: all,
        }),
        _ => Err(CourseRefError::Ambiguous {
            context: context.to_owned(),
            candidates: all.into_iter().filter(|c| c.course.is_some()).collect(),
        }),
    }
}

/// The course `r` names; a course never launched nor configured is created when `r` names
/// one registration and a course id (a questionnaire can be published before the course's
/// first launch).
pub fn resolve_or_create(conn: &mut DbConn, r: &CourseRef) -> Result<Context, CourseRefError> {
    match resolve(conn, r) {
        Ok((context, _)) => Ok(context),
        Err(CourseRefError::UnknownCourse {
            context,
            registrations,
        }) => {
            let mut named = match (r.issuer.as_deref(), r.client_id.as_deref()) {
                (Some(issuer), Some(client_id)) => {
                    platforms::find_by_issuer_and_client_id(conn, issuer, client_id)?
                        .into_iter()
                        .collect()
                }
                (Some(issuer), None) => platforms::find_by_issuer(conn, issuer)?,
                (None, Some(client_id)) => platforms::list(conn)?
                    .into_iter()
                    .filter(|p| p.client_id == client_id)
                    .collect(),
                (None, None) => platforms::list(conn)?,
            };
            if named.len() != 1 {
                return Err(CourseRefError::UnknownCourse {
                    context,
                    registrations,
                });
            }
            let platform = named.remove(0);
            Ok(super::configure::ensure_context(conn, &platform.id, &context, None, None)?.0)
        }
        Err(e) => Err(e),
    }
}

/// Every registration of `platforms` with its course `context`, if any.
fn candidates(
    conn: &mut DbConn,
    registrations: &[Platform],
    context: &str,
) -> Result<Vec<Candidate>, StoreError> {
    registrations
        .iter()
        .map(|p| {
            Ok(Candidate {
                issuer: p.issuer.clone(),
                client_id: p.client_id.clone(),
                course: contexts::find_by_lti_id(conn, &p.id, context)?.map(|c| c.id),
            })
        })
        .collect()
}
