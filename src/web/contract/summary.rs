//! The summary before signing (every answer, « modifier » links, what is still missing) and the signature: explicit consent, « Je m'engage », server time.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::contract::in_transaction;
use crate::contract::student::{self, SignOutcome, Workspace};
use crate::questionnaire::Problem;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

use super::super::session::Session;
use super::super::templates::ser;
use super::{FormationPath, contract_url, student_of};
use crate::web::chrome::page_context;
use crate::web::response::{see_other, with_status};

/// A missing or invalid answer, with the page to fix it on.
#[derive(Debug, Serialize)]
struct ProblemLink {
    href: String,
    page_title: String,
    label: String,
    message: String,
}

/// Why the summary is shown again after a signature attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    None,
    NoConsent,
    Incomplete,
    Stale,
}

fn render_summary(
    session: &Session,
    ws: &Workspace,
    attempt: Attempt,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let q = &ws.questionnaire;
    let base = contract_url(session, &ws.formation.code);
    let summary = q.summary(&ws.env, &ws.answers);
    let problems: Vec<ProblemLink> = match q.check_complete(&ws.env, &ws.answers) {
        Ok(_) => Vec::new(),
        Err(incomplete) => incomplete
            .problems
            .into_iter()
            .map(|p: Problem| ProblemLink {
                href: format!("{base}page/{}#q-{}", p.page_id, p.question_id),
                page_title: p.page_title,
                label: p.label,
                message: p.message,
            })
            .collect(),
    };
    let progress =
        crate::contract::progress::progress(&q.flow(&ws.env, &ws.answers), &ws.pages_done);
    let ctx = page_context(
        session,
        Some(ws),
        context! {
            summary => ser(summary),
            problems => ser(&problems),
            progress => ser(progress),
            revision => ws.revision(),
            reopened => ws.state() == Some(crate::contract::ContractState::Reopened),
            no_consent => attempt == Attempt::NoConsent,
            stale => attempt == Attempt::Stale,
            incomplete_attempt => attempt == Attempt::Incomplete,
            page_base => format!("{base}page/"),
            sign_url => format!("{base}signer"),
            overview_url => base,
        },
    );
    with_status(status, "contract/summary.html", ctx)
}

/// `GET /s/{token}/contrat/{code}/recapitulatif`.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<FormationPath>,
) -> AppResult<HttpResponse> {
    let student = student_of(&session)?;
    let code = path.into_inner().code;
    let ws = super::open(&state, student, code.clone()).await?;
    if ws.is_editable() {
        render_summary(&session, &ws, Attempt::None, StatusCode::OK)
    } else {
        Ok(see_other(contract_url(&session, &code)))
    }
}

/// The signature form.
#[derive(Debug, Deserialize)]
pub struct SignForm {
    pub csrf: Option<String>,
    pub revision: Option<String>,
    /// The consent box: present and non-empty when ticked.
    pub consent: Option<String>,
}

/// `POST /s/{token}/contrat/{code}/signer`: signs if the box is ticked, the summary is
/// current and everything is answered; the receipt then shows.
pub async fn sign(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<FormationPath>,
    form: web::Form<SignForm>,
) -> AppResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    let student = student_of(&session)?;
    let code = path.into_inner().code;
    let revision: i32 = form
        .revision
        .as_deref()
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| AppError::BadRequest("revision missing".into()))?;
    if form.consent.as_deref().is_none_or(|c| c.trim().is_empty()) {
        let ws = super::open(&state, student, code.clone()).await?;
        if ws.year_closed {
            return Err(crate::contract::ContractError::YearClosed(
                ws.config.academic_year.clone(),
            )
            .into());
        }
        return match ws.state() {
            Some(s) if s.is_editable() => render_summary(
                &session,
                &ws,
                Attempt::NoConsent,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            _ => Err(crate::contract::ContractError::ReadOnly.into()),
        };
    }
    let link = session.row.resource_link_id.clone();
    let code2 = code.clone();
    let outcome = state
        .db
        .run(move |conn| {
            Ok(in_transaction(conn, |c| {
                student::sign(c, &student, &code2, revision, link.as_deref())
            }))
        })
        .await??;
    match outcome {
        SignOutcome::Signed(s) => {
            tracing::info!(user = %session.user.id, number = %s.number, seq = s.seq, "contract signed");
            Ok(see_other(format!(
                "{}?signe=1",
                contract_url(&session, &code)
            )))
        }
        SignOutcome::Incomplete(ws, _) => render_summary(
            &session,
            &ws,
            Attempt::Incomplete,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        SignOutcome::Stale(ws) => {
            render_summary(&session, &ws, Attempt::Stale, StatusCode::CONFLICT)
        }
    }
}
