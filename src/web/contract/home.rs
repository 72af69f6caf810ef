//! A student's home: the formation their Moodle groups lead to (its contract), a chooser among their own formations (double licence), or a page saying whom to contact when none; unrouted students are recorded for staff.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use crate::contract::ContractError;
use crate::course::routing::{self};
use crate::state::AppState;
use crate::web::error::AppResult;

use super::super::session::Session;
use super::super::templates::ser;
use super::overview::{Flash, render_overview};
use super::{contract_url, student_of};
use crate::contract::home::Home;
use crate::web::chrome::{contact_value, page_context};
use crate::web::response::{see_other, with_status};

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
