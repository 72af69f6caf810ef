//! Public pages: the landing page for administrators, health, static assets; the session home.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::error::AppResult;
use crate::state::AppState;

use super::session::{Session, SessionKey};
use super::templates::{render, ser};

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
    let ok = state
        .db
        .run(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1")
                .map_err(crate::store::StoreError::from)
        })
        .await
        .is_ok();
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

/// What the session's first page is, found in the same database call as the session.
enum Landing {
    DeepLinking,
    Student(super::contract::home::Home),
    Staff,
    /// Nobody the tool knows what to show: who the tool thinks the user is.
    Other,
}

fn land(conn: &mut crate::store::DbConn, key: SessionKey) -> AppResult<(Session, Landing)> {
    use super::contract::home;
    // The reads in one snapshot; what the student's home records, after it.
    let (session, landing, books) = crate::store::read_tx(conn, |c| -> AppResult<_> {
        let session = key.open(c)?;
        if session.is_deep_linking() {
            return Ok((session, Landing::DeepLinking, None));
        }
        if session.tool_role == crate::lti::roles::ToolRole::Student {
            let student = super::contract::student_of(&session)?;
            let (page, books) = home::load(c, &student)?;
            return Ok((session, Landing::Student(page), Some((student, books))));
        }
        let staff = crate::access::scope::resolve(
            c,
            &session.context.id,
            &session.user.id,
            session.tool_role,
            &session.launch.group_ids,
        )?;
        let landing = if staff.is_some() {
            Landing::Staff
        } else {
            Landing::Other
        };
        Ok((session, landing, None))
    })?;
    if let Some((student, books)) = books {
        home::keep_books(conn, &student, books)?;
    }
    Ok((session, landing))
}

/// `GET /s/{token}/`: what to place in the course for a deep linking launch; a student's
/// contract (`web::contract::home`); staff (teachers, gestionnaires, designers) land on the
/// follow-up of their formations; anyone else sees who the tool thinks the user is. The
/// session and what its page needs come in one database call.
pub async fn home(state: web::Data<AppState>, key: SessionKey) -> AppResult<HttpResponse> {
    let (session, landing) = state.db.run(move |conn| Ok(land(conn, key))).await??;
    match landing {
        Landing::DeepLinking => return super::deep_linking::show(session).await,
        Landing::Student(home) => return super::contract::home::show(&session, home),
        Landing::Staff => {
            return Ok(super::contract::see_other(format!(
                "{}/suivi/",
                session.base()
            )));
        }
        Landing::Other => {}
    }
    Ok(render(
        "home.html",
        context! {
            lang => session.lang(),
            base => session.base(),
            user => ser(&session.user),
            course => ser(&session.context),
            tool_role => session.tool_role.as_str(),
            group_ids => session.launch.group_ids,
            message_type => session.launch.message_type.as_str(),
        },
    )?)
}
