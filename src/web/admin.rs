//! Pages for a platform administrator (`ToolRole::Admin` of the launch), with or without a
//! course: the gradebook deliveries of that platform still pending or failed, and putting
//! failed ones back; the other registrations of the same Moodle and carrying their courses
//! over to this one.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use crate::lti::roles::ToolRole;
use crate::state::AppState;
use crate::store::outbox;
use crate::web::error::{AppError, AppResult};

use super::session::AnySession;
use super::templates::{render, ser};
use crate::store::ids::PlatformId;
use crate::web::form::IdPath;

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
        .filter(|d| d.state == outbox::DeliveryState::Failed)
        .count();
    Ok(render(
        "admin/deliveries.html",
        context! {
            lang => session.lang(),
            base => session.base(),
            tz => session.tz.name(),
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

#[derive(Debug, Deserialize)]
pub struct RegistrationsQuery {
    #[serde(default)]
    carried: Option<usize>,
}

/// `GET /s/{token}/admin/registrations`: this registration and the other registrations of the
/// same Moodle, with the courses each holds.
pub async fn registrations(
    state: web::Data<AppState>,
    session: AnySession,
    query: web::Query<RegistrationsQuery>,
) -> AppResult<HttpResponse> {
    require_admin(&session)?;
    let platform_id = session.row.platform_id.clone();
    let status = state
        .db
        .run(move |conn| crate::registration::status(conn, &platform_id))
        .await?;
    Ok(render(
        "admin/registrations.html",
        context! {
            lang => session.lang(),
            base => session.base(),
            tz => session.tz.name(),
            status => ser(&status),
            carried => query.carried,
        },
    )?)
}

/// The plan of carrying the courses of registration `id` over to the session's; 404 when `id`
/// is not another registration of the same Moodle.
async fn plan(
    state: &AppState,
    session: &AnySession,
    id: &PlatformId,
) -> AppResult<crate::registration::CarryOverPlan> {
    let (from, to) = (id.clone(), session.row.platform_id.clone());
    state
        .db
        .run(move |conn| {
            Ok(match crate::store::platforms::find(conn, &from)? {
                Some(_) => crate::registration::plan_carry_over(conn, &from, &to),
                None => Err(crate::registration::CarryOverError::OtherPlatform),
            })
        })
        .await?
        .map_err(carry_over_error)
}

fn carry_over_error(e: crate::registration::CarryOverError) -> AppError {
    use crate::registration::CarryOverError;
    match e {
        CarryOverError::Same | CarryOverError::OtherPlatform => AppError::NotFound,
        CarryOverError::Blocked(_) => AppError::Forbidden("carry_over_blocked"),
        CarryOverError::Store(e) => e.into(),
    }
}

/// `GET /s/{token}/admin/registrations/{id}`: what carrying over the courses of registration
/// `id` would do, and the button to do it.
pub async fn carry_over_plan(
    state: web::Data<AppState>,
    session: AnySession,
    path: web::Path<IdPath<PlatformId>>,
) -> AppResult<HttpResponse> {
    require_admin(&session)?;
    let plan = plan(&state, &session, &path.id).await?;
    Ok(render(
        "admin/carry_over.html",
        context! {
            lang => session.lang(),
            base => session.base(),
            tz => session.tz.name(),
            csrf => session.row.csrf_token.clone(),
            plan => ser(&plan),
        },
    )?)
}

/// `POST /s/{token}/admin/registrations/{id}/reprendre`: carries the courses over (audited).
pub async fn carry_over(
    state: web::Data<AppState>,
    session: AnySession,
    path: web::Path<IdPath<PlatformId>>,
    form: web::Form<RetryForm>,
) -> AppResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    require_admin(&session)?;
    // Checked as the page showed it: another registration of this Moodle.
    plan(&state, &session, &path.id).await?;
    let (from, to) = (path.id.clone(), session.row.platform_id.clone());
    let (user_id, label) = (session.user.id.clone(), session.user.name.clone());
    let done = state
        .db
        .run(move |conn| {
            Ok(crate::store::transaction(conn, |c| {
                crate::registration::carry_over(c, &from, &to, Some(&user_id), &label)
            }))
        })
        .await?
        .map_err(carry_over_error)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!(
                "{}/admin/registrations?carried={}",
                session.base(),
                done.courses.len()
            ),
        ))
        .finish())
}
