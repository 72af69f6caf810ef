//! `cpre questionnaire import|export|validate`: publishing immutable questionnaire versions in a course, reading them back, checking a file for CI.

use std::path::{Path, PathBuf};

use super::course::{CourseArgs, find_course, print_diagnostics};
use crate::config::Settings;
use crate::course::configure::{self, ConfigureError};
use crate::course::{CourseError, versions};
use crate::questionnaire::{Diagnostic, Formation, LoadError, Questionnaire};
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
    pub course: CourseArgs,
}

#[derive(Debug, clap::Args)]
pub struct ExportOpts {
    /// The questionnaire's key (`key:` in the file), e.g. cpre-l1.
    pub key: String,
    #[command(flatten)]
    pub course: CourseArgs,
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
            eprintln!("{shown}: erreur : impossible de lire le fichier : {e}");
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
            eprintln!("{shown} : {errors} erreur(s), questionnaire refusé.");
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
            let course = opts.course.clone();
            let result = db
                .run(move |conn| {
                    Ok(store::transaction(conn, |c| -> Result<_, ConfigureError> {
                        let platform =
                            configure::find_platform(c, &course.issuer, &course.client_id)?;
                        let (context, _) = configure::ensure_context(
                            c,
                            &platform.id,
                            &course.context,
                            None,
                            None,
                        )?;
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
                                })?;
                        Ok((published, problems))
                    }))
                })
                .await?;
            match result {
                Ok((published, warnings)) => {
                    print_diagnostics(&warnings);
                    let v = &published.row;
                    if published.created {
                        println!(
                            "{} : version {} publiée (empreinte {}).",
                            v.questionnaire_key, v.version, v.content_hash
                        );
                    } else {
                        println!(
                            "{} : inchangé, identique à la version {} (empreinte {}).",
                            v.questionnaire_key, v.version, v.content_hash
                        );
                    }
                    Ok(0)
                }
                Err(ConfigureError::Invalid(diagnostics)) => {
                    print_diagnostics(&diagnostics);
                    eprintln!(
                        "les données de formation du cours ne conviennent pas à ce questionnaire : rien n'a été publié."
                    );
                    Ok(1)
                }
                Err(e) => {
                    eprintln!("erreur : {e}");
                    Ok(1)
                }
            }
        }
        Command::Export(opts) => {
            let db = super::open_db(&settings).await?;
            match db.run(move |conn| Ok(export(conn, &opts))).await? {
                Ok(text) => {
                    print!("{text}");
                    if !text.ends_with('\n') {
                        println!();
                    }
                    Ok(0)
                }
                Err(message) => {
                    eprintln!("erreur : {message}");
                    Ok(1)
                }
            }
        }
    }
}

/// The text of the version `opts` asks for, or what to tell the designer.
fn export(conn: &mut store::DbConn, opts: &ExportOpts) -> Result<String, String> {
    let context = find_course(conn, &opts.course).map_err(|e| e.to_string())?;
    let row = match opts.version {
        Some(n) => questionnaire_versions::by_number(conn, &context.id, &opts.key, n),
        None => questionnaire_versions::latest(conn, &context.id, &opts.key),
    }
    .map_err(|e| e.to_string())?
    .ok_or_else(|| match opts.version {
        Some(n) => format!(
            "le questionnaire « {} » n'a pas de version {n} dans ce cours",
            opts.key
        ),
        None => format!(
            "aucune version du questionnaire « {} » dans ce cours",
            opts.key
        ),
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
            .map_err(|e| format!("{shown}: erreur : impossible de lire le fichier : {e}"))
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
            "{} : questionnaire « {} » valide (empreinte {}).",
            opts.file.display(),
            q.key(),
            q.content_hash()
        );
    }
    code
}
