//! « Pas un étudiant »: a designer or a gestionnaire takes a person out of a formation's
//! list of students who have not started (a teacher Moodle's roster calls a Learner), or puts
//! them back. Course-wide, kept across roster synchronisations, audited
//! (`roster::not_students`).

use actix_web::{HttpResponse, web};

use crate::state::AppState;
use crate::store::roster::{self as members, self as not_students};
use crate::web::error::{AppError, AppResult};

use super::super::staff::Staff;
use super::Follower;
use super::formation::CodePath;
use crate::web::form::field;

/// Checks the form (CSRF, the right to mark on this formation, a person of the course's
/// roster) and runs `change` in one transaction; then back to the formation's list.
async fn change(
    state: &AppState,
    staff: Staff,
    code: &str,
    form: &[(String, String)],
    change: fn(
        &mut crate::store::DbConn,
        &crate::store::audit::Actor,
        &crate::store::ids::CourseId,
        &str,
    ) -> crate::store::StoreResult<bool>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    f.check_csrf(form)?;
    let formation = f.formation(code)?.formation.clone();
    if !f.scope.can_mark_not_student(&formation.id) {
        return Err(AppError::Forbidden("not_student_marking"));
    }
    let sub = field(form, "sub")
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .ok_or_else(|| AppError::BadRequest("no person given".into()))?
        .to_owned();
    let (ctx, actor) = (f.session.context.id.clone(), f.actor.clone());
    let known = state
        .db
        .write(move |conn| {
            if !members::is_member(conn, &ctx, &sub)? {
                return Ok(false);
            }
            change(conn, &actor, &ctx, &sub)?;
            Ok(true)
        })
        .await?;
    if !known {
        return Err(AppError::NotFound);
    }
    Ok(f.redirect(&format!(
        "/formations/{}#h-list",
        url::form_urlencoded::byte_serialize(formation.code.as_bytes()).collect::<String>()
    )))
}

/// `POST /s/{token}/suivi/formations/{code}/pas-etudiant`: `sub` is not a student.
pub async fn mark(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<CodePath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    change(&state, staff, &path.code, &form, not_students::mark).await
}

/// `POST /s/{token}/suivi/formations/{code}/etudiant`: `sub` is a student again.
pub async fn unmark(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<CodePath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    change(&state, staff, &path.code, &form, not_students::unmark).await
}
