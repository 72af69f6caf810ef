//! The integration suite: one binary, the real server on loopback, real databases.

mod support;

mod cli;
mod contract;
mod lti;
mod storage;
