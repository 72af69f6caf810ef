//! `cpre outbox status|retry`: the gradebook deliveries waiting or refused.

use crate::config::Settings;
use crate::grades::outbox;
use crate::store::micros_to_datetime;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Counts per state, then every pending and failed delivery with its reason.
    Status(StatusOpts),
    /// Put a failed delivery back in the queue (due now), or every failed one without ID.
    Retry(RetryOpts),
}

#[derive(Debug, clap::Args)]
pub struct StatusOpts {
    /// Only this course: the tool's context id, or Moodle's course id (with --issuer when
    /// several platforms have it).
    #[arg(long)]
    pub context: Option<String>,
    /// The platform's issuer, to pick the course of --context.
    #[arg(long, requires = "context")]
    pub issuer: Option<String>,
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
            let context = match &opts.context {
                Some(reference) => {
                    Some(super::find_context(&db, reference, opts.issuer.as_deref()).await?)
                }
                None => None,
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
                "pending: {}  failed: {}  delivered: {}",
                counts.pending, counts.failed, counts.delivered
            );
            for d in open {
                let change = if d.completed { "completed" } else { "cleared" };
                let state = if d.state == outbox::state::PENDING {
                    format!("pending, next attempt {}", when(d.next_attempt_at))
                } else {
                    d.state.clone()
                };
                println!(
                    "{}  {}  {} (sub {}) in {}  {change}  attempts {}",
                    d.id, state, d.user_name, d.user_sub, d.context_title, d.attempts
                );
                if let Some(error) = &d.last_error {
                    println!(
                        "    {}: {error}",
                        d.error_kind.as_deref().unwrap_or("error")
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
                    eprintln!(
                        "error: no retryable delivery `{id}` (unknown, delivered, or being delivered right now)"
                    );
                    Ok(1)
                }
                _ => {
                    println!(
                        "{n} delivery(ies) put back in the queue; the worker of `cpre serve` delivers them."
                    );
                    Ok(0)
                }
            }
        }
    }
}
