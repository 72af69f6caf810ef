//! One questionnaire page: shown with the saved answers; posted, validated and saved (draft) before going to the next or previous page; shown again with what was typed when refused or stale.

use std::collections::{BTreeMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::contract::student::{self, SaveOutcome, Workspace};
use crate::contract::{form, in_transaction};
use crate::questionnaire::{FieldError, FieldErrorCode, PageErrors};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

use super::super::session::Session;
use super::super::templates::ser;
use super::view::{PageFields, Values, page_fields};
use super::{PagePath, contract_url, student_of};
use crate::web::chrome::{Chrome, chrome_context};
use crate::web::response::see_other;

/// Why a page is shown again instead of moving on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    None,
    /// Answers refused.
    Invalid,
    /// The contract changed elsewhere since the page was shown.
    Stale,
}

fn render_page(
    session: &Session,
    ws: &Workspace,
    page_id: &str,
    posted: Option<&[(String, String)]>,
    errors: &[FieldError],
    notice: Notice,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (status, html) = render(
        &Chrome::of(session),
        ws,
        page_id,
        posted,
        errors,
        notice,
        status,
    )?;
    Ok(HttpResponse::build(status)
        .content_type(actix_web::http::header::ContentType::html())
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// Renders page `page_id` of a workspace: the status to answer with and the HTML. `posted`
/// is the submitted form when showing it again (the questions visible are then those the
/// typed answers give). Pure: no database (the benchmark times it).
pub fn render(
    chrome: &Chrome,
    ws: &Workspace,
    page_id: &str,
    posted: Option<&[(String, String)]>,
    errors: &[FieldError],
    notice: Notice,
    status: StatusCode,
) -> AppResult<(StatusCode, String)> {
    let q = &ws.questionnaire;
    let answers = match posted {
        Some(f) => form::provisional(q, &ws.answers, page_id, f),
        None => ws.answers.clone(),
    };
    let flow = q.flow(&ws.env, &answers);
    for p in &flow.problems {
        tracing::warn!(questionnaire = q.key(), problem = %p, "condition failed at run time");
    }
    let Some(page) = flow.page(page_id) else {
        return Err(AppError::NotFound);
    };
    let submitted: BTreeMap<String, Vec<String>> = posted
        .map(|f| form::submitted(q, page_id, f))
        .unwrap_or_default();
    let shown_before: Option<HashSet<String>> = posted.and_then(|f| {
        f.iter()
            .find(|(k, _)| k == "shown")
            .map(|(_, v)| v.split_whitespace().map(str::to_owned).collect())
    });
    let values = if posted.is_some() {
        Values::Posted(&submitted)
    } else {
        Values::Saved
    };
    let PageFields {
        blocks,
        errors: links,
        revealed,
    } = page_fields(page, values, errors, shown_before.as_ref());
    // Refused only because new required questions appeared with the answers just given:
    // not an error for the student, the page simply goes on.
    let status = if notice == Notice::Invalid && links.is_empty() {
        StatusCode::OK
    } else {
        status
    };
    let shown: Vec<&str> = page
        .blocks
        .iter()
        .filter_map(|b| match b {
            crate::questionnaire::BlockView::Question(q) => Some(q.id),
            _ => None,
        })
        .collect();
    let base = chrome.contract_url(&ws.formation.code);
    let previous = flow
        .previous_page(page_id)
        .map(|p| format!("{base}page/{}", p.id));
    let ctx = chrome_context(
        chrome,
        Some(ws),
        context! {
            page_id => page.id,
            page_title => page.title,
            step => page.number,
            steps => flow.pages.len(),
            is_last => flow.next_page(page_id).is_none(),
            blocks => ser(&blocks),
            errors => ser(&links),
            revealed => revealed,
            stale => notice == Notice::Stale,
            revision => ws.revision(),
            shown => shown.join(" "),
            action => format!("{base}page/{}", page.id),
            previous_url => previous,
            overview_url => base,
        },
    );
    let html = super::super::templates::render_string("contract/page.html", ctx)?;
    Ok((status, html))
}

/// `GET /s/{token}/contrat/{code}/page/{page}`.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<PagePath>,
) -> AppResult<HttpResponse> {
    let student = student_of(&session)?;
    let PagePath { code, page } = path.into_inner();
    let ws = super::open(&state, student, code.clone()).await?;
    if !ws.is_editable() {
        return Ok(see_other(contract_url(&session, &code)));
    }
    if ws.questionnaire.page(&page).is_none() {
        return Err(AppError::NotFound);
    }
    let flow = ws.questionnaire.flow(&ws.env, &ws.answers);
    if flow.page(&page).is_none() {
        // A page that the answers hide (an old link): back to where the student is.
        let target = super::overview::resume_target(&ws);
        return Ok(see_other(super::overview::location(
            &session, &code, &target,
        )));
    }
    render_page(
        &session,
        &ws,
        &page,
        None,
        &[],
        Notice::None,
        StatusCode::OK,
    )
}

/// Where the buttons of a page go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nav {
    Next,
    Previous,
    SaveAndLeave,
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `POST /s/{token}/contrat/{code}/page/{page}`: `csrf`, `revision`, `nav`, the answers.
pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<PagePath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    session.check_csrf(field(&form, "csrf"))?;
    let student = student_of(&session)?;
    let PagePath { code, page } = path.into_inner();
    let revision: i32 = field(&form, "revision")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| AppError::BadRequest("revision missing".into()))?;
    let nav = match field(&form, "nav") {
        Some("previous") => Nav::Previous,
        Some("save") => Nav::SaveAndLeave,
        _ => Nav::Next,
    };
    let posted = form.clone();
    let (code2, page2) = (code.clone(), page.clone());
    let outcome = state
        .db
        .run(move |conn| {
            Ok(in_transaction(conn, |c| {
                student::save_page(c, &student, &code2, &page2, &posted, revision)
            }))
        })
        .await??;
    match outcome {
        SaveOutcome::Saved(ws) => {
            let flow = ws.questionnaire.flow(&ws.env, &ws.answers);
            let base = contract_url(&session, &code);
            let target = match nav {
                Nav::SaveAndLeave => format!("{base}?enregistre=1"),
                Nav::Previous => match flow.previous_page(&page) {
                    Some(p) => format!("{base}page/{}", p.id),
                    None => base,
                },
                Nav::Next => match flow.next_page(&page) {
                    Some(p) => format!("{base}page/{}", p.id),
                    None => format!("{base}recapitulatif"),
                },
            };
            Ok(see_other(target))
        }
        SaveOutcome::Invalid(ws, PageErrors { errors, .. }) => {
            let tampered = errors.iter().any(|e| e.code == FieldErrorCode::NotOffered);
            let status = if tampered {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            if tampered {
                tracing::warn!(user = %session.user.id, page = %page, "answer not offered to this student refused");
            }
            render_page(
                &session,
                &ws,
                &page,
                Some(&form),
                &errors,
                Notice::Invalid,
                status,
            )
        }
        SaveOutcome::Stale(ws) => render_page(
            &session,
            &ws,
            &page,
            Some(&form),
            &[],
            Notice::Stale,
            StatusCode::CONFLICT,
        ),
    }
}
