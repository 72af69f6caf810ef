//! `cpre questionnaire import|export|validate`: publishing immutable questionnaire versions in a course, reading them back, checking a file for CI.

use std::path::{Path, PathBuf};

use super::course::print_diagnostics;
use super::{CourseOpts, t};
use crate::config::Settings;
use crate::course::configure::ConfigureError;
use crate::course::reference::{self, CourseRefError};
use crate::course::{CourseError, versions};
use crate::questionnaire::{Diagnostic, Formation, LoadError, Questionnaire};
use crate::store::ids::CourseId;
use crate::store::{self, questionnaire_versions};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Publish a questionnaire file in a course: a new immutable version when its content
    /// changed since the latest version of its key, nothing otherwise.
    Import(ImportOpts),
    /// Print a published version as YAML on stdout (the latest unless --version).
    Export(ExportOpts),
    /// Check a questionnaire file without a database (exit 0 when clean, 1 with
    /// `file:line:col: message` on stderr): for designers' CI.
    Validate(ValidateOpts),
}

#[derive(Debug, clap::Args)]
pub struct ImportOpts {
    /// The questionnaire file (YAML or JSON; see docs/questionnaire.md).
    pub file: PathBuf,
    #[command(flatten)]
    pub course: CourseOpts,
}

#[derive(Debug, clap::Args)]
pub struct ExportOpts {
    /// The questionnaire's key (`key:` in the file), e.g. cpre-l1.
    pub key: String,
    #[command(flatten)]
    pub course: CourseOpts,
    /// The version number (1, 2…); the latest by default.
    #[arg(long)]
    pub version: Option<i32>,
    /// Print the file exactly as it was imported (comments included) instead of the
    /// normalised YAML.
    #[arg(long)]
    pub original: bool,
}

#[derive(Debug, clap::Args)]
pub struct ValidateOpts {
    /// The questionnaire file.
    pub file: PathBuf,
    /// Also check formation data against it (a file `formations: [...]` such as
    /// docs/examples/formations-demo.yaml).
    #[arg(long)]
    pub formations: Option<PathBuf>,
}

/// Loads a questionnaire file, printing its diagnostics.
fn load(path: &Path) -> Option<(Questionnaire, String, String)> {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "{}",
                t(
                    "cli.questionnaire.unreadable",
                    &[("file", &shown), ("error", &e.to_string())]
                )
            );
            return None;
        }
    };
    match Questionnaire::load(&shown, &text) {
        Ok(loaded) => {
            print_diagnostics(&loaded.warnings);
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(shown);
            Some((loaded.questionnaire, file_name, text))
        }
        Err(LoadError { diagnostics }) => {
            print_diagnostics(&diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "{}",
                t(
                    "cli.questionnaire.refused",
                    &[("file", &shown), ("errors", &errors.to_string())]
                )
            );
            None
        }
    }
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    match cmd {
        Command::Validate(opts) => Ok(validate(&opts)),
        Command::Import(opts) => {
            let Some((q, file_name, text)) = load(&opts.file) else {
                return Ok(1);
            };
            let db = super::open_db(&settings).await?;
            let course = opts.course.reference();
            let result = db
                .run(move |conn| {
                    Ok(store::transaction(conn, |c| -> Result<_, ImportError> {
                        let context = reference::resolve_or_create(c, &course)?;
                        let (published, problems) =
                            versions::publish_checked(c, &context.id, &q, &file_name, &text)
                                .map_err(|e| match e {
                                    versions::PublishError::Formations(d) => {
                                        ConfigureError::Invalid(d)
                                    }
                                    versions::PublishError::Course(CourseError::Store(s))
                                    | versions::PublishError::Store(s) => ConfigureError::Store(s),
                                    versions::PublishError::Course(other) => {
                                        ConfigureError::Course(other)
                                    }
                                })
                                .map_err(ImportError::Configure)?;
                        Ok((published, problems))
                    }))
                })
                .await?;
            match result {
                Ok((published, warnings)) => {
                    print_diagnostics(&warnings);
                    let v = &published.row;
                    let args = [
                        ("key", v.questionnaire_key.as_str()),
                        ("version", &v.version.to_string()),
                        ("hash", &v.content_hash),
                    ];
                    println!(
                        "{}",
                        t(
                            if published.created {
                                "cli.questionnaire.published"
                            } else {
                                "cli.questionnaire.unchanged"
                            },
                            &args
                        )
                    );
                    Ok(0)
                }
                Err(ImportError::Configure(ConfigureError::Invalid(diagnostics))) => {
                    print_diagnostics(&diagnostics);
                    eprintln!("{}", t("cli.questionnaire.formations_refused", &[]));
                    Ok(1)
                }
                Err(ImportError::Course(e)) => {
                    eprintln!("{}", super::course_ref_message(&e));
                    Ok(1)
                }
                Err(ImportError::Configure(e)) => {
                    eprintln!("{}", t("cli.error", &[("error", &e.to_string())]));
                    Ok(1)
                }
            }
        }
        Command::Export(opts) => {
            let db = super::open_db(&settings).await?;
            let context = match super::find_course(&db, &opts.course).await? {
                Ok(context) => context,
                Err(message) => {
                    eprintln!("{message}");
                    return Ok(1);
                }
            };
            match db
                .run(move |conn| Ok(export(conn, &context.id, &opts)))
                .await?
            {
                Ok(text) => {
                    print!("{text}");
                    if !text.ends_with('\n') {
                        println!();
                    }
                    Ok(0)
                }
                Err(message) => {
                    eprintln!("{}", t("cli.error", &[("error", &message)]));
                    Ok(1)
                }
            }
        }
    }
}

/// Why an import published nothing.
#[derive(Debug, thiserror::Error)]
enum ImportError {
    #[error(transparent)]
    Course(#[from] CourseRefError),
    #[error(transparent)]
    Configure(#[from] ConfigureError),
}

impl From<store::StoreError> for ImportError {
    fn from(e: store::StoreError) -> Self {
        ImportError::Configure(ConfigureError::Store(e))
    }
}

/// The text of the version `opts` asks for, or what to tell the designer.
fn export(
    conn: &mut store::DbConn,
    context_id: &CourseId,
    opts: &ExportOpts,
) -> Result<String, String> {
    let row = match opts.version {
        Some(n) => questionnaire_versions::by_number(conn, context_id, &opts.key, n),
        None => questionnaire_versions::latest(conn, context_id, &opts.key),
    }
    .map_err(|e| e.to_string())?
    .ok_or_else(|| match opts.version {
        Some(n) => t(
            "cli.questionnaire.no_such_version",
            &[("key", &opts.key), ("version", &n.to_string())],
        ),
        None => t("cli.questionnaire.no_version", &[("key", &opts.key)]),
    })?;
    if opts.original {
        return questionnaire_versions::source(conn, &row.id)
            .map(|(_, text)| text)
            .map_err(|e| e.to_string());
    }
    let q = versions::load(conn, &row).map_err(|e| e.to_string())?;
    q.to_yaml().map_err(|e| e.to_string())
}

fn validate(opts: &ValidateOpts) -> i32 {
    let Some((q, _, _)) = load(&opts.file) else {
        return 1;
    };
    let mut code = 0;
    if let Some(path) = &opts.formations {
        let shown = path.display().to_string();
        let formations = std::fs::read_to_string(path)
            .map_err(|e| {
                t(
                    "cli.questionnaire.unreadable",
                    &[("file", &shown), ("error", &e.to_string())],
                )
            })
            .and_then(|text| {
                Formation::list_from_yaml(&shown, &text).map_err(|e| {
                    e.diagnostics
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
            });
        match formations {
            Ok(list) => {
                for f in &list {
                    let diagnostics = q.check_formation(f);
                    print_diagnostics(&diagnostics);
                    if diagnostics.iter().any(Diagnostic::is_error) {
                        code = 1;
                    }
                }
            }
            Err(message) => {
                eprintln!("{message}");
                code = 1;
            }
        }
    }
    if code == 0 {
        println!(
            "{}",
            t(
                "cli.questionnaire.valid",
                &[
                    ("file", &opts.file.display().to_string()),
                    ("key", q.key()),
                    ("hash", q.content_hash()),
                ]
            )
        );
    }
    code
}
