//! Granting and revoking staff roles in a course (designer; gestionnaire for some formations), from the designer's screens or `cpre course grant`, recorded in the audit log; the people of a course one can grant a role to.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::audit::{Action, Actor, Target};
use crate::store::formations::{self, FormationRow};
use crate::store::grants::{self, Grant, GrantRole};
use crate::store::ids::{CourseId, FormationId, PlatformId, UserId};
use crate::store::roster;
use crate::store::users::{Person, User};
use crate::store::{DbConn, StoreError, context_launches, users};

/// Why a grant or a revocation was refused (French, shown as is).
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("rôle inconnu « {0} » : designer (conception du cours) ou gestionnaire")]
    UnknownRole(String),
    #[error("choisissez au moins une formation pour un rôle de gestionnaire")]
    NoFormation,
    #[error("la formation « {0} » n'existe pas dans ce cours")]
    UnknownFormation(String),
    #[error(
        "la personne « {0} » n'a jamais ouvert l'outil dans ce cours et n'est pas dans sa liste des participants"
    )]
    UnknownPerson(String),
    #[error("ce droit n'existe pas (ou plus) dans ce cours")]
    UnknownGrant,
    #[error(
        "vous ne pouvez pas retirer votre propre rôle de conception : demandez-le à une autre personne qui conçoit le cours"
    )]
    OwnDesignerRole,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Someone of the course a role can be given to.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    #[serde(flatten)]
    pub person: Person,
    /// Opened the tool in this course.
    pub launched: bool,
    /// In the course's roster (NRPS), with its roles.
    pub roster_roles: Vec<String>,
}

/// People of a course: users who launched the tool there, and members of its roster, by name.
pub fn people(conn: &mut DbConn, context_id: &CourseId) -> Result<Vec<Candidate>, StoreError> {
    let mut by_sub: BTreeMap<String, Candidate> = BTreeMap::new();
    let launched: Vec<UserId> = context_launches::of_context(conn, context_id)?
        .into_iter()
        .map(|l| l.user_id)
        .collect();
    if !launched.is_empty() {
        let rows = users::by_ids(conn, &launched)?;
        for u in rows {
            by_sub.insert(
                u.sub.clone(),
                Candidate {
                    person: u.person,
                    launched: true,
                    roster_roles: Vec::new(),
                },
            );
        }
    }
    for m in roster::members(conn, context_id)? {
        let entry = by_sub.entry(m.sub.clone()).or_insert_with(|| Candidate {
            person: m.person.clone(),
            launched: false,
            roster_roles: Vec::new(),
        });
        entry.roster_roles = m.roles.clone();
    }
    let mut list: Vec<Candidate> = by_sub.into_values().collect();
    list.sort_by_key(|p| p.person.name.to_lowercase());
    Ok(list)
}

/// The tool's user for `sub` on the course's platform: the one seen in launches, else one
/// recorded from the course's roster (they get their grant at their first launch).
pub fn person(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    context_id: &CourseId,
    sub: &str,
) -> Result<User, GrantError> {
    let found = users::find_by_sub(conn, platform_id, sub)?;
    if let Some(u) = found {
        return Ok(u);
    }
    let member = roster::members(conn, context_id)?
        .into_iter()
        .find(|m| m.sub == sub)
        .ok_or_else(|| GrantError::UnknownPerson(sub.to_owned()))?;
    Ok(crate::store::users::upsert(
        conn,
        platform_id,
        &member.person,
    )?)
}

/// Grants `role` to a user of the course: `designer`, or `gestionnaire` for the formations
/// given (ids of the course). Existing grants are kept (no duplicate).
pub fn grant(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    user: &User,
    role: GrantRole,
    formation_ids: &[FormationId],
) -> Result<(), GrantError> {
    let course_formations = formations::of_context(conn, context_id)?;
    let targets: Vec<&FormationRow> = match role {
        GrantRole::Designer => Vec::new(),
        GrantRole::Gestionnaire => {
            if formation_ids.is_empty() {
                return Err(GrantError::NoFormation);
            }
            formation_ids
                .iter()
                .map(|id| {
                    course_formations
                        .iter()
                        .find(|f| f.id == *id)
                        .ok_or_else(|| GrantError::UnknownFormation(id.to_string()))
                })
                .collect::<Result<_, _>>()?
        }
    };
    let by = actor.user_id.as_deref();
    if role == GrantRole::Designer {
        grants::grant_designer(conn, context_id, &user.id, by)?;
    }
    for f in &targets {
        grants::grant(
            conn,
            context_id,
            &user.id,
            GrantRole::Gestionnaire,
            Some(&f.id),
            by,
        )?;
    }
    actor.record(
        conn,
        context_id,
        Action::Grant,
        (Target::User, Some(&user.id)),
        serde_json::json!({
            "role": role, "user": user.name, "sub": user.sub,
            "formations": targets.iter().map(|f| f.code.clone()).collect::<Vec<_>>(),
        }),
    )?;
    Ok(())
}

/// Removes a grant of the course. A designer cannot remove their own designer grant.
pub fn revoke(
    conn: &mut DbConn,
    actor: &Actor,
    context_id: &CourseId,
    grant_id: &str,
) -> Result<Grant, GrantError> {
    let grant = grants::of_context(conn, context_id)?
        .into_iter()
        .find(|g| g.id == grant_id)
        .ok_or(GrantError::UnknownGrant)?;
    if grant.role == GrantRole::Designer && actor.user_id.as_deref() == Some(grant.user_id.as_str())
    {
        return Err(GrantError::OwnDesignerRole);
    }
    grants::revoke(conn, context_id, grant_id)?;
    let user = crate::store::users::get(conn, &grant.user_id)?;
    let formation = match &grant.formation_id {
        Some(id) => formations::get_in_context(conn, context_id, id)?.map(|f| f.code),
        None => None,
    };
    actor.record(
        conn,
        context_id,
        Action::GrantRevoke,
        (Target::User, Some(&grant.user_id)),
        serde_json::json!({
            "role": grant.role, "user": user.name, "sub": user.sub, "formation": formation,
        }),
    )?;
    Ok(grant)
}

/// A grant with who holds it and, for a gestionnaire, the formation.
#[derive(Debug, Clone, Serialize)]
pub struct GrantLine {
    pub grant: Grant,
    pub user: User,
    pub formation: Option<FormationRow>,
    pub granted_by: Option<String>,
}

/// The grants of a course, by person.
pub fn lines(conn: &mut DbConn, context_id: &CourseId) -> Result<Vec<GrantLine>, StoreError> {
    let course_formations = formations::of_context(conn, context_id)?;
    let mut out = Vec::new();
    for g in grants::of_context(conn, context_id)? {
        let user = crate::store::users::get(conn, &g.user_id)?;
        let granted_by = match &g.granted_by {
            Some(id) => Some(crate::store::users::get(conn, id)?.person.name),
            None => None,
        };
        let formation = g
            .formation_id
            .as_ref()
            .and_then(|id| course_formations.iter().find(|f| f.id == *id).cloned());
        out.push(GrantLine {
            grant: g,
            user,
            formation,
            granted_by,
        });
    }
    out.sort_by(|a, b| {
        (a.user.name.to_lowercase(), &a.grant.role)
            .cmp(&(b.user.name.to_lowercase(), &b.grant.role))
    });
    Ok(out)
}
