//! `cpre demo load`: registers the local Moodle lab and configures its demo course (lti-config/demo/). Demo only.

use std::path::PathBuf;

use super::course::print_diagnostics;
use super::t;
use crate::config::Settings;
use crate::course::demo::Demo;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Register the demo platform and configure the demo course (idempotent).
    Load(LoadOpts),
}

#[derive(Debug, Default, clap::Args)]
pub struct LoadOpts {
    /// The demo folder (default: the `demo` folder of CPRE_LTI_CONFIG_DIR, i.e. lti-config/demo).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    match cmd {
        Command::Load(opts) => load(opts.dir, &settings).await,
    }
}

/// Loads the demo into the configured database; the exit code.
pub async fn load(dir: Option<PathBuf>, settings: &Settings) -> anyhow::Result<i32> {
    let dir = dir.unwrap_or_else(|| settings.lti_config_dir.join("demo"));
    let demo = match Demo::read(&dir) {
        Ok(d) => d,
        Err(crate::course::demo::DemoError::Invalid(e)) => {
            print_diagnostics(&e.diagnostics);
            eprintln!("{}", t("cli.demo.refused", &[]));
            return Ok(1);
        }
        Err(e) => {
            eprintln!("{}", t("cli.error", &[("error", &e.to_string())]));
            return Ok(1);
        }
    };
    print_diagnostics(demo.warnings());
    let db = super::open_db(settings).await?;
    let loaded = db.run(move |c| Ok(demo.load(c))).await?;
    match loaded {
        Ok((platform, applied)) => {
            let published: Vec<String> = applied
                .versions
                .iter()
                .map(|(v, _)| format!("{} v{}", v.questionnaire_key, v.version))
                .collect();
            let formations = applied
                .formations
                .iter()
                .map(|(c, _)| c.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "{}",
                t(
                    "cli.demo.loaded",
                    &[
                        ("issuer", &platform.issuer),
                        ("client_id", &platform.client_id),
                        ("course", &applied.context.title),
                        ("context", &applied.context.lti_id),
                        ("formations", &formations),
                        ("questionnaires", &published.join(", ")),
                    ]
                )
            );
            Ok(0)
        }
        Err(e) => {
            eprintln!("{}", t("cli.error", &[("error", &e.to_string())]));
            Ok(1)
        }
    }
}
