//! The configuration home: where the course stands (year, formations, questionnaires, groups, students without formation) as a step-by-step checklist, and the course's own settings (first academic year, scolarité contact).

use crate::web::form::{Problems, refused, text};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::course::Contact;
use crate::course::editing::FieldProblem;
use crate::course::years::{self, YearError};
use crate::state::AppState;
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, write};
use crate::course::screens::{self, CourseStatus};

fn render(
    d: &Designer,
    s: &CourseStatus,
    flash: Option<String>,
    typed: Option<(&str, &Contact)>,
    problems: &Problems,
    status_code: StatusCode,
) -> AppResult<HttpResponse> {
    let (year, contact) = match typed {
        Some((y, c)) => (y.to_owned(), c.clone()),
        None => (
            s.academic_year.clone().unwrap_or_else(years::default_year),
            s.contact.clone(),
        ),
    };
    d.render(
        status_code,
        "design/home.html",
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

/// `GET /s/{token}/config/`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let ctx = d.context_id();
    let s = state
        .db
        .run(move |conn| screens::course_status(conn, &ctx))
        .await?;
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
    let s = state
        .db
        .run(move |conn| screens::course_status(conn, &ctx))
        .await?;
    render(
        &d,
        &s,
        None,
        Some((&year, &contact)),
        &Problems::of(&problems),
        refused(),
    )
}
