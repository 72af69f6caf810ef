//! `cpre outbox status|retry`: the gradebook deliveries waiting or refused.

use super::{CourseOpts, t};
use crate::config::Settings;
use crate::store::micros_to_datetime;
use crate::store::outbox;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Counts per state, then every pending and failed delivery with its reason.
    Status(StatusOpts),
    /// Put a failed delivery back in the queue (due now), or every failed one without ID.
    Retry(RetryOpts),
}

#[derive(Debug, clap::Args)]
pub struct StatusOpts {
    /// Only this course (by default, every course).
    #[command(flatten)]
    pub course: CourseOpts,
}

#[derive(Debug, clap::Args)]
pub struct RetryOpts {
    /// The delivery's id (as `cpre outbox status` shows it); all failed ones when absent.
    pub id: Option<String>,
}

fn when(micros: i64) -> String {
    micros_to_datetime(micros)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    let db = super::open_db(&settings).await?;
    match cmd {
        Command::Status(opts) => {
            let context = if opts.course.is_empty() {
                None
            } else {
                match super::find_course(&db, &opts.course).await? {
                    Ok(context) => Some(context),
                    Err(message) => {
                        eprintln!("{message}");
                        return Ok(1);
                    }
                }
            };
            let (counts, open) = db
                .run(move |conn| match &context {
                    Some(c) => {
                        let status = outbox::status_for_context(conn, &c.id)?;
                        Ok((status.counts, status.open))
                    }
                    None => Ok((
                        outbox::counts(conn, None)?,
                        outbox::open_deliveries(conn, None)?,
                    )),
                })
                .await?;
            println!(
                "{}",
                t(
                    "cli.outbox.counts",
                    &[
                        ("pending", &counts.pending.to_string()),
                        ("failed", &counts.failed.to_string()),
                        ("delivered", &counts.delivered.to_string()),
                    ]
                )
            );
            for d in open {
                let change = t(
                    if d.completed {
                        "cli.outbox.completed"
                    } else {
                        "cli.outbox.cleared"
                    },
                    &[],
                );
                let state = if d.state == outbox::DeliveryState::Pending {
                    t("cli.outbox.pending", &[("next", &when(d.next_attempt_at))])
                } else {
                    t("cli.outbox.failed", &[])
                };
                println!(
                    "{}",
                    t(
                        "cli.outbox.delivery",
                        &[
                            ("id", &d.id),
                            ("state", &state),
                            ("name", &d.user_name),
                            ("sub", &d.user_sub),
                            ("course", &d.context_title),
                            ("change", &change),
                            ("attempts", &d.attempts.to_string()),
                        ]
                    )
                );
                if let Some(error) = &d.last_error {
                    println!(
                        "    {}: {error}",
                        d.error_kind.map_or("error", outbox::ErrorKind::as_str)
                    );
                }
            }
            Ok(0)
        }
        Command::Retry(opts) => {
            let id = opts.id.clone();
            let n = db
                .run(move |conn| outbox::retry(conn, id.as_deref(), None))
                .await?;
            match (&opts.id, n) {
                (Some(id), 0) => {
                    eprintln!("{}", t("cli.outbox.not_retryable", &[("id", id)]));
                    Ok(1)
                }
                _ => {
                    println!("{}", t("cli.outbox.retried", &[("count", &n.to_string())]));
                    Ok(0)
                }
            }
        }
    }
}
