//! The contract's first page for a formation: what the contract is and « Commencer » before the start, progress and « Reprendre » for a draft, the receipt and read-only answers once signed.

use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use crate::contract::progress::{self, Resume};
use crate::contract::student::{self, Student, Workspace};
use crate::contract::{ContractError, ContractState, in_transaction};
use crate::state::AppState;
use crate::store::{self};
use crate::web::error::AppResult;

use super::super::session::Session;
use super::super::templates::{render, ser};
use super::{FormationPath, contract_url, student_of};
use crate::contract::overview::{self, Overview};
use crate::web::chrome::page_context;
use crate::web::response::see_other;

/// Flash messages after a redirect (`?enregistre=1`, `?signe=1`).
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    #[serde(default)]
    pub enregistre: Option<String>,
    #[serde(default)]
    pub signe: Option<String>,
}

/// Renders an overview.
pub fn render_overview(session: &Session, o: &Overview, flash: &Flash) -> AppResult<HttpResponse> {
    let ws = &o.ws;
    let q = &ws.questionnaire;
    let state = ws.state();
    let flow = q.flow(&ws.env, &ws.answers);
    let progress = progress::progress(&flow, &ws.pages_done);
    let base = contract_url(session, &ws.formation.code);
    let receipt = o.signed.as_ref().map(|s| {
        context! {
            number => s.content.contract.number.clone(),
            seq => s.content.contract.seq,
            signed_at => s.contract.signed_at,
            fingerprint => s.fingerprint.clone(),
            questionnaire => ser(&s.content.questionnaire),
            print_url => format!("{}/contrats/{}/imprimer", session.base(), s.contract.id),
            summary => ser(s.questionnaire.summary(&s.env, &s.content.answers)),
        }
    });
    let ctx = page_context(
        session,
        Some(ws),
        context! {
            state => state.map(ContractState::as_str),
            questionnaire_title => q.title(),
            description_html => q.description().map(|d| d.html().to_owned()),
            previous_contract => ws.env.previous_contract,
            progress => ser(progress),
            revision => ws.revision(),
            start_url => format!("{base}commencer"),
            resume_url => format!("{base}reprendre"),
            summary_url => format!("{base}recapitulatif"),
            receipt => receipt,
            validated_at => ws.contract.as_ref().and_then(|c| c.validated_at),
            others => ser(&o.others),
            comments => ser(&o.comments),
            saved => flash.enregistre.is_some(),
            just_signed => flash.signe.is_some(),
            year_closed => ws.year_closed,
        },
    );
    Ok(render("contract/overview.html", ctx)?)
}

/// `GET /s/{token}/contrat/{code}/`.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<FormationPath>,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let student = student_of(&session)?;
    let code = path.into_inner().code;
    let overview = state
        .db
        .run(move |conn| Ok(store::read_tx(conn, |c| overview::load(c, &student, &code))))
        .await??;
    render_overview(&session, &overview, &flash)
}

/// The CSRF field of a small form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

/// `POST /s/{token}/contrat/{code}/commencer`: creates the draft (prefilled from last year)
/// unless it exists, then resumes.
pub async fn start(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<FormationPath>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    let student = student_of(&session)?;
    let code = path.into_inner().code;
    let run = |student: Student, code: String| {
        state.db.run(move |conn| {
            Ok(in_transaction(conn, |c| {
                let ws = student::start(c, &student, &code)?;
                Ok(resume_target(&ws))
            }))
        })
    };
    let target = match run(student.clone(), code.clone()).await? {
        // Two tabs started at once (PostgreSQL): the other one created it; resume it.
        Err(ContractError::Store(e)) if is_unique(&e) => run(student, code.clone()).await??,
        other => other?,
    };
    Ok(see_other(location(&session, &code, &target)))
}

fn is_unique(e: &crate::store::StoreError) -> bool {
    matches!(e, crate::store::StoreError::Query(q) if crate::store::is_unique_violation(q))
}

/// Where to resume a workspace.
pub fn resume_target(ws: &Workspace) -> Resume {
    progress::resume(&ws.questionnaire, &ws.env, &ws.answers, &ws.pages_done)
}

/// The URL of a resume target.
pub fn location(session: &Session, code: &str, target: &Resume) -> String {
    let base = contract_url(session, code);
    match target {
        Resume::Page(page) => format!("{base}page/{page}"),
        Resume::Summary => format!("{base}recapitulatif"),
    }
}

/// `GET /s/{token}/contrat/{code}/reprendre`: to the first unfinished page (or the summary).
pub async fn resume(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<FormationPath>,
) -> AppResult<HttpResponse> {
    let student = student_of(&session)?;
    let code = path.into_inner().code;
    let ws = super::open(&state, student, code.clone()).await?;
    if ws.is_editable() {
        Ok(see_other(location(&session, &code, &resume_target(&ws))))
    } else {
        Ok(see_other(contract_url(&session, &code)))
    }
}
