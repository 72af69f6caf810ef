//! Public pages: the landing page for administrators, health, static assets; the session home.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::state::AppState;
use crate::web::error::AppResult;

use super::session::SessionKey;
use super::templates::{render, ser};
use crate::launch::landing::{self, Landing};

/// `GET /`: what an administrator pastes into Moodle.
pub async fn landing(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let s = &state.settings;
    let base = s.base_url();
    let domain = url::Url::parse(&base)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_default();
    Ok(render(
        "landing.html",
        context! {
            lang => crate::i18n::DEFAULT_LANG,
            base_url => base,
            domain => domain,
            tool_url => s.url("/lti/launch"),
            login_url => s.url("/lti/login"),
            redirect_uri => s.url("/lti/launch"),
            jwks_url => s.url("/.well-known/jwks.json"),
            registration_url => s.url("/lti/register"),
            registration_open => s.dynamic_registration_open(),
            custom_parameters => "groups=$Moodle.Person.userGroupIds",
        },
    )?)
}

/// `GET /health`: 200 when the database answers.
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let ok = state.db.run(crate::store::ping).await.is_ok();
    let body = serde_json::json!({ "status": if ok { "ok" } else { "unavailable" }, "version": env!("CARGO_PKG_VERSION") });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

const CSS: &str = include_str!("../../templates/static/cpre.css");
const JS: &str = include_str!("../../templates/static/cpre.js");

/// `GET /static/{file}`: the stylesheet and the (optional) enhancement script.
pub async fn asset(path: web::Path<String>) -> HttpResponse {
    let (body, kind) = match path.as_str() {
        "cpre.css" => (CSS, "text/css; charset=utf-8"),
        "cpre.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// `GET /s/{token}/`: what to place in the course for a deep linking launch; a student's
/// contract (`web::contract::home`); staff (teachers, gestionnaires, designers) land on the
/// follow-up of their formations; anyone else in a course is told the tool has no role for
/// them there; a launch outside any course gets the tool's home (with the registration's
/// status for an administrator). The session and what its page needs come in one database
/// call.
pub async fn home(state: web::Data<AppState>, key: SessionKey) -> AppResult<HttpResponse> {
    let today = state.settings.today();
    let (session, landing) = state
        .db
        .run(move |conn| Ok(landing::land(conn, key, today)))
        .await??;
    let status = match landing {
        Landing::DeepLinking(years) => {
            return super::deep_linking::show(session.in_course()?, years).await;
        }
        Landing::Student(home) => {
            return super::contract::home::show(&session.in_course()?, home);
        }
        Landing::Staff => {
            return Ok(crate::web::response::see_other(format!(
                "{}/suivi/",
                session.base()
            )));
        }
        Landing::NoRole => {
            let mut response = render(
                "home.html",
                context! {
                    lang => session.lang(),
                    base => session.base(),
                    user => ser(&session.user),
                    course => ser(&session.context),
                    roles => session
                        .launch
                        .roles
                        .iter()
                        .map(|r| crate::lti::roles::display_name(r).to_string())
                        .collect::<Vec<_>>(),
                },
            )?;
            *response.status_mut() = actix_web::http::StatusCode::FORBIDDEN;
            return Ok(response);
        }
        Landing::NoCourse(status) => status,
    };
    let s = &state.settings;
    Ok(render(
        "no_course.html",
        context! {
            lang => session.lang(),
            base => session.base(),
            user => ser(&session.user),
            tool_role => session.tool_role.as_str(),
            status => status.as_ref().map(ser),
            tool_url => s.url("/lti/launch"),
            login_url => s.url("/lti/login"),
            jwks_url => s.url("/.well-known/jwks.json"),
        },
    )?)
}
