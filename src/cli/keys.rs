//! `cpre keys rotate|list`: the tool's signing keys.

use crate::config::Settings;
use crate::store::micros_to_datetime;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Make a new key active; the previous one stays published for the grace period.
    Rotate,
    /// List the keys with their state.
    List,
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    let db = super::open_db(&settings).await?;
    let grace = settings.key_grace_hours;
    match cmd {
        Command::Rotate => {
            let kid = db
                .run(move |conn| {
                    crate::keyring::rotate(conn, grace)
                        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))
                })
                .await?;
            println!("New active key: {kid}");
            println!("Previous keys stay published for {grace} hours.");
        }
        Command::List => {
            let keys = db.run(crate::store::keys::list).await?;
            for (i, key) in keys.iter().enumerate() {
                let state = match key.retired_at {
                    None if i == 0 => "active".to_string(),
                    None => "superseded".to_string(),
                    Some(at) => format!(
                        "retired {}",
                        micros_to_datetime(at).format("%Y-%m-%d %H:%M UTC")
                    ),
                };
                println!(
                    "{}  created {}  {state}",
                    key.kid,
                    micros_to_datetime(key.created_at).format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
    }
    Ok(0)
}
