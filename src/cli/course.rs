//! `cpre course configure|validate|show`: a course's formations, groups, academic year and questionnaires from a configuration file.

use std::path::PathBuf;

use crate::config::Settings;
use crate::course::configure::{self, Applied};
use crate::course::{Contact, file};
use crate::questionnaire::{Diagnostic, LoadError};
use crate::store::formations::Change;
use crate::store::{self, contracts, formations, questionnaire_versions};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Apply a course configuration file (formations, Moodle groups, academic year,
    /// questionnaires to publish). Idempotent; refuses the whole file on any error.
    Configure(FileOpts),
    /// Check a course configuration file and its questionnaires, without a database
    /// (exit 0 when clean, 1 with `file:line:col: message` on stderr).
    Validate(FileOpts),
    /// Show a course: formations and their groups, questionnaire versions, contracts by state,
    /// students in no formation.
    Show(CourseArgs),
    /// Grant (or with --revoke, remove) a staff role in a course: designer (configures the
    /// course) or gestionnaire of some formations. Recorded in the course's audit log.
    Grant(GrantOpts),
}

#[derive(Debug, clap::Args)]
pub struct GrantOpts {
    #[command(flatten)]
    pub course: CourseArgs,
    /// The person's LTI user id (`sub`; Moodle: the user id), seen in a launch of the course
    /// or in its roster.
    #[arg(long)]
    pub user: String,
    /// `designer` or `gestionnaire`.
    #[arg(long, value_parser = ["designer", "gestionnaire"])]
    pub role: String,
    /// A formation code (gestionnaire); repeat for several formations.
    #[arg(long = "formation")]
    pub formations: Vec<String>,
    /// Remove the role instead (every formation of a gestionnaire when none is given).
    #[arg(long)]
    pub revoke: bool,
}

#[derive(Debug, clap::Args)]
pub struct FileOpts {
    /// The course configuration file (YAML or JSON; see docs/configuration-cours.md).
    pub file: PathBuf,
}

/// Which course: the platform (issuer + client id) and the course id Moodle sends.
#[derive(Debug, Clone, clap::Args)]
pub struct CourseArgs {
    /// The platform's issuer (Moodle: its address, without trailing slash).
    #[arg(long)]
    pub issuer: String,
    /// The client ID Moodle gave the tool.
    #[arg(long)]
    pub client_id: String,
    /// The course id as Moodle sends it in launches (LTI context id: Moodle's course id).
    #[arg(long)]
    pub context: String,
}

/// Prints diagnostics on stderr, one per line (`file:line:col: erreur : message`).
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}

/// Reads and checks a course file, printing what is wrong.
fn read(path: &std::path::Path) -> Option<file::CourseFile> {
    match file::read(path) {
        Ok(course) => {
            print_diagnostics(&course.warnings);
            Some(course)
        }
        Err(LoadError { diagnostics }) => {
            print_diagnostics(&diagnostics);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "{} : {errors} erreur(s), configuration refusée.",
                path.display()
            );
            None
        }
    }
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    match cmd {
        Command::Validate(opts) => Ok(match read(&opts.file) {
            Some(course) => {
                println!(
                    "{} : configuration valide ({} formation(s), {} questionnaire(s)).",
                    opts.file.display(),
                    course.formations.len(),
                    course.questionnaires.len()
                );
                0
            }
            None => 1,
        }),
        Command::Configure(opts) => {
            let Some(course) = read(&opts.file) else {
                return Ok(1);
            };
            let db = super::open_db(&settings).await?;
            let year = course.academic_year.clone();
            let result = db
                .run(move |conn| Ok(store::transaction(conn, |c| configure::apply(c, &course))))
                .await?;
            match result {
                Ok(applied) => {
                    print_applied(&applied, &year);
                    Ok(0)
                }
                Err(configure::ConfigureError::Invalid(diagnostics)) => {
                    print_diagnostics(&diagnostics);
                    eprintln!("configuration refusée, rien n'a été modifié.");
                    Ok(1)
                }
                Err(e) => {
                    eprintln!("erreur : {e}");
                    Ok(1)
                }
            }
        }
        Command::Grant(opts) => {
            let db = super::open_db(&settings).await?;
            match db.run(move |conn| Ok(grant(conn, &opts))).await? {
                Ok(message) => {
                    println!("{message}");
                    Ok(0)
                }
                Err(message) => {
                    eprintln!("erreur : {message}");
                    Ok(1)
                }
            }
        }
        Command::Show(course) => {
            let db = super::open_db(&settings).await?;
            let text = db.run(move |conn| Ok(show(conn, &course))).await?;
            match text {
                Ok(text) => {
                    print!("{text}");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("erreur : {e}");
                    Ok(1)
                }
            }
        }
    }
}

fn print_applied(applied: &Applied, year: &str) {
    let c = &applied.context;
    println!(
        "Cours « {} » (identifiant {}) : configuré pour l'année {year}{}.",
        c.title,
        c.lti_id,
        if applied.created_context {
            " (cours créé : il n'a pas encore été ouvert depuis Moodle)"
        } else {
            ""
        }
    );
    for (v, created) in &applied.versions {
        let short = v.content_hash.get(..12).unwrap_or(&v.content_hash);
        if *created {
            println!(
                "  questionnaire {} : version {} publiée (empreinte {short}…)",
                v.questionnaire_key, v.version
            );
        } else {
            println!(
                "  questionnaire {} : inchangé (version {})",
                v.questionnaire_key, v.version
            );
        }
    }
    for (code, change) in &applied.formations {
        let what = match change {
            Change::Created => "créée",
            Change::Updated => "mise à jour",
            Change::Unchanged => "inchangée",
        };
        println!("  formation {code} : {what}");
    }
    for code in &applied.archived {
        println!(
            "  formation {code} : archivée (absente du fichier ; ses contrats sont conservés)"
        );
    }
    if applied.groups_changed {
        println!("  association des groupes Moodle mise à jour");
    }
}

/// Finds the course of `args`, with the error to show when it does not exist.
pub fn find_course(
    conn: &mut store::DbConn,
    args: &CourseArgs,
) -> Result<store::contexts::Context, configure::ConfigureError> {
    let platform = configure::find_platform(conn, &args.issuer, &args.client_id)?;
    store::contexts::find_by_lti_id(conn, &platform.id, &args.context)?
        .ok_or_else(|| configure::ConfigureError::UnknownCourse(args.context.clone()))
}

fn contact_line(c: &Contact) -> String {
    [&c.name, &c.email, &c.phone, &c.details, &c.url]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ")
}

fn show(conn: &mut store::DbConn, args: &CourseArgs) -> Result<String, configure::ConfigureError> {
    use std::fmt::Write as _;
    let context = find_course(conn, args)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Cours « {} » ({}), identifiant {}",
        context.title, context.label, context.lti_id
    );
    let Some(config) = formations::course_config(conn, &context.id)? else {
        let _ = writeln!(
            out,
            "  pas encore configuré (cpre course configure FICHIER)"
        );
        return Ok(out);
    };
    let _ = writeln!(out, "  année universitaire : {}", config.academic_year);
    let _ = writeln!(
        out,
        "  contact : {}",
        contact_line(&Contact::from_json(&config.contact))
    );
    let _ = writeln!(out, "  configuré depuis : {}", config.source_file);
    let groups = formations::groups_of_context(conn, &context.id)?;
    let counts = contracts::counts_by_state(conn, &context.id, &config.academic_year)?;
    let _ = writeln!(out, "\nFormations :");
    for f in formations::of_context(conn, &context.id)? {
        let ids: Vec<String> = groups
            .iter()
            .filter(|(_, fid)| *fid == f.id)
            .map(|(g, _)| g.to_string())
            .collect();
        let states: Vec<String> = counts
            .iter()
            .filter(|(fid, _, _)| *fid == f.id)
            .map(|(_, s, n)| format!("{s} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "  {} — {}{} ; groupes : {} ; questionnaire : {} ; contrats {} : {}",
            f.code,
            f.title,
            if f.archived_at.is_some() {
                " (archivée)"
            } else {
                ""
            },
            if ids.is_empty() {
                "aucun".into()
            } else {
                ids.join(", ")
            },
            f.questionnaire_key,
            config.academic_year,
            if states.is_empty() {
                "aucun".into()
            } else {
                states.join(", ")
            },
        );
    }
    let _ = writeln!(out, "\nVersions des questionnaires :");
    for v in questionnaire_versions::of_context(conn, &context.id)? {
        let _ = writeln!(
            out,
            "  {} version {} — {} — publiée le {} — empreinte {}",
            v.questionnaire_key,
            v.version,
            v.file_name,
            store::micros_to_datetime(v.published_at).format("%d/%m/%Y %H:%M UTC"),
            v.content_hash
        );
    }
    let unrouted = formations::unrouted_of_context(conn, &context.id)?;
    let _ = writeln!(out, "\nÉtudiants sans formation ({}) :", unrouted.len());
    for (row, user) in unrouted {
        let _ = writeln!(
            out,
            "  {} (n° {}, {}) — groupes Moodle {} — vu le {}",
            user.name,
            if user.person_sourcedid.is_empty() {
                "?"
            } else {
                &user.person_sourcedid
            },
            user.email,
            row.group_ids,
            store::micros_to_datetime(row.last_seen).format("%d/%m/%Y %H:%M UTC")
        );
    }
    Ok(out)
}

/// Grants or revokes a role for `cpre course grant`; the message to print.
fn grant(conn: &mut store::DbConn, opts: &GrantOpts) -> Result<String, String> {
    use crate::access::audit::Actor;
    use crate::access::{grants, manage};
    let context = find_course(conn, &opts.course).map_err(|e| e.to_string())?;
    let actor = Actor {
        platform_id: context.platform_id.clone(),
        user_id: None,
        label: "cpre (ligne de commande)".into(),
    };
    let course_formations = formations::of_context(conn, &context.id).map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for code in &opts.formations {
        let f = course_formations
            .iter()
            .find(|f| f.code == *code)
            .ok_or_else(|| format!("le cours n'a pas de formation « {code} »"))?;
        ids.push(f.id.clone());
    }
    store::transaction(conn, |c| -> Result<String, anyhow::Error> {
        let user = manage::person(c, &context.platform_id, &context.id, &opts.user)
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        if opts.revoke {
            let mut removed = 0;
            for g in grants::of_user(c, &context.id, &user.id)
                .map_err(|e| anyhow::anyhow!(e.to_string()))?
            {
                let formation_matches =
                    ids.is_empty() || g.formation_id.as_ref().is_some_and(|f| ids.contains(f));
                if g.role == opts.role && formation_matches {
                    manage::revoke(c, &actor, &context.id, &g.id)
                        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
                    removed += 1;
                }
            }
            if removed == 0 {
                anyhow::bail!("{} n'a pas ce rôle dans ce cours", user.name);
            }
            Ok(format!(
                "{} : rôle {} retiré ({removed} droit(s)).",
                user.name, opts.role
            ))
        } else {
            manage::grant(c, &actor, &context.id, &user, &opts.role, &ids)
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            Ok(if opts.formations.is_empty() {
                format!(
                    "{} : rôle {} accordé dans le cours « {} ».",
                    user.name, opts.role, context.title
                )
            } else {
                format!(
                    "{} : rôle {} accordé pour {} dans le cours « {} ».",
                    user.name,
                    opts.role,
                    opts.formations.join(", "),
                    context.title
                )
            })
        }
    })
    .map_err(|e| e.to_string())
}
