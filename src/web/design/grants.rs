//! Grants: who designs the course and who follows which formations as gestionnaire; granting a role to someone of the course (seen in its launches or its roster), revoking it.

use crate::web::form::{field, fields, refused, text};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::access::manage::{self, GrantError};
use crate::state::AppState;
use crate::store::formations;
use crate::store::grants::GrantRole;
use crate::web::error::{AppError, AppResult};

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, write};
use crate::store::ids::FormationId;

async fn render(
    state: &AppState,
    d: &Designer,
    flash: Option<String>,
    typed: (&str, &str, &[FormationId]),
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let ctx = d.context_id();
    let (lines, people, all) = state
        .db
        .run(move |conn| {
            Ok((
                manage::lines(conn, &ctx)?,
                manage::people(conn, &ctx)?,
                formations::of_context(conn, &ctx)?,
            ))
        })
        .await?;
    let active: Vec<_> = all
        .into_iter()
        .filter(|f| f.archived_at.is_none())
        .collect();
    d.render(
        status,
        "design/grants.html",
        "grants",
        context! {
            lines => ser(&lines),
            people => ser(&people),
            formations => ser(&active),
            person => typed.0,
            role => typed.1,
            chosen => ser(typed.2),
            flash => flash,
            error => error,
            me => d.session.user.id.to_string(),
            admin => d.session.tool_role == crate::lti::roles::ToolRole::Admin,
        },
    )
}

/// `GET /s/{token}/config/droits`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    render(
        &state,
        &d,
        flash.key(),
        ("", GrantRole::Gestionnaire.as_str(), &[]),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /s/{token}/config/droits`: `person` (sub), `role`, `formation` (ids, for a
/// gestionnaire).
pub async fn add(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let person = text(&form, "person");
    let role = text(&form, "role");
    let chosen: Vec<FormationId> = fields(&form, "formation")
        .iter()
        .map(|s| FormationId::from(*s))
        .collect();
    let result = if person.is_empty() {
        Err(GrantError::UnknownPerson(String::new()))
    } else if let Some(r) = GrantRole::parse(&role) {
        let (ctx, platform, actor, p, r, c) = (
            d.context_id(),
            d.session.row.platform_id.clone(),
            d.actor.clone(),
            person.clone(),
            r,
            chosen.clone(),
        );
        write(&state, move |conn| {
            let user = manage::person(conn, &platform, &ctx, &p)?;
            let formations = if r == GrantRole::Designer {
                Vec::new()
            } else {
                c
            };
            manage::grant(conn, &actor, &ctx, &user, r, &formations)
        })
        .await?
    } else {
        Err(GrantError::UnknownRole(role.clone()))
    };
    match result {
        Ok(()) => Ok(d.redirect("/droits?ok=granted")),
        Err(GrantError::Store(e)) => Err(e.into()),
        Err(GrantError::UnknownPerson(s)) if s.is_empty() => {
            let message = "choisissez la personne à qui donner ce rôle".to_owned();
            render(
                &state,
                &d,
                None,
                (&person, &role, &chosen),
                Some(message),
                refused(),
            )
            .await
        }
        Err(e) => {
            render(
                &state,
                &d,
                None,
                (&person, &role, &chosen),
                Some(e.to_string()),
                refused(),
            )
            .await
        }
    }
}

/// `POST /s/{token}/config/droits/retirer`: `grant` (id).
pub async fn remove(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let id = field(&form, "grant").unwrap_or_default().to_owned();
    let (ctx, actor) = (d.context_id(), d.actor.clone());
    match write(&state, move |conn| manage::revoke(conn, &actor, &ctx, &id)).await? {
        Ok(_) => Ok(d.redirect("/droits?ok=revoked")),
        Err(GrantError::UnknownGrant) => Err(AppError::NotFound),
        Err(GrantError::Store(e)) => Err(e.into()),
        Err(e) => {
            render(
                &state,
                &d,
                None,
                ("", GrantRole::Gestionnaire.as_str(), &[]),
                Some(e.to_string()),
                refused(),
            )
            .await
        }
    }
}
