//! Platform public keys: fetched from each platform's JWKS URL, cached, RSA only.
//!
//! A key id the cached set does not know (a platform that just rotated its key) makes one
//! refetch, shared by every launch waiting for it (single flight per URL). A platform is never
//! fetched again within `min_interval` of the end of its last fetch: a launch that arrives then
//! with a still-unknown key id waits for the next allowed fetch instead of failing, as long as
//! its whole wait stays under `max_wait` (the request's own time budget). So a launch signed
//! with a key the platform publishes succeeds on its first try, whatever the timing.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};

/// The largest JWKS document accepted from a platform.
const MAX_JWKS_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, thiserror::Error)]
pub enum JwksError {
    #[error("the platform's key set at {url} could not be fetched: {reason}")]
    Fetch { url: String, reason: String },
    #[error("no key `{0}` in the platform's key set")]
    UnknownKid(String),
}

/// One fetched key set.
struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Instant,
}

/// Everything known about one JWKS URL.
#[derive(Default)]
struct Slot {
    /// The last set fetched (read without waiting).
    current: RwLock<Option<Arc<KeySet>>>,
    /// Held by the one fetch in flight; waiters queue on it (single flight).
    fetching: tokio::sync::Mutex<Option<Instant>>,
}

impl Slot {
    fn current(&self) -> Option<Arc<KeySet>> {
        self.current.read().map(|c| c.clone()).unwrap_or_default()
    }
}

/// A cache of platform key sets, keyed by JWKS URL.
#[derive(Clone)]
pub struct JwksCache {
    http: reqwest::Client,
    slots: moka::future::Cache<String, Arc<Slot>>,
    /// How long a fetched set is trusted before it is fetched again.
    ttl: Duration,
    /// The shortest time between two fetches of one URL.
    min_interval: Duration,
    /// The longest a caller waits for a fetch (queueing included).
    max_wait: Duration,
}

impl JwksCache {
    pub fn new(
        http: reqwest::Client,
        ttl: Duration,
        min_interval: Duration,
        max_wait: Duration,
    ) -> Self {
        Self {
            http,
            slots: moka::future::Cache::builder().max_capacity(1_000).build(),
            ttl,
            min_interval,
            max_wait,
        }
    }

    /// The decoding key for `kid` at `jwks_url`: from the cached set when it is fresh and knows
    /// the kid, else after a (shared, rate-limited) fetch made after this call began.
    pub async fn key(&self, jwks_url: &str, kid: &str) -> Result<DecodingKey, JwksError> {
        let asked_at = Instant::now();
        let deadline = asked_at + self.max_wait;
        let slot = self
            .slots
            .get_with(jwks_url.to_string(), async { Arc::new(Slot::default()) })
            .await;
        if let Some(set) = slot.current()
            && set.fetched_at.elapsed() < self.ttl
            && let Some(key) = set.keys.get(kid)
        {
            return Ok(key.clone());
        }
        let mut last_fetch = tokio::time::timeout_at(deadline.into(), slot.fetching.lock())
            .await
            .map_err(|_| JwksError::UnknownKid(kid.to_string()))?;
        // A fetch made while this call waited answers it: no second fetch.
        if let Some(set) = slot.current()
            && set.fetched_at >= asked_at
        {
            return set
                .keys
                .get(kid)
                .cloned()
                .ok_or_else(|| JwksError::UnknownKid(kid.to_string()));
        }
        if let Some(previous) = *last_fetch {
            let allowed = previous + self.min_interval;
            if allowed > deadline {
                return Err(JwksError::UnknownKid(kid.to_string()));
            }
            tokio::time::sleep_until(allowed.into()).await;
        }
        let result = fetch(&self.http, jwks_url).await;
        // The interval runs from the end of a fetch: the platform sees its requests at
        // least `min_interval` apart, however long each took.
        *last_fetch = Some(Instant::now());
        let fetched = Arc::new(result?);
        if let Ok(mut current) = slot.current.write() {
            *current = Some(fetched.clone());
        }
        tracing::info!(
            jwks_url,
            kid,
            keys = fetched.keys.len(),
            "platform key set fetched"
        );
        fetched
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| JwksError::UnknownKid(kid.to_string()))
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<KeySet, JwksError> {
    let fail = |reason: String| JwksError::Fetch {
        url: url.to_string(),
        reason,
    };
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !response.status().is_success() {
        return Err(fail(format!("HTTP {}", response.status())));
    }
    if response
        .content_length()
        .is_some_and(|n| n as usize > MAX_JWKS_BYTES)
    {
        return Err(fail("key set too large".into()));
    }
    let body = response.bytes().await.map_err(|e| fail(e.to_string()))?;
    if body.len() > MAX_JWKS_BYTES {
        return Err(fail("key set too large".into()));
    }
    let set: JwkSet =
        serde_json::from_slice(&body).map_err(|e| fail(format!("not a JWKS: {e}")))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let (Some(kid), AlgorithmParameters::RSA(_)) = (&jwk.common.key_id, &jwk.algorithm) else {
            continue;
        };
        match DecodingKey::from_jwk(jwk) {
            Ok(key) => {
                keys.insert(kid.clone(), key);
            }
            Err(e) => tracing::warn!(url, kid, error = %e, "unusable key in platform key set"),
        }
    }
    Ok(KeySet {
        keys,
        fetched_at: Instant::now(),
    })
}
