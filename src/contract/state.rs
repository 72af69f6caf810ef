//! Contract states and history event kinds: draft → signed → validated; reopened (an
//! amendment asked by staff) → signed again. The enums live with the `contracts` table
//! (`store::contracts`), where they are converted to and from their stored names.

pub use crate::store::contracts::{ContractState, EventKind};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_rules_hold() {
        for st in ContractState::ALL.iter().copied() {
            assert_eq!(ContractState::parse(st.as_str()), Some(st));
            assert_ne!(st.is_editable(), st.is_signed());
        }
        assert_eq!(ContractState::parse("nope"), None);
        assert_eq!(EventKind::Reopened.as_str(), "reopened");
    }
}
