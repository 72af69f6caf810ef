//! The designer's changes to a course's formations, in the caller's transaction and recorded in the audit log: create, rename, choose the questionnaire, archive, restore; formation data (lists, attributes, referent, information text) checked with the engine; the Moodle group mapping.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::file::{is_formation_code, looks_like_email};
use super::{Contact, CourseError, formation_data, versions};
use crate::questionnaire::{AttributeValue, Diagnostic, Formation, FormationItem, Severity};
use crate::store::audit::{Action, Actor, Target};
use crate::store::formations::{self, Change, FormationRow, FormationSpec};
use crate::store::ids::{CourseId, FormationId};
use crate::store::{DbConn, StoreError};

/// A problem with one field of a designer's form: `path` names the field (a JSON Pointer
/// into the formation: `/title`, `/referent/email`, `/lists/amenagements/2/condition`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub path: String,
    pub message: String,
    /// A warning does not prevent saving.
    pub warning: bool,
}

impl FieldProblem {
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            path: path.into(),
            message: message.into(),
            warning: false,
        }
    }

    fn from_diagnostic(d: &Diagnostic) -> Self {
        FieldProblem {
            path: d.path.clone(),
            message: d.message.clone(),
            warning: d.severity == Severity::Warning,
        }
    }
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// Problems to show next to the fields (nothing was written).
    #[error("modification refusée : {0:?}")]
    Invalid(Vec<FieldProblem>),
    /// No formation with this id in the session's course.
    #[error("formation introuvable dans ce cours")]
    NotFound,
    #[error(transparent)]
    Course(#[from] CourseError),
    #[error(transparent)]
    Version(#[from] versions::VersionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(problems: Vec<FieldProblem>) -> Result<(), EditError> {
    if problems.iter().any(|p| !p.warning) {
        Err(EditError::Invalid(problems))
    } else {
        Ok(())
    }
}

/// A formation of the session's course, by id (`NotFound` for another course's).
pub fn formation(
    conn: &mut DbConn,
    context_id: &CourseId,
    id: &FormationId,
) -> Result<FormationRow, EditError> {
    formations::get_in_context(conn, context_id, id)?.ok_or(EditError::NotFound)
}

/// The stored spec of a row (to change some of it).
fn spec_of(row: &FormationRow) -> FormationSpec {
    FormationSpec {
        code: row.code.clone(),
        title: row.title.clone(),
        questionnaire_key: row.questionnaire_key.clone(),
        data: row.data.clone(),
        referent: row.referent.clone(),
        info: row.info.clone(),
        position: row.position,
    }
}

fn data_json(formation: &Formation) -> Result<String, EditError> {
    serde_json::to_string(formation)
        .map_err(|e| EditError::Store(StoreError::Corrupt(format!("formation data: {e}"))))
}

fn refuse_archived(row: &FormationRow) -> Result<(), EditError> {
    if row.archived_at.is_some() {
        return Err(EditError::Invalid(vec![FieldProblem::error(
            "",
            format!(
                "la formation {} est archivée : réactivez-la avant de la modifier",
                row.code
            ),
        )]));
    }
    Ok(())
}

/// Checks a formation's data against the latest version of `key` (none published yet: no
/// check). Problems are placed in the formation (`/lists/…`, `/attributes/…`).
fn check_data(
    conn: &mut DbConn,
    context_id: &CourseId,
    key: &str,
    formation: &Formation,
) -> Result<Vec<FieldProblem>, EditError> {
    if key.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match versions::latest(conn, context_id, key)? {
        Some((_, q)) => q
            .check_formation(formation)
            .iter()
            .map(FieldProblem::from_diagnostic)
            .collect(),
        None => vec![FieldProblem::error(
            "/questionnaire",
            format!("aucune version du questionnaire « {key} » n'est publiée dans ce cours"),
        )],
    })
}

fn check_title(title: &str, problems: &mut Vec<FieldProblem>) {
    if title.trim().is_empty() {
        problems.push(FieldProblem::error(
            "/title",
            "l'intitulé ne peut pas être vide (par exemple « L1 Mathématiques »)",
        ));
    } else if title.chars().count() > 200 {
        problems.push(FieldProblem::error(
            "/title",
            "l'intitulé est trop long (200 caractères au plus)",
        ));
    }
}

/// Creates a formation (no group yet). `questionnaire_key` may be empty until a
/// questionnaire is published.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    code: &str,
    title: &str,
    questionnaire_key: &str,
) -> Result<FormationRow, EditError> {
    let (code, title) = (code.trim(), title.trim());
    let mut problems = Vec::new();
    if !is_formation_code(code) {
        problems.push(FieldProblem::error(
            "/code",
            format!("« {code} » ne convient pas comme code : lettres sans accent, chiffres, « _ » et « - », 32 caractères au plus, en commençant par une lettre ou un chiffre (ex. MATH, L1-PHYS)"),
        ));
    }
    check_title(title, &mut problems);
    let all = formations::of_context(conn, context_id)?;
    if let Some(other) = all.iter().find(|f| f.code.eq_ignore_ascii_case(code)) {
        let message = if other.archived_at.is_some() {
            format!(
                "la formation archivée « {} » ({}) a déjà ce code : réactivez-la plutôt que d'en créer une autre",
                other.title, other.code
            )
        } else {
            format!(
                "la formation « {} » a déjà le code {} : les codes doivent être uniques dans le cours",
                other.title, other.code
            )
        };
        problems.push(FieldProblem::error("/code", message));
    }
    let formation = Formation {
        code: code.to_owned(),
        title: title.to_owned(),
        attributes: BTreeMap::new(),
        lists: BTreeMap::new(),
    };
    if !questionnaire_key.is_empty()
        && versions::latest(conn, context_id, questionnaire_key)?.is_none()
    {
        problems.push(FieldProblem::error(
            "/questionnaire",
            format!("aucune version du questionnaire « {questionnaire_key} » n'est publiée dans ce cours"),
        ));
    }
    invalid(problems)?;
    let position = all.iter().map(|f| f.position).max().map_or(0, |p| p + 1);
    let (id, _) = formations::upsert(
        conn,
        context_id,
        &FormationSpec {
            code: code.to_owned(),
            title: title.to_owned(),
            questionnaire_key: questionnaire_key.to_owned(),
            data: data_json(&formation)?,
            referent: Contact::default().to_json(),
            info: None,
            position,
        },
    )?;
    actor.record(
        conn,
        context_id,
        Action::ConfigFormation,
        (Target::Formation, Some(&id)),
        serde_json::json!({ "change": "create", "code": code, "title": title, "questionnaire": questionnaire_key }),
    )?;
    Ok(formations::get(conn, &id)?)
}

/// Renames a formation and/or changes its questionnaire (its data must fit the latest
/// version of the new questionnaire). Returns the warnings.
pub fn update_settings(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    id: &FormationId,
    title: &str,
    questionnaire_key: &str,
) -> Result<Vec<FieldProblem>, EditError> {
    let row = formation(conn, context_id, id)?;
    refuse_archived(&row)?;
    let title = title.trim();
    let mut problems = Vec::new();
    check_title(title, &mut problems);
    let mut data = formation_data(&row)?;
    data.title = title.to_owned();
    if questionnaire_key != row.questionnaire_key || !questionnaire_key.is_empty() {
        problems.extend(check_data(conn, context_id, questionnaire_key, &data)?);
    }
    invalid(problems.clone())?;
    let spec = FormationSpec {
        title: title.to_owned(),
        questionnaire_key: questionnaire_key.to_owned(),
        data: data_json(&data)?,
        ..spec_of(&row)
    };
    let (_, change) = formations::upsert(conn, context_id, &spec)?;
    if change != Change::Unchanged {
        actor.record(
            conn,
            context_id,
            Action::ConfigFormation,
            (Target::Formation, Some(id)),
            serde_json::json!({
                "change": "settings", "code": row.code,
                "title": { "from": row.title, "to": title },
                "questionnaire": { "from": row.questionnaire_key, "to": questionnaire_key },
            }),
        )?;
    }
    Ok(problems)
}

/// Archives (never deletes: contracts point to it) or restores a formation. An archived
/// formation routes nobody; its groups stay mapped to it so that restoring gives it back.
pub fn set_archived(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    id: &FormationId,
    archived: bool,
) -> Result<(), EditError> {
    let row = formation(conn, context_id, id)?;
    if row.archived_at.is_some() == archived {
        return Ok(());
    }
    if archived {
        formations::archive(conn, id)?;
    } else {
        // Writing the same spec un-archives it (`upsert` is the one way to restore).
        formations::upsert(conn, context_id, &spec_of(&row))?;
    }
    actor.record(
        conn,
        context_id,
        Action::ConfigFormation,
        (Target::Formation, Some(id)),
        serde_json::json!({ "change": if archived { "archive" } else { "restore" }, "code": row.code }),
    )?;
    Ok(())
}

/// What the designer edits of a formation's own data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormationEdit {
    pub attributes: BTreeMap<String, AttributeValue>,
    pub lists: BTreeMap<String, Vec<FormationItem>>,
    pub referent: Contact,
    pub info: Option<String>,
}

impl FormationEdit {
    /// What a formation row holds now.
    pub fn of(row: &FormationRow) -> Result<FormationEdit, EditError> {
        let data = formation_data(row)?;
        Ok(FormationEdit {
            attributes: data.attributes,
            lists: data.lists,
            referent: Contact::from_json(&row.referent),
            info: row.info.clone(),
        })
    }
}

/// Checks a contact's address and web page (the rules of the course file), at `at`.
pub fn check_contact(c: &Contact, at: &str, problems: &mut Vec<FieldProblem>) {
    if let Some(email) = &c.email
        && !looks_like_email(email)
    {
        problems.push(FieldProblem::error(
            format!("{at}/email"),
            format!("« {email} » n'est pas une adresse électronique (ex. de-l1@univ.fr)"),
        ));
    }
    if let Some(url) = &c.url
        && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        problems.push(FieldProblem::error(
            format!("{at}/url"),
            format!("« {url} » n'est pas une adresse web (elle commence par https://)"),
        ));
    }
}

/// Saves a formation's data if it fits its questionnaire (the engine's `check_formation`:
/// lists and attributes declared, types, unique values, item conditions). Returns the
/// warnings; errors refuse the whole change.
pub fn save_data(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    id: &FormationId,
    edit: &FormationEdit,
) -> Result<Vec<FieldProblem>, EditError> {
    let row = formation(conn, context_id, id)?;
    refuse_archived(&row)?;
    let mut problems = Vec::new();
    for (name, items) in &edit.lists {
        for (i, item) in items.iter().enumerate() {
            let at = format!("/lists/{name}/{i}");
            if item.value.trim().is_empty() {
                problems.push(FieldProblem::error(
                    format!("{at}/value"),
                    "la valeur est obligatoire (ex. tiers_temps) : c'est ce qui est enregistré dans la réponse",
                ));
            }
            if item.label.trim().is_empty() {
                problems.push(FieldProblem::error(
                    format!("{at}/label"),
                    "le libellé est obligatoire : c'est ce que voit l'étudiant",
                ));
            }
        }
    }
    check_contact(&edit.referent, "/referent", &mut problems);
    let data = Formation {
        code: row.code.clone(),
        title: row.title.clone(),
        attributes: edit.attributes.clone(),
        lists: edit.lists.clone(),
    };
    problems.extend(check_data(conn, context_id, &row.questionnaire_key, &data)?);
    invalid(problems.clone())?;
    let info = edit
        .info
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let spec = FormationSpec {
        data: data_json(&data)?,
        referent: edit.referent.to_json(),
        info,
        ..spec_of(&row)
    };
    let (_, change) = formations::upsert(conn, context_id, &spec)?;
    if change != Change::Unchanged {
        actor.record(
            conn,
            context_id,
            Action::ConfigFormation,
            (Target::Formation, Some(id)),
            serde_json::json!({
                "change": "data", "code": row.code,
                "lists": edit.lists.iter().map(|(k, v)| (k.clone(), v.len())).collect::<BTreeMap<_, _>>(),
                "attributes": edit.attributes,
            }),
        )?;
    }
    Ok(problems)
}

/// Replaces the course's group mapping with `wanted` (group id → formation id; a group
/// absent from the map is no longer mapped). Every formation must be of the course. Returns
/// whether anything changed.
pub fn set_mapping(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    wanted: &BTreeMap<i64, FormationId>,
) -> Result<bool, EditError> {
    let all = formations::of_context(conn, context_id)?;
    let codes: HashMap<&str, &str> = all
        .iter()
        .map(|f| (f.id.as_str(), f.code.as_str()))
        .collect();
    let mut problems = Vec::new();
    for (group, formation_id) in wanted {
        if *group <= 0 {
            problems.push(FieldProblem::error(
                format!("/groups/{group}"),
                format!(
                    "{group} n'est pas un identifiant de groupe Moodle (un nombre entier positif)"
                ),
            ));
        }
        if !codes.contains_key(formation_id.as_str()) {
            return Err(EditError::NotFound);
        }
    }
    invalid(problems)?;
    let before: BTreeMap<i64, FormationId> = formations::groups_of_context(conn, context_id)?
        .into_iter()
        .collect();
    let mapping: Vec<(i64, FormationId)> = wanted.iter().map(|(g, f)| (*g, f.clone())).collect();
    let changed = formations::replace_groups(conn, context_id, &mapping)?;
    if changed {
        let name = |m: &BTreeMap<i64, FormationId>| -> BTreeMap<String, String> {
            m.iter()
                .map(|(g, f)| {
                    (
                        g.to_string(),
                        codes.get(f.as_str()).copied().unwrap_or("?").to_owned(),
                    )
                })
                .collect()
        };
        actor.record(
            conn,
            context_id,
            Action::ConfigGroups,
            (Target::Course, Some(context_id)),
            serde_json::json!({ "from": name(&before), "to": name(wanted) }),
        )?;
    }
    Ok(changed)
}

/// Sets the groups of one formation, keeping the rest of the mapping. A group already
/// mapped to another formation is refused with a message naming it (a group belongs to
/// one formation only).
pub fn set_formation_groups(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    id: &FormationId,
    groups: &[i64],
) -> Result<bool, EditError> {
    let row = formation(conn, context_id, id)?;
    let all = formations::of_context(conn, context_id)?;
    let mut mapping: BTreeMap<i64, FormationId> = formations::groups_of_context(conn, context_id)?
        .into_iter()
        .collect();
    let mut problems = Vec::new();
    for g in groups {
        if let Some(owner) = mapping.get(g).filter(|f| **f != row.id)
            && let Some(other) = all.iter().find(|f| f.id == *owner)
        {
            problems.push(FieldProblem::error(
                format!("/groups/{g}"),
                format!(
                    "le groupe {g} appartient déjà à la formation {} ({}) : un groupe Moodle ne peut appartenir qu'à une formation ; retirez-le d'abord de {}",
                    other.code, other.title, other.code
                ),
            ));
        }
    }
    invalid(problems)?;
    mapping.retain(|_, f| *f != row.id);
    for g in groups {
        mapping.insert(*g, row.id.clone());
    }
    set_mapping(conn, actor, context_id, &mapping)
}
