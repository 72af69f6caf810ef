//! Academic years: the current year, opening the next one (contracts started from then belong to it and prefill from the previous year), closing a year (read-only for students) and reopening it.

use crate::web::form::{refused, text};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::course::years::{self, YearError};
use crate::state::AppState;
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, write};

/// The year after `year` (`2025-2026` → `2026-2027`).
fn next_year(year: &str) -> String {
    match year
        .split_once('-')
        .and_then(|(a, _)| a.parse::<i32>().ok())
    {
        Some(a) => format!("{}-{}", a + 1, a + 2),
        None => crate::course::years::default_year(),
    }
}

async fn render(
    state: &AppState,
    d: &Designer,
    flash: Option<String>,
    typed: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let ctx = d.context_id();
    let list = state.db.run(move |conn| years::list(conn, &ctx)).await?;
    let current = list
        .iter()
        .find(|y| y.current)
        .map(|y| y.academic_year.clone());
    let proposed = typed
        .map(str::to_owned)
        .or_else(|| current.as_deref().map(next_year))
        .unwrap_or_default();
    d.render(
        status,
        "design/years.html",
        "years",
        context! {
            years => ser(&list),
            current => current,
            proposed => proposed,
            flash => flash,
            error => error,
        },
    )
}

/// `GET /s/{token}/config/annees`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    render(&state, &d, flash.key(), None, None, StatusCode::OK).await
}

/// `POST /s/{token}/config/annees/ouvrir`: `academic_year`.
pub async fn open(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let year = text(&form, "academic_year");
    let (ctx, actor, y) = (d.context_id(), d.actor.clone(), year.clone());
    match write(&state, move |conn| years::open_next(conn, &actor, &ctx, &y)).await? {
        Ok(()) => Ok(d.redirect("/annees?ok=year_opened")),
        Err(YearError::Store(e)) => Err(e.into()),
        Err(e) => {
            render(
                &state,
                &d,
                None,
                Some(&year),
                Some(e.to_string()),
                refused(),
            )
            .await
        }
    }
}

async fn set_closed(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
    closed: bool,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let year = text(&form, "academic_year");
    let (ctx, actor) = (d.context_id(), d.actor.clone());
    write(&state, move |conn| {
        years::set_closed(conn, &actor, &ctx, &year, closed)
    })
    .await?
    .map_err(super::year_error)?;
    Ok(d.redirect(if closed {
        "/annees?ok=year_closed"
    } else {
        "/annees?ok=year_reopened"
    }))
}

/// `POST /s/{token}/config/annees/clore`: `academic_year`.
pub async fn close(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    set_closed(state, staff, form, true).await
}

/// `POST /s/{token}/config/annees/rouvrir`: `academic_year`.
pub async fn reopen(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    set_closed(state, staff, form, false).await
}
