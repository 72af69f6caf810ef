//! A student's home: the formation their Moodle groups lead to (its contract), a chooser among their own formations (double licence), or a page saying whom to contact when none; unrouted students are recorded for staff.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::contract::ContractError;
use crate::contract::student::{Student, Workspace};
use crate::course::routing::{self, Routing};
use crate::state::AppState;
use crate::store::{self, DbConn, contracts, formations};
use crate::web::error::AppResult;

use super::super::session::Session;
use super::super::templates::ser;
use super::overview::{Flash, Overview, render_overview};
use super::{contact_value, contract_url, page_context, see_other, student_of, with_status};
use crate::store::contracts::ContractState;

/// A formation in the chooser, with the student's contract state.
#[derive(Debug, Serialize)]
pub struct Choice {
    code: String,
    title: String,
    state: Option<ContractState>,
    signed_at: Option<i64>,
    number: Option<String>,
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

/// `GET /s/{token}/` for a student: the page of their home (loaded with the session, see
/// `web::pages::home`).
pub fn show(session: &Session, home: Home) -> AppResult<HttpResponse> {
    match home {
        Home::One(overview) => render_overview(session, &overview, &Flash::default()),
        Home::Several { year, choices } => {
            let ctx = page_context(
                session,
                None,
                context! {
                    academic_year => year,
                    choices => ser(&choices),
                    action => format!("{}/formation", session.base()),
                },
            );
            with_status(StatusCode::OK, "contract/chooser.html", ctx)
        }
        Home::Unrouted { contact } => unrouted(session, "unrouted", Some(&contact)),
        Home::NotConfigured => unrouted(session, "not_configured", None),
    }
}

fn unrouted(session: &Session, reason: &str, contact: Option<&str>) -> AppResult<HttpResponse> {
    let ctx = page_context(
        session,
        None,
        context! {
            reason => reason,
            scolarite => contact.map(contact_value),
            group_ids => session.launch.group_ids.clone(),
        },
    );
    with_status(StatusCode::OK, "contract/unrouted.html", ctx)
}

/// The chooser's form.
#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    pub csrf: Option<String>,
    pub formation: Option<String>,
}

/// `POST /s/{token}/formation`: opens the chosen formation's contract, if the student's
/// groups lead to it (anything else is refused: a student never picks a formation freely).
pub async fn choose(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ChooseForm>,
) -> AppResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    let student = student_of(&session)?;
    let code = form.into_inner().formation.unwrap_or_default();
    let checked = code.clone();
    let verdict = state
        .db
        .run(move |conn| {
            routing::formation_of_student(conn, &student.context.id, &student.group_ids, &checked)
        })
        .await?;
    match verdict {
        Ok(_) => Ok(see_other(contract_url(&session, &code))),
        Err(refusal) => {
            tracing::warn!(user = %session.user.id, code = %code, ?refusal, "formation choice refused");
            Err(ContractError::Refused(refusal).into())
        }
    }
}
