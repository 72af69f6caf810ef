//! `cpre roster sync`: fetch a course's roster (NRPS) and, with a web service token, its
//! Moodle groups, now.

use super::{CourseOpts, t};
use crate::config::Settings;
use crate::state::AppState;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Synchronise a course's roster (and groups when the platform has a web service token).
    Sync(SyncOpts),
}

#[derive(Debug, clap::Args)]
pub struct SyncOpts {
    #[command(flatten)]
    pub course: CourseOpts,
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    let db = super::open_db(&settings).await?;
    match cmd {
        Command::Sync(opts) => {
            let context = match super::find_course(&db, &opts.course).await? {
                Ok(context) => context,
                Err(message) => {
                    eprintln!("{message}");
                    return Ok(1);
                }
            };
            let state = AppState::new(settings, db)?;
            match crate::roster::sync::sync_context(&state, &context.id).await {
                Ok(report) => {
                    let m = &report.members;
                    println!(
                        "{}",
                        t(
                            "cli.roster.synced",
                            &[
                                ("course", &context.title),
                                ("context", &context.lti_id),
                                ("total", &m.total.to_string()),
                                ("pages", &report.pages.to_string()),
                                ("added", &m.added.to_string()),
                                ("updated", &m.updated.to_string()),
                                ("removed", &m.removed.to_string()),
                            ]
                        )
                    );
                    let groups = match report.groups {
                        None => t("cli.roster.no_webservice", &[]),
                        Some(Ok(g)) => {
                            let mut line = t(
                                "cli.roster.groups",
                                &[
                                    ("groups", &g.groups.to_string()),
                                    ("memberships", &g.memberships.to_string()),
                                ],
                            );
                            line.push(' ');
                            line.push_str(&match g.roles {
                                Some(n) => t("cli.roster.roles", &[("users", &n.to_string())]),
                                None => t("cli.roster.no_roles", &[]),
                            });
                            line
                        }
                        Some(Err(e)) => t("cli.roster.groups_failed", &[("error", &e)]),
                    };
                    println!("{groups}");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("{}", t("cli.error", &[("error", &e.to_string())]));
                    Ok(1)
                }
            }
        }
    }
}
