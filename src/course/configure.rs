//! Applying a checked course configuration to the database, in the caller's transaction: course row, questionnaire versions, formations, group mapping, academic year.

use std::collections::HashSet;

use super::file::CourseFile;
use super::versions::{self, VersionError};
use super::{CourseError, formation_data};
use crate::questionnaire::{Diagnostic, DiagnosticCode, Severity};
use crate::store::audit::{Action, Target};
use crate::store::contexts::{self, Context, ContextSeen};
use crate::store::formations::{self, Change, FormationSpec};
use crate::store::ids::{CourseId, PlatformId};
use crate::store::questionnaire_versions::VersionRow;
use crate::store::{DbConn, StoreError, contracts, platforms};

/// Why a configuration could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ConfigureError {
    /// No platform is registered for the file's issuer and client id.
    #[error(
        "aucune plateforme n'est enregistrée pour l'émetteur « {issuer} » et l'identifiant client « {client_id} » : enregistrez-la d'abord (cpre platform add)"
    )]
    UnknownPlatform { issuer: String, client_id: String },
    /// The course does not exist (commands that do not create it).
    #[error(
        "le cours « {0} » n'existe pas pour cette plateforme (il n'a jamais été configuré ni ouvert depuis Moodle)"
    )]
    UnknownCourse(String),
    /// Problems found with what is already in the database (e.g. a questionnaire key that
    /// was never published), reported like the file's.
    #[error("configuration refusée :\n{}", crate::questionnaire::diagnostic::format_all(.0))]
    Invalid(Vec<Diagnostic>),
    #[error(transparent)]
    Course(#[from] CourseError),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What applying a configuration did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub context: Context,
    /// True when the course row was created (never launched yet).
    pub created_context: bool,
    /// Each questionnaire of the file: its version, and whether it was published now.
    pub versions: Vec<(VersionRow, bool)>,
    /// Each formation of the file with what happened to it.
    pub formations: Vec<(String, Change)>,
    /// Formations no longer in the file, archived now.
    pub archived: Vec<String>,
    /// Whether the group mapping changed.
    pub groups_changed: bool,
}

/// The platform of a course file (issuer + client id), or the error that says to register it.
pub fn find_platform(
    conn: &mut DbConn,
    issuer: &str,
    client_id: &str,
) -> Result<platforms::Platform, ConfigureError> {
    platforms::find_by_issuer_and_client_id(conn, issuer, client_id)?.ok_or_else(|| {
        ConfigureError::UnknownPlatform {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
        }
    })
}

/// The course row for an LTI context id, created when the course was never launched.
pub fn ensure_context(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    lti_id: &str,
    title: Option<&str>,
    label: Option<&str>,
) -> Result<(Context, bool), StoreError> {
    if let Some(c) = contexts::find_by_lti_id(conn, platform_id, lti_id)? {
        return Ok((c, false));
    }
    let created = contexts::upsert(
        conn,
        platform_id,
        &ContextSeen {
            lti_id: lti_id.to_owned(),
            label: label.unwrap_or_default().to_owned(),
            title: title.unwrap_or_default().to_owned(),
            nrps_url: None,
        },
    )?;
    Ok((created, true))
}

/// Writes a checked configuration (caller's transaction; applying the same file twice
/// changes nothing).
pub fn apply(conn: &mut DbConn, course: &CourseFile) -> Result<Applied, ConfigureError> {
    let platform = find_platform(conn, &course.issuer, &course.client_id)?;
    let (context, created_context) = ensure_context(
        conn,
        &platform.id,
        &course.context_id,
        course.course_title.as_deref(),
        course.course_label.as_deref(),
    )?;

    let mut published = Vec::new();
    for source in &course.questionnaires {
        let p = versions::publish(
            conn,
            &context.id,
            &source.questionnaire,
            &source.file_name,
            &source.text,
        )?;
        published.push((p.row, p.created));
    }

    // Formations whose questionnaire is not in the file: it must already be published in the
    // course, and their data must fit its latest version.
    let mut problems = Vec::new();
    for (i, f) in course.formations.iter().enumerate() {
        if course
            .questionnaires
            .iter()
            .any(|q| q.questionnaire.key() == f.questionnaire_key)
        {
            continue;
        }
        match versions::latest(conn, &context.id, &f.questionnaire_key)? {
            Some((_, q)) => {
                for d in q.check_formation(&f.formation) {
                    problems.push(Diagnostic {
                        file: course.file.clone(),
                        path: format!("/formations/{i}{}", d.path),
                        message: format!("formation {} : {}", f.formation.code, d.message),
                        ..d
                    });
                }
            }
            None => problems.push(Diagnostic {
                severity: Severity::Error,
                code: DiagnosticCode::UnknownName,
                file: course.file.clone(),
                line: None,
                column: None,
                path: format!("/formations/{i}/questionnaire"),
                message: format!(
                    "formation {} : le questionnaire « {} » n'est ni dans « questionnaires » ni publié dans ce cours",
                    f.formation.code, f.questionnaire_key
                ),
            }),
        }
    }
    if problems.iter().any(Diagnostic::is_error) {
        return Err(ConfigureError::Invalid(problems));
    }
    for d in &problems {
        tracing::warn!("{d}");
    }

    let mut results = Vec::new();
    let mut mapping = Vec::new();
    let mut kept = HashSet::new();
    for (position, f) in course.formations.iter().enumerate() {
        let data = serde_json::to_string(&f.formation)
            .map_err(|e| StoreError::Corrupt(format!("formation data: {e}")))?;
        let spec = FormationSpec {
            code: f.formation.code.clone(),
            title: f.formation.title.clone(),
            questionnaire_key: f.questionnaire_key.clone(),
            data,
            referent: f.referent.to_json(),
            info: f.info.clone(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
        };
        let (id, change) = formations::upsert(conn, &context.id, &spec)?;
        mapping.extend(f.groups.iter().map(|g| (*g, id.clone())));
        kept.insert(id);
        results.push((f.formation.code.clone(), change));
    }
    let mut archived = Vec::new();
    for row in formations::of_context(conn, &context.id)? {
        if row.archived_at.is_none() && !kept.contains(&row.id) {
            formations::archive(conn, &row.id)?;
            archived.push(row.code);
        }
    }
    let groups_changed = formations::replace_groups(conn, &context.id, &mapping)?;
    formations::put_course_config(
        conn,
        &context.id,
        &course.academic_year,
        &course.contact.to_json(),
        &course.file,
        &course.content_hash,
    )?;
    contracts::ensure_year_counter(conn, &course.academic_year)?;
    crate::store::years::ensure(conn, &context.id, &course.academic_year)?;
    let changed: Vec<&String> = results
        .iter()
        .filter(|(_, c)| *c != Change::Unchanged)
        .map(|(code, _)| code)
        .collect();
    let published_now: Vec<String> = published
        .iter()
        .filter(|(_, created)| *created)
        .map(|(v, _)| format!("{} v{}", v.questionnaire_key, v.version))
        .collect();
    if created_context
        || groups_changed
        || !changed.is_empty()
        || !archived.is_empty()
        || !published_now.is_empty()
    {
        // The operator's file is a configuration change like the designer's screens.
        crate::store::audit::Actor {
            platform_id: platform.id.clone(),
            user_id: None,
            label: format!("cpre course configure ({})", course.file),
        }
        .record(
            conn,
            &context.id,
            Action::ConfigChange,
            (Target::Course, Some(&context.id)),
            serde_json::json!({
                "academic_year": course.academic_year, "formations": changed,
                "archived": archived, "groups_changed": groups_changed, "published": published_now,
            }),
        )?;
    }
    Ok(Applied {
        context,
        created_context,
        versions: published,
        formations: results,
        archived,
        groups_changed,
    })
}

/// Reads back the formations of a course as the engine sees them (for checks and exports).
pub fn stored_formations(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> Result<Vec<crate::questionnaire::Formation>, ConfigureError> {
    let mut out = Vec::new();
    for row in formations::of_context(conn, context_id)? {
        if row.archived_at.is_none() {
            out.push(formation_data(&row)?);
        }
    }
    Ok(out)
}
