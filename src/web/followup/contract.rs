//! A contract as staff see it, and what they do with it: validate (countersign), comment (private or for the student), ask for changes (reopens it for an amendment), print, PDF. A contract outside the member's formations is a 404.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::contract::{ContractError, ContractState};
use crate::export::pdf::{self, PdfDocument, PdfItem, PdfSection};
use crate::followup::record::{self, Record};
use crate::state::AppState;
use crate::store::comments;
use crate::web::error::{AppError, AppResult};

use super::super::design::write;
use super::super::staff::Staff;
use super::super::templates::ser;
use super::Follower;
use crate::store::comments::Visibility;
use crate::store::ids::ContractId;
use crate::web::form::{IdPath, field, text};

/// `?version=N` (an earlier signed version) and `?ok=…` (what was just done).
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub ok: Option<String>,
}

/// What was typed in the page's forms (shown again with the errors when refused).
#[derive(Debug, Default, Serialize)]
struct Typed {
    comment: String,
    visibility: String,
    reason: String,
    /// `(input id, catalogue key)` of each error.
    errors: Vec<(String, String)>,
}

/// Loads a contract of the follower's scope and records the read; 404 outside the scope.
async fn load(
    state: &AppState,
    f: &Follower,
    id: ContractId,
    seq: Option<i32>,
    view: &'static str,
) -> AppResult<Record> {
    let (scope, actor) = (f.follows(), f.actor.clone());
    let found = write(
        state,
        move |conn| -> Result<Option<Record>, ContractError> {
            let rec = record::open(conn, &scope, &id, seq)?;
            if let Some(r) = &rec {
                record::record_read(conn, &actor, &r.contract, view)?;
            }
            Ok(rec)
        },
    )
    .await??;
    found.ok_or(AppError::NotFound)
}

fn page(
    f: &Follower,
    rec: &Record,
    status: StatusCode,
    typed: Typed,
    ok: Option<String>,
) -> AppResult<HttpResponse> {
    let state = rec.contract.state;
    let can_decide = f.scope.can_decide(&rec.contract.formation_id);
    let ok = ok.filter(|k| ["validated", "commented", "reopened"].contains(&k.as_str()));
    f.render(
        status,
        "suivi/contract.html",
        context! {
            r => ser(rec),
            can_decide => can_decide,
            can_validate => can_decide && state == ContractState::Signed,
            can_reopen => can_decide && !rec.year_closed && state.is_signed(),
            being_amended => state == ContractState::Reopened,
            typed => ser(&typed),
            ok => ok,
            contract_url => f.url(&format!("/contrats/{}", rec.contract.id)),
            formation_url => f.url(&format!("/formations/{}", rec.formation.code)),
            max_len => comments::MAX_LEN,
        },
    )
}

fn seq_of(q: &ShowQuery) -> AppResult<Option<i32>> {
    match q.version.as_deref() {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| AppError::NotFound),
    }
}

/// `GET /s/{token}/suivi/contrats/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<ContractId>>,
    query: web::Query<ShowQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let seq = seq_of(&query)?;
    let rec = load(&state, &f, path.into_inner().id, seq, "page").await?;
    page(
        &f,
        &rec,
        StatusCode::OK,
        Typed::default(),
        query.into_inner().ok,
    )
}

/// Runs a decision on a contract of the formations where the member decides; a contract
/// they only follow (gestionnaire) is refused with 403, one outside their scope is a 404.
async fn decide<T: Send + 'static>(
    state: &AppState,
    f: &Follower,
    id: &ContractId,
    act: impl FnOnce(
        &mut crate::store::DbConn,
        &crate::followup::Scope,
        &crate::store::audit::Actor,
        &ContractId,
    ) -> Result<Option<T>, ContractError>
    + Send
    + 'static,
) -> AppResult<T> {
    let (follows, decides, actor, id) = (f.follows(), f.decides(), f.actor.clone(), id.clone());
    write(state, move |conn| -> Result<AppResult<T>, ContractError> {
        if record::find(conn, &follows, &id)?.is_none() {
            return Ok(Err(AppError::NotFound));
        }
        Ok(act(conn, &decides, &actor, &id)?.ok_or(AppError::Forbidden("decide")))
    })
    .await??
}

/// `POST /s/{token}/suivi/contrats/{id}/valider`.
pub async fn validate(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<ContractId>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    f.check_csrf(&form)?;
    let id = path.into_inner().id;
    decide(&state, &f, &id, |conn, scope, actor, id| {
        record::validate(conn, scope, actor, id)
    })
    .await?;
    Ok(f.redirect(&format!("/contrats/{id}?ok=validated")))
}

/// `POST /s/{token}/suivi/contrats/{id}/commenter`: `comment`, `visibility` (`staff` or
/// `student`).
pub async fn comment(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<ContractId>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    f.check_csrf(&form)?;
    let id = path.into_inner().id;
    let body = text(&form, "comment");
    let visibility = field(&form, "visibility")
        .and_then(Visibility::parse)
        .unwrap_or(Visibility::Staff);
    let errors = check_text(&body, "f-comment", "followup.contract.comment_required");
    if !errors.is_empty() {
        return refused(
            &state,
            &f,
            id,
            Typed {
                comment: body,
                visibility: visibility.as_str().into(),
                errors,
                ..Typed::default()
            },
        )
        .await;
    }
    decide(&state, &f, &id, move |conn, scope, actor, id| {
        record::comment(conn, scope, actor, id, visibility, &body)
    })
    .await?;
    Ok(f.redirect(&format!("/contrats/{id}?ok=commented")))
}

/// `POST /s/{token}/suivi/contrats/{id}/modifier`: `reason` (shown to the student).
pub async fn ask_changes(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<ContractId>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    f.check_csrf(&form)?;
    let id = path.into_inner().id;
    let reason = text(&form, "reason");
    let errors = check_text(&reason, "f-reason", "followup.contract.reason_required");
    if !errors.is_empty() {
        return refused(
            &state,
            &f,
            id,
            Typed {
                reason,
                errors,
                ..Typed::default()
            },
        )
        .await;
    }
    decide(&state, &f, &id, move |conn, scope, actor, id| {
        record::ask_changes(conn, scope, actor, id, &reason)
    })
    .await?;
    Ok(f.redirect(&format!("/contrats/{id}?ok=reopened")))
}

/// The error of a required text field of at most `comments::MAX_LEN` characters, if any.
fn check_text(value: &str, input_id: &str, required: &str) -> Vec<(String, String)> {
    let problem = if value.is_empty() {
        Some(required)
    } else if value.chars().count() > comments::MAX_LEN {
        Some("followup.contract.too_long")
    } else {
        None
    };
    problem
        .map(|key| (input_id.to_owned(), key.to_owned()))
        .into_iter()
        .collect()
}

/// The contract page again, 422, with what was typed and the messages (a read, journaled).
async fn refused(
    state: &AppState,
    f: &Follower,
    id: ContractId,
    typed: Typed,
) -> AppResult<HttpResponse> {
    let rec = load(state, f, id, None, "page").await?;
    page(f, &rec, StatusCode::UNPROCESSABLE_ENTITY, typed, None)
}

/// `GET /s/{token}/suivi/contrats/{id}/imprimer`: the printable page.
pub async fn print(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<ContractId>>,
    query: web::Query<ShowQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let seq = seq_of(&query)?;
    let rec = load(&state, &f, path.into_inner().id, seq, "print").await?;
    f.render(
        StatusCode::OK,
        "suivi/print.html",
        context! {
            r => ser(&rec),
            contract_url => f.url(&format!("/contrats/{}", rec.contract.id)),
        },
    )
}

/// `GET /s/{token}/suivi/contrats/{id}/pdf`: the contract as a PDF document.
pub async fn pdf(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<ContractId>>,
    query: web::Query<ShowQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let seq = seq_of(&query)?;
    let rec = load(&state, &f, path.into_inner().id, seq, "pdf").await?;
    let lang = f.session.lang();
    let doc = document(&rec, lang, &f.session.context.title, f.session.tz);
    let bytes = web::block(move || pdf::render(&doc))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF task: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF: {e}")))?;
    let name = rec
        .contract
        .number
        .clone()
        .unwrap_or_else(|| rec.contract.id.to_string());
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"contrat-{name}.pdf\""),
        ))
        .body(bytes))
}

/// The PDF layout of a contract: facts, then each page's answers.
pub fn document(rec: &Record, lang: &str, course: &str, tz: chrono_tz::Tz) -> PdfDocument {
    let m = |k: &str| crate::i18n::message(lang, k);
    let format_datetime = |micros: i64| crate::i18n::format_datetime(micros, tz);
    let field = |label: String, value: String| PdfItem::Field { label, value };
    let c = &rec.contract;
    let mut facts = vec![
        field(
            m("followup.contract.student"),
            format!("{} — {}", rec.student.name, rec.student.person_sourcedid),
        ),
        field(m("followup.contract.email"), rec.student.email.clone()),
        field(
            m("followup.contract.formation"),
            format!("{} ({})", rec.formation.title, rec.formation.code),
        ),
        field(m("followup.contract.year"), c.academic_year.clone()),
        field(
            m("followup.contract.state"),
            m(&format!("followup.state.{}", c.state)),
        ),
        field(
            m("followup.contract.number"),
            c.number.clone().unwrap_or_default(),
        ),
        field(
            m("followup.contract.questionnaire"),
            format!(
                "{} (v{})",
                rec.questionnaire_title, rec.questionnaire_version
            ),
        ),
        field(
            m("followup.contract.started_at"),
            format_datetime(c.created_at),
        ),
    ];
    if let Some(seq) = rec.shown_seq
        && let Some(v) = rec.versions.iter().find(|v| v.seq == seq)
    {
        facts.push(field(
            m("followup.contract.signed_at"),
            format!("{} (version {seq})", format_datetime(v.signed_at)),
        ));
        facts.push(field(
            m("followup.contract.fingerprint"),
            v.fingerprint.clone(),
        ));
    }
    if let Some(at) = c.validated_at {
        let by = rec.validated_by.clone().unwrap_or_default();
        facts.push(field(
            m("followup.contract.validated_at"),
            format!("{} — {by}", format_datetime(at)),
        ));
    }
    let mut sections = vec![PdfSection {
        heading: m("followup.contract.facts"),
        items: facts,
    }];
    if rec.shown_seq.is_none() {
        sections.push(PdfSection {
            heading: m("followup.contract.unsigned_heading"),
            items: vec![PdfItem::Paragraph(m("followup.contract.unsigned"))],
        });
    }
    for p in &rec.summary {
        sections.push(PdfSection {
            heading: p.title.clone(),
            items: p
                .items
                .iter()
                .map(|i| field(i.label.clone(), i.answer.clone().unwrap_or_default()))
                .collect(),
        });
    }
    PdfDocument {
        title: rec.questionnaire_title.clone(),
        subtitle: vec![
            course.to_owned(),
            format!("{} — {}", rec.formation.title, c.academic_year),
        ],
        sections,
        footer: format!(
            "{} — {}",
            m("app.short"),
            c.number.clone().unwrap_or_default()
        ),
        language: lang.to_owned(),
    }
}
