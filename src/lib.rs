//! cpre: an LTI 1.3 tool that runs the Contrat Pédagogique pour la Réussite Étudiante in Moodle.
//!
//! See `docs/architecture.md` for the module map and the path of a launch.

pub mod access;
pub mod access_tokens;
pub mod cli;
pub mod config;
pub mod contract;
pub mod course;
pub mod export;
pub mod failure;
pub mod followup;
pub mod grades;
#[cfg(test)]
mod house;
pub mod i18n;
pub mod keyring;
pub mod launch;
pub mod lti;
pub mod moodle_ws;
pub mod questionnaire;
pub mod registration;
pub mod roster;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;

pub use config::Settings;
pub use startup::Application;
