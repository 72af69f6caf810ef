//! Platform public keys: fetched from each platform's JWKS URL, cached, refetched once on an
//! unknown `kid` (a platform that rotated its key), RSA only.

use std::collections::HashMap;
use std::sync::Arc;
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

struct CachedSet {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Instant,
}

/// A cache of platform key sets, keyed by JWKS URL.
#[derive(Clone)]
pub struct JwksCache {
    http: reqwest::Client,
    cache: moka::future::Cache<String, Arc<CachedSet>>,
    /// An unknown kid triggers a refetch only if the cached set is older than this.
    min_refetch: Duration,
}

impl JwksCache {
    pub fn new(http: reqwest::Client, ttl: Duration, min_refetch: Duration) -> Self {
        Self {
            http,
            cache: moka::future::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(1_000)
                .build(),
            min_refetch,
        }
    }

    /// The decoding key for `kid` at `jwks_url`, refetching the set once if the kid is unknown.
    pub async fn key(&self, jwks_url: &str, kid: &str) -> Result<DecodingKey, JwksError> {
        let set = self.cached(jwks_url).await?;
        if let Some(key) = set.keys.get(kid) {
            return Ok(key.clone());
        }
        if set.fetched_at.elapsed() < self.min_refetch {
            return Err(JwksError::UnknownKid(kid.to_string()));
        }
        self.cache.invalidate(jwks_url).await;
        let fresh = self.cached(jwks_url).await?;
        tracing::info!(
            jwks_url,
            kid,
            "platform key set refetched for an unknown kid"
        );
        fresh
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| JwksError::UnknownKid(kid.to_string()))
    }

    async fn cached(&self, jwks_url: &str) -> Result<Arc<CachedSet>, JwksError> {
        let http = self.http.clone();
        let url = jwks_url.to_string();
        self.cache
            .try_get_with(url.clone(), async move {
                fetch(&http, &url).await.map(Arc::new)
            })
            .await
            .map_err(|e: Arc<JwksError>| (*e).clone())
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<CachedSet, JwksError> {
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
    Ok(CachedSet {
        keys,
        fetched_at: Instant::now(),
    })
}
