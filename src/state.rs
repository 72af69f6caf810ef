//! `AppState`: what every request and worker shares, built once at start (settings, pool,
//! HTTP client, the launcher, the tool's key ring, service access tokens). It depends only on
//! the floors below it; the web layer holds it, use cases take it.

use std::sync::Arc;
use std::time::Duration;

use crate::access_tokens::AccessTokens;
use crate::config::Settings;
use crate::keyring::KeyRing;
use crate::launch::Launcher;
use crate::lti::jwks::JwksCache;
use crate::store::DbPool;

pub struct AppState {
    pub settings: Settings,
    pub db: DbPool,
    /// Outgoing HTTP (platform keys, services): timeouts set, no redirects followed.
    pub http: reqwest::Client,
    /// Logins and launches (with the platforms' key sets and the logins started here).
    pub launcher: Launcher,
    pub keys: KeyRing,
    /// Access tokens to the platforms' services (AGS, NRPS), shared by every caller.
    pub tokens: AccessTokens,
}

pub type SharedState = Arc<AppState>;

/// The time budget of one outgoing HTTP request (and of a launch waiting for a platform's keys).
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

impl AppState {
    pub fn new(settings: Settings, db: DbPool) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("cpre/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(HTTP_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let jwks = JwksCache::new(
            http.clone(),
            Duration::from_secs(settings.jwks_cache_seconds),
            Duration::from_millis(settings.jwks_min_interval_ms),
            HTTP_TIMEOUT,
        );
        let launcher = Launcher::new(&settings, db.clone(), jwks);
        let keys = KeyRing::new(
            db.clone(),
            settings.key_grace_hours,
            settings.key_activation_seconds,
        );
        let tokens = AccessTokens::new(http.clone(), keys.clone());
        Ok(Self {
            settings,
            db,
            http,
            launcher,
            keys,
            tokens,
        })
    }
}
