//! Logins this process started, kept in memory until their launch: the state row and the
//! registration read at login, so that the launch post reads nothing before it verifies the
//! token and then writes once. A copy only: the stored state stays the authority (the launch
//! transaction consumes it, so a replay still loses), and a launch arriving at another
//! instance, after a restart or after eviction reads the stored state instead.

use std::sync::Arc;
use std::time::Duration;

use crate::store::oidc_states::OidcState;
use crate::store::platforms::Platform;

/// A login started here: its stored state and its registration.
pub struct PendingLogin {
    pub login: OidcState,
    pub platform: Platform,
}

#[derive(Clone)]
pub struct PendingLogins {
    cache: moka::future::Cache<String, Arc<PendingLogin>>,
}

impl PendingLogins {
    /// At most `capacity` logins (least recently started evicted first), each for `ttl`.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(capacity)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .time_to_live(ttl)
                .build(),
        }
    }

    pub async fn keep(&self, state: String, login: PendingLogin) {
        self.cache.insert(state, Arc::new(login)).await;
    }

    /// Takes the login of `state` out, if this process started it and it has not expired.
    pub async fn take(&self, state: &str, now: i64) -> Option<Arc<PendingLogin>> {
        self.cache
            .remove(state)
            .await
            .filter(|p| p.login.expires_at >= now)
    }
}
