//! Pages for a platform administrator (`ToolRole::Admin` of the launch): the gradebook
//! deliveries of that platform still pending or failed, and putting failed ones back.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::grades::outbox;
use crate::lti::roles::ToolRole;
use crate::state::AppState;

use super::session::AnySession;
use super::templates::{render, ser};

fn require_admin(session: &AnySession) -> AppResult<()> {
    if session.tool_role == ToolRole::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("admin"))
    }
}

#[derive(Debug, Deserialize)]
pub struct DeliveriesQuery {
    #[serde(default)]
    retried: Option<usize>,
}

/// `GET /s/{token}/admin/deliveries`
pub async fn deliveries(
    state: web::Data<AppState>,
    session: AnySession,
    query: web::Query<DeliveriesQuery>,
) -> AppResult<HttpResponse> {
    require_admin(&session)?;
    let platform_id = session.row.platform_id.clone();
    let (counts, open) = state
        .db
        .run(move |conn| {
            Ok((
                outbox::counts(conn, Some(&platform_id))?,
                outbox::open_deliveries(conn, Some(&platform_id))?,
            ))
        })
        .await?;
    let failed = open
        .iter()
        .filter(|d| d.state == outbox::state::FAILED)
        .count();
    Ok(render(
        "admin/deliveries.html",
        context! {
            lang => session.lang(),
            base => session.base(),
            csrf => session.row.csrf_token.clone(),
            counts => ser(&counts),
            deliveries => ser(&open),
            failed => failed,
            retried => query.retried,
        },
    )?)
}

#[derive(Debug, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: Option<String>,
    /// One delivery, or every failed one of the platform when absent.
    #[serde(default)]
    id: Option<String>,
}

/// `POST /s/{token}/admin/deliveries/retry`
pub async fn retry(
    state: web::Data<AppState>,
    session: AnySession,
    form: web::Form<RetryForm>,
) -> AppResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    require_admin(&session)?;
    let platform_id = session.row.platform_id.clone();
    let id = form.id.clone().filter(|i| !i.is_empty());
    let n = state
        .db
        .run(move |conn| outbox::retry(conn, id.as_deref(), Some(&platform_id)))
        .await?;
    tracing::info!(platform = %session.row.platform_id, user = %session.user.id, n, "deliveries put back in the queue");
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{}/admin/deliveries?retried={n}", session.base()),
        ))
        .finish())
}
