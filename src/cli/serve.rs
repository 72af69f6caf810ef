//! `cpre serve`: runs the tool until stopped.

use crate::config::Settings;
use crate::startup::Application;

#[derive(Debug, clap::Args)]
pub struct Opts {}

pub async fn run(_opts: Opts, settings: Settings) -> anyhow::Result<i32> {
    let base = settings.base_url();
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), %base, "cpre is listening");
    app.run_until_stopped().await?;
    Ok(0)
}
