//! A student's home: the formation their Moodle groups lead to, a chooser among their own
//! formations (double licence), or whom to contact when none; unrouted students are recorded
//! for staff.

use serde::Serialize;

use super::ContractError;
use super::overview::Overview;
use super::student::{Student, Workspace};
use crate::course::routing::{self, Routing};
use crate::store::contracts::ContractState;
use crate::store::{self, DbConn, contracts, formations};

/// A formation in the chooser, with the student's contract state.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub code: String,
    pub title: String,
    pub state: Option<ContractState>,
    pub signed_at: Option<i64>,
    pub number: Option<String>,
}

/// What a student's home shows.
pub enum Home {
    NotConfigured,
    Unrouted { contact: String },
    One(Box<Overview>),
    Several { year: String, choices: Vec<Choice> },
}

/// What the home page records about the student once it has read what to show: staff see
/// unrouted students in their follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bookkeeping {
    Nothing,
    /// No formation for the student's groups, and not recorded with these groups in the last
    /// quarter of an hour (coming back to the page only reads).
    RecordUnrouted,
    /// Routed now, but recorded as unrouted earlier.
    ClearUnrouted,
}

/// The student's home, and what to record about it (`keep_books`). Reads only, so that it
/// can run in one read snapshot. Blocking.
pub fn load(conn: &mut DbConn, student: &Student) -> Result<(Home, Bookkeeping), ContractError> {
    let context_id = &student.context.id;
    let user_id = &student.user.id;
    let unrouted_books = |conn: &mut DbConn| -> Result<Bookkeeping, ContractError> {
        let recent = formations::recently_unrouted(
            conn,
            context_id,
            user_id,
            &student.group_ids,
            15 * 60 * 1_000_000,
        )?;
        Ok(if recent {
            Bookkeeping::Nothing
        } else {
            Bookkeeping::RecordUnrouted
        })
    };
    match routing::route(conn, context_id, &student.group_ids)? {
        Routing::NotConfigured => Ok((Home::NotConfigured, unrouted_books(conn)?)),
        Routing::Unrouted { config } => Ok((
            Home::Unrouted {
                contact: config.contact,
            },
            unrouted_books(conn)?,
        )),
        Routing::Formations { config, formations } => {
            let books = if formations::is_unrouted(conn, context_id, user_id)? {
                Bookkeeping::ClearUnrouted
            } else {
                Bookkeeping::Nothing
            };
            if let [one] = formations.as_slice() {
                let ws = Workspace::open_routed(conn, student, config, one.clone())?;
                let overview = super::overview::load_with(conn, student, ws)?;
                return Ok((Home::One(Box::new(overview)), books));
            }
            let mut choices = Vec::new();
            for f in formations {
                let c = contracts::find_for(conn, user_id, &f.id, &config.academic_year)?;
                choices.push(Choice {
                    code: f.code,
                    title: f.title,
                    state: c.as_ref().map(|c| c.state),
                    signed_at: c.as_ref().and_then(|c| c.signed_at),
                    number: c.and_then(|c| c.number),
                });
            }
            Ok((
                Home::Several {
                    year: config.academic_year,
                    choices,
                },
                books,
            ))
        }
    }
}

/// Records what `load` found (a small write transaction, none for `Nothing`). Blocking.
pub fn keep_books(
    conn: &mut DbConn,
    student: &Student,
    books: Bookkeeping,
) -> Result<(), ContractError> {
    let (context_id, user_id) = (&student.context.id, &student.user.id);
    match books {
        Bookkeeping::Nothing => Ok(()),
        Bookkeeping::RecordUnrouted => Ok(store::write_tx(conn, |c| {
            formations::record_unrouted(c, context_id, user_id, &student.group_ids)
        })?),
        Bookkeeping::ClearUnrouted => Ok(store::write_tx(conn, |c| {
            formations::clear_unrouted(c, context_id, user_id)
        })?),
    }
}
