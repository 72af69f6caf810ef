//! Access tokens to the platforms' LTI services, for the whole process: client assertions
//! signed with the active tool key, one cached token per (platform, scopes) shared by every
//! caller, and one refresh when a platform answers 401.

use std::sync::Arc;

use crate::keyring::KeyRing;
use crate::lti::client_credentials::{self, AccessToken, TokenCache, TokenError, TokenKey};
use crate::lti::http::ServiceError;
use crate::store::platforms::Platform;

/// A service call that failed, with or without a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl CallError {
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Token(e) => e.is_transient(),
            CallError::Service(e) => e.is_transient(),
        }
    }
}

#[derive(Clone)]
pub struct AccessTokens {
    http: reqwest::Client,
    keys: KeyRing,
    cache: TokenCache,
}

impl AccessTokens {
    pub fn new(http: reqwest::Client, keys: KeyRing) -> Self {
        Self {
            http,
            keys,
            cache: TokenCache::new(),
        }
    }

    /// A token for these scopes of this platform (cached until shortly before it expires).
    pub async fn get(
        &self,
        platform: &Platform,
        scopes: &[String],
    ) -> Result<(TokenKey, Arc<AccessToken>), TokenError> {
        let key = TokenKey::new(&platform.id, scopes);
        let http = self.http.clone();
        let keys = self.keys.clone();
        let client_id = platform.client_id.clone();
        let audience = platform.assertion_audience().to_string();
        let token_url = platform.token_url.clone();
        let wanted = key.scope_list();
        let token = self
            .cache
            .get_or_fetch(key.clone(), async move {
                let snapshot = keys
                    .snapshot()
                    .await
                    .map_err(|e| TokenError::Sign(e.to_string()))?;
                let now = chrono::Utc::now().timestamp();
                let assertion = client_credentials::client_assertion(
                    &snapshot.active,
                    &client_id,
                    &audience,
                    now,
                )?;
                let token =
                    client_credentials::request_token(&http, &token_url, &assertion, &wanted)
                        .await?;
                tracing::debug!(token_url, scopes = %wanted.join(" "), "access token obtained");
                Ok(token)
            })
            .await?;
        Ok((key, token))
    }

    /// Runs `call` with a token; when the platform answers 401, forgets that token, gets a
    /// fresh one and runs `call` once more.
    pub async fn call<T, F, Fut>(
        &self,
        platform: &Platform,
        scopes: &[String],
        call: F,
    ) -> Result<T, CallError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let (key, token) = self.get(platform, scopes).await?;
        match call(token.token.clone()).await {
            Err(ServiceError::Status { status: 401, .. }) => {
                tracing::info!(platform = %platform.id, "access token refused (401): refreshing once");
                self.cache.invalidate(&key, &token.token).await;
                let (_, fresh) = self.get(platform, scopes).await?;
                Ok(call(fresh.token.clone()).await?)
            }
            other => Ok(other?),
        }
    }
}
