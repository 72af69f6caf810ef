//! The follow-up screens of teachers, gestionnaires and designers under `/s/{token}/suivi/…`: the formations followed, a formation's dashboard, a contract (validate, comment, ask for changes, print, PDF), reminders and exports.
//!
//! Every handler takes the [`Staff`] extractor; the course is the session's, the formations
//! are the staff member's scope (`access::scope`), and each query of `followup` puts both in
//! its `WHERE`: a contract or formation outside the scope answers 404, exactly as one that
//! does not exist. Deciding (validate, comment, ask for changes) takes the narrower scope of
//! the formations where the member may decide (not a gestionnaire's).

pub mod contract;
pub mod exports;
pub mod formation;
pub mod home;
pub mod not_students;
pub mod reminders;

use crate::web::form::field;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::Value;

use crate::access::scope::{ScopedFormation, StaffScope};
use crate::followup::Scope;
use crate::store::audit::Actor;
use crate::web::error::{AppError, AppResult};

use super::session::Session;
use super::staff::Staff;
use crate::web::response::{see_other, with_status};

/// A staff member following contracts: the session, their scope, who acts (audit).
pub struct Follower {
    pub session: Session,
    pub scope: StaffScope,
    pub actor: Actor,
}

impl Follower {
    /// Refuses (403, saying whom to ask) a member who follows no formation.
    pub fn of(staff: Staff) -> AppResult<Follower> {
        if staff.scope.is_empty() {
            return Err(AppError::Forbidden("no_formation"));
        }
        Ok(Follower::new(staff))
    }

    /// Any staff member, even one who follows no formation (the home says so).
    pub fn new(staff: Staff) -> Follower {
        let session = staff.session;
        let actor = Actor {
            platform_id: session.row.platform_id.clone(),
            user_id: Some(session.user.id.clone()),
            label: session.user.name.clone(),
        };
        Follower {
            session,
            scope: staff.scope,
            actor,
        }
    }

    /// The formations followed, in the session's course.
    pub fn follows(&self) -> Scope {
        Scope::following(&self.scope)
    }

    /// The formations where the member may validate, comment and ask for changes.
    pub fn decides(&self) -> Scope {
        Scope::deciding(&self.scope)
    }

    /// A formation of the scope by code; 404 otherwise (even when it exists in the course).
    pub fn formation(&self, code: &str) -> AppResult<&ScopedFormation> {
        self.scope
            .formation_by_code(code)
            .filter(|f| f.rights.follow)
            .ok_or(AppError::NotFound)
    }

    /// `/s/{token}/suivi{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/suivi{path}", self.session.base())
    }

    /// Checks the `csrf` field of a posted form.
    pub fn check_csrf(&self, form: &[(String, String)]) -> AppResult<()> {
        Ok(self.session.check_csrf(field(form, "csrf"))?)
    }

    /// A 303 to a follow-up page.
    pub fn redirect(&self, path: &str) -> HttpResponse {
        see_other(self.url(path))
    }

    /// Renders a follow-up page with the session's values.
    pub fn render(
        &self,
        status: StatusCode,
        template: &str,
        extra: Value,
    ) -> AppResult<HttpResponse> {
        let ctx = crate::web::chrome::staff_context(
            &self.session,
            minijinja::value::merge_maps([
                extra,
                minijinja::context! { designer => self.scope.designer },
            ]),
        );
        with_status(status, template, ctx)
    }
}

/// Registers the routes (inside the `/s/{token}` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/suivi/", web::get().to(home::show))
        .route("/suivi/export/{format}", web::get().to(exports::course))
        .route("/suivi/formations/{code}", web::get().to(formation::show))
        .route(
            "/suivi/formations/{code}/export/{format}",
            web::get().to(exports::formation),
        )
        .route(
            "/suivi/formations/{code}/relances",
            web::get().to(reminders::show),
        )
        .route(
            "/suivi/formations/{code}/relances",
            web::post().to(reminders::select),
        )
        .route(
            "/suivi/formations/{code}/pas-etudiant",
            web::post().to(not_students::mark),
        )
        .route(
            "/suivi/formations/{code}/etudiant",
            web::post().to(not_students::unmark),
        )
        .route(
            "/suivi/formations/{code}/relances.csv",
            web::get().to(reminders::csv),
        )
        .route("/suivi/contrats/{id}", web::get().to(contract::show))
        .route(
            "/suivi/contrats/{id}/valider",
            web::post().to(contract::validate),
        )
        .route(
            "/suivi/contrats/{id}/commenter",
            web::post().to(contract::comment),
        )
        .route(
            "/suivi/contrats/{id}/modifier",
            web::post().to(contract::ask_changes),
        )
        .route(
            "/suivi/contrats/{id}/imprimer",
            web::get().to(contract::print),
        )
        .route("/suivi/contrats/{id}/pdf", web::get().to(contract::pdf));
}
