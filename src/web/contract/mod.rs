//! The student's contract pages: home routing (formation chooser, no formation), overview and receipt, one page at a time, summary and signature, printable contract.
//!
//! Every handler here is for students only ([`student_of`]); a formation code in a URL or
//! a form is accepted only through `course::routing::formation_of_student` (the launch's
//! groups), and contracts are looked up by the session's user, never by an id alone.
//! Each request makes the session lookup plus one database call.

pub mod home;
pub mod overview;
pub mod page;
pub mod print;
pub mod summary;
pub mod view;

use actix_web::HttpResponse;
use actix_web::http::header;
use minijinja::Value;
use serde::Deserialize;

use crate::contract::student::{Student, Workspace};
use crate::course::Contact;
use crate::lti::roles::ToolRole;
use crate::state::AppState;
use crate::store;
use crate::web::error::{AppError, AppResult};

use super::session::Session;
use super::templates::ser;

/// `{code}` in contract URLs.
#[derive(Debug, Deserialize)]
pub struct FormationPath {
    pub code: String,
}

/// `{code}` and `{page}` in page URLs.
#[derive(Debug, Deserialize)]
pub struct PagePath {
    pub code: String,
    pub page: String,
}

/// The student of a session; teachers and others are refused (403): these pages write a
/// student's own contract.
pub fn student_of(session: &Session) -> AppResult<Student> {
    if session.tool_role != ToolRole::Student || session.is_deep_linking() {
        return Err(AppError::Forbidden("students_only"));
    }
    Ok(Student {
        user: session.user.clone(),
        context: session.context.clone(),
        group_ids: session.launch.group_ids.clone(),
        issuer: session.launch.issuer.clone(),
    })
}

/// Opens the workspace of formation `code` in one database call.
pub async fn open(state: &AppState, student: Student, code: String) -> AppResult<Workspace> {
    Ok(state
        .db
        .run(move |conn| {
            Ok(store::read_tx(conn, |c| {
                Workspace::open(c, &student, &code)
            }))
        })
        .await??)
}

/// The URL of a contract's pages: `/s/{token}/contrat/{code}/`.
pub fn contract_url(session: &Session, code: &str) -> String {
    format!("{}/contrat/{code}/", session.base())
}

/// A 303 to `location` (after a POST, or to resume).
pub fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A rendered page with a status other than 200.
pub fn with_status(
    status: actix_web::http::StatusCode,
    name: &str,
    ctx: Value,
) -> AppResult<HttpResponse> {
    let body = super::templates::render_string(name, ctx)?;
    Ok(HttpResponse::build(status)
        .content_type(header::ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A contact for templates.
pub fn contact_value(json: &str) -> Value {
    let c = Contact::from_json(json);
    if c.is_empty() {
        Value::from(())
    } else {
        ser(c)
    }
}

/// What every contract page shows around its content and needs for links and forms.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: &'static str,
    /// `/s/{token}`.
    pub base: String,
    pub csrf: String,
    /// The course (`contexts` row) and the user, as template values.
    pub course: Value,
    pub user: Value,
    /// The timezone times are shown in.
    pub tz: chrono_tz::Tz,
}

impl Chrome {
    /// The chrome of a session's pages.
    pub fn of(session: &Session) -> Chrome {
        Chrome {
            lang: session.lang(),
            base: session.base(),
            csrf: session.row.csrf_token.clone(),
            course: ser(&session.context),
            user: ser(&session.user),
            tz: session.tz,
        }
    }

    /// The URL of a contract's pages: `/s/{token}/contrat/{code}/`.
    pub fn contract_url(&self, code: &str) -> String {
        format!("{}/contrat/{code}/", self.base)
    }

    fn context(&self) -> Value {
        minijinja::context! {
            lang => self.lang,
            base => self.base.clone(),
            csrf => self.csrf.clone(),
            course => self.course.clone(),
            user => self.user.clone(),
            tz => self.tz.name(),
        }
    }
}

/// What every contract page shows in its header and needs for links and forms.
pub fn base_context(session: &Session) -> Value {
    Chrome::of(session).context()
}

/// The formation's part of the page context.
fn formation_context(chrome: &Chrome, ws: &Workspace) -> Value {
    minijinja::context! {
        code => ws.formation.code.clone(),
        title => ws.formation.title.clone(),
        url => chrome.contract_url(&ws.formation.code),
        referent => contact_value(&ws.formation.referent),
        info_html => ws.env.prepared().info_html(),
    }
}

/// Merges page-specific values into the base context.
pub fn page_context(session: &Session, ws: Option<&Workspace>, extra: Value) -> Value {
    chrome_context(&Chrome::of(session), ws, extra)
}

/// [`page_context`] for a given chrome.
pub fn chrome_context(chrome: &Chrome, ws: Option<&Workspace>, extra: Value) -> Value {
    let formation = ws.map(|ws| formation_context(chrome, ws));
    let year = ws.map(|ws| ws.config.academic_year.clone());
    let contact = ws.map(|ws| contact_value(&ws.config.contact));
    // The last map that has a key wins (minijinja's `MergeDict`): the page's own values
    // over the formation's over the session's.
    minijinja::value::merge_maps([
        chrome.context(),
        minijinja::context! {
            formation => formation,
            academic_year => year,
            scolarite => contact,
        },
        extra,
    ])
}
