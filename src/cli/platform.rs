//! `cpre platform add|list|remove|invite|webservice`: platform registrations, one-time Dynamic
//! Registration links, and the optional Moodle web service token of a platform.

use super::t;
use crate::config::Settings;
use crate::store::platforms::{self, PlatformSpec, Source};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Register a platform (or update it and add deployments).
    Add(AddOpts),
    /// List registered platforms and their deployments.
    List,
    /// Remove a platform (and everything recorded under it), or one of its deployments.
    Remove(RemoveOpts),
    /// Make a one-time Dynamic Registration link (the URL to paste into Moodle's "Tool URL").
    Invite(InviteOpts),
    /// Store a Moodle web service token for a platform (group names and members).
    Webservice(WebserviceOpts),
    /// Carry the courses (and their people, contracts, settings) of a registration over to
    /// another registration of the same Moodle, after Moodle registered the tool again.
    /// Shows what it would do; --yes does it.
    CarryOver(CarryOverOpts),
}

#[derive(Debug, clap::Args)]
pub struct CarryOverOpts {
    /// The platform's issuer.
    #[arg(long)]
    pub issuer: String,
    /// The client id of the old registration, which holds the courses.
    #[arg(long)]
    pub from: String,
    /// The client id of the new registration, which Moodle now launches with.
    #[arg(long)]
    pub to: String,
    /// Do it (without it, only show what would be done).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct InviteOpts {
    /// Hours the link stays valid.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub expires_hours: u64,
}

#[derive(Debug, clap::Args)]
pub struct WebserviceOpts {
    /// The platform's issuer.
    #[arg(long)]
    pub issuer: String,
    /// The platform's client ID for the tool.
    #[arg(long)]
    pub client_id: String,
    /// The Moodle web service token (Site administration → Server → Web services → Manage
    /// tokens). Can also come from CPRE_MOODLE_WS_TOKEN.
    #[arg(
        long,
        env = "CPRE_MOODLE_WS_TOKEN",
        hide_env_values = true,
        required_unless_present = "remove"
    )]
    pub token: Option<String>,
    /// The REST endpoint; default: <issuer>/webservice/rest/server.php.
    #[arg(long)]
    pub url: Option<String>,
    /// Forget the platform's token instead.
    #[arg(long, conflicts_with_all = ["token", "url"])]
    pub remove: bool,
}

#[derive(Debug, clap::Args)]
pub struct AddOpts {
    /// The platform's issuer (Moodle: its wwwroot, without trailing slash).
    #[arg(long)]
    pub issuer: String,
    /// The client ID Moodle gave the tool.
    #[arg(long)]
    pub client_id: String,
    /// Authentication request URL (Moodle: …/mod/lti/auth.php).
    #[arg(long)]
    pub auth_url: String,
    /// Access token URL (Moodle: …/mod/lti/token.php).
    #[arg(long)]
    pub token_url: String,
    /// Public keyset URL (Moodle: …/mod/lti/certs.php).
    #[arg(long)]
    pub jwks_url: String,
    /// Deployment id(s) (Moodle: the tool's id, e.g. 1). Repeat for several.
    #[arg(long = "deployment-id", required = true)]
    pub deployment_ids: Vec<String>,
    /// A name shown to operators.
    #[arg(long)]
    pub name: Option<String>,
    /// Audience of client assertions when the platform wants another than its token URL.
    #[arg(long)]
    pub token_audience: Option<String>,
    /// Override the default role map: `ROLE_URI=student|teacher|admin|none`. Repeatable.
    #[arg(long = "role", value_name = "URI=ROLE")]
    pub roles: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RemoveOpts {
    #[arg(long)]
    pub issuer: String,
    #[arg(long)]
    pub client_id: String,
    /// Remove only this deployment.
    #[arg(long)]
    pub deployment_id: Option<String>,
}

pub async fn run(cmd: Command, settings: Settings) -> anyhow::Result<i32> {
    let db = super::open_db(&settings).await?;
    match cmd {
        Command::Add(opts) => {
            let mut role_map = std::collections::BTreeMap::new();
            for entry in &opts.roles {
                let Some((uri, role)) = entry.split_once('=') else {
                    eprintln!("{}", t("cli.platform.bad_role", &[("entry", entry)]));
                    return Ok(2);
                };
                role_map.insert(uri.trim().to_string(), role.trim().to_string());
            }
            let spec = PlatformSpec {
                issuer: opts.issuer,
                client_id: opts.client_id,
                name: opts.name,
                auth_url: opts.auth_url,
                token_url: opts.token_url,
                jwks_url: opts.jwks_url,
                token_audience: opts.token_audience,
                role_map: (!role_map.is_empty()).then_some(role_map),
                deployment_ids: opts.deployment_ids,
            };
            let result = db
                .run(move |conn| Ok(crate::registration::register(conn, &spec, Source::Cli)))
                .await?;
            match result {
                Ok(p) => {
                    println!(
                        "{}",
                        t(
                            "cli.platform.registered",
                            &[
                                ("name", &p.name),
                                ("issuer", &p.issuer),
                                ("client_id", &p.client_id)
                            ]
                        )
                    );
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("{}", t("cli.error", &[("error", &e.to_string())]));
                    Ok(2)
                }
            }
        }
        Command::List => {
            let rows = db
                .run(|conn| {
                    let list = platforms::list(conn)?;
                    list.into_iter()
                        .map(|p| {
                            let d = platforms::deployments_of(conn, &p.id)?;
                            Ok((p, d))
                        })
                        .collect::<Result<Vec<_>, crate::store::StoreError>>()
                })
                .await?;
            if rows.is_empty() {
                println!("{}", t("cli.platform.none", &[]));
            }
            for (p, deployments) in rows {
                println!(
                    "{}",
                    t(
                        "cli.platform.entry",
                        &[
                            ("name", &p.name),
                            ("issuer", &p.issuer),
                            ("client_id", &p.client_id),
                            ("deployments", &deployments.join(", ")),
                            ("auth", &p.auth_url),
                            ("token", &p.token_url),
                            ("jwks", &p.jwks_url),
                            ("source", p.source.as_str()),
                        ]
                    )
                );
            }
            Ok(0)
        }
        Command::Invite(opts) => {
            let secret = crate::lti::oidc::random_token();
            let hash = crate::lti::oidc::hash_secret(&secret);
            let hours = i64::try_from(opts.expires_hours).unwrap_or(24);
            let expires_at = crate::store::now_micros() + hours * 3_600_000_000;
            db.run(move |conn| crate::store::registration_invites::insert(conn, &hash, expires_at))
                .await?;
            let url = format!("{}?invite={secret}", settings.url("/lti/register"));
            println!(
                "{}",
                t(
                    "cli.platform.invite",
                    &[("hours", &hours.to_string()), ("url", &url)]
                )
            );
            if !settings.is_https() {
                eprintln!(
                    "{}",
                    t("cli.platform.plain_http", &[("base", &settings.base_url())])
                );
            }
            Ok(0)
        }
        Command::Webservice(opts) => {
            let issuer = opts.issuer.clone();
            let client_id = opts.client_id.clone();
            let platform = db
                .run(move |conn| platforms::find_by_issuer_and_client_id(conn, &issuer, &client_id))
                .await?;
            let Some(platform) = platform else {
                eprintln!("{}", t("cli.platform.unknown", &[]));
                return Ok(1);
            };
            if opts.remove {
                let id = platform.id.clone();
                let removed = db
                    .run(move |conn| crate::store::platforms::remove_webservice(conn, &id))
                    .await?;
                println!(
                    "{}",
                    t(
                        if removed {
                            "cli.platform.webservice_removed"
                        } else {
                            "cli.platform.webservice_none"
                        },
                        &[]
                    )
                );
                return Ok(0);
            }
            let token = opts.token.unwrap_or_default();
            if token.trim().is_empty() || token.len() > 256 {
                eprintln!("{}", t("cli.platform.bad_token", &[]));
                return Ok(2);
            }
            let url = opts
                .url
                .unwrap_or_else(|| crate::moodle_ws::default_url(&platform.issuer));
            match url::Url::parse(&url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => {
                    eprintln!("{}", t("cli.platform.bad_url", &[("url", &url)]));
                    return Ok(2);
                }
            }
            let id = platform.id.clone();
            let stored_url = url.clone();
            db.run(move |conn| {
                crate::store::platforms::set_webservice(conn, &id, &stored_url, token.trim())
            })
            .await?;
            println!(
                "{}",
                t(
                    "cli.platform.webservice_stored",
                    &[("name", &platform.name), ("url", &url)]
                )
            );
            Ok(0)
        }
        Command::CarryOver(opts) => carry_over(&db, opts).await,
        Command::Remove(opts) => {
            let removed = db
                .run(move |conn| match &opts.deployment_id {
                    Some(d) => match platforms::find_by_issuer_and_client_id(
                        conn,
                        &opts.issuer,
                        &opts.client_id,
                    )? {
                        Some(p) => platforms::remove_deployment(conn, &p.id, d),
                        None => Ok(false),
                    },
                    None => platforms::remove(conn, &opts.issuer, &opts.client_id),
                })
                .await?;
            if removed {
                println!("{}", t("cli.platform.removed", &[]));
                Ok(0)
            } else {
                eprintln!("{}", t("cli.platform.unknown", &[]));
                Ok(1)
            }
        }
    }
}

/// `cpre platform carry-over`: shows the plan, and with `--yes` carries the courses over.
async fn carry_over(db: &crate::store::DbPool, opts: CarryOverOpts) -> anyhow::Result<i32> {
    use crate::registration::{self, Blocker, CarryOverError};
    let (issuer, from, to, yes) = (opts.issuer, opts.from, opts.to, opts.yes);
    let found = db
        .run(move |conn| {
            let find = |conn: &mut crate::store::DbConn, client_id: &str| {
                platforms::find_by_issuer_and_client_id(conn, &issuer, client_id)
            };
            Ok((find(conn, &from)?, find(conn, &to)?))
        })
        .await?;
    let (Some(from), Some(to)) = found else {
        eprintln!("{}", t("cli.platform.unknown", &[]));
        return Ok(1);
    };
    let (from_id, to_id) = (from.id.clone(), to.id.clone());
    let label = t("cli.course.grant.actor", &[]);
    let result = db
        .run(move |conn| {
            Ok(if yes {
                crate::store::transaction(conn, |c| {
                    registration::carry_over(c, &from_id, &to_id, None, &label)
                })
            } else {
                registration::plan_carry_over(conn, &from_id, &to_id)
            })
        })
        .await?;
    let plan = match result {
        Ok(plan) => plan,
        Err(CarryOverError::Blocked(blocked)) => {
            eprintln!("{}", t("cli.carry_over.blocked", &[]));
            print_blockers(&blocked);
            return Ok(1);
        }
        Err(e) => {
            eprintln!("{}", t("cli.error", &[("error", &e.to_string())]));
            return Ok(1);
        }
    };
    println!(
        "{}",
        t(
            if yes {
                "cli.carry_over.done"
            } else {
                "cli.carry_over.plan"
            },
            &[
                ("from", &plan.from.client_id),
                ("to", &plan.to.client_id),
                ("courses", &plan.courses.len().to_string()),
                ("people", &plan.people.to_string()),
            ]
        )
    );
    for c in &plan.courses {
        let key = if c.replaces_launched {
            "cli.carry_over.course_replacing"
        } else {
            "cli.carry_over.course"
        };
        println!("{}", t(key, &[("context", &c.lti_id), ("title", &c.title)]));
    }
    if !yes {
        if plan.blocked.is_empty() {
            println!("{}", t("cli.carry_over.confirm", &[]));
        } else {
            eprintln!("{}", t("cli.carry_over.blocked", &[]));
            print_blockers(&plan.blocked);
            return Ok(1);
        }
    }
    fn print_blockers(blocked: &[Blocker]) {
        for b in blocked {
            eprintln!(
                "{}",
                match b {
                    Blocker::Course { lti_id, title } => t(
                        "cli.carry_over.blocked_course",
                        &[("context", lti_id), ("title", title)]
                    ),
                    Blocker::Person { sub } => t("cli.carry_over.blocked_person", &[("sub", sub)]),
                }
            );
        }
    }
    Ok(0)
}
