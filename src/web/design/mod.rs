//! The designer's screens under `/s/{token}/config/…`: the course, formations, Moodle groups, formation data, questionnaires (import, editor, form editor, publication, preview), academic years, a student's history, grants and the audit log.
//!
//! Every handler takes the [`Staff`] extractor and calls `require_designer()` first (through
//! [`Designer::of`]); every query is scoped by the session's course (never a course id from
//! the URL or a form); every change goes through the domain functions of `course::editing`,
//! `course::drafts`, `course::years` and `access::manage`, in one transaction with its audit
//! entry. A refused form comes back with what was typed and the messages.

pub mod drafts;
pub mod formation_data;
pub mod formations;
pub mod grants;
pub mod groups;
pub mod home;
pub mod journal;
pub mod preview;
pub mod questionnaires;
pub mod students;
pub mod years;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::Value;

use crate::course::CourseError;
use crate::course::drafts::DraftError;
use crate::course::editing::EditError;
use crate::course::years::YearError;
use crate::store::audit::Actor;
use crate::web::error::{AppError, AppResult};

use super::session::Session;
use super::staff::Staff;
use crate::store::ids::CourseId;
use crate::web::form::field;
use crate::web::response::{see_other, with_status};

/// A designer's request: the session (its course is the only one touched) and who acts.
pub struct Designer {
    pub session: Session,
    pub actor: Actor,
}

impl Designer {
    /// Refuses (403) unless the staff member designs the session's course.
    pub fn of(staff: Staff) -> AppResult<Designer> {
        staff.require_designer()?;
        let session = staff.session;
        let actor = Actor {
            platform_id: session.row.platform_id.clone(),
            user_id: Some(session.user.id.clone()),
            label: session.user.name.clone(),
        };
        Ok(Designer { session, actor })
    }

    /// The session's course id (the scope of every query here).
    pub fn context_id(&self) -> CourseId {
        self.session.context.id.clone()
    }

    /// `/s/{token}/config`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/config{path}", self.session.base())
    }

    /// Checks the `csrf` field of a posted form.
    pub fn check_csrf(&self, form: &[(String, String)]) -> AppResult<()> {
        Ok(self.session.check_csrf(field(form, "csrf"))?)
    }

    /// A 303 to a configuration page.
    pub fn redirect(&self, path: &str) -> HttpResponse {
        see_other(self.url(path))
    }

    /// Renders a configuration page: the session's values, the section for the menu, and the
    /// page's own values.
    pub fn render(
        &self,
        status: StatusCode,
        template: &str,
        section: &str,
        extra: Value,
    ) -> AppResult<HttpResponse> {
        let ctx = crate::web::chrome::staff_context(
            &self.session,
            minijinja::value::merge_maps([extra, minijinja::context! { section => section }]),
        );
        with_status(status, template, ctx)
    }
}

/// Turns a domain error that is not a form problem into the page that explains it.
pub fn edit_error(e: EditError) -> AppError {
    match e {
        EditError::NotFound => AppError::NotFound,
        EditError::Store(s) => AppError::Store(s),
        EditError::Course(c) => course_error(c),
        EditError::Version(v) => AppError::Internal(anyhow::anyhow!(v)),
        EditError::Invalid(problems) => AppError::BadRequest(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

pub fn course_error(e: CourseError) -> AppError {
    match e {
        CourseError::Store(s) => AppError::Store(s),
        other => AppError::Internal(anyhow::anyhow!(other)),
    }
}

pub fn draft_error(e: DraftError) -> AppError {
    match e {
        DraftError::NotFound => AppError::NotFound,
        DraftError::Store(s) => AppError::Store(s),
        DraftError::Course(c) => course_error(c),
        other => AppError::BadRequest(other.to_string()),
    }
}

pub fn year_error(e: YearError) -> AppError {
    match e {
        YearError::Store(s) => AppError::Store(s),
        YearError::Unknown(_) => AppError::NotFound,
        other => AppError::BadRequest(other.to_string()),
    }
}

/// Flash messages after a redirect (`?ok=saved`): only known words are shown.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    #[serde(default)]
    pub ok: Option<String>,
}

impl Flash {
    pub fn key(&self) -> Option<String> {
        self.ok
            .as_deref()
            .filter(|k| {
                !k.is_empty()
                    && k.len() < 40
                    && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
            .map(str::to_owned)
    }
}

/// Registers the routes (inside the `/s/{token}` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/config/", web::get().to(home::show))
        .route("/config/cours", web::post().to(home::save_course))
        .route("/config/formations", web::get().to(formations::list))
        .route("/config/formations", web::post().to(formations::create))
        .route("/config/formations/{id}", web::get().to(formations::show))
        .route(
            "/config/formations/{id}",
            web::post().to(formations::save_settings),
        )
        .route(
            "/config/formations/{id}/archiver",
            web::post().to(formations::archive),
        )
        .route(
            "/config/formations/{id}/reactiver",
            web::post().to(formations::restore),
        )
        .route(
            "/config/formations/{id}/groupes",
            web::post().to(formations::save_groups),
        )
        .route(
            "/config/formations/{id}/donnees",
            web::get().to(formation_data::data),
        )
        .route(
            "/config/formations/{id}/donnees",
            web::post().to(formation_data::save_data),
        )
        .route("/config/groupes", web::get().to(groups::show))
        .route("/config/groupes", web::post().to(groups::save))
        .route(
            "/config/questionnaires",
            web::get().to(questionnaires::list),
        )
        .route(
            "/config/questionnaires/importer",
            web::post().to(questionnaires::upload),
        )
        .route(
            "/config/questionnaires/coller",
            web::post().to(questionnaires::paste),
        )
        .route(
            "/config/questionnaires/verifier",
            web::post().to(drafts::verify_json),
        )
        .route(
            "/config/questionnaires/versions/{id}/fichier",
            web::get().to(questionnaires::export_version),
        )
        .route(
            "/config/questionnaires/versions/{id}/brouillon",
            web::post().to(questionnaires::draft_from_version),
        )
        .route(
            "/config/questionnaires/brouillons/{id}",
            web::get().to(drafts::editor),
        )
        .route(
            "/config/questionnaires/brouillons/{id}",
            web::post().to(drafts::editor_post),
        )
        .route(
            "/config/questionnaires/brouillons/{id}/fichier",
            web::get().to(drafts::export_draft),
        )
        .route(
            "/config/questionnaires/brouillons/{id}/abandonner",
            web::post().to(drafts::discard),
        )
        .route(
            "/config/questionnaires/brouillons/{id}/formulaire",
            web::get().to(drafts::form_editor),
        )
        .route(
            "/config/questionnaires/brouillons/{id}/formulaire",
            web::post().to(drafts::form_editor_post),
        )
        .route("/config/apercu", web::get().to(preview::start))
        .route("/config/apercu", web::post().to(preview::step))
        .route("/config/annees", web::get().to(years::show))
        .route("/config/annees/ouvrir", web::post().to(years::open))
        .route("/config/annees/clore", web::post().to(years::close))
        .route("/config/annees/rouvrir", web::post().to(years::reopen))
        .route("/config/etudiants", web::get().to(students::search))
        .route("/config/droits", web::get().to(grants::show))
        .route("/config/droits", web::post().to(grants::add))
        .route("/config/droits/retirer", web::post().to(grants::remove))
        .route("/config/journal", web::get().to(journal::show));
}

/// Runs a write transaction for a designer change: `f`'s error rolls it back.
pub async fn write<T, E, F>(state: &crate::state::AppState, f: F) -> AppResult<Result<T, E>>
where
    T: Send + 'static,
    E: From<crate::store::StoreError> + Send + 'static,
    F: FnOnce(&mut crate::store::DbConn) -> Result<T, E> + Send + 'static,
{
    Ok(state
        .db
        .run(move |conn| Ok(crate::store::transaction(conn, f)))
        .await?)
}
