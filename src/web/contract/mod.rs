//! The student's contract pages: home routing (formation chooser, no formation), overview and receipt, one page at a time, summary and signature, printable contract.
//!
//! Every handler here is for students only ([`student_of`]); a formation code in a URL or
//! a form is accepted only through `course::routing::formation_of_student` (the launch's
//! groups), and contracts are looked up by the session's user, never by an id alone.
//! Each request makes the session lookup plus one database call.

pub mod home;
pub mod overview;
pub mod page;
pub mod print;
pub mod summary;
pub mod view;

use serde::Deserialize;

use crate::contract::student::{Student, Workspace};
use crate::lti::roles::ToolRole;
use crate::state::AppState;
use crate::store;
use crate::web::error::{AppError, AppResult};

use super::session::Session;

/// `{code}` in contract URLs.
#[derive(Debug, Deserialize)]
pub struct FormationPath {
    pub code: String,
}

/// `{code}` and `{page}` in page URLs.
#[derive(Debug, Deserialize)]
pub struct PagePath {
    pub code: String,
    pub page: String,
}

/// The student of a session; teachers and others are refused (403): these pages write a
/// student's own contract.
pub fn student_of(session: &Session) -> AppResult<Student> {
    if session.tool_role != ToolRole::Student || session.is_deep_linking() {
        return Err(AppError::Forbidden("students_only"));
    }
    Ok(Student {
        user: session.user.clone(),
        context: session.context.clone(),
        group_ids: session.launch.group_ids.clone(),
        issuer: session.launch.issuer.clone(),
    })
}

/// Opens the workspace of formation `code` in one database call.
pub async fn open(state: &AppState, student: Student, code: String) -> AppResult<Workspace> {
    Ok(state
        .db
        .run(move |conn| {
            Ok(store::read_tx(conn, |c| {
                Workspace::open(c, &student, &code)
            }))
        })
        .await??)
}

/// The URL of a contract's pages: `/s/{token}/contrat/{code}/`.
pub fn contract_url(session: &Session, code: &str) -> String {
    format!("{}/contrat/{code}/", session.base())
}
