//! The follow-up home: the formations the staff member follows, with counts by state, and the exports of all of them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use crate::followup::dashboard;
use crate::state::AppState;
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::Follower;
use crate::followup::year_of;

/// `?annee=…`.
#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    pub annee: Option<String>,
}

#[derive(serde::Serialize)]
struct Line {
    code: String,
    title: String,
    reason: &'static str,
    archived: bool,
    counts: dashboard::Counts,
}

/// `GET /s/{token}/suivi/`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::new(staff);
    if f.scope.is_empty() {
        // A teacher in no mapped group: say so and whom to ask (a page, not an error).
        return f.render(
            StatusCode::OK,
            "suivi/empty.html",
            context! { groups => f.session.launch.group_ids.clone() },
        );
    }
    let scope = f.follows();
    let ctx = f.session.context.id.clone();
    let asked = query.into_inner().annee;
    let (year, rows) = state
        .db
        .run(move |conn| {
            let Some(year) = year_of(conn, &ctx, asked.as_deref())? else {
                return Ok((None, Vec::new()));
            };
            let rows = dashboard::students(conn, &scope, &year)?;
            Ok((Some(year), rows))
        })
        .await?;
    let by_formation = dashboard::counts_by_formation(&rows);
    let total = dashboard::counts(&rows);
    let lines: Vec<Line> = f
        .scope
        .formations
        .iter()
        .filter(|s| s.rights.follow)
        .map(|s| Line {
            code: s.formation.code.clone(),
            title: s.formation.title.clone(),
            reason: s.reason,
            archived: s.formation.archived_at.is_some(),
            counts: by_formation
                .get(&s.formation.id)
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    f.render(
        StatusCode::OK,
        "suivi/home.html",
        context! {
            year => year,
            formations => ser(&lines),
            total => ser(&total),
            done => total.done(),
        },
    )
}
