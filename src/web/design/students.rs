//! A student's history across years: search the course's people by name or student number, see their contracts year by year on the platform (a link for this course's, no content for other courses').

use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use crate::course::history;
use crate::state::AppState;
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::Designer;

/// `?q=…`.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: Option<String>,
}

/// The staff page of a contract of this course (the follow-up screens, `/suivi/…`).
pub fn contract_url(d: &Designer, id: &str) -> String {
    format!("{}/suivi/contrats/{id}", d.session.base())
}

/// `GET /s/{token}/config/etudiants?q=…`.
pub async fn search(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let q = query.q.clone().unwrap_or_default().trim().to_owned();
    let (ctx, platform, q2) = (d.context_id(), d.session.row.platform_id.clone(), q.clone());
    let found = state
        .db
        .run(move |conn| history::search(conn, &ctx, &platform, &q2))
        .await?;
    d.render(
        actix_web::http::StatusCode::OK,
        "design/students.html",
        "students",
        context! {
            q => q.clone(),
            searched => !q.is_empty(),
            too_short => !q.is_empty() && q.chars().count() < 2,
            results => ser(&found),
            max => history::MAX_RESULTS,
            contract_base => contract_url(&d, ""),
        },
    )
}
