//! The student's side of a contract: the workspace a page needs, starting a draft (prefilled), saving a page, signing, and reading back what was signed.

use std::sync::Arc;

use super::progress::{pages_done, with_page_done};
use super::signing::{self, CourseRef, QuestionnaireRef, Seal, SignedContent, SignedIdentity};
use super::state::{ContractState, EventKind};
use super::{ContractError, prefill};
use crate::course::routing;
use crate::course::{self, versions};
use crate::questionnaire::{
    Answers, Environment, Formation, Identity, Incomplete, PageErrors, Questionnaire, SubmitError,
};
use crate::store::contexts::Context;
use crate::store::contracts::{self, ContractRow, NewContract};
use crate::store::formations::{CourseConfigRow, FormationRow};
use crate::store::ids::ContractId;
use crate::store::questionnaire_versions::VersionRow;
use crate::store::users::User;
use crate::store::{DbConn, now_micros};

/// The student of a session: who, in which course, in which Moodle groups.
#[derive(Debug, Clone)]
pub struct Student {
    pub user: User,
    pub context: Context,
    /// Moodle group ids of the launch.
    pub group_ids: Vec<i64>,
    /// The platform's issuer.
    pub issuer: String,
}

impl Student {
    /// The identity `identity` questions show.
    pub fn identity(&self) -> Identity {
        identity_of(&self.user)
    }
}

/// The identity of a user, as `identity` questions show it.
pub fn identity_of(user: &User) -> Identity {
    Identity {
        full_name: Some(user.name.clone()),
        given_name: Some(user.given_name.clone()),
        family_name: Some(user.family_name.clone()),
        email: Some(user.email.clone()),
        student_number: Some(user.person_sourcedid.clone()),
    }
}

/// Everything a contract page needs, for one student and one of their formations.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub config: CourseConfigRow,
    pub formation: FormationRow,
    /// `None` until the student starts.
    pub contract: Option<ContractRow>,
    /// The contract's questionnaire version (or the latest one, before the start).
    pub version: VersionRow,
    pub questionnaire: Arc<Questionnaire>,
    pub env: Environment,
    /// The contract's answers (empty before the start).
    pub answers: Answers,
    /// Pages saved at least once.
    pub pages_done: Vec<String>,
    /// The course closed the year: read-only for the student (`course::years`).
    pub year_closed: bool,
}

impl Workspace {
    /// Assembles the workspace of formation `code`, refused unless the student's groups lead
    /// to it in the session's course.
    pub fn open(
        conn: &mut DbConn,
        student: &Student,
        code: &str,
    ) -> Result<Workspace, ContractError> {
        let (config, formation) =
            routing::formation_of_student(conn, &student.context.id, &student.group_ids, code)?
                .map_err(ContractError::Refused)?;
        Self::open_routed(conn, student, config, formation)
    }

    /// [`Workspace::open`] for a caller that has just routed the student to `formation`
    /// (the home page), without routing again.
    pub fn open_routed(
        conn: &mut DbConn,
        student: &Student,
        config: CourseConfigRow,
        formation: FormationRow,
    ) -> Result<Workspace, ContractError> {
        let contract =
            contracts::find_for(conn, &student.user.id, &formation.id, &config.academic_year)?;
        let (version, questionnaire) = match &contract {
            Some(c) => versions::load_by_id(conn, &c.questionnaire_version_id)?,
            None => versions::latest(conn, &student.context.id, &formation.questionnaire_key)?
                .ok_or_else(|| {
                    ContractError::NoQuestionnaire(formation.questionnaire_key.clone())
                })?,
        };
        let previous_contract = match &contract {
            Some(c) => c.previous_contract_id.is_some(),
            None => prefill::find(
                conn,
                &student.user.id,
                &config.academic_year,
                &formation.code,
            )?
            .is_some(),
        };
        let year_closed =
            course::years::is_closed(conn, &student.context.id, &config.academic_year)?;
        let prepared = course::prepared_formation(&formation)?;
        let env = Environment::with_prepared(
            prepared,
            config.academic_year.clone(),
            previous_contract,
            student.identity(),
        );
        let (answers, done) = match &contract {
            Some(c) => (
                serde_json::from_str(&c.answers)
                    .map_err(|e| ContractError::Corrupt(format!("answers of {}: {e}", c.id)))?,
                pages_done(&c.pages_done),
            ),
            None => (Answers::new(), Vec::new()),
        };
        Ok(Workspace {
            config,
            formation,
            contract,
            version,
            questionnaire,
            env,
            answers,
            pages_done: done,
            year_closed,
        })
    }

    /// The contract's state (`None` before the start).
    pub fn state(&self) -> Option<ContractState> {
        self.contract.as_ref().map(|c| c.state)
    }

    /// The contract's revision (0 before the start), for forms.
    pub fn revision(&self) -> i32 {
        self.contract.as_ref().map_or(0, |c| c.revision)
    }

    /// Whether the student may change the contract now (editable state, year not closed).
    pub fn is_editable(&self) -> bool {
        !self.year_closed && self.state().is_some_and(ContractState::is_editable)
    }

    /// The contract, if it can be edited.
    fn editable(&self) -> Result<&ContractRow, ContractError> {
        if self.year_closed {
            return Err(ContractError::YearClosed(self.config.academic_year.clone()));
        }
        let contract = self.contract.as_ref().ok_or(ContractError::NotStarted)?;
        if contract.state.is_editable() {
            Ok(contract)
        } else {
            Err(ContractError::ReadOnly)
        }
    }
}

/// Starts the student's contract for formation `code` (nothing happens if it exists): a
/// draft on the latest questionnaire version, prefilled from last year's contract
/// (questions marked `carry_over`). Caller's transaction.
pub fn start(conn: &mut DbConn, student: &Student, code: &str) -> Result<Workspace, ContractError> {
    let ws = Workspace::open(conn, student, code)?;
    if ws.contract.is_some() {
        return Ok(ws);
    }
    if ws.year_closed {
        return Err(ContractError::YearClosed(ws.config.academic_year.clone()));
    }
    let previous = prefill::find(conn, &student.user.id, &ws.config.academic_year, code)?;
    let answers = match &previous {
        Some(p) => {
            let last_year = prefill::signed_answers(conn, &p.contract)?;
            ws.questionnaire.carry_over(&ws.env, &last_year)
        }
        None => Answers::new(),
    };
    let json = serde_json::to_string(&answers)
        .map_err(|e| ContractError::Corrupt(format!("answers: {e}")))?;
    let row = contracts::insert(
        conn,
        &NewContract {
            context_id: &student.context.id,
            formation_id: &ws.formation.id,
            user_id: &student.user.id,
            academic_year: &ws.config.academic_year,
            questionnaire_version_id: &ws.version.id,
            state: ContractState::Draft,
            answers: &json,
            previous_contract_id: previous.as_ref().map(|p| &p.contract.id),
        },
    )?;
    let carried: Vec<&str> = answers.iter().map(|(id, _)| id).collect();
    contracts::add_event(
        conn,
        &row.id,
        EventKind::Started,
        Some(&student.user.id),
        &serde_json::json!({
            "questionnaire_version": ws.version.version,
            "prefilled_from": previous.as_ref().map(|p| p.contract.id.clone()),
            "carried_over": carried,
        }),
    )?;
    Ok(Workspace {
        contract: Some(row),
        answers,
        ..ws
    })
}

/// What saving a page gave.
#[derive(Debug)]
pub enum SaveOutcome {
    /// Saved; the workspace holds the new answers.
    Saved(Box<Workspace>),
    /// Refused answers: nothing saved.
    Invalid(Box<Workspace>, PageErrors),
    /// The contract changed since the form was shown (another tab or device): nothing saved.
    Stale(Box<Workspace>),
}

/// Validates and saves the posted page `page_id` of the student's contract, if the form was
/// made from the current revision. Caller's transaction.
pub fn save_page(
    conn: &mut DbConn,
    student: &Student,
    code: &str,
    page_id: &str,
    form: &[(String, String)],
    revision: i32,
) -> Result<SaveOutcome, ContractError> {
    let mut ws = Workspace::open(conn, student, code)?;
    let contract = ws.editable()?.clone();
    if contract.revision != revision {
        return Ok(SaveOutcome::Stale(Box::new(ws)));
    }
    let answers = match ws
        .questionnaire
        .submit_page(&ws.env, &ws.answers, page_id, form)
    {
        Ok(a) => a,
        Err(SubmitError::Invalid(errors)) => return Ok(SaveOutcome::Invalid(Box::new(ws), errors)),
        Err(SubmitError::UnknownPage(p)) => return Err(ContractError::UnknownPage(p)),
        Err(SubmitError::HiddenPage(p)) => return Err(ContractError::HiddenPage(p)),
    };
    let done = with_page_done(&ws.pages_done, page_id);
    let answers_json = serde_json::to_string(&answers)
        .map_err(|e| ContractError::Corrupt(format!("answers: {e}")))?;
    let done_json =
        serde_json::to_string(&done).map_err(|e| ContractError::Corrupt(format!("pages: {e}")))?;
    if !contracts::save_draft(
        conn,
        &contract.id,
        revision,
        &ContractState::EDITABLE,
        &answers_json,
        &done_json,
    )? {
        return Ok(SaveOutcome::Stale(Box::new(ws)));
    }
    ws.contract = Some(contracts::get(conn, &contract.id)?);
    ws.answers = answers;
    ws.pages_done = done;
    Ok(SaveOutcome::Saved(Box::new(ws)))
}

/// What a signature attempt gave.
#[derive(Debug)]
pub enum SignOutcome {
    /// Signed.
    Signed(signing::Signature),
    /// Something required is missing or invalid: nothing signed.
    Incomplete(Box<Workspace>, Incomplete),
    /// The contract changed since the summary was shown: nothing signed.
    Stale(Box<Workspace>),
}

/// Signs the student's contract for formation `code` if the summary they consented to was
/// made from the current revision and everything is answered. Caller's transaction; the
/// gradebook completion is enqueued in it when `resource_link_id` is given.
pub fn sign(
    conn: &mut DbConn,
    student: &Student,
    code: &str,
    revision: i32,
    resource_link_id: Option<&str>,
) -> Result<SignOutcome, ContractError> {
    let ws = Workspace::open(conn, student, code)?;
    let contract = ws.editable()?.clone();
    if contract.revision != revision {
        return Ok(SignOutcome::Stale(Box::new(ws)));
    }
    let answers = match ws.questionnaire.check_complete(&ws.env, &ws.answers) {
        Ok(a) => a,
        Err(incomplete) => return Ok(SignOutcome::Incomplete(Box::new(ws), incomplete)),
    };
    let content = SignedContent {
        format: String::new(),
        contract: signing::ContractRef {
            id: String::new(),
            number: String::new(),
            seq: 0,
            academic_year: String::new(),
            previous_fingerprint: None,
        },
        platform: student.issuer.clone(),
        course: CourseRef {
            id: student.context.lti_id.clone(),
            title: student.context.title.clone(),
            label: student.context.label.clone(),
        },
        formation: ws.env.formation().clone(),
        previous_contract: ws.env.previous_contract,
        questionnaire: QuestionnaireRef {
            key: ws.version.questionnaire_key.clone(),
            version: ws.version.version,
            title: ws.version.title.clone(),
            content_hash: ws.version.content_hash.clone(),
        },
        identity: SignedIdentity {
            sub: student.user.sub.clone(),
            name: student.user.name.clone(),
            given_name: student.user.given_name.clone(),
            family_name: student.user.family_name.clone(),
            email: student.user.email.clone(),
            student_number: student.user.person_sourcedid.clone(),
        },
        answers: Answers::new(),
        signed_at: String::new(),
    };
    let signed = signing::sign(
        conn,
        Seal {
            contract: &contract,
            answers: &answers,
            content,
            signer_id: &student.user.id,
            resource_link_id,
            now: now_micros(),
        },
    )?;
    Ok(match signed {
        Some(s) => SignOutcome::Signed(s),
        None => SignOutcome::Stale(Box::new(ws)),
    })
}

/// A signed contract as it was signed: the stored content (checked against its
/// fingerprint), its questionnaire version, and an environment rebuilt from the content, so
/// that the summary shows exactly what was signed.
#[derive(Debug, Clone)]
pub struct SignedView {
    pub contract: ContractRow,
    pub content: SignedContent,
    pub fingerprint: String,
    pub questionnaire: Arc<Questionnaire>,
    pub env: Environment,
}

/// The latest signed version of a contract (`None` if it was never signed).
pub fn signed_view(
    conn: &mut DbConn,
    contract: ContractRow,
) -> Result<Option<SignedView>, ContractError> {
    let Some((content, fingerprint)) = signing::latest_content(conn, &contract)? else {
        return Ok(None);
    };
    let (_, questionnaire) = versions::load_by_id(conn, &contract.questionnaire_version_id)?;
    let env = environment_of(&content);
    Ok(Some(SignedView {
        contract,
        content,
        fingerprint,
        questionnaire,
        env,
    }))
}

/// The engine environment a signed content was answered in.
pub fn environment_of(content: &SignedContent) -> Environment {
    let formation: Formation = content.formation.clone();
    let id = &content.identity;
    Environment::new(
        formation,
        content.contract.academic_year.clone(),
        content.previous_contract,
        Identity {
            full_name: Some(id.name.clone()),
            given_name: Some(id.given_name.clone()),
            family_name: Some(id.family_name.clone()),
            email: Some(id.email.clone()),
            student_number: Some(id.student_number.clone()),
        },
    )
}

/// One of the student's contracts, by id: `None` unless it is theirs.
pub fn own_contract(
    conn: &mut DbConn,
    student: &Student,
    id: &ContractId,
) -> Result<Option<ContractRow>, ContractError> {
    Ok(contracts::get_of_user(conn, &student.user.id, id)?)
}
