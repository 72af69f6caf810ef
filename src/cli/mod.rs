//! The command line: `cpre serve` (default) and the operator's commands.

pub mod course;
pub mod db;
pub mod demo;
pub mod keys;
pub mod outbox;
pub mod platform;
pub mod questionnaire;
pub mod roster;
pub mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::store::DbPool;

#[derive(Debug, Parser)]
#[command(
    name = "cpre",
    version,
    about = "Contrat Pédagogique pour la Réussite Étudiante: an LTI 1.3 tool for Moodle"
)]
pub struct Cli {
    /// A TOML settings file (environment variables CPRE_* override it).
    #[arg(long, global = true, env = "CPRE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve(serve::Opts),
    /// Register, list and remove platforms (Moodle sites).
    #[command(subcommand)]
    Platform(platform::Command),
    /// Manage the tool's signing keys.
    #[command(subcommand)]
    Keys(keys::Command),
    /// Database maintenance.
    #[command(subcommand)]
    Db(db::Command),
    /// Configure a course: formations, Moodle groups, academic year, questionnaires.
    #[command(subcommand)]
    Course(course::Command),
    /// Publish, export and check questionnaire versions.
    #[command(subcommand)]
    Questionnaire(questionnaire::Command),
    /// The demo course of the local Moodle lab (demo only).
    #[command(subcommand)]
    Demo(demo::Command),
    /// Gradebook deliveries (AGS): status and retry.
    #[command(subcommand)]
    Outbox(outbox::Command),
    /// Course rosters (NRPS) and Moodle groups.
    #[command(subcommand)]
    Roster(roster::Command),
}

impl Cli {
    /// Runs the command; the result is the process exit code.
    pub async fn run(self) -> anyhow::Result<i32> {
        let settings = Settings::load(self.config.as_deref())?;
        crate::telemetry::init(&settings.log);
        match self
            .command
            .unwrap_or(Command::Serve(serve::Opts::default()))
        {
            Command::Serve(opts) => serve::run(opts, settings).await,
            Command::Platform(cmd) => platform::run(cmd, settings).await,
            Command::Keys(cmd) => keys::run(cmd, settings).await,
            Command::Db(cmd) => db::run(cmd, settings).await,
            Command::Course(cmd) => course::run(cmd, settings).await,
            Command::Questionnaire(cmd) => questionnaire::run(cmd, settings).await,
            Command::Demo(cmd) => demo::run(cmd, settings).await,
            Command::Outbox(cmd) => outbox::run(cmd, settings).await,
            Command::Roster(cmd) => roster::run(cmd, settings).await,
        }
    }
}

/// Opens the database for a command, migrating it first.
pub async fn open_db(settings: &Settings) -> anyhow::Result<DbPool> {
    let url = settings.database_url.clone();
    Ok(tokio::task::spawn_blocking(move || DbPool::open_and_migrate(&url, 2)).await??)
}

/// The course a command names: the tool's context id, or an LTI context id (Moodle's course
/// id) that must designate one course, on the platform `issuer` when given.
pub async fn find_context(
    db: &DbPool,
    reference: &str,
    issuer: Option<&str>,
) -> anyhow::Result<crate::store::contexts::Context> {
    let wanted = reference.to_string();
    let issuer = issuer.map(str::to_string);
    let found = db
        .run(move |conn| {
            if let Some(c) = crate::store::contexts::find(conn, &wanted)? {
                return Ok(vec![c]);
            }
            let mut all = crate::store::contexts::find_all_by_lti_id(conn, &wanted)?;
            if let Some(issuer) = &issuer {
                let platforms = crate::store::platforms::find_by_issuer(conn, issuer)?;
                all.retain(|c| platforms.iter().any(|p| p.id == c.platform_id));
            }
            Ok(all)
        })
        .await?;
    let count = found.len();
    match found.into_iter().next() {
        Some(context) if count == 1 => Ok(context),
        Some(_) => anyhow::bail!(
            "{count} courses have the id `{reference}` on different platforms: add --issuer"
        ),
        None => anyhow::bail!(
            "no course `{reference}` known to the tool (a course appears after its first launch)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
