//! Questionnaires: published versions and drafts, importing a file (upload or paste), the file editor with the engine's messages (line, column, French), live checking (JSON), the form editor, publishing, exporting.

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use minijinja::context;
use serde::Serialize;

use crate::course::drafts::{self, Checked, DraftError, MAX_TEXT};
use crate::course::model_edit;
use crate::questionnaire::{Diagnostic, Questionnaire, Severity};
use crate::state::AppState;
use crate::store::questionnaire_drafts::DraftRow;
use crate::store::questionnaire_versions::{self};
use crate::web::error::{AppError, AppResult};

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, draft_error, field, text, write};
use crate::course::screens;

/// A diagnostic as the pages show it, with the line of the text it is about.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticView {
    pub error: bool,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Where it is, in words (`ligne 12, colonne 7`, or `formation MATH`).
    pub place: String,
    pub message: String,
    /// The line of the text, when known.
    pub excerpt: Option<String>,
}

/// Views of diagnostics about `text`.
pub fn views(diagnostics: &[Diagnostic], text: &str) -> Vec<DiagnosticView> {
    diagnostics
        .iter()
        .map(|d| {
            let place = match (d.line, d.column) {
                (Some(l), Some(c)) => format!("ligne {l}, colonne {c}"),
                (Some(l), None) => format!("ligne {l}"),
                _ if d.file.starts_with("formation ") => d.file.clone(),
                _ => String::new(),
            };
            let excerpt = if d.file.starts_with("formation ") {
                None
            } else {
                d.line
                    .and_then(|l| text.lines().nth(l.saturating_sub(1)))
                    .map(|s| s.chars().take(200).collect())
            };
            DiagnosticView {
                error: d.severity == Severity::Error,
                line: d.line,
                column: d.column,
                place,
                message: d.message.clone(),
                excerpt,
            }
        })
        .collect()
}

async fn render_list(
    state: &AppState,
    d: &Designer,
    flash: Option<String>,
    paste: (&str, &str),
    error: Option<(&str, String)>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let ctx = d.context_id();
    let (keys, drafts) = state
        .db
        .run(move |conn| screens::questionnaires(conn, &ctx))
        .await?;
    d.render(
        status,
        "config/questionnaires.html",
        "questionnaires",
        context! {
            keys => ser(&keys),
            drafts => ser(&drafts),
            flash => flash,
            paste_text => paste.0,
            paste_name => paste.1,
            error_field => error.as_ref().map(|e| e.0),
            error => error.map(|e| e.1),
            max_kib => MAX_TEXT / 1024,
        },
    )
}

/// `GET /s/{token}/config/questionnaires`.
pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    render_list(&state, &d, flash.key(), ("", ""), None, StatusCode::OK).await
}

/// Creates a draft from an imported text and goes to its editor.
async fn import(
    state: &AppState,
    d: &Designer,
    name: &str,
    text: String,
    error_field: &str,
) -> AppResult<HttpResponse> {
    if text.trim().is_empty() {
        let message = if error_field == "file" {
            "choisissez un fichier de questionnaire (.yaml ou .json) sur votre ordinateur"
                .to_owned()
        } else {
            "collez le texte du questionnaire dans la zone de texte".to_owned()
        };
        return render_list(
            state,
            d,
            None,
            ("", name),
            Some((error_field, message)),
            super::refused(),
        )
        .await;
    }
    if text.len() > MAX_TEXT {
        let message = format!(
            "le texte dépasse {} Kio : un questionnaire fait en général moins de 50 Kio",
            MAX_TEXT / 1024
        );
        return render_list(
            state,
            d,
            None,
            ("", name),
            Some((error_field, message)),
            super::refused(),
        )
        .await;
    }
    let file_name = drafts::file_name(name);
    let (ctx, actor) = (d.context_id(), d.actor.clone());
    let draft = write(state, move |conn| {
        drafts::create(conn, &actor, &ctx, &file_name, &text, None)
    })
    .await?
    .map_err(draft_error)?;
    Ok(d.redirect(&format!(
        "/questionnaires/brouillons/{}?ok=imported",
        draft.id
    )))
}

/// `POST /s/{token}/config/questionnaires/importer` (multipart): `csrf`, `file`.
pub async fn upload(
    state: web::Data<AppState>,
    staff: Staff,
    mut payload: Multipart,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let mut csrf = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    while let Some(item) = payload.next().await {
        // A body that is not a form of this page cannot carry the session's token.
        let mut part = item.map_err(|_| AppError::Csrf)?;
        let name = part.name().unwrap_or_default().to_owned();
        let filename = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or_default()
            .to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| AppError::Csrf)?;
            if bytes.len() + chunk.len() > MAX_TEXT + 4096 {
                too_large = true;
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8(bytes).ok(),
            "file" => file = Some((filename, bytes)),
            _ => {}
        }
    }
    d.session.check_csrf(csrf.as_deref())?;
    let (name, bytes) = file.unwrap_or_default();
    if too_large {
        let message = format!(
            "le fichier dépasse {} Kio : est-ce bien un questionnaire ?",
            MAX_TEXT / 1024
        );
        return render_list(
            &state,
            &d,
            None,
            ("", ""),
            Some(("file", message)),
            super::refused(),
        )
        .await;
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let message = format!(
                "« {name} » n'est pas un fichier texte en UTF-8 : enregistrez le questionnaire au format YAML (.yaml) ou JSON, encodage UTF-8"
            );
            return render_list(
                &state,
                &d,
                None,
                ("", ""),
                Some(("file", message)),
                super::refused(),
            )
            .await;
        }
    };
    import(&state, &d, &name, text, "file").await
}

/// `POST /s/{token}/config/questionnaires/coller`: `text`, `file_name`.
pub async fn paste(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let text = field(&form, "text")
        .unwrap_or_default()
        .replace("\r\n", "\n");
    let name = text_field(&form, "file_name");
    import(&state, &d, &name, text, "text").await
}

fn text_field(form: &[(String, String)], name: &str) -> String {
    text(form, name)
}

/// `{id}` of a version or a draft.
#[derive(Debug, serde::Deserialize)]
pub struct IdPath {
    pub id: String,
}

/// `?normalise=1`: the engine's YAML instead of the file as imported.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    pub normalise: Option<String>,
}

fn download(file_name: &str, text: String) -> HttpResponse {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}

/// `GET /s/{token}/config/questionnaires/versions/{id}/fichier`: the version as imported
/// (comments included), or normalised with `?normalise=1`.
pub async fn export_version(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    query: web::Query<ExportQuery>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let (ctx, id) = (d.context_id(), path.into_inner().id);
    let normalise = query.normalise.is_some();
    let found = state
        .db
        .run(move |conn| {
            let Some(v) = screens::version_in(conn, &ctx, &id)? else {
                return Ok(None);
            };
            let text = if normalise {
                crate::course::versions::load(conn, &v)
                    .ok()
                    .and_then(|q| q.to_yaml().ok())
            } else {
                Some(questionnaire_versions::source(conn, &v.id)?.1)
            };
            Ok(text.map(|t| (v, t)))
        })
        .await?;
    let (v, text) = found.ok_or(AppError::NotFound)?;
    Ok(download(
        &format!("{}-v{}.yaml", v.questionnaire_key, v.version),
        text,
    ))
}

/// `POST /s/{token}/config/questionnaires/versions/{id}/brouillon`: a new draft from a
/// published version.
pub async fn draft_from_version(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let (ctx, actor, id) = (d.context_id(), d.actor.clone(), path.into_inner().id);
    let draft = write(
        &state,
        move |conn| -> Result<Option<DraftRow>, DraftError> {
            let Some(v) = screens::version_in(conn, &ctx, &id)? else {
                return Ok(None);
            };
            let (file_name, source) = questionnaire_versions::source(conn, &v.id)?;
            drafts::create(conn, &actor, &ctx, &file_name, &source, Some(&v)).map(Some)
        },
    )
    .await?
    .map_err(draft_error)?
    .ok_or(AppError::NotFound)?;
    Ok(d.redirect(&format!("/questionnaires/brouillons/{}", draft.id)))
}

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
            super::refused()
        } else {
            status
        };
    d.render(
        status,
        "config/draft.html",
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
    path: web::Path<IdPath>,
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
    path: web::Path<IdPath>,
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
                super::refused(),
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
                    render_editor(
                        &state,
                        &d,
                        draft,
                        None,
                        Notice::Refused,
                        None,
                        super::refused(),
                    )
                    .await
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
    path: web::Path<IdPath>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let draft = load_draft(&state, &d, path.into_inner().id).await?;
    Ok(download(&draft.file_name, draft.source))
}

/// `POST /s/{token}/config/questionnaires/brouillons/{id}/abandonner`.
pub async fn discard(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
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
    let name = drafts::file_name(&text_field(&form, "file_name"));
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
        "config/draft_form.html",
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
    path: web::Path<IdPath>,
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
    path: web::Path<IdPath>,
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
            return render_form(
                &d,
                &draft,
                None,
                0,
                &[],
                (Notice::None, None, super::refused()),
            );
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
            (Notice::Refused, None, super::refused()),
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
