//! Staff transitions of a signed contract (the screens are issue 5's): validate (countersign), and reopen for an amendment, which clears the gradebook until the student signs again.

use super::ContractError;
use super::state::{ContractState, EventKind};
use crate::store::contracts::{self, ContractRow};
use crate::store::ids::{ContractId, UserId};
use crate::store::outbox::{self, Completion};
use crate::store::{DbConn, now_micros};

fn wrong_state(row: &ContractRow, action: &'static str) -> ContractError {
    ContractError::WrongState {
        id: row.id.clone(),
        state: row.state,
        action,
    }
}

/// Countersigns a signed contract (`signed` → `validated`), in the caller's transaction.
/// The caller has checked that `actor_id` may validate this contract.
pub fn validate(
    conn: &mut DbConn,
    contract_id: &ContractId,
    actor_id: &UserId,
) -> Result<ContractRow, ContractError> {
    let row = contracts::get(conn, contract_id)?;
    let now = now_micros();
    if !contracts::set_state(
        conn,
        contract_id,
        &[ContractState::Signed],
        ContractState::Validated,
        Some((now, actor_id)),
    )? {
        return Err(wrong_state(&row, "validate"));
    }
    contracts::add_event(
        conn,
        contract_id,
        EventKind::Validated,
        Some(actor_id),
        &serde_json::json!({ "seq": row.signature_seq, "fingerprint": row.fingerprint }),
    )?;
    Ok(contracts::get(conn, contract_id)?)
}

/// Reopens a signed or validated contract for an amendment (`reopened`: the student edits it
/// and signs again; every signed version stays), in the caller's transaction. The grade is
/// cleared on every placement the completion was sent to. Returns the contract.
pub fn reopen(
    conn: &mut DbConn,
    contract_id: &ContractId,
    actor_id: &UserId,
    reason: &str,
) -> Result<ContractRow, ContractError> {
    let row = contracts::get(conn, contract_id)?;
    if !contracts::set_state(
        conn,
        contract_id,
        &ContractState::SIGNED,
        ContractState::Reopened,
        None,
    )? {
        return Err(wrong_state(&row, "reopen"));
    }
    contracts::add_event(
        conn,
        contract_id,
        EventKind::Reopened,
        Some(actor_id),
        &serde_json::json!({ "reason": reason, "seq": row.signature_seq }),
    )?;
    let links = contracts::graded_placements(conn, contract_id)?;
    let comment = format!("Contrat rouvert pour modification : {reason}");
    for link in &links {
        outbox::enqueue(
            conn,
            &Completion {
                user_id: &row.user_id,
                resource_link_id: link,
                contract_id: Some(contract_id),
                completed: false,
                comment: &comment,
            },
        )?;
    }
    Ok(contracts::get(conn, contract_id)?)
}
