//! Staff comments on a contract: private to staff, or visible to the student on their contract.

use super::ids::{ContractId, UserId};
use diesel::prelude::*;

use crate::store::schema::contract_comments;
use crate::store::text::text_enum;
use crate::store::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

text_enum! {
    /// Who sees a comment (`contract_comments.visibility`).
    pub enum Visibility {
        /// Staff only.
        Staff = "staff",
        /// Staff and the student.
        Student = "student",
    }
}
/// Longest comment accepted (characters).
pub const MAX_LEN: usize = 4000;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = contract_comments)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Comment {
    pub id: String,
    pub contract_id: ContractId,
    pub author_id: Option<UserId>,
    pub author_label: String,
    pub visibility: Visibility,
    pub body: String,
    pub created_at: i64,
}

/// Adds a comment (caller's transaction; the caller checked the right to comment).
pub fn add(
    conn: &mut DbConn,
    contract_id: &ContractId,
    author: (&UserId, &str),
    visibility: Visibility,
    body: &str,
) -> StoreResult<String> {
    let id = new_id();
    diesel::insert_into(contract_comments::table)
        .values((
            contract_comments::id.eq(&id),
            contract_comments::contract_id.eq(contract_id),
            contract_comments::author_id.eq(author.0),
            contract_comments::author_label.eq(author.1),
            contract_comments::visibility.eq(visibility),
            contract_comments::body.eq(body),
            contract_comments::created_at.eq(now_micros()),
        ))
        .execute_on(conn)?;
    Ok(id)
}

/// The comments of a contract, oldest first; only those visible to the student unless
/// `with_private`.
pub fn of_contract(
    conn: &mut DbConn,
    contract_id: &ContractId,
    with_private: bool,
) -> StoreResult<Vec<Comment>> {
    let of_contract = contract_comments::table
        .filter(contract_comments::contract_id.eq(contract_id))
        .order(contract_comments::created_at.asc())
        .select(columns::<Comment>());
    Ok(if with_private {
        of_contract.load_on(conn)?
    } else {
        of_contract
            .filter(contract_comments::visibility.eq(Visibility::Student))
            .load_on(conn)?
    })
}
