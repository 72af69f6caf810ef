//! Staff follow-up of a course's contracts: formation dashboards, one contract as staff see it, comments, countersignature and amendments, reminders and exports, every query scoped in SQL by the staff member's formations.
//!
//! A [`Scope`] is built from the session's course and the staff member's resolved scope
//! (`access::scope`); the functions here take it and put both the course and the formation
//! ids in their `WHERE`. A contract outside the scope is indistinguishable from one that does
//! not exist (the web layer answers 404 either way).

pub mod dashboard;
pub mod export;
pub mod record;

use crate::access::scope::{Rights, StaffScope};
use crate::store::ids::{CourseId, FormationId};
use crate::store::{DbConn, StoreResult};

/// What a staff query may touch: one course, some of its formations.
#[derive(Debug, Clone)]
pub struct Scope {
    pub context_id: CourseId,
    /// The visible formations' ids (empty: nothing is visible).
    pub formation_ids: Vec<FormationId>,
}

impl Scope {
    /// The formations a staff member follows in the session's course.
    pub fn following(scope: &StaffScope) -> Scope {
        Scope::with_right(scope, |r| r.follow)
    }

    /// The formations where a staff member may validate, comment and ask for changes.
    pub fn deciding(scope: &StaffScope) -> Scope {
        Scope::with_right(scope, |r| r.decide)
    }

    fn with_right(scope: &StaffScope, right: impl Fn(&Rights) -> bool) -> Scope {
        Scope {
            context_id: scope.context_id.clone(),
            formation_ids: scope
                .formations
                .iter()
                .filter(|f| right(&f.rights))
                .map(|f| f.formation.id.clone())
                .collect(),
        }
    }

    /// The same course, narrowed to one formation (empty when it is not in the scope).
    pub fn only(&self, formation_id: &FormationId) -> Scope {
        Scope {
            context_id: self.context_id.clone(),
            formation_ids: self
                .formation_ids
                .iter()
                .filter(|id| *id == formation_id)
                .cloned()
                .collect(),
        }
    }
}

/// Lower-cased, accents removed: how names are searched.
pub fn fold(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' | 'ì' => 'i',
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
            'û' | 'ü' | 'ù' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// The academic year shown: `?annee=2024-2025` when given and well formed, else the course's
/// current year (none when the course is not configured).
pub fn year_of(
    conn: &mut DbConn,
    context_id: &CourseId,
    asked: Option<&str>,
) -> StoreResult<Option<String>> {
    if let Some(y) = asked.filter(|y| crate::course::file::is_academic_year(y)) {
        return Ok(Some(y.to_owned()));
    }
    Ok(crate::store::formations::course_config(conn, context_id)?.map(|c| c.academic_year))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fold_ignores_case_and_accents() {
        assert_eq!(super::fold(" Élodie CRÉMIEUX "), "elodie cremieux");
        assert!(super::fold("Françoise Lefèvre").contains(&super::fold("lefevre")));
    }
}
