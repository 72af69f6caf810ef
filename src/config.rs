//! Settings: defaults, then an optional TOML file, then `CPRE_*` environment variables.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Every setting of the tool. Documented, with defaults, in `docs/configuration.md`.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Address to listen on (`CPRE_BIND`).
    pub bind: String,
    /// Public URL of the tool, used in redirect URIs and the JWKS URL (`CPRE_BASE_URL`).
    /// Defaults to `http://` + the bind address.
    #[serde(default)]
    pub base_url: Option<String>,
    /// `sqlite://PATH` or `postgres://…` (`CPRE_DATABASE_URL`).
    pub database_url: String,
    /// Connections in the pool (`CPRE_DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// Folder holding `platforms/*.toml` registrations loaded at start (`CPRE_LTI_CONFIG_DIR`).
    pub lti_config_dir: PathBuf,
    /// Lifetime of a tool session after a launch, in minutes (`CPRE_SESSION_TTL_MINUTES`).
    pub session_ttl_minutes: u64,
    /// Lifetime of an OIDC login state, in seconds (`CPRE_STATE_TTL_SECONDS`).
    pub state_ttl_seconds: u64,
    /// Clock-skew leeway on id_token times, in seconds (`CPRE_CLOCK_LEEWAY_SECONDS`).
    pub clock_leeway_seconds: u64,
    /// How long a retired tool key stays published, in hours (`CPRE_KEY_GRACE_HOURS`).
    pub key_grace_hours: u64,
    /// How long a platform key set is cached, in seconds (`CPRE_JWKS_CACHE_SECONDS`).
    pub jwks_cache_seconds: u64,
    /// The shortest time between two fetches of one platform's key set, in milliseconds: a
    /// launch signed with a key not fetched yet waits for the next allowed fetch
    /// (`CPRE_JWKS_MIN_INTERVAL_MS`).
    pub jwks_min_interval_ms: u64,
    /// How long a new tool key is published before it signs anything, in seconds, so that
    /// every instance and every cache of the tool's JWKS has it first
    /// (`CPRE_KEY_ACTIVATION_SECONDS`).
    pub key_activation_seconds: u64,
    /// HTTP workers (`CPRE_WORKERS`); 0 means one per CPU.
    pub workers: usize,
    /// Log filter, tracing syntax (`CPRE_LOG`).
    pub log: String,
    /// Timezone in which pages, exports and PDFs show times (`CPRE_TIMEZONE`).
    pub timezone: String,
    /// `open` lets any Moodle register itself by Dynamic Registration; `closed` (default)
    /// accepts only one-time links made by `cpre platform invite` (`CPRE_DYNAMIC_REGISTRATION`).
    pub dynamic_registration: String,
    /// Run the background worker (grade delivery, roster schedule) in `cpre serve`
    /// (`CPRE_GRADES_WORKER`).
    pub grades_worker: bool,
    /// Deliveries the worker makes at the same time (`CPRE_GRADES_CONCURRENCY`).
    pub grades_concurrency: usize,
    /// How long a claimed delivery is reserved for its worker, in seconds; after that another
    /// worker may retry it (`CPRE_GRADES_LEASE_SECONDS`).
    pub grades_lease_seconds: u64,
    /// How many days a delivery is retried before it is marked failed (`CPRE_GRADES_RETRY_DAYS`).
    pub grades_retry_days: u64,
    /// How often an idle worker looks for due deliveries, in seconds (`CPRE_GRADES_POLL_SECONDS`).
    pub grades_poll_seconds: u64,
    /// Roster (NRPS) and group synchronisation of recently launched courses, every N hours;
    /// 0 turns the schedule off (`CPRE_ROSTER_SYNC_HOURS`).
    pub roster_sync_hours: u64,
}

impl Settings {
    /// Loads settings: defaults, then `file` (TOML) when given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder = Self::defaults()?;
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml));
        }
        let settings: Settings = builder
            .add_source(config::Environment::with_prefix("CPRE").try_parsing(true))
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn defaults() -> Result<config::ConfigBuilder<config::builder::DefaultState>, ConfigError> {
        Ok(config::Config::builder()
            .set_default("bind", "127.0.0.1:8080")?
            .set_default("database_url", "sqlite://data/cpre.sqlite")?
            .set_default("db_pool_size", 8)?
            .set_default("lti_config_dir", "lti-config")?
            .set_default("session_ttl_minutes", 480)?
            .set_default("state_ttl_seconds", 600)?
            .set_default("clock_leeway_seconds", 30)?
            .set_default("key_grace_hours", 72)?
            .set_default("jwks_cache_seconds", 3600)?
            .set_default("jwks_min_interval_ms", 1000)?
            .set_default("key_activation_seconds", 120)?
            .set_default("workers", 0)?
            .set_default("log", "info")?
            .set_default("timezone", "Europe/Paris")?
            .set_default("dynamic_registration", "closed")?
            .set_default("grades_worker", true)?
            .set_default("grades_concurrency", 8)?
            .set_default("grades_lease_seconds", 120)?
            .set_default("grades_retry_days", 7)?
            .set_default("grades_poll_seconds", 2)?
            .set_default("roster_sync_hours", 6)?)
    }

    /// Default settings for a database URL, ignoring the environment (tests, tools).
    pub fn for_database(database_url: &str) -> Result<Self, ConfigError> {
        let mut settings: Settings = Self::defaults()?
            .set_override("database_url", database_url)?
            .build()?
            .try_deserialize()?;
        settings.lti_config_dir = PathBuf::from("lti-config");
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that the types do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let base = self.base_url();
        let parsed = url::Url::parse(&base).map_err(|e| {
            ConfigError::Invalid(format!("CPRE_BASE_URL `{base}` is not a URL: {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid("CPRE_BASE_URL must be http(s)".into()));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(ConfigError::Invalid(
                "CPRE_BASE_URL must not have a query".into(),
            ));
        }
        Backend::from_url(&self.database_url).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "unsupported database URL `{}`: use sqlite://PATH or postgres://…",
                redact_url(&self.database_url)
            ))
        })?;
        if self.state_ttl_seconds == 0 || self.session_ttl_minutes == 0 {
            return Err(ConfigError::Invalid("lifetimes must be positive".into()));
        }
        self.tz()?;
        if self.jwks_min_interval_ms > 10_000 {
            return Err(ConfigError::Invalid(
                "CPRE_JWKS_MIN_INTERVAL_MS above 10000 would make launches wait too long".into(),
            ));
        }
        if self.clock_leeway_seconds > 300 {
            return Err(ConfigError::Invalid(
                "CPRE_CLOCK_LEEWAY_SECONDS above 300 is unsafe".into(),
            ));
        }
        if !matches!(self.dynamic_registration.as_str(), "open" | "closed") {
            return Err(ConfigError::Invalid(format!(
                "CPRE_DYNAMIC_REGISTRATION must be `open` or `closed`, not `{}`",
                self.dynamic_registration
            )));
        }
        if self.grades_concurrency == 0 || self.grades_concurrency > 64 {
            return Err(ConfigError::Invalid(
                "CPRE_GRADES_CONCURRENCY must be between 1 and 64".into(),
            ));
        }
        if self.grades_lease_seconds < 1 || self.grades_retry_days == 0 {
            return Err(ConfigError::Invalid(
                "CPRE_GRADES_LEASE_SECONDS and CPRE_GRADES_RETRY_DAYS must be positive".into(),
            ));
        }
        Ok(())
    }

    /// The display timezone.
    pub fn tz(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            ConfigError::Invalid(format!(
                "CPRE_TIMEZONE `{}` is not an IANA timezone (e.g. Europe/Paris)",
                self.timezone
            ))
        })
    }

    /// The timezone pages, exports and PDFs show times in (checked when the settings load).
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.tz().unwrap_or(chrono_tz::Europe::Paris)
    }

    /// Today's date in the tool's timezone.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.timezone())
            .date_naive()
    }

    /// True when any platform may register itself without an invite.
    pub fn dynamic_registration_open(&self) -> bool {
        self.dynamic_registration == "open"
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.base_url {
            Some(url) if !url.is_empty() => url.trim_end_matches('/').to_string(),
            _ => format!("http://{}", self.bind),
        }
    }

    /// True when the tool is served over HTTPS (cookies can then be `Secure; SameSite=None`).
    pub fn is_https(&self) -> bool {
        self.base_url().starts_with("https://")
    }

    /// `host[:port]` of the base URL (the tool's domain for Moodle).
    pub fn domain(&self) -> String {
        url::Url::parse(&self.base_url())
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                })
            })
            .unwrap_or_default()
    }

    /// A URL under the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }
}

/// Which backend a database URL designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL scheme; `sqlite://` (or a bare path ending in
    /// `.sqlite`/`.db`) is SQLite, `postgres://`/`postgresql://` is PostgreSQL.
    pub fn from_url(url: &str) -> Option<(Backend, String)> {
        if let Some(rest) = url.strip_prefix("sqlite://") {
            return Some((Backend::Sqlite, rest.to_string()));
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            return Some((Backend::Sqlite, rest.to_string()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Some((Backend::Postgres, url.to_string()));
        }
        None
    }
}

/// Removes a password from a URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}
