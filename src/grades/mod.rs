//! Completion in the Moodle gradebook: the durable outbox that a signature (or an amendment
//! that reopens a contract) writes in its own transaction, and its delivery by the worker.

pub mod delivery;
pub mod line_items;
pub mod outbox;
pub mod worker;

pub use delivery::{Outcome, deliver_next};
pub use outbox::{ContextDeliveries, DeliveryStatus, status_for_context};
