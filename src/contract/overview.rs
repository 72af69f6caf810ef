//! What a student's contract page for a formation shows: the workspace, the signed version,
//! their other signed contracts and the comments addressed to them.

use serde::Serialize;

use super::student::{self, SignedView, Student, Workspace};
use super::{ContractError, ContractState};
use crate::store::ids::ContractId;
use crate::store::{DbConn, contracts};

/// Everything the overview shows, read in one database call.
pub struct Overview {
    pub ws: Workspace,
    pub signed: Option<SignedView>,
    /// The student's other contracts signed at least once (other years, other formations).
    pub others: Vec<OtherContract>,
    /// Staff comments addressed to the student (an amendment's reason among them).
    pub comments: Vec<crate::store::comments::Comment>,
}

/// A line of « Vos autres contrats ».
#[derive(Debug, Clone, Serialize)]
pub struct OtherContract {
    pub id: ContractId,
    pub academic_year: String,
    pub formation: String,
    pub number: Option<String>,
    pub state: ContractState,
    pub signed_at: Option<i64>,
}

/// Reads the overview of formation `code` for the student.
pub fn load(conn: &mut DbConn, student: &Student, code: &str) -> Result<Overview, ContractError> {
    let ws = Workspace::open(conn, student, code)?;
    load_with(conn, student, ws)
}

/// The overview around an open workspace.
pub fn load_with(
    conn: &mut DbConn,
    student: &Student,
    ws: Workspace,
) -> Result<Overview, ContractError> {
    let signed = match &ws.contract {
        Some(c) if c.signature_seq > 0 => student::signed_view(conn, c.clone())?,
        _ => None,
    };
    let current = ws.contract.as_ref().map(|c| c.id.clone());
    let others = contracts::of_user(conn, &student.user.id)?
        .into_iter()
        .filter(|o| Some(&o.contract.id) != current.as_ref() && o.contract.signature_seq > 0)
        .map(|o| OtherContract {
            formation: o.formation_title,
            id: o.contract.id,
            academic_year: o.contract.academic_year,
            number: o.contract.number,
            state: o.contract.state,
            signed_at: o.contract.signed_at,
        })
        .collect();
    let comments = match &current {
        Some(id) => crate::store::comments::of_contract(conn, id, false)?,
        None => Vec::new(),
    };
    Ok(Overview {
        ws,
        signed,
        others,
        comments,
    })
}
