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
use crate::course::reference::{CourseRef, CourseRefError};
use crate::store::DbPool;
use crate::store::contexts::Context;

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

/// A command-line message in the operator's language (`cli.*` keys; French, or English for
/// an English locale).
pub fn t(key: &str, args: &[(&str, &str)]) -> String {
    crate::i18n::format(crate::i18n::cli_lang(), key, args)
}

/// Which course a command is about, the same way for every command: the reference `cpre
/// course show` prints, or Moodle's course id with the platform's issuer and, when Moodle
/// registered the tool more than once, the client id.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CourseOpts {
    /// The course reference printed by `cpre course show`.
    #[arg(long, conflicts_with_all = ["issuer", "client_id", "context"])]
    pub course: Option<String>,
    /// The platform's issuer (Moodle: its address, without trailing slash).
    #[arg(long)]
    pub issuer: Option<String>,
    /// The client ID Moodle gave the tool (needed when it registered the tool twice).
    #[arg(long)]
    pub client_id: Option<String>,
    /// The course id as Moodle sends it in launches (LTI context id: Moodle's course id).
    #[arg(long)]
    pub context: Option<String>,
}

impl CourseOpts {
    /// True when no option names a course.
    pub fn is_empty(&self) -> bool {
        self.course.is_none() && self.context.is_none() && self.issuer.is_none()
    }

    pub fn reference(&self) -> CourseRef {
        CourseRef {
            course: self.course.clone().map(Into::into),
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            context: self.context.clone(),
        }
    }
}

/// What the operator reads when a course reference names no course or several: the reason,
/// then the registrations to choose from.
pub fn course_ref_message(e: &CourseRefError) -> String {
    let mut text = match e {
        CourseRefError::Store(e) => t("cli.error", &[("error", &e.to_string())]),
        CourseRefError::UnknownReference(r) => {
            t("cli.course_ref.unknown_reference", &[("reference", r)])
        }
        CourseRefError::UnknownIssuer(issuer) => {
            t("cli.course_ref.unknown_issuer", &[("issuer", issuer)])
        }
        CourseRefError::UnknownRegistration {
            issuer, client_id, ..
        } => t(
            "cli.course_ref.unknown_registration",
            &[("issuer", issuer), ("client_id", client_id)],
        ),
        CourseRefError::UnknownCourse { context, .. }
        | CourseRefError::Ambiguous { context, .. } => t(
            &format!("cli.course_ref.{}", e.code()),
            &[("context", context)],
        ),
        CourseRefError::Missing => t("cli.course_ref.missing", &[]),
    };
    for c in e.candidates() {
        text.push('\n');
        text.push_str(&match &c.course {
            Some(course) => t(
                "cli.course_ref.candidate_course",
                &[
                    ("issuer", &c.issuer),
                    ("client_id", &c.client_id),
                    ("course", course),
                ],
            ),
            None => t(
                "cli.course_ref.candidate",
                &[("issuer", &c.issuer), ("client_id", &c.client_id)],
            ),
        });
    }
    text
}

/// The course the options name, or the message to print.
pub async fn find_course(
    db: &DbPool,
    opts: &CourseOpts,
) -> anyhow::Result<Result<Context, String>> {
    let reference = opts.reference();
    Ok(db
        .run(move |conn| Ok(crate::course::reference::resolve(conn, &reference)))
        .await?
        .map(|(context, _)| context)
        .map_err(|e| course_ref_message(&e)))
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
