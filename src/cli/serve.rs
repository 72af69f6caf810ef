//! `cpre serve`: runs the tool until stopped.

use crate::config::Settings;
use crate::startup::Application;

#[derive(Debug, Default, clap::Args)]
pub struct Opts {
    /// Load the demo course first (lti-config/demo/: the local Moodle lab, the sample
    /// questionnaire, formations MATH/PHYS/INFO). Demo only: what `make run` does.
    #[arg(long)]
    pub demo: bool,
}

pub async fn run(opts: Opts, settings: Settings) -> anyhow::Result<i32> {
    if opts.demo {
        let code = super::demo::load(None, &settings).await?;
        if code != 0 {
            return Ok(code);
        }
    }
    let base = settings.base_url();
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), %base, "cpre is listening");
    app.run_until_stopped().await?;
    Ok(0)
}
