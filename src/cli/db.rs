//! `cpre db migrate`: applies pending migrations (the server also does it at start).

use super::t;
use crate::config::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Apply pending migrations.
    Migrate,
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    match cmd {
        Command::Migrate => {
            let url = settings.database_url.clone();
            let applied = tokio::task::spawn_blocking(move || {
                let db = crate::store::DbPool::open(&url, 1)?;
                db.migrate()
            })
            .await??;
            if applied.is_empty() {
                println!("{}", t("cli.db.up_to_date", &[]));
            }
            for name in applied {
                println!("{}", t("cli.db.applied", &[("name", &name)]));
            }
            Ok(0)
        }
    }
}
