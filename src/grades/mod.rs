//! Completion in the Moodle gradebook: the durable outbox that a signature (or an amendment
//! that reopens a contract) writes in its own transaction, and its delivery.

pub mod outbox;
