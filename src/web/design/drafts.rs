//! A questionnaire draft: the file editor with the engine's messages (line, column, French),
//! live checking (JSON), the form editor page by page, publishing, exporting, discarding.

use super::super::staff::Staff;
use super::super::templates::ser;
use super::questionnaires::{DiagnosticView, download, views};
use super::{Designer, Flash, draft_error, write};
use crate::course::drafts::{self, Checked, DraftError, MAX_TEXT};
use crate::course::model_edit;
use crate::questionnaire::{Diagnostic, Questionnaire};
use crate::state::AppState;
use crate::store::questionnaire_drafts::DraftRow;
use crate::web::error::{AppError, AppResult};
use crate::web::form::{IdPath, field, refused};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Serialize;

/// Why the editor is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    None,
    Checked,
    Stale,
    Refused,
}

async fn render_editor(
    state: &AppState,
    d: &Designer,
    draft: DraftRow,
    typed: Option<String>,
    notice: Notice,
    flash: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let text = typed.unwrap_or_else(|| draft.source.clone());
    let (ctx, name, t) = (d.context_id(), draft.file_name.clone(), text.clone());
    let checked: Checked = state
        .db
        .run(move |conn| {
            drafts::check(conn, &ctx, &name, &t).map_err(|e| match e {
                DraftError::Store(s) => s,
                other => crate::store::StoreError::Corrupt(other.to_string()),
            })
        })
        .await?;
    let status =
        if status == StatusCode::OK && checked.error_count() > 0 && notice == Notice::Checked {
            refused()
        } else {
            status
        };
    d.render(
        status,
        "design/draft.html",
        "questionnaires",
        context! {
            draft => ser(&draft),
            text => text.clone(),
            loads => checked.questionnaire.is_some(),
            publishable => checked.publishable(),
            error_count => checked.error_count(),
            diagnostics => ser(views(&checked.diagnostics, &text)),
            formation_problems => ser(views(&checked.formations, &text)),
            key => checked.questionnaire.as_ref().map(|q| q.key().to_owned()),
            title => checked.questionnaire.as_ref().map(|q| q.title().to_owned()),
            pages => checked.questionnaire.as_ref().map(|q| q.pages().len()),
            stale => notice == Notice::Stale,
            checked => notice == Notice::Checked,
            refused => notice == Notice::Refused,
            flash => flash,
        },
    )
}

async fn load_draft(state: &AppState, d: &Designer, id: String) -> AppResult<DraftRow> {
    let ctx = d.context_id();
    state
        .db
        .run(move |conn| Ok(drafts::get(conn, &ctx, &id)))
        .await?
        .map_err(draft_error)
}

/// `GET /s/{token}/config/questionnaires/brouillons/{id}`.
pub async fn editor(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<String>>,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let draft = load_draft(&state, &d, path.into_inner().id).await?;
    render_editor(
        &state,
        &d,
        draft,
        None,
        Notice::None,
        flash.key(),
        StatusCode::OK,
    )
    .await
}

/// `POST /s/{token}/config/questionnaires/brouillons/{id}`: `text`, `revision`, `action` =
/// `check` (save and show the messages), `save`, or `publish` (save, then publish).
pub async fn editor_post(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<String>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let id = path.into_inner().id;
    let typed = field(&form, "text")
        .unwrap_or_default()
        .replace("\r\n", "\n");
    let revision: i32 = field(&form, "revision")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| AppError::BadRequest("revision missing".into()))?;
    let action = field(&form, "action").unwrap_or("check").to_owned();
    let (ctx, actor, did, t) = (d.context_id(), d.actor.clone(), id.clone(), typed.clone());
    let saved = write(&state, move |conn| {
        drafts::save(conn, &actor, &ctx, &did, revision, &t)
    })
    .await?;
    let draft = match saved {
        Ok(draft) => draft,
        Err(DraftError::Stale(current)) => {
            return render_editor(
                &state,
                &d,
                *current,
                Some(typed),
                Notice::Stale,
                None,
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(DraftError::TooLong) => {
            let draft = load_draft(&state, &d, id).await?;
            return render_editor(
                &state,
                &d,
                draft,
                Some(typed),
                Notice::Refused,
                Some("too_long".into()),
                refused(),
            )
            .await;
        }
        Err(e) => return Err(draft_error(e)),
    };
    match action.as_str() {
        "save" => Ok(d.redirect(&format!("/questionnaires/brouillons/{id}?ok=draft_saved"))),
        "publish" => {
            let (ctx, actor, did, rev) =
                (d.context_id(), d.actor.clone(), id.clone(), draft.revision);
            match write(&state, move |conn| {
                drafts::publish(conn, &actor, &ctx, &did, rev)
            })
            .await?
            {
                Ok((published, _)) => Ok(d.redirect(&format!(
                    "/questionnaires?ok={}",
                    if published.created {
                        "published"
                    } else {
                        "unchanged"
                    }
                ))),
                Err(DraftError::Invalid(_) | DraftError::Formations(_)) => {
                    render_editor(&state, &d, draft, None, Notice::Refused, None, refused()).await
                }
                Err(DraftError::Stale(current)) => {
                    render_editor(
                        &state,
                        &d,
                        *current,
                        Some(typed),
                        Notice::Stale,
                        None,
                        StatusCode::CONFLICT,
                    )
                    .await
                }
                Err(e) => Err(draft_error(e)),
            }
        }
        _ => {
            render_editor(
                &state,
                &d,
                draft,
                None,
                Notice::Checked,
                None,
                StatusCode::OK,
            )
            .await
        }
    }
}

/// `GET /s/{token}/config/questionnaires/brouillons/{id}/fichier`: the draft's text.
pub async fn export_draft(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<String>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let draft = load_draft(&state, &d, path.into_inner().id).await?;
    Ok(download(&draft.file_name, draft.source))
}

/// `POST /s/{token}/config/questionnaires/brouillons/{id}/abandonner`.
pub async fn discard(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<String>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let (ctx, actor, id) = (d.context_id(), d.actor.clone(), path.into_inner().id);
    write(&state, move |conn| drafts::discard(conn, &actor, &ctx, &id))
        .await?
        .map_err(draft_error)?;
    Ok(d.redirect("/questionnaires?ok=draft_discarded"))
}

/// The answer of the live check.
#[derive(Debug, Serialize)]
struct LiveCheck {
    loads: bool,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<DiagnosticView>,
}

/// `POST /s/{token}/config/questionnaires/verifier`: `csrf`, `text` → JSON messages (the
/// editor's live check; nothing is written).
pub async fn verify_json(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let text = field(&form, "text")
        .unwrap_or_default()
        .replace("\r\n", "\n");
    if text.len() > MAX_TEXT {
        return Err(AppError::BadRequest("text too long".into()));
    }
    let name = drafts::file_name(&crate::web::form::text(&form, "file_name"));
    let (ctx, t) = (d.context_id(), text.clone());
    let checked = state
        .db
        .run(move |conn| {
            drafts::check(conn, &ctx, &name, &t).map_err(|e| match e {
                DraftError::Store(s) => s,
                other => crate::store::StoreError::Corrupt(other.to_string()),
            })
        })
        .await?;
    let all: Vec<Diagnostic> = checked
        .diagnostics
        .iter()
        .chain(&checked.formations)
        .cloned()
        .collect();
    let body = LiveCheck {
        loads: checked.questionnaire.is_some(),
        errors: checked.error_count(),
        warnings: all.iter().filter(|d| !d.is_error()).count(),
        diagnostics: views(&all, &text),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

// ------------------------------------------------------------------ the form editor

/// `?page=N`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub page: Option<usize>,
    #[serde(default)]
    pub ok: Option<String>,
}

#[derive(Debug, Serialize)]
struct PageLink {
    index: usize,
    id: String,
    title: String,
}

fn render_form(
    d: &Designer,
    draft: &DraftRow,
    doc: Option<&crate::questionnaire::QuestionnaireDoc>,
    page: usize,
    diagnostics: &[Diagnostic],
    shown: (Notice, Option<String>, StatusCode),
) -> AppResult<HttpResponse> {
    let (notice, flash, status) = shown;
    let form = doc.and_then(|doc| model_edit::page_form(doc, page, diagnostics));
    let pages: Vec<PageLink> = doc
        .map(|doc| {
            doc.pages
                .iter()
                .enumerate()
                .map(|(i, p)| PageLink {
                    index: i,
                    id: p.id.clone(),
                    title: p.title.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    d.render(
        status,
        "design/draft_form.html",
        "questionnaires",
        context! {
            draft => ser(draft),
            loads => doc.is_some(),
            pages => ser(&pages),
            page => page,
            form => ser(form),
            stale => notice == Notice::Stale,
            refused => notice == Notice::Refused,
            flash => flash,
        },
    )
}

/// `GET /s/{token}/config/questionnaires/brouillons/{id}/formulaire?page=N`.
pub async fn form_editor(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<String>>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let draft = load_draft(&state, &d, path.into_inner().id).await?;
    let page = query.page.unwrap_or(0);
    let flash = Flash {
        ok: query.ok.clone(),
    }
    .key();
    match Questionnaire::load(&draft.file_name, &draft.source) {
        Ok(loaded) => {
            let doc = loaded.questionnaire.document();
            if page >= doc.pages.len() {
                return Err(AppError::NotFound);
            }
            render_form(
                &d,
                &draft,
                Some(doc),
                page,
                &loaded.warnings,
                (Notice::None, flash, StatusCode::OK),
            )
        }
        Err(_) => render_form(
            &d,
            &draft,
            None,
            0,
            &[],
            (Notice::None, flash, StatusCode::OK),
        ),
    }
}

/// `POST /s/{token}/config/questionnaires/brouillons/{id}/formulaire`: `page`, `revision`
/// and the page's fields; applied to the model, written as YAML by the engine, loaded again,
/// then saved in the draft.
pub async fn form_editor_post(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<String>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let id = path.into_inner().id;
    let draft = load_draft(&state, &d, id.clone()).await?;
    let page: usize = field(&form, "page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let revision: i32 = field(&form, "revision")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| AppError::BadRequest("revision missing".into()))?;
    let loaded = match Questionnaire::load(&draft.file_name, &draft.source) {
        Ok(l) => l,
        Err(_) => {
            return render_form(&d, &draft, None, 0, &[], (Notice::None, None, refused()));
        }
    };
    let doc = loaded.questionnaire.document();
    if page >= doc.pages.len() {
        return Err(AppError::NotFound);
    }
    let changed = model_edit::apply(doc, page, &form);
    let yaml = changed
        .to_yaml()
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    if let Err(e) = Questionnaire::load(&draft.file_name, &yaml) {
        return render_form(
            &d,
            &draft,
            Some(&changed),
            page,
            &e.diagnostics,
            (Notice::Refused, None, refused()),
        );
    }
    let (ctx, actor, did, y) = (d.context_id(), d.actor.clone(), id.clone(), yaml.clone());
    match write(&state, move |conn| {
        drafts::save(conn, &actor, &ctx, &did, revision, &y)
    })
    .await?
    {
        Ok(_) => Ok(d.redirect(&format!(
            "/questionnaires/brouillons/{id}/formulaire?page={page}&ok=draft_saved"
        ))),
        Err(DraftError::Stale(current)) => render_form(
            &d,
            &current,
            Some(&changed),
            page,
            &[],
            (Notice::Stale, None, StatusCode::CONFLICT),
        ),
        Err(e) => Err(draft_error(e)),
    }
}
