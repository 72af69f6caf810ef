//! Questionnaires: published versions and drafts, importing a file (upload or paste), exporting a version, a new draft from a version; the diagnostics as the pages show them.

use crate::web::form::{IdPath, field, refused};
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use minijinja::context;
use serde::Serialize;

use crate::course::drafts::{self, DraftError, MAX_TEXT};
use crate::questionnaire::{Diagnostic, Severity};
use crate::state::AppState;
use crate::store::questionnaire_drafts::DraftRow;
use crate::store::questionnaire_versions::{self};
use crate::web::error::{AppError, AppResult};

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, draft_error, write};
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
        "design/questionnaires.html",
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
            refused(),
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
            refused(),
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
            refused(),
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
                refused(),
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
    let name = crate::web::form::text(&form, "file_name");
    import(&state, &d, &name, text, "text").await
}

/// `?normalise=1`: the engine's YAML instead of the file as imported.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    pub normalise: Option<String>,
}

pub(super) fn download(file_name: &str, text: String) -> HttpResponse {
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
    path: web::Path<IdPath<String>>,
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
    path: web::Path<IdPath<String>>,
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
