//! Contract states and history event kinds: draft → signed → validated; reopened (an amendment asked by staff) → signed again.

use serde::{Deserialize, Serialize};

/// Where a contract is in its life.
///
/// ```text
/// draft ──sign──▶ signed ──validate──▶ validated
///                   ▲  │                  │
///                   │  └──reopen──┐       │
///                 sign            ▼       │
///                   └──────── reopened ◀──┘ reopen
/// ```
///
/// The student edits a `draft` or a `reopened` contract; `signed` and `validated` are
/// read-only for everyone. Every signature adds a signed version (`contract_signatures`),
/// so reopening never loses what was signed before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractState {
    /// Being filled by the student, never signed.
    Draft,
    /// Signed by the student; immutable.
    Signed,
    /// Countersigned by staff (issue 5); immutable.
    Validated,
    /// Reopened by staff for an amendment: the student edits it and signs again.
    Reopened,
}

impl ContractState {
    /// Every state, in lifecycle order.
    pub const ALL: [ContractState; 4] = [
        ContractState::Draft,
        ContractState::Signed,
        ContractState::Validated,
        ContractState::Reopened,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractState::Draft => "draft",
            ContractState::Signed => "signed",
            ContractState::Validated => "validated",
            ContractState::Reopened => "reopened",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<ContractState> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the student may change the answers.
    pub fn is_editable(self) -> bool {
        matches!(self, ContractState::Draft | ContractState::Reopened)
    }

    /// Whether the current answers are signed (read-only).
    pub fn is_signed(self) -> bool {
        matches!(self, ContractState::Signed | ContractState::Validated)
    }

    /// The stored names of the editable states (for conditional updates).
    pub const EDITABLE: [&'static str; 2] = ["draft", "reopened"];
    /// The stored names of the signed states.
    pub const SIGNED: [&'static str; 2] = ["signed", "validated"];
}

/// Kinds of history events (`contract_events.kind`).
pub mod event {
    /// The draft was created (detail: `prefilled_from`, `questionnaire_version`).
    pub const STARTED: &str = "started";
    /// The student signed (detail: `seq`, `fingerprint`, `number`).
    pub const SIGNED: &str = "signed";
    /// Staff countersigned.
    pub const VALIDATED: &str = "validated";
    /// Staff reopened it for an amendment (detail: `reason`).
    pub const REOPENED: &str = "reopened";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_rules_hold() {
        for st in ContractState::ALL {
            assert_eq!(ContractState::parse(st.as_str()), Some(st));
            assert_ne!(st.is_editable(), st.is_signed());
            assert_eq!(
                ContractState::EDITABLE.contains(&st.as_str()),
                st.is_editable()
            );
            assert_eq!(ContractState::SIGNED.contains(&st.as_str()), st.is_signed());
        }
        assert_eq!(ContractState::parse("nope"), None);
    }
}
