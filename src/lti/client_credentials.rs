//! OAuth 2 client-credentials grant for LTI Advantage services: the JWT client assertion signed
//! by the tool key, the token request, and the access-token cache shared by every caller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::http::{ServiceError, truncate};
use super::keys::ToolKey;

/// `client_assertion_type` of a JWT client assertion (RFC 7523).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Lifetime of a client assertion: it is used once, right away.
pub const ASSERTION_LIFETIME_SECS: i64 = 300;
/// A cached token is dropped this long before the platform says it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Why no access token could be obtained.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error("the client assertion could not be signed: {0}")]
    Sign(String),
    /// The token endpoint refused (`invalid_client`, `invalid_scope`…) or failed.
    #[error("token endpoint: {0}")]
    Service(#[from] ServiceError),
}

impl TokenError {
    /// True when asking again later may succeed (the endpoint was down or overloaded).
    pub fn is_transient(&self) -> bool {
        match self {
            TokenError::Sign(_) => false,
            TokenError::Service(e) => e.is_transient(),
        }
    }
}

/// The claims of a client assertion (IMS Security Framework §4.1.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientAssertion {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Signs a client assertion: `iss` = `sub` = client_id, `aud` = the token URL (or the
/// audience the registration names), a fresh `jti`, a short `exp`, the key's `kid`.
pub fn client_assertion(
    key: &ToolKey,
    client_id: &str,
    audience: &str,
    now: i64,
) -> Result<String, TokenError> {
    let claims = ClientAssertion {
        iss: client_id.to_string(),
        sub: client_id.to_string(),
        aud: audience.to_string(),
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    key.sign(&claims)
        .map_err(|e| TokenError::Sign(e.to_string()))
}

/// An access token and when to stop using it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    /// The scopes the platform granted (it may grant fewer than asked).
    pub scopes: Vec<String>,
    /// When the cache drops it (shortly before the platform's expiry).
    pub use_until: Instant,
}

impl AccessToken {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// Asks the token endpoint for a token: form-encoded `grant_type=client_credentials`, the
/// assertion, and the scopes (space-separated).
pub async fn request_token(
    http: &reqwest::Client,
    token_url: &str,
    assertion: &str,
    scopes: &[String],
) -> Result<AccessToken, TokenError> {
    let scope = scopes.join(" ");
    let response = http
        .post(token_url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
            ("scope", scope.as_str()),
        ])
        .send()
        .await
        .map_err(ServiceError::transport)?;
    if !response.status().is_success() {
        return Err(ServiceError::from_response(response).await.into());
    }
    let body = response.bytes().await.map_err(ServiceError::transport)?;
    let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| {
        ServiceError::Malformed(format!(
            "not a token answer ({e}): {}",
            truncate(&String::from_utf8_lossy(&body))
        ))
    })?;
    if !answer.token_type.eq_ignore_ascii_case("bearer") || answer.access_token.is_empty() {
        return Err(ServiceError::Malformed(format!(
            "token type `{}` is not Bearer",
            answer.token_type
        ))
        .into());
    }
    // Moodle: 3600 s. Without `expires_in`, keep the token for a short while only.
    let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(300));
    let margin = EXPIRY_MARGIN.min(lifetime / 2);
    let granted = match answer.scope {
        Some(s) if !s.trim().is_empty() => s.split_whitespace().map(str::to_string).collect(),
        _ => scopes.to_vec(),
    };
    Ok(AccessToken {
        token: answer.access_token,
        scopes: granted,
        use_until: Instant::now() + lifetime - margin,
    })
}

/// What a token is cached under: the platform registration and the exact scope set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub platform_id: String,
    /// Sorted, space-separated.
    pub scopes: String,
}

impl TokenKey {
    pub fn new(platform_id: &str, scopes: &[String]) -> Self {
        let mut sorted = scopes.to_vec();
        sorted.sort();
        sorted.dedup();
        TokenKey {
            platform_id: platform_id.to_string(),
            scopes: sorted.join(" "),
        }
    }

    pub fn scope_list(&self) -> Vec<String> {
        self.scopes.split(' ').map(str::to_string).collect()
    }
}

struct UntilExpiry;

impl moka::Expiry<TokenKey, Arc<AccessToken>> for UntilExpiry {
    fn expire_after_create(
        &self,
        _key: &TokenKey,
        value: &Arc<AccessToken>,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.use_until.saturating_duration_since(created_at))
    }
}

/// Access tokens per (platform, scopes), shared by every delivery and roster call until
/// shortly before they expire. Concurrent callers of a missing key wait for one request.
#[derive(Clone)]
pub struct TokenCache {
    cache: moka::future::Cache<TokenKey, Arc<AccessToken>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenCache {
    pub fn new() -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(10_000)
                .expire_after(UntilExpiry)
                .build(),
        }
    }

    /// The cached token, or the one `fetch` obtains (once for all concurrent callers).
    pub async fn get_or_fetch<F>(
        &self,
        key: TokenKey,
        fetch: F,
    ) -> Result<Arc<AccessToken>, TokenError>
    where
        F: Future<Output = Result<AccessToken, TokenError>>,
    {
        self.cache
            .try_get_with(key, async move { fetch.await.map(Arc::new) })
            .await
            .map_err(|e: Arc<TokenError>| (*e).clone())
    }

    /// Forgets a token the platform refused (401), unless another caller already replaced it.
    pub async fn invalidate(&self, key: &TokenKey, refused: &str) {
        if let Some(current) = self.cache.get(key).await
            && current.token == refused
        {
            self.cache.invalidate(key).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertion_names_the_client_and_the_audience() {
        let generated = super::super::keys::generate().unwrap();
        let key = ToolKey::from_pem_with_kid(&generated.private_pem, None).unwrap();
        let jwt = client_assertion(&key, "client-1", "https://m/mod/lti/token.php", 1000).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&key.public_jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&["https://m/mod/lti/token.php"]);
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<ClientAssertion>(&jwt, &decoding, &validation)
            .unwrap()
            .claims;
        assert_eq!(claims.iss, "client-1");
        assert_eq!(claims.sub, "client-1");
        assert_eq!(claims.exp - claims.iat, ASSERTION_LIFETIME_SECS);
        assert!(!claims.jti.is_empty());
    }

    #[test]
    fn token_keys_ignore_scope_order() {
        let a = TokenKey::new("p", &["b".into(), "a".into(), "b".into()]);
        let b = TokenKey::new("p", &["a".into(), "b".into()]);
        assert_eq!(a, b);
        assert_eq!(a.scope_list(), vec!["a", "b"]);
    }

    #[tokio::test]
    async fn cache_fetches_once_and_invalidates_only_the_refused_token() {
        let cache = TokenCache::new();
        let key = TokenKey::new("p", &["s".into()]);
        let token = |t: &str| AccessToken {
            token: t.into(),
            scopes: vec!["s".into()],
            use_until: Instant::now() + Duration::from_secs(60),
        };
        let first = cache
            .get_or_fetch(key.clone(), async { Ok(token("one")) })
            .await
            .unwrap();
        let again = cache
            .get_or_fetch(key.clone(), async { Ok(token("two")) })
            .await
            .unwrap();
        assert_eq!(first.token, "one");
        assert_eq!(again.token, "one", "served from the cache");
        cache.invalidate(&key, "stale").await;
        let still = cache
            .get_or_fetch(key.clone(), async { Ok(token("three")) })
            .await
            .unwrap();
        assert_eq!(
            still.token, "one",
            "another token was refused, not this one"
        );
        cache.invalidate(&key, "one").await;
        let fresh = cache
            .get_or_fetch(key.clone(), async { Ok(token("four")) })
            .await
            .unwrap();
        assert_eq!(fresh.token, "four");
    }
}
