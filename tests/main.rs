//! The integration suite: one binary, the real server on loopback, real databases.

mod support;

mod cli;
mod contract;
mod deep_linking;
mod design;
mod followup;
mod grades;
mod lti;
mod registration;
mod roster;
mod storage;
