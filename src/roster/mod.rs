//! The course roster (NRPS) and Moodle groups: who is in the course (kept in sync on demand
//! and on a schedule), who never opened the contract, and group names when the platform has
//! a web service token.
//!
//! For staff pages: [`members`], [`never_launched`], [`groups::overview`],
//! [`groups::member_groups`], [`sync::sync_context`], [`not_students`] (who is never counted
//! as a student).

pub mod groups;
pub mod members;
pub mod not_students;
pub mod sync;

pub use members::{RosterMember, members, never_launched};
