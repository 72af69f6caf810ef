//! The course's audit log, newest first, page by page, filterable by action: configuration changes, grants, and the staff's reads, exports and validations.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use crate::state::AppState;
use crate::store::audit::{self, Action};
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::Designer;

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;

/// `?action=…&page=N` (pages from 1).
#[derive(Debug, Default, Deserialize)]
pub struct JournalQuery {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub page: Option<i64>,
}

/// `GET /s/{token}/config/journal`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<JournalQuery>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let filter = query.action.as_deref().and_then(Action::parse);
    let page = query.page.unwrap_or(1).clamp(1, 100_000);
    let (ctx, f) = (d.context_id(), filter);
    let ((entries, more), recorded) = state
        .db
        .run(move |conn| {
            Ok((
                audit::page_of_context(conn, &ctx, f, (page - 1) * PAGE_SIZE, PAGE_SIZE)?,
                audit::actions_of_context(conn, &ctx)?,
            ))
        })
        .await?;
    let mut actions: Vec<Action> = Action::CONFIGURATION.to_vec();
    for a in recorded {
        if !actions.contains(&a) {
            actions.push(a);
        }
    }
    let link = |p: i64| {
        let mut url = d.url(&format!("/journal?page={p}"));
        if let Some(a) = filter {
            url.push_str("&action=");
            url.push_str(a.as_str());
        }
        url
    };
    d.render(
        StatusCode::OK,
        "design/journal.html",
        "journal",
        context! {
            entries => ser(&entries),
            actions => ser(&actions),
            filter => filter.map(Action::as_str),
            page => page,
            previous_url => (page > 1).then(|| link(page - 1)),
            next_url => more.then(|| link(page + 1)),
        },
    )
}
