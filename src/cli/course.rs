//! `cpre course configure|validate|show`: a course's formations, groups, academic year and questionnaires from a configuration file.

use std::path::PathBuf;

use super::{CourseOpts, t};
use crate::config::Settings;
use crate::course::configure::{self, Applied};
use crate::course::{Contact, file};
use crate::questionnaire::{Diagnostic, LoadError};
use crate::store::contexts::Context;
use crate::store::formations::Change;
use crate::store::grants::GrantRole;
use crate::store::{self, contracts, formations, questionnaire_versions};
use clap::builder::{PossibleValuesParser, TypedValueParser};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Apply a course configuration file (formations, Moodle groups, academic year,
    /// questionnaires to publish). Idempotent; refuses the whole file on any error.
    Configure(FileOpts),
    /// Check a course configuration file and its questionnaires, without a database
    /// (exit 0 when clean, 1 with `file:line:col: message` on stderr).
    Validate(FileOpts),
    /// Show a course: its reference (what other commands take as --course), formations and
    /// their groups, questionnaire versions, contracts by state, students in no formation.
    Show(ShowOpts),
    /// Grant (or with --revoke, remove) a staff role in a course: designer (configures the
    /// course) or gestionnaire of some formations. Recorded in the course's audit log.
    Grant(GrantOpts),
}

#[derive(Debug, clap::Args)]
pub struct GrantOpts {
    #[command(flatten)]
    pub course: CourseOpts,
    /// The person's LTI user id (`sub`; Moodle: the user id), seen in a launch of the course
    /// or in its roster.
    #[arg(long)]
    pub user: String,
    /// `designer` or `gestionnaire`.
    #[arg(long, value_parser = PossibleValuesParser::new(["designer", "gestionnaire"])
        .try_map(|s| s.parse::<GrantRole>()))]
    pub role: GrantRole,
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

#[derive(Debug, clap::Args)]
pub struct ShowOpts {
    #[command(flatten)]
    pub course: CourseOpts,
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
                "{}",
                t(
                    "cli.course.file_refused",
                    &[
                        ("file", &path.display().to_string()),
                        ("errors", &errors.to_string())
                    ]
                )
            );
            None
        }
    }
}

/// Prints an error line in the operator's language.
fn error(message: &str) {
    eprintln!("{}", t("cli.error", &[("error", message)]));
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    match cmd {
        Command::Validate(opts) => Ok(match read(&opts.file) {
            Some(course) => {
                println!(
                    "{}",
                    t(
                        "cli.course.valid",
                        &[
                            ("file", &opts.file.display().to_string()),
                            ("formations", &course.formations.len().to_string()),
                            ("questionnaires", &course.questionnaires.len().to_string()),
                        ]
                    )
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
                    eprintln!("{}", t("cli.course.refused", &[]));
                    Ok(1)
                }
                Err(e) => {
                    error(&e.to_string());
                    Ok(1)
                }
            }
        }
        Command::Grant(opts) => {
            let db = super::open_db(&settings).await?;
            let context = match super::find_course(&db, &opts.course).await? {
                Ok(context) => context,
                Err(message) => {
                    eprintln!("{message}");
                    return Ok(1);
                }
            };
            match db.run(move |conn| Ok(grant(conn, &context, &opts))).await? {
                Ok(message) => {
                    println!("{message}");
                    Ok(0)
                }
                Err(message) => {
                    error(&message);
                    Ok(1)
                }
            }
        }
        Command::Show(opts) => {
            let db = super::open_db(&settings).await?;
            let context = match super::find_course(&db, &opts.course).await? {
                Ok(context) => context,
                Err(message) => {
                    eprintln!("{message}");
                    return Ok(1);
                }
            };
            let text = db.run(move |conn| show(conn, &context)).await?;
            print!("{text}");
            Ok(0)
        }
    }
}

fn print_applied(applied: &Applied, year: &str) {
    let c = &applied.context;
    println!(
        "{}",
        t(
            if applied.created_context {
                "cli.course.configured_new"
            } else {
                "cli.course.configured"
            },
            &[("course", &c.title), ("context", &c.lti_id), ("year", year)]
        )
    );
    for (v, created) in &applied.versions {
        let short = v.content_hash.get(..12).unwrap_or(&v.content_hash);
        let (key, version) = (v.questionnaire_key.as_str(), v.version.to_string());
        println!(
            "{}",
            if *created {
                t(
                    "cli.course.version_published",
                    &[("key", key), ("version", &version), ("hash", short)],
                )
            } else {
                t(
                    "cli.course.version_unchanged",
                    &[("key", key), ("version", &version)],
                )
            }
        );
    }
    for (code, change) in &applied.formations {
        let key = match change {
            Change::Created => "cli.course.formation_created",
            Change::Updated => "cli.course.formation_updated",
            Change::Unchanged => "cli.course.formation_unchanged",
        };
        println!("{}", t(key, &[("code", code)]));
    }
    for code in &applied.archived {
        println!("{}", t("cli.course.formation_archived", &[("code", code)]));
    }
    if applied.groups_changed {
        println!("{}", t("cli.course.groups_changed", &[]));
    }
}

fn contact_line(c: &Contact) -> String {
    [&c.name, &c.email, &c.phone, &c.details, &c.url]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ")
}

fn date(micros: i64) -> String {
    store::micros_to_datetime(micros)
        .format("%d/%m/%Y %H:%M UTC")
        .to_string()
}

/// What `cpre course show` prints, starting with the course reference other commands take.
fn show(conn: &mut store::DbConn, context: &Context) -> Result<String, store::StoreError> {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    line(t(
        "cli.course.show.title",
        &[
            ("course", &context.title),
            ("label", &context.label),
            ("context", &context.lti_id),
        ],
    ));
    line(t(
        "cli.course.show.reference",
        &[("reference", &context.id)],
    ));
    let Some(config) = formations::course_config(conn, &context.id)? else {
        line(t("cli.course.show.not_configured", &[]));
        return Ok(out);
    };
    let year = config.academic_year.as_str();
    line(t("cli.course.show.year", &[("year", year)]));
    line(t(
        "cli.course.show.contact",
        &[(
            "contact",
            &contact_line(&Contact::from_json(&config.contact)),
        )],
    ));
    line(t(
        "cli.course.show.source",
        &[("source", &config.source_file)],
    ));
    let groups = formations::groups_of_context(conn, &context.id)?;
    let counts = contracts::counts_by_state(conn, &context.id, year)?;
    let none = t("cli.course.show.none", &[]);
    line(t("cli.course.show.formations", &[]));
    for f in formations::of_context(conn, &context.id)? {
        let ids: Vec<String> = groups
            .iter()
            .filter(|(_, fid)| *fid == f.id)
            .map(|(g, _)| g.to_string())
            .collect();
        let states: Vec<String> = counts
            .iter()
            .filter(|c| c.formation_id == f.id)
            .map(|c| format!("{} {}", c.state, c.count))
            .collect();
        let title = if f.archived_at.is_some() {
            t("cli.course.show.archived", &[("title", &f.title)])
        } else {
            f.title.clone()
        };
        line(t(
            "cli.course.show.formation",
            &[
                ("code", &f.code),
                ("title", &title),
                (
                    "groups",
                    &if ids.is_empty() {
                        none.clone()
                    } else {
                        ids.join(", ")
                    },
                ),
                ("questionnaire", &f.questionnaire_key),
                ("year", year),
                (
                    "contracts",
                    &if states.is_empty() {
                        none.clone()
                    } else {
                        states.join(", ")
                    },
                ),
            ],
        ));
    }
    line(t("cli.course.show.versions", &[]));
    for v in questionnaire_versions::of_context(conn, &context.id)? {
        line(t(
            "cli.course.show.version",
            &[
                ("key", &v.questionnaire_key),
                ("version", &v.version.to_string()),
                ("file", &v.file_name),
                ("date", &date(v.published_at)),
                ("hash", &v.content_hash),
            ],
        ));
    }
    let unrouted = formations::unrouted_of_context(conn, &context.id)?;
    line(t(
        "cli.course.show.unrouted",
        &[("count", &unrouted.len().to_string())],
    ));
    for (row, user) in unrouted {
        let number = if user.person_sourcedid.is_empty() {
            "?".to_owned()
        } else {
            user.person_sourcedid.clone()
        };
        line(t(
            "cli.course.show.student",
            &[
                ("name", &user.name),
                ("number", &number),
                ("email", &user.email),
                ("groups", &row.group_ids),
                ("date", &date(row.last_seen)),
            ],
        ));
    }
    Ok(out)
}

/// Grants or revokes a role for `cpre course grant`; the message to print.
fn grant(conn: &mut store::DbConn, context: &Context, opts: &GrantOpts) -> Result<String, String> {
    use crate::access::manage;
    use crate::store::audit::Actor;
    use crate::store::grants;
    let actor = Actor {
        platform_id: context.platform_id.clone(),
        user_id: None,
        label: t("cli.course.grant.actor", &[]),
    };
    let course_formations = formations::of_context(conn, &context.id).map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for code in &opts.formations {
        let f = course_formations
            .iter()
            .find(|f| f.code == *code)
            .ok_or_else(|| t("cli.course.grant.no_formation", &[("code", code)]))?;
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
                anyhow::bail!(t("cli.course.grant.not_held", &[("name", &user.name)]));
            }
            Ok(t(
                "cli.course.grant.revoked",
                &[
                    ("name", &user.name),
                    ("role", opts.role.as_str()),
                    ("count", &removed.to_string()),
                ],
            ))
        } else {
            manage::grant(c, &actor, &context.id, &user, opts.role, &ids)
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            Ok(if opts.formations.is_empty() {
                t(
                    "cli.course.grant.granted",
                    &[
                        ("name", &user.name),
                        ("role", opts.role.as_str()),
                        ("course", &context.title),
                    ],
                )
            } else {
                t(
                    "cli.course.grant.granted_for",
                    &[
                        ("name", &user.name),
                        ("role", opts.role.as_str()),
                        ("formations", &opts.formations.join(", ")),
                        ("course", &context.title),
                    ],
                )
            })
        }
    })
    .map_err(|e| e.to_string())
}
