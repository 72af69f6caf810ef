//! The integration suite: one binary, the real server on loopback, real databases.

mod support;

mod cli;
mod config;
mod contract;
mod deep_linking;
mod followup;
mod grades;
mod lti;
mod registration;
mod roster;
mod storage;
