//! `cpre keys rotate|list`: the tool's signing keys.

use super::t;
use crate::config::Settings;
use crate::store::micros_to_datetime;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Publish a new key, which signs once every cache has it; the previous one stays
    /// published for the grace period.
    Rotate,
    /// List the keys with their state.
    List,
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    let db = super::open_db(&settings).await?;
    let grace = settings.key_grace_hours;
    let activation = settings.key_activation_seconds;
    match cmd {
        Command::Rotate => {
            let kid = db
                .run(move |conn| {
                    crate::keyring::rotate(conn, grace, activation)
                        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))
                })
                .await?;
            println!(
                "{}",
                t(
                    "cli.keys.rotated",
                    &[
                        ("kid", &kid),
                        ("seconds", &activation.to_string()),
                        ("hours", &grace.to_string()),
                    ]
                )
            );
        }
        Command::List => {
            let activation_micros =
                i64::try_from(activation.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
            let (keys, active) = db
                .run(move |conn| {
                    Ok((
                        crate::store::keys::list(conn)?,
                        crate::store::keys::find_active(conn, activation_micros)?.map(|k| k.kid),
                    ))
                })
                .await?;
            let now = crate::store::now_micros();
            for key in &keys {
                let when = |at: i64| {
                    micros_to_datetime(at)
                        .format("%Y-%m-%d %H:%M UTC")
                        .to_string()
                };
                let state = match key.retired_at {
                    _ if active.as_deref() == Some(key.kid.as_str()) => match key.retired_at {
                        Some(at) => t("cli.keys.active_until", &[("when", &when(at))]),
                        None => t("cli.keys.active", &[]),
                    },
                    None => t("cli.keys.pending", &[]),
                    Some(at) if at > now => t("cli.keys.retiring", &[("when", &when(at))]),
                    Some(at) => t("cli.keys.retired", &[("when", &when(at))]),
                };
                println!(
                    "{}",
                    t(
                        "cli.keys.line",
                        &[
                            ("kid", &key.kid),
                            ("created", &when(key.created_at)),
                            ("state", &state)
                        ]
                    )
                );
            }
        }
    }
    Ok(0)
}
