//! « Aperçu en tant qu'étudiant »: what a preview shows (a published version or a draft, a
//! formation of the course, a sample identity); nothing is recorded.

use std::sync::Arc;

use serde::Serialize;

use super::{drafts, versions};
use crate::questionnaire::{Environment, Identity, Questionnaire};
use crate::store::formations::{self, FormationRow};
use crate::store::ids::{CourseId, FormationId};
use crate::store::{DbConn, StoreError, questionnaire_drafts, questionnaire_versions};

/// A questionnaire one can preview.
#[derive(Debug, Serialize)]
pub struct SourceChoice {
    pub value: String,
    pub label: String,
}

/// What is previewed: the questionnaire, the formation, the environment.
pub struct Setup {
    pub source: String,
    pub source_label: String,
    pub questionnaire: Arc<Questionnaire>,
    pub formation: FormationRow,
    pub env: Environment,
    pub previous: bool,
}

/// The identity shown in `identity` questions of the preview.
pub fn sample_identity() -> Identity {
    Identity {
        full_name: Some("Camille Exemple".into()),
        given_name: Some("Camille".into()),
        family_name: Some("Exemple".into()),
        email: Some("camille.exemple@etu.univ.fr".into()),
        student_number: Some("00000000".into()),
    }
}

pub fn choices(
    conn: &mut DbConn,
    context_id: &CourseId,
    tz: chrono_tz::Tz,
) -> Result<(Vec<SourceChoice>, Vec<FormationRow>), StoreError> {
    let mut out: Vec<SourceChoice> = Vec::new();
    let mut latest: Vec<questionnaire_versions::VersionRow> = Vec::new();
    for v in questionnaire_versions::of_context(conn, context_id)? {
        latest.retain(|l| l.questionnaire_key != v.questionnaire_key);
        latest.push(v);
    }
    for v in latest {
        out.push(SourceChoice {
            value: format!("version:{}", v.id),
            label: format!(
                "{} — version {} publiée ({})",
                v.title, v.version, v.questionnaire_key
            ),
        });
    }
    for d in questionnaire_drafts::of_context(conn, context_id)? {
        if Questionnaire::load(&d.file_name, &d.source).is_ok() {
            out.push(SourceChoice {
                value: format!("brouillon:{}", d.id),
                label: format!(
                    "{} — brouillon ({}, modifié le {})",
                    d.title,
                    d.file_name,
                    crate::i18n::format_datetime(d.updated_at, tz)
                ),
            });
        }
    }
    let active = formations::of_context(conn, context_id)?
        .into_iter()
        .filter(|f| f.archived_at.is_none())
        .collect();
    Ok((out, active))
}

/// Why a preview cannot start (shown on the chooser).
pub enum SetupError {
    NotFound,
    DraftInvalid,
    Store(StoreError),
}

impl From<StoreError> for SetupError {
    fn from(e: StoreError) -> Self {
        SetupError::Store(e)
    }
}

pub fn setup(
    conn: &mut DbConn,
    context_id: &CourseId,
    source: &str,
    formation_id: &FormationId,
    previous: bool,
) -> Result<Setup, SetupError> {
    let (questionnaire, source_label) = match source.split_once(':') {
        Some(("version", id)) => {
            let v = questionnaire_versions::of_context(conn, context_id)?
                .into_iter()
                .find(|v| v.id == id)
                .ok_or(SetupError::NotFound)?;
            let q = versions::load(conn, &v).map_err(|_| SetupError::NotFound)?;
            (q, format!("{} — version {}", v.title, v.version))
        }
        Some(("brouillon", id)) => {
            let d = drafts::get(conn, context_id, id).map_err(|e| match e {
                drafts::DraftError::Store(s) => SetupError::Store(s),
                _ => SetupError::NotFound,
            })?;
            let loaded = Questionnaire::load(&d.file_name, &d.source)
                .map_err(|_| SetupError::DraftInvalid)?;
            (
                Arc::new(loaded.questionnaire),
                format!("{} — brouillon", d.title),
            )
        }
        _ => return Err(SetupError::NotFound),
    };
    let formation =
        formations::get_in_context(conn, context_id, formation_id)?.ok_or(SetupError::NotFound)?;
    let prepared = crate::course::prepared_formation(&formation).map_err(|e| match e {
        crate::course::CourseError::Store(s) => SetupError::Store(s),
        _ => SetupError::NotFound,
    })?;
    let year = formations::course_config(conn, context_id)?
        .map(|c| c.academic_year)
        .unwrap_or_else(super::years::default_year);
    let env = Environment::with_prepared(prepared, year, previous, sample_identity());
    Ok(Setup {
        source: source.to_owned(),
        source_label,
        questionnaire,
        formation,
        env,
        previous,
    })
}
