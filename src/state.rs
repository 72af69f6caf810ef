//! `AppState`: what every request shares, built once at start (settings, pool, clients, caches,
//! service access tokens).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::access_tokens::AccessTokens;
use crate::config::Settings;
use crate::keyring::KeyRing;
use crate::lti::jwks::JwksCache;
use crate::store::DbPool;
use crate::web::lti::PendingLogins;

pub struct AppState {
    pub settings: Settings,
    pub db: DbPool,
    /// Outgoing HTTP (platform keys, services): timeouts set, no redirects followed.
    pub http: reqwest::Client,
    pub jwks: JwksCache,
    /// Logins started here and not launched yet (a copy of their stored state).
    pub logins: PendingLogins,
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
        let logins = PendingLogins::new(10_000, Duration::from_secs(settings.state_ttl_seconds));
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
            jwks,
            logins,
            keys,
            tokens,
        })
    }

    /// The role overrides of a platform (an invalid stored map is logged and ignored).
    pub fn role_overrides(
        platform: &crate::store::platforms::Platform,
    ) -> BTreeMap<String, crate::lti::roles::ToolRole> {
        crate::lti::roles::parse_overrides(platform.role_map.as_deref()).unwrap_or_else(|e| {
            tracing::error!(platform = %platform.id, error = %e, "invalid role map ignored");
            BTreeMap::new()
        })
    }
}
