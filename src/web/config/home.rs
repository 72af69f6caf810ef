//! The configuration home: where the course stands (year, formations, questionnaires, groups, students without formation) as a step-by-step checklist, and the course's own settings (first academic year, scolarité contact).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::course::Contact;
use crate::course::editing::FieldProblem;
use crate::course::years::{self, YearError};
use crate::state::AppState;
use crate::store::{formations, questionnaire_drafts, questionnaire_versions};
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, Problems, text, write};
use crate::store::ids::CourseId;

/// What the checklist says.
#[derive(Debug, serde::Serialize)]
struct Status {
    configured: bool,
    academic_year: Option<String>,
    contact: Contact,
    formations: usize,
    archived: usize,
    versions: usize,
    keys: usize,
    drafts: usize,
    mapped_groups: usize,
    formations_without_group: Vec<String>,
    formations_without_questionnaire: Vec<String>,
    unrouted: usize,
}

fn status(
    conn: &mut crate::store::DbConn,
    context_id: &CourseId,
) -> crate::store::StoreResult<Status> {
    let config = formations::course_config(conn, context_id)?;
    let all = formations::of_context(conn, context_id)?;
    let groups = formations::groups_of_context(conn, context_id)?;
    let versions = questionnaire_versions::of_context(conn, context_id)?;
    let mut keys: Vec<&str> = versions
        .iter()
        .map(|v| v.questionnaire_key.as_str())
        .collect();
    keys.dedup();
    let active: Vec<_> = all.iter().filter(|f| f.archived_at.is_none()).collect();
    Ok(Status {
        configured: config.is_some(),
        academic_year: config.as_ref().map(|c| c.academic_year.clone()),
        contact: config
            .as_ref()
            .map(|c| Contact::from_json(&c.contact))
            .unwrap_or_default(),
        formations: active.len(),
        archived: all.len() - active.len(),
        versions: versions.len(),
        keys: keys.len(),
        drafts: questionnaire_drafts::of_context(conn, context_id)?.len(),
        mapped_groups: groups.len(),
        formations_without_group: active
            .iter()
            .filter(|f| !groups.iter().any(|(_, id)| *id == f.id))
            .map(|f| f.code.clone())
            .collect(),
        formations_without_questionnaire: active
            .iter()
            .filter(|f| {
                f.questionnaire_key.is_empty()
                    || !versions
                        .iter()
                        .any(|v| v.questionnaire_key == f.questionnaire_key)
            })
            .map(|f| f.code.clone())
            .collect(),
        unrouted: formations::unrouted_of_context(conn, context_id)?.len(),
    })
}

fn render(
    d: &Designer,
    s: &Status,
    flash: Option<String>,
    typed: Option<(&str, &Contact)>,
    problems: &Problems,
    status_code: StatusCode,
) -> AppResult<HttpResponse> {
    let (year, contact) = match typed {
        Some((y, c)) => (y.to_owned(), c.clone()),
        None => (
            s.academic_year.clone().unwrap_or_else(default_year),
            s.contact.clone(),
        ),
    };
    d.render(
        status_code,
        "config/home.html",
        "home",
        context! {
            status => ser(s),
            flash => flash,
            year => year,
            contact => ser(contact),
            problems => ser(problems),
        },
    )
}

/// The academic year of today: from September on, this year and the next.
pub fn default_year() -> String {
    use chrono::Datelike;
    let now = chrono::Utc::now();
    let start = if now.month() >= 8 {
        now.year()
    } else {
        now.year() - 1
    };
    format!("{start}-{}", start + 1)
}

/// `GET /s/{token}/config/`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let ctx = d.context_id();
    let s = state.db.run(move |conn| status(conn, &ctx)).await?;
    render(
        &d,
        &s,
        flash.key(),
        None,
        &Problems::default(),
        StatusCode::OK,
    )
}

fn contact_of(form: &[(String, String)]) -> Contact {
    let opt = |name: &str| Some(text(form, name)).filter(|v| !v.is_empty());
    Contact {
        name: opt("contact.name"),
        email: opt("contact.email"),
        phone: opt("contact.phone"),
        details: opt("contact.details"),
        url: opt("contact.url"),
    }
}

/// `POST /s/{token}/config/cours`: the first academic year (first configuration) and the
/// scolarité contact.
pub async fn save_course(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let year = text(&form, "academic_year");
    let contact = contact_of(&form);
    let mut problems = Vec::new();
    crate::course::editing::check_contact(&contact, "/contact", &mut problems);
    if problems.is_empty() {
        let (ctx, actor, y, c) = (
            d.context_id(),
            d.actor.clone(),
            year.clone(),
            contact.clone(),
        );
        let saved = write(&state, move |conn| {
            years::configure_course(conn, &actor, &ctx, Some(&y), &c)
        })
        .await?;
        match saved {
            Ok(_) => return Ok(d.redirect("/?ok=course_saved")),
            Err(YearError::Invalid(_)) => problems.push(FieldProblem::error(
                "/academic_year",
                format!(
                    "« {year} » n'est pas une année universitaire : écrivez par exemple 2025-2026"
                ),
            )),
            Err(e) => return Err(super::year_error(e)),
        }
    }
    let ctx = d.context_id();
    let s = state.db.run(move |conn| status(conn, &ctx)).await?;
    render(
        &d,
        &s,
        None,
        Some((&year, &contact)),
        &Problems::of(&problems),
        super::refused(),
    )
}
