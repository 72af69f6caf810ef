//! `cpre roster sync`: fetch a course's roster (NRPS) and, with a web service token, its
//! Moodle groups, now.

use crate::config::Settings;
use crate::state::AppState;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Synchronise a course's roster (and groups when the platform has a web service token).
    Sync(SyncOpts),
}

#[derive(Debug, clap::Args)]
pub struct SyncOpts {
    /// The tool's context id, or Moodle's course id (with --issuer when several platforms
    /// have it).
    #[arg(long)]
    pub context: String,
    /// The platform's issuer, to pick the course of --context.
    #[arg(long)]
    pub issuer: Option<String>,
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    let db = super::open_db(&settings).await?;
    match cmd {
        Command::Sync(opts) => {
            let context = super::find_context(&db, &opts.context, opts.issuer.as_deref()).await?;
            let state = AppState::new(settings, db)?;
            match crate::roster::sync::sync_context(&state, &context.id).await {
                Ok(report) => {
                    println!(
                        "{} ({}): {} members in {} page(s): {} added, {} updated, {} removed.",
                        context.title,
                        context.lti_id,
                        report.members.total,
                        report.pages,
                        report.members.added,
                        report.members.updated,
                        report.members.removed
                    );
                    match report.groups {
                        None => println!(
                            "Groups: no web service token for this platform (`cpre platform webservice`)."
                        ),
                        Some(Ok(g)) => println!(
                            "Groups: {} group(s), {} membership(s).",
                            g.groups, g.memberships
                        ),
                        Some(Err(e)) => println!("Groups: failed: {e}"),
                    }
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(1)
                }
            }
        }
    }
}
