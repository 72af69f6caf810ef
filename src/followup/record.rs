//! One contract as staff see it (what the student answered, identity, dates, fingerprint, every signed version, history, comments) and what staff do to it: validate, comment, ask for changes. Each read and action is written to the audit log.

use std::collections::HashMap;

use serde::Serialize;

use super::Scope;
use crate::contract::signing;
use crate::contract::student::{environment_of, identity_of};
use crate::contract::{ContractError, lifecycle};
use crate::course::{self, versions};
use crate::questionnaire::{Answers, Environment, SummaryPage};
use crate::store::audit::{Action, Actor, Target};
use crate::store::comments::Visibility;
use crate::store::comments::{self, Comment};
use crate::store::contracts::EventKind;
use crate::store::contracts::{self, ContractRow, EventRow};
use crate::store::formations::FormationRow;
use crate::store::ids::{ContractId, UserId};
use crate::store::users::User;
use crate::store::{DbConn, StoreResult};

/// A contract of the scope, by id; `None` when it does not exist or is outside the scope (the
/// course and the formations are in the query).
pub fn find(conn: &mut DbConn, scope: &Scope, id: &ContractId) -> StoreResult<Option<ContractRow>> {
    crate::store::followup::find_contract(conn, &scope.context_id, &scope.formation_ids, id)
}

/// A signed version, without its content.
#[derive(Debug, Clone, Serialize)]
pub struct SignedVersion {
    pub seq: i32,
    pub fingerprint: String,
    pub signed_at: i64,
}

/// An event of the history, with the name of who did it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub kind: EventKind,
    pub actor: Option<String>,
    pub at: i64,
    /// The reason of an amendment request.
    pub reason: Option<String>,
    pub seq: Option<i64>,
}

/// Everything the staff page of a contract shows.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub contract: ContractRow,
    pub student: User,
    pub formation: FormationRow,
    /// The signed version shown (`None`: the current answers of a contract never signed, or
    /// being amended, are shown).
    pub shown_seq: Option<i32>,
    pub fingerprint: Option<String>,
    pub questionnaire_title: String,
    pub questionnaire_version: i32,
    /// Visible pages and questions with their answers.
    pub summary: Vec<SummaryPage>,
    pub versions: Vec<SignedVersion>,
    pub events: Vec<Event>,
    pub comments: Vec<Comment>,
    /// The validator's name.
    pub validated_by: Option<String>,
    /// The contract's academic year is closed (no amendment can be asked).
    pub year_closed: bool,
}

/// The contract `id` of the scope with what staff see of it; `seq` shows an earlier signed
/// version (default: the latest signed one, or the current answers if never signed or being
/// amended). `None` when it is outside the scope or `seq` does not exist.
pub fn open(
    conn: &mut DbConn,
    scope: &Scope,
    id: &ContractId,
    seq: Option<i32>,
) -> Result<Option<Record>, ContractError> {
    let Some(contract) = find(conn, scope, id)? else {
        return Ok(None);
    };
    let state = contract.state;
    let student = crate::store::users::get(conn, &contract.user_id)?;
    let formation = crate::store::formations::get(conn, &contract.formation_id)?;
    let shown_seq = match seq {
        Some(s) if s >= 1 && s <= contract.signature_seq => Some(s),
        Some(_) => return Ok(None),
        None if state.is_signed() => Some(contract.signature_seq),
        None => None,
    };
    let (fingerprint, questionnaire, env, answers, version) = match shown_seq {
        Some(s) => {
            let (content, row) = signing::version_content(conn, &contract, s)?;
            let (version, questionnaire) =
                versions::load_by_id(conn, &row.questionnaire_version_id)?;
            let env = environment_of(&content);
            (
                Some(row.fingerprint),
                questionnaire,
                env,
                content.answers,
                version.version,
            )
        }
        None => {
            let (version, questionnaire) =
                versions::load_by_id(conn, &contract.questionnaire_version_id)?;
            let env = Environment::with_prepared(
                course::prepared_formation(&formation)?,
                contract.academic_year.clone(),
                contract.previous_contract_id.is_some(),
                identity_of(&student),
            );
            let answers: Answers = serde_json::from_str(&contract.answers)
                .map_err(|e| ContractError::Corrupt(format!("answers of {}: {e}", contract.id)))?;
            (None, questionnaire, env, answers, version.version)
        }
    };
    let summary = questionnaire.summary(&env, &answers);
    let versions = contracts::signatures_of(conn, &contract.id)?
        .into_iter()
        .map(|s| SignedVersion {
            seq: s.seq,
            fingerprint: s.fingerprint,
            signed_at: s.signed_at,
        })
        .collect();
    let raw_events = contracts::events_of(conn, &contract.id)?;
    let mut actor_ids: Vec<UserId> = raw_events
        .iter()
        .filter_map(|e| e.actor_id.clone())
        .collect();
    actor_ids.extend(contract.validated_by.clone());
    let names: HashMap<UserId, String> = crate::store::users::names_of(conn, &actor_ids)?;
    let events = raw_events.into_iter().map(|e| event(e, &names)).collect();
    let comments = comments::of_contract(conn, &contract.id, true)?;
    let year_closed =
        course::years::is_closed(conn, &contract.context_id, &contract.academic_year)?;
    Ok(Some(Record {
        year_closed,
        validated_by: contract
            .validated_by
            .as_ref()
            .and_then(|u| names.get(u).cloned()),
        questionnaire_title: questionnaire.title().to_owned(),
        questionnaire_version: version,
        contract,
        student,
        formation,
        shown_seq,
        fingerprint,
        summary,
        versions,
        events,
        comments,
    }))
}

fn event(e: EventRow, names: &HashMap<UserId, String>) -> Event {
    let detail = e.detail.into_inner();
    Event {
        actor: e.actor_id.as_ref().and_then(|a| names.get(a).cloned()),
        reason: detail
            .get("reason")
            .and_then(|r| r.as_str())
            .map(str::to_owned),
        seq: detail.get("seq").and_then(serde_json::Value::as_i64),
        kind: e.kind,
        at: e.at,
    }
}

/// Records a read of a contract (the page, its print or PDF).
pub fn record_read(
    conn: &mut DbConn,
    actor: &Actor,
    contract: &ContractRow,
    what: &str,
) -> StoreResult<()> {
    let act = if what == "pdf" {
        Action::ContractPdf
    } else {
        Action::ContractRead
    };
    actor.record(
        conn,
        &contract.context_id,
        act,
        (Target::Contract, Some(&contract.id)),
        serde_json::json!({ "formation_id": contract.formation_id, "view": what }),
    )
}

/// Countersigns a signed contract of the scope `decide` (the formations where the actor may
/// decide), with its audit entry. Caller's transaction.
pub fn validate(
    conn: &mut DbConn,
    decide: &Scope,
    actor: &Actor,
    id: &ContractId,
) -> Result<Option<ContractRow>, ContractError> {
    let Some(row) = find(conn, decide, id)? else {
        return Ok(None);
    };
    let user = actor.user_id.clone().unwrap_or_default();
    let done = lifecycle::validate(conn, &row.id, &user)?;
    actor.record(
        conn,
        &row.context_id,
        Action::ContractValidate,
        (Target::Contract, Some(&row.id)),
        serde_json::json!({ "formation_id": row.formation_id, "seq": row.signature_seq }),
    )?;
    Ok(Some(done))
}

/// Reopens a signed contract of the scope `decide` for an amendment, with the reason given
/// to the student (a comment visible to them) and its audit entry. Caller's transaction.
pub fn ask_changes(
    conn: &mut DbConn,
    decide: &Scope,
    actor: &Actor,
    id: &ContractId,
    reason: &str,
) -> Result<Option<ContractRow>, ContractError> {
    let Some(row) = find(conn, decide, id)? else {
        return Ok(None);
    };
    // A closed year is read-only for students: asking them for changes would be a dead end.
    if course::years::is_closed(conn, &row.context_id, &row.academic_year)? {
        return Err(ContractError::YearClosed(row.academic_year.clone()));
    }
    let user = actor.user_id.clone().unwrap_or_default();
    let done = lifecycle::reopen(conn, &row.id, &user, reason)?;
    comments::add(
        conn,
        &row.id,
        (&user, &actor.label),
        Visibility::Student,
        reason,
    )?;
    actor.record(
        conn,
        &row.context_id,
        Action::ContractReopen,
        (Target::Contract, Some(&row.id)),
        serde_json::json!({ "formation_id": row.formation_id, "reason": reason }),
    )?;
    Ok(Some(done))
}

/// Adds a comment to a contract of the scope `decide`, with its audit entry. Caller's
/// transaction.
pub fn comment(
    conn: &mut DbConn,
    decide: &Scope,
    actor: &Actor,
    id: &ContractId,
    visibility: Visibility,
    body: &str,
) -> Result<Option<String>, ContractError> {
    let Some(row) = find(conn, decide, id)? else {
        return Ok(None);
    };
    let user = actor.user_id.clone().unwrap_or_default();
    let comment_id = comments::add(conn, &row.id, (&user, &actor.label), visibility, body)?;
    actor.record(
        conn,
        &row.context_id,
        Action::ContractComment,
        (Target::Contract, Some(&row.id)),
        serde_json::json!({ "formation_id": row.formation_id, "visibility": visibility }),
    )?;
    Ok(Some(comment_id))
}
