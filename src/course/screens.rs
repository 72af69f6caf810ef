//! What the designer's screens read: the formations with their groups and questionnaire
//! versions, one formation's page, the Moodle groups and the students no formation was found
//! for, the checklist of the configuration home, the questionnaires and drafts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Contact;
use super::editing::{self, EditError};
use super::versions;
use crate::questionnaire::Questionnaire;
use crate::store::formations::{self, FormationRow};
use crate::store::groups::{self, GroupOverview};
use crate::store::ids::{CourseId, FormationId};
use crate::store::questionnaire_drafts::{self, DraftRow};
use crate::store::questionnaire_versions::{self, VersionRow};
use crate::store::{DbConn, StoreResult};

/// A formation with its groups, for lists.
#[derive(Debug, Serialize)]
pub struct FormationLine {
    pub formation: FormationRow,
    pub groups: Vec<GroupOverview>,
    /// The questionnaire's latest version number, if published.
    pub version: Option<i32>,
}

/// The published questionnaire keys of the course, with their latest title.
#[derive(Debug, Serialize)]
pub struct KeyChoice {
    pub key: String,
    pub title: String,
    pub version: i32,
}

pub fn keys(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<KeyChoice>> {
    let mut out: Vec<KeyChoice> = Vec::new();
    for v in questionnaire_versions::of_context(conn, context_id)? {
        match out.iter_mut().find(|k| k.key == v.questionnaire_key) {
            Some(k) if v.version > k.version => {
                k.version = v.version;
                k.title = v.title;
            }
            Some(_) => {}
            None => out.push(KeyChoice {
                key: v.questionnaire_key,
                title: v.title,
                version: v.version,
            }),
        }
    }
    Ok(out)
}

pub fn formation_lines(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> StoreResult<(Vec<FormationLine>, Vec<KeyChoice>)> {
    let overview = groups::overview(conn, context_id)?;
    let mapping = formations::groups_of_context(conn, context_id)?;
    let keys = keys(conn, context_id)?;
    let out = formations::of_context(conn, context_id)?
        .into_iter()
        .map(|f| {
            let groups = mapping
                .iter()
                .filter(|(_, id)| *id == f.id)
                .map(|(g, _)| {
                    overview
                        .iter()
                        .find(|o| o.group_id == *g)
                        .cloned()
                        .unwrap_or(GroupOverview {
                            group_id: *g,
                            name: None,
                            idnumber: None,
                            launched_users: 0,
                            members: None,
                        })
                })
                .collect();
            let version = keys
                .iter()
                .find(|k| k.key == f.questionnaire_key)
                .map(|k| k.version);
            FormationLine {
                formation: f,
                groups,
                version,
            }
        })
        .collect();
    Ok((out, keys))
}

pub struct FormationPage {
    pub formation: FormationRow,
    pub keys: Vec<KeyChoice>,
    pub overview: Vec<GroupOverview>,
    pub mapping: Vec<(i64, FormationId)>,
    pub codes: BTreeMap<FormationId, String>,
}

pub fn formation_page(
    conn: &mut DbConn,
    context_id: &CourseId,
    id: &FormationId,
) -> Result<FormationPage, EditError> {
    let formation = editing::formation(conn, context_id, id)?;
    let codes = formations::of_context(conn, context_id)?
        .into_iter()
        .map(|f| (f.id, f.code))
        .collect();
    Ok(FormationPage {
        formation,
        keys: keys(conn, context_id)?,
        overview: groups::overview(conn, context_id)?,
        mapping: formations::groups_of_context(conn, context_id)?,
        codes,
    })
}

/// The questionnaire a formation's data is checked against (latest version), if published.
pub fn declarations(
    conn: &mut DbConn,
    context_id: &CourseId,
    key: &str,
) -> Result<Option<std::sync::Arc<crate::questionnaire::Questionnaire>>, EditError> {
    if key.is_empty() {
        return Ok(None);
    }
    Ok(versions::latest(conn, context_id, key)?.map(|(_, q)| q))
}

#[derive(Debug, Serialize)]
pub struct Unrouted {
    pub name: String,
    pub student_number: String,
    pub email: String,
    pub group_ids: String,
    pub last_seen: i64,
}

pub struct GroupsScreen {
    pub overview: Vec<GroupOverview>,
    pub mapping: BTreeMap<i64, FormationId>,
    pub formations: Vec<FormationRow>,
    pub unrouted: Vec<Unrouted>,
}

pub fn groups_screen(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<GroupsScreen> {
    let unrouted = formations::unrouted_of_context(conn, context_id)?
        .into_iter()
        .map(|(row, user)| Unrouted {
            name: user.person.name,
            student_number: user.person.person_sourcedid,
            email: user.person.email,
            group_ids: serde_json::from_str::<Vec<i64>>(&row.group_ids)
                .unwrap_or_default()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            last_seen: row.last_seen,
        })
        .collect();
    Ok(GroupsScreen {
        overview: groups::overview(conn, context_id)?,
        mapping: formations::groups_of_context(conn, context_id)?
            .into_iter()
            .collect(),
        formations: formations::of_context(conn, context_id)?,
        unrouted,
    })
}

/// What the checklist says.
#[derive(Debug, serde::Serialize)]
pub struct CourseStatus {
    pub configured: bool,
    pub academic_year: Option<String>,
    pub contact: Contact,
    pub formations: usize,
    pub archived: usize,
    pub versions: usize,
    pub keys: usize,
    pub drafts: usize,
    pub mapped_groups: usize,
    pub formations_without_group: Vec<String>,
    pub formations_without_questionnaire: Vec<String>,
    pub unrouted: usize,
}

pub fn course_status(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<CourseStatus> {
    let config = formations::course_config(conn, context_id)?;
    let all = formations::of_context(conn, context_id)?;
    let groups = formations::groups_of_context(conn, context_id)?;
    let versions = questionnaire_versions::of_context(conn, context_id)?;
    let mut keys: Vec<&str> = versions
        .iter()
        .map(|v| v.questionnaire_key.as_str())
        .collect();
    keys.dedup();
    let active: Vec<_> = all.iter().filter(|f| f.archived_at.is_none()).collect();
    Ok(CourseStatus {
        configured: config.is_some(),
        academic_year: config.as_ref().map(|c| c.academic_year.clone()),
        contact: config
            .as_ref()
            .map(|c| Contact::from_json(&c.contact))
            .unwrap_or_default(),
        formations: active.len(),
        archived: all.len() - active.len(),
        versions: versions.len(),
        keys: keys.len(),
        drafts: questionnaire_drafts::of_context(conn, context_id)?.len(),
        mapped_groups: groups.len(),
        formations_without_group: active
            .iter()
            .filter(|f| !groups.iter().any(|(_, id)| *id == f.id))
            .map(|f| f.code.clone())
            .collect(),
        formations_without_questionnaire: active
            .iter()
            .filter(|f| {
                f.questionnaire_key.is_empty()
                    || !versions
                        .iter()
                        .any(|v| v.questionnaire_key == f.questionnaire_key)
            })
            .map(|f| f.code.clone())
            .collect(),
        unrouted: formations::unrouted_of_context(conn, context_id)?.len(),
    })
}

/// A questionnaire key of the course: its versions and the formations that use it.
#[derive(Debug, Serialize)]
pub struct KeyLine {
    pub key: String,
    pub latest: VersionRow,
    pub versions: Vec<VersionRow>,
    pub formations: Vec<String>,
}

/// A draft with what checking it gives.
#[derive(Debug, Serialize)]
pub struct DraftLine {
    pub draft: DraftRow,
    pub loads: bool,
    pub errors: usize,
    pub updated_by: Option<String>,
}

pub fn questionnaires(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> StoreResult<(Vec<KeyLine>, Vec<DraftLine>)> {
    let mut keys: Vec<KeyLine> = Vec::new();
    let all = formations::of_context(conn, context_id)?;
    for v in questionnaire_versions::of_context(conn, context_id)? {
        match keys.iter_mut().find(|k| k.key == v.questionnaire_key) {
            Some(k) => {
                if v.version > k.latest.version {
                    k.latest = v.clone();
                }
                k.versions.push(v);
            }
            None => keys.push(KeyLine {
                key: v.questionnaire_key.clone(),
                latest: v.clone(),
                versions: vec![v.clone()],
                formations: all
                    .iter()
                    .filter(|f| {
                        f.questionnaire_key == v.questionnaire_key && f.archived_at.is_none()
                    })
                    .map(|f| f.code.clone())
                    .collect(),
            }),
        }
    }
    for k in &mut keys {
        k.versions.reverse();
    }
    let mut drafts = Vec::new();
    for draft in crate::store::questionnaire_drafts::of_context(conn, context_id)? {
        let (loads, errors) = match Questionnaire::load(&draft.file_name, &draft.source) {
            Ok(_) => (true, 0),
            Err(e) => (false, e.errors().count()),
        };
        let updated_by = match &draft.updated_by {
            Some(id) => Some(crate::store::users::get(conn, id)?.person.name),
            None => None,
        };
        drafts.push(DraftLine {
            draft,
            loads,
            errors,
            updated_by,
        });
    }
    Ok((keys, drafts))
}

/// A version of the session's course (404 for another course's).
pub fn version_in(
    conn: &mut DbConn,
    context_id: &CourseId,
    id: &str,
) -> StoreResult<Option<VersionRow>> {
    Ok(questionnaire_versions::of_context(conn, context_id)?
        .into_iter()
        .find(|v| v.id == id))
}
