//! A staff member's scope in a course: which formations they see and what they may do there,
//! from the launch (role, Moodle groups) and the grants recorded in the tool. Staff queries
//! take the scope and apply it in SQL (`formation_ids()` in their `WHERE`), never by
//! filtering rows afterwards.

use std::collections::BTreeMap;

use crate::lti::roles::ToolRole;
use crate::store::formations::{self, FormationRow};
use crate::store::ids::{CourseId, FormationId, UserId};
use crate::store::{DbConn, StoreResult};

use crate::store::grants::{self, GrantRole};

/// What a staff member may do with the contracts of one formation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rights {
    /// Read contracts, lists, dashboards; remind; export.
    pub follow: bool,
    /// Validate (countersign), comment, ask for changes: teachers (DE) and designers.
    pub decide: bool,
}

/// A formation in the scope, with the rights on it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScopedFormation {
    pub formation: FormationRow,
    pub rights: Rights,
    /// Why the user sees it: `designer`, `teacher` (a Moodle group of theirs), `gestionnaire`.
    pub reason: &'static str,
}

/// The scope of a staff member in a course.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffScope {
    pub context_id: CourseId,
    pub user_id: UserId,
    /// Designer of the course: sees and configures everything in it.
    pub designer: bool,
    /// Holds a gestionnaire grant in the course.
    pub gestionnaire: bool,
    /// The formations visible, in course order.
    pub formations: Vec<ScopedFormation>,
}

impl StaffScope {
    /// The ids of the visible formations: what staff queries put in their `WHERE`.
    pub fn formation_ids(&self) -> Vec<FormationId> {
        self.formations
            .iter()
            .map(|f| f.formation.id.clone())
            .collect()
    }

    /// The formation with this id, if visible.
    pub fn formation(&self, formation_id: &FormationId) -> Option<&ScopedFormation> {
        self.formations
            .iter()
            .find(|f| f.formation.id == formation_id)
    }

    /// The formation with this code, if visible.
    pub fn formation_by_code(&self, code: &str) -> Option<&ScopedFormation> {
        self.formations.iter().find(|f| f.formation.code == code)
    }

    /// May validate, comment and reopen contracts of this formation.
    pub fn can_decide(&self, formation_id: &FormationId) -> bool {
        self.formation(formation_id)
            .is_some_and(|f| f.rights.decide)
    }

    /// May mark a person of this formation's list « pas un étudiant » (and put them back): a
    /// designer, or a gestionnaire who follows the formation; not a teacher alone.
    pub fn can_mark_not_student(&self, formation_id: &FormationId) -> bool {
        (self.designer || self.gestionnaire)
            && self
                .formation(formation_id)
                .is_some_and(|f| f.rights.follow)
    }

    /// Sees nothing: no formation and not a designer (e.g. a teacher in no mapped group).
    pub fn is_empty(&self) -> bool {
        !self.designer && self.formations.is_empty()
    }
}

/// Computes the scope of a user in a course; `None` when the user is not staff there at all
/// (a student without grant, or a role the tool does not know).
///
/// - platform administrator (launch roles) or designer grant: every formation, every right;
/// - teacher (Instructor on the activity): the formations mapped to the Moodle groups of the
///   launch, follow and decide;
/// - gestionnaire grant: the formations granted, follow only (no validation).
///
/// Being a designer is never inferred from the Instructor role.
pub fn resolve(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
    tool_role: ToolRole,
    group_ids: &[i64],
) -> StoreResult<Option<StaffScope>> {
    let user_grants = grants::of_user(conn, context_id, user_id)?;
    let designer =
        tool_role == ToolRole::Admin || user_grants.iter().any(|g| g.role == GrantRole::Designer);
    let gestionnaire_of: Vec<&str> = user_grants
        .iter()
        .filter(|g| g.role == GrantRole::Gestionnaire)
        .filter_map(|g| g.formation_id.as_deref())
        .collect();
    let teacher = tool_role >= ToolRole::Teacher;
    if !designer && !teacher && gestionnaire_of.is_empty() {
        return Ok(None);
    }
    let all = formations::of_context(conn, context_id)?;
    let mut visible: BTreeMap<FormationId, ScopedFormation> = BTreeMap::new();
    if designer {
        for f in &all {
            visible.insert(
                f.id.clone(),
                ScopedFormation {
                    formation: f.clone(),
                    rights: Rights {
                        follow: true,
                        decide: true,
                    },
                    reason: "designer",
                },
            );
        }
    } else {
        if teacher {
            for f in formations::for_groups(conn, context_id, group_ids)? {
                visible.insert(
                    f.id.clone(),
                    ScopedFormation {
                        formation: f,
                        rights: Rights {
                            follow: true,
                            decide: true,
                        },
                        reason: "teacher",
                    },
                );
            }
        }
        for f in all
            .iter()
            .filter(|f| gestionnaire_of.contains(&f.id.as_str()))
        {
            visible
                .entry(f.id.clone())
                .or_insert_with(|| ScopedFormation {
                    formation: f.clone(),
                    rights: Rights {
                        follow: true,
                        decide: false,
                    },
                    reason: "gestionnaire",
                });
        }
    }
    let mut formations: Vec<ScopedFormation> = visible.into_values().collect();
    formations.sort_by(|a, b| {
        (a.formation.position, &a.formation.code).cmp(&(b.formation.position, &b.formation.code))
    });
    Ok(Some(StaffScope {
        context_id: context_id.clone(),
        user_id: user_id.clone(),
        designer,
        gestionnaire: !gestionnaire_of.is_empty(),
        formations,
    }))
}
