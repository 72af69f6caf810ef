//! Prefill from last year: the same student's latest signed contract of an earlier academic year (any course of the platform, the same formation code preferred).

use super::ContractError;
use crate::questionnaire::Answers;
use crate::store::DbConn;
use crate::store::contracts::{self, ContractOfFormation, ContractRow};
use crate::store::ids::UserId;

/// An earlier year's signed contract of the student, with its formation's code and title.
pub type Previous = ContractOfFormation;

/// The contract to prefill from: among the student's contracts of years before
/// `academic_year` that were signed at least once (users are per platform, so this spans
/// every course of the platform: courses are often recreated each year), the latest year;
/// within that year (a double licence) the one of the formation `code` first.
pub fn find(
    conn: &mut DbConn,
    user_id: &UserId,
    academic_year: &str,
    code: &str,
) -> Result<Option<Previous>, ContractError> {
    let mut candidates: Vec<Previous> = contracts::of_user(conn, user_id)?
        .into_iter()
        .filter(|p| {
            p.contract.academic_year.as_str() < academic_year && p.contract.signature_seq > 0
        })
        .collect();
    // The latest year, then the same formation code, then the latest signature.
    candidates.sort_by(|a, b| {
        b.contract
            .academic_year
            .cmp(&a.contract.academic_year)
            .then_with(|| (b.formation_code == code).cmp(&(a.formation_code == code)))
            .then_with(|| b.contract.signed_at.cmp(&a.contract.signed_at))
    });
    Ok(candidates.into_iter().next())
}

/// The answers of the latest signed version of an earlier contract (for a reopened one,
/// what was signed, not the amendment in progress).
pub fn signed_answers(conn: &mut DbConn, previous: &ContractRow) -> Result<Answers, ContractError> {
    if previous.state.is_signed() {
        return serde_json::from_str(&previous.answers)
            .map_err(|e| ContractError::Corrupt(format!("answers of {}: {e}", previous.id)));
    }
    match super::signing::latest_content(conn, previous)? {
        Some((content, _)) => Ok(content.answers),
        None => Ok(Answers::new()),
    }
}
