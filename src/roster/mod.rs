//! The course roster (NRPS) and Moodle groups: fetching who is in the course (on demand and on
//! a schedule, [`sync::sync_context`]) and, when the platform has a web service token, the
//! groups and course roles ([`groups::sync`]). What is stored, and read by staff pages, is in
//! `store::roster` and `store::groups`.

pub mod groups;
pub mod sync;
