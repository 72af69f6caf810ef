//! The integration suite: one binary, the real server on loopback, real databases.

mod support;

mod cli;
mod lti;
mod storage;
mod deep_linking;
mod grades;
mod registration;
mod roster;
