//! Completion in the Moodle gradebook: the durable outbox that a signature (or an amendment
//! that reopens a contract) writes in its own transaction, and its delivery by the worker.

pub mod delivery;
pub mod worker;

pub use crate::store::outbox::{ContextDeliveries, DeliveryStatus, status_for_context};
pub use delivery::{Outcome, deliver_next};
