//! The student's contract: states, drafts (start with last year's prefill, save a page), signing (canonical content, fingerprint, number, gradebook), amendments.
//!
//! A contract is one student's answers to one questionnaire version, for one formation and
//! one academic year (unique). Everything a request needs is assembled by
//! [`student::Workspace::open`] in the request's single database call: the formation the
//! student's groups lead to (never a free choice), the course's academic year, the
//! contract, its questionnaire version (loaded once per process) and the engine's
//! environment. The operations ([`student::start`], [`student::save_page`],
//! [`student::sign`], [`lifecycle::reopen`], [`lifecycle::validate`]) run in one write
//! transaction each ([`in_transaction`]), scoped by the session's user.

pub mod form;
pub mod home;
pub mod lifecycle;
pub mod numbering;
pub mod overview;
pub mod prefill;
pub mod progress;
pub mod signing;
pub mod state;
pub mod student;

pub use state::{ContractState, EventKind};

use crate::course::CourseError;
use crate::course::routing::Refusal;
use crate::course::versions::VersionError;
use crate::failure::Kind;
use crate::store::ids::ContractId;
use crate::store::{DbConn, StoreError};

/// Why a contract operation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The formation asked for is not the student's (or the course is not configured).
    #[error("formation refused: {0:?}")]
    Refused(Refusal),
    /// The formation's questionnaire was never published in the course.
    #[error("no questionnaire `{0}` is published in the course")]
    NoQuestionnaire(String),
    /// There is no contract yet (the student has not started it).
    #[error("the contract has not been started")]
    NotStarted,
    /// The contract is signed or validated: nobody changes it.
    #[error("the contract is signed and read-only")]
    ReadOnly,
    /// The academic year of the contract is closed: students can no longer edit or sign.
    #[error("academic year {0} is closed")]
    YearClosed(String),
    /// No page has this id.
    #[error("unknown page `{0}`")]
    UnknownPage(String),
    /// The page exists but is not shown for the current answers (forged or stale request).
    #[error("page `{0}` is not shown for these answers")]
    HiddenPage(String),
    /// The transition asked for does not apply to the contract's state.
    #[error("contract {id} is {state}: cannot {action}")]
    WrongState {
        id: ContractId,
        state: ContractState,
        action: &'static str,
    },
    /// A stored signed content no longer matches its fingerprint.
    #[error("signed content of contract {0} does not match its fingerprint")]
    Tampered(ContractId),
    /// Stored data that does not read back.
    #[error("stored contract data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Course(#[from] CourseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ContractError {
    /// The stable code of the message shown (catalogue `error.<code>.*`).
    pub fn code(&self) -> &'static str {
        match self {
            ContractError::Refused(Refusal::NotConfigured) => "contract.not_configured",
            ContractError::Refused(Refusal::Unrouted | Refusal::NotTheirs) => {
                "contract.not_your_formation"
            }
            ContractError::Refused(Refusal::Unknown)
            | ContractError::UnknownPage(_)
            | ContractError::NotStarted => "not_found",
            ContractError::NoQuestionnaire(_) => "contract.no_questionnaire",
            ContractError::ReadOnly => "contract.signed",
            ContractError::YearClosed(_) => "contract.year_closed",
            ContractError::HiddenPage(_) => "contract.hidden_page",
            ContractError::WrongState { .. } => "contract.wrong_state",
            ContractError::Tampered(_) => "contract.tampered",
            ContractError::Corrupt(_)
            | ContractError::Version(_)
            | ContractError::Course(_)
            | ContractError::Store(_) => "internal",
        }
    }

    /// The sort of failure.
    pub fn kind(&self) -> Kind {
        match self {
            ContractError::Refused(Refusal::Unrouted | Refusal::NotTheirs) => Kind::Forbidden,
            ContractError::Refused(Refusal::NotConfigured | Refusal::Unknown)
            | ContractError::UnknownPage(_)
            | ContractError::NotStarted => Kind::NotFound,
            ContractError::NoQuestionnaire(_) => Kind::Unavailable,
            ContractError::ReadOnly
            | ContractError::WrongState { .. }
            | ContractError::YearClosed(_) => Kind::Conflict,
            ContractError::HiddenPage(_) => Kind::Invalid,
            ContractError::Tampered(_)
            | ContractError::Corrupt(_)
            | ContractError::Version(_)
            | ContractError::Course(_)
            | ContractError::Store(_) => Kind::Internal,
        }
    }
}

/// Runs `f` in a write transaction that is rolled back when `f` fails (with its error).
pub fn in_transaction<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, ContractError>,
) -> Result<T, ContractError> {
    crate::store::transaction(conn, f)
}
