//! The launch use case: the OIDC login (find the registration, store a single-use state),
//! the launch (find the state, bind it to the browser, verify the id_token, resolve the role)
//! and opening a tool session, in one write transaction. HTTP stays in `web::lti`: this
//! module takes plain values and a store handle, and answers plain values.

pub mod landing;
pub mod pending;
pub mod session;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::Settings;
use crate::failure::Kind;
use crate::lti::jwks::JwksCache;
use crate::lti::launch::{self as verify, Expected, LaunchError};
use crate::lti::oidc::{self, LoginError, LoginInitiation, hash_secret, random_token};
use crate::lti::roles::{self, ToolRole};
use crate::store::oidc_states::{self, OidcState};
use crate::store::platforms::{self, Platform};
use crate::store::sessions::{self, Binding, SessionRow};
use crate::store::text::Json;
use crate::store::{self, DbPool, StoreError, now_micros};

pub use pending::{PendingLogin, PendingLogins};

/// Why a login or a launch was refused.
#[derive(Debug, thiserror::Error)]
pub enum LaunchFailure {
    #[error("login initiation refused: {0}")]
    Login(#[from] LoginError),
    #[error("no platform registered for issuer `{issuer}` and client_id `{client_id}`")]
    UnknownPlatform { issuer: String, client_id: String },
    #[error("deployment `{deployment_id}` of issuer `{issuer}` is not registered")]
    UnknownDeployment {
        issuer: String,
        deployment_id: String,
    },
    #[error("launch refused: {0}")]
    Launch(#[from] LaunchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the browser presented with the launch post, besides the form.
#[derive(Debug, Clone, Default)]
pub struct BrowserProof {
    /// The value of the state cookie set at login, if the browser sent it back.
    pub state_secret: Option<String>,
    /// The `Origin` header of the form post.
    pub origin: Option<String>,
}

/// A login started: where to send the browser, and the secret of its state cookie.
#[derive(Debug, Clone)]
pub struct LoginStarted {
    pub redirect: url::Url,
    pub state: String,
    pub browser_secret: String,
    pub ttl_seconds: i64,
}

/// A session opened by a launch.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The secret of the session's URLs (`/s/{token}/`).
    pub token: String,
    /// SHA-256 of the token: the stored session's id.
    pub session_id: String,
    /// The secret of the binding cookie, when the browser keeps cookies.
    pub binding_secret: Option<String>,
    pub ttl_seconds: i64,
}

/// The launch's settings.
#[derive(Debug, Clone)]
struct Limits {
    state_ttl: i64,
    session_ttl: i64,
    leeway: u64,
    redirect_uri: String,
}

/// Runs logins and launches; one per process, shared by every request.
#[derive(Clone)]
pub struct Launcher {
    db: DbPool,
    jwks: JwksCache,
    logins: PendingLogins,
    limits: Limits,
}

/// Logins kept in memory per process (each a few hundred bytes).
const PENDING_CAPACITY: u64 = 10_000;

impl Launcher {
    pub fn new(settings: &Settings, db: DbPool, jwks: JwksCache) -> Self {
        Self {
            db,
            jwks,
            logins: PendingLogins::new(
                PENDING_CAPACITY,
                Duration::from_secs(settings.state_ttl_seconds),
            ),
            limits: Limits {
                state_ttl: i64::try_from(settings.state_ttl_seconds).unwrap_or(600),
                session_ttl: i64::try_from(settings.session_ttl_minutes.saturating_mul(60))
                    .unwrap_or(28_800),
                leeway: settings.clock_leeway_seconds,
                redirect_uri: settings.url("/lti/launch"),
            },
        }
    }

    /// OIDC login initiation: in one transaction, finds the registration, checks the
    /// deployment and stores a fresh state with its nonce and the hash of a browser secret.
    pub async fn login(&self, init: LoginInitiation) -> Result<LoginStarted, LaunchFailure> {
        init.check()?;
        let state_value = random_token();
        let nonce = random_token();
        let browser_secret = random_token();
        let now = now_micros();
        let mut row = OidcState {
            state: state_value.clone(),
            nonce: nonce.clone(),
            platform_id: Default::default(),
            deployment_id: init.lti_deployment_id.clone(),
            target_link_uri: init.target_link_uri.clone(),
            browser_hash: hash_secret(&browser_secret),
            created_at: now,
            expires_at: now + self.limits.state_ttl * 1_000_000,
        };
        let lookup = init.clone();
        let (platform, stored) = self
            .db
            .write(move |conn| {
                let platform = match &lookup.client_id {
                    Some(client_id) => {
                        platforms::find_by_issuer_and_client_id(conn, &lookup.iss, client_id)?
                    }
                    // Without client_id, accept only an issuer registered exactly once.
                    None => {
                        let mut found = platforms::find_by_issuer(conn, &lookup.iss)?;
                        if found.len() == 1 { found.pop() } else { None }
                    }
                };
                let Some(platform) = platform else {
                    return Ok(Err(LaunchFailure::UnknownPlatform {
                        issuer: lookup.iss.clone(),
                        client_id: lookup.client_id.clone().unwrap_or_default(),
                    }));
                };
                if let Some(deployment) = &lookup.lti_deployment_id
                    && !platforms::has_deployment(conn, &platform.id, deployment)?
                {
                    return Ok(Err(LaunchFailure::UnknownDeployment {
                        issuer: lookup.iss.clone(),
                        deployment_id: deployment.clone(),
                    }));
                }
                row.platform_id = platform.id.clone();
                oidc_states::insert(conn, &row)?;
                Ok(Ok((platform, row)))
            })
            .await??;
        let redirect = oidc::auth_request_url(
            &platform.auth_url,
            &platform.client_id,
            &self.limits.redirect_uri,
            &init,
            &state_value,
            &nonce,
        )?;
        self.logins
            .keep(
                state_value.clone(),
                PendingLogin {
                    login: stored,
                    platform,
                },
            )
            .await;
        Ok(LoginStarted {
            redirect,
            state: state_value,
            browser_secret,
            ttl_seconds: self.limits.state_ttl,
        })
    }

    /// The launch: reads the state (from this process's pending logins, else from the
    /// store), binds it to the browser, verifies the id_token, then in one write transaction
    /// consumes the stored state (exactly one row deleted, so a replay loses), records the
    /// launch and opens the session. A launch refused after the state was found burns the
    /// state too.
    pub async fn launch(
        &self,
        state_value: &str,
        id_token: &str,
        browser: &BrowserProof,
    ) -> Result<Opened, LaunchFailure> {
        if state_value.is_empty() {
            return Err(LaunchError::MissingField("state").into());
        }
        if id_token.is_empty() {
            return Err(LaunchError::MissingField("id_token").into());
        }
        if state_value.len() > 256 {
            return Err(LaunchError::State.into());
        }
        let (login, platform) = match self.logins.take(state_value, now_micros()).await {
            Some(p) => (p.login.clone(), p.platform.clone()),
            None => {
                let s = state_value.to_string();
                self.db
                    .run(move |conn| match oidc_states::find_valid(conn, &s)? {
                        Some(login) => {
                            let platform = platforms::get(conn, &login.platform_id)?;
                            Ok(Some((login, platform)))
                        }
                        None => Ok(None),
                    })
                    .await?
                    .ok_or(LaunchError::State)?
            }
        };
        match self.verify(id_token, &login, &platform, browser).await {
            Ok((verified, cookies_kept)) => {
                self.open_session(state_value, &platform, verified, cookies_kept)
                    .await
            }
            Err(e) => {
                let s = state_value.to_string();
                if let Err(burn) = self
                    .db
                    .run(move |conn| oidc_states::consume(conn, &s))
                    .await
                {
                    tracing::warn!(error = %burn, "could not burn the state of a refused launch");
                }
                Err(e.into())
            }
        }
    }

    /// Binds the launch to the browser that started the login, then verifies the id_token.
    /// Returns the launch and whether the browser keeps the tool's cookies.
    async fn verify(
        &self,
        id_token: &str,
        login: &OidcState,
        platform: &Platform,
        browser: &BrowserProof,
    ) -> Result<(verify::Launch, bool), LaunchError> {
        // The state cookie when the browser kept it; else the Origin of the form_post when
        // the browser sent one; else the state alone (single use, short-lived, nonce-bound).
        let binding = match &browser.state_secret {
            Some(secret) if hash_secret(secret) == login.browser_hash => "state-cookie",
            Some(_) => return Err(LaunchError::StateCookie),
            None => match &browser.origin {
                Some(origin) if origin_matches(origin, platform) => "origin",
                Some(origin) => {
                    return Err(LaunchError::Origin(origin.chars().take(200).collect()));
                }
                None => "state-only",
            },
        };
        let overrides = role_overrides(platform);
        let expected = Expected {
            issuer: &platform.issuer,
            client_id: &platform.client_id,
            jwks_url: &platform.jwks_url,
            nonce: &login.nonce,
            target_link_uri: &login.target_link_uri,
            leeway_secs: self.limits.leeway,
            role_overrides: &overrides,
        };
        let verified = verify::verify(id_token, &expected, &self.jwks).await?;
        if login
            .deployment_id
            .as_deref()
            .is_some_and(|d| d != verified.deployment_id)
        {
            return Err(LaunchError::Deployment(verified.deployment_id.clone()));
        }
        tracing::debug!(launch_binding = binding, "launch bound to the browser");
        Ok((verified, binding == "state-cookie"))
    }

    /// Consumes the state, records the launch and opens the session, in one transaction.
    async fn open_session(
        &self,
        state_value: &str,
        platform: &Platform,
        verified: verify::Launch,
        cookies_kept: bool,
    ) -> Result<Opened, LaunchFailure> {
        let token = random_token();
        let binding_secret = random_token();
        let session_id = hash_secret(&token);
        let now = now_micros();
        let ttl = self.limits.session_ttl;
        // A browser that returned the state cookie keeps the binding cookie too: require it.
        let binding_state = if cookies_kept {
            Binding::Cookie
        } else {
            Binding::Token
        };
        let mut row = SessionRow {
            id: session_id.clone(),
            platform_id: platform.id.clone(),
            user_id: Default::default(),
            context_id: None,
            resource_link_id: None,
            deployment_id: verified.deployment_id.clone(),
            message_type: verified.message_type,
            tool_role: verified.tool_role,
            roles: Json(verified.roles.clone()),
            group_ids: Json(verified.group_ids.clone()),
            csrf_token: random_token(),
            binding_hash: hash_secret(&binding_secret),
            binding_state,
            launch: Json(verified.clone()),
            created_at: now,
            expires_at: now + ttl * 1_000_000,
        };
        let platform_id = platform.id.clone();
        let state_for_tx = state_value.to_string();
        let recorded = self
            .db
            .write(move |conn| {
                if !oidc_states::consume(conn, &state_for_tx)? {
                    return Ok(Err(LaunchError::State));
                }
                if !platforms::has_deployment(conn, &platform_id, &verified.deployment_id)? {
                    return Ok(Err(LaunchError::Deployment(verified.deployment_id.clone())));
                }
                let recorded = store::launches::record(conn, &platform_id, &verified)?;
                row.user_id = recorded.user.id.clone();
                row.context_id = recorded.context.as_ref().map(|c| c.id.clone());
                row.resource_link_id = recorded.resource_link.as_ref().map(|r| r.id.clone());
                sessions::insert(conn, &row)?;
                Ok(Ok(recorded))
            })
            .await??;
        tracing::info!(
            platform = %platform.id,
            user = %recorded.user.id,
            context = recorded.context.as_ref().map_or("-", |c| c.id.as_str()),
            session_binding = binding_state.as_str(),
            "launch accepted"
        );
        Ok(Opened {
            token,
            session_id,
            binding_secret: cookies_kept.then_some(binding_secret),
            ttl_seconds: ttl,
        })
    }
}

impl LaunchFailure {
    /// The stable code of the message shown (catalogue `error.<code>.*`).
    pub fn code(&self) -> String {
        match self {
            LaunchFailure::Launch(e) => format!("launch.{}", e.code()),
            LaunchFailure::Login(_) => "login.invalid".into(),
            LaunchFailure::UnknownPlatform { .. } => "login.unknown_platform".into(),
            LaunchFailure::UnknownDeployment { .. } => "login.unknown_deployment".into(),
            LaunchFailure::Store(_) => "internal".into(),
        }
    }

    /// The sort of failure.
    pub fn kind(&self) -> Kind {
        match self {
            LaunchFailure::Launch(e) => e.kind(),
            LaunchFailure::Login(_)
            | LaunchFailure::UnknownPlatform { .. }
            | LaunchFailure::UnknownDeployment { .. } => Kind::Invalid,
            LaunchFailure::Store(_) => Kind::Internal,
        }
    }
}

/// The role overrides of a platform (an invalid stored map is logged and ignored).
pub fn role_overrides(platform: &Platform) -> BTreeMap<String, ToolRole> {
    roles::parse_overrides(platform.role_map.as_deref()).unwrap_or_else(|e| {
        tracing::error!(platform = %platform.id, error = %e, "invalid role map ignored");
        BTreeMap::new()
    })
}

/// True when `origin` is the origin of the platform's issuer or auth URL.
fn origin_matches(origin: &str, platform: &Platform) -> bool {
    [&platform.issuer, &platform.auth_url].iter().any(|u| {
        url::Url::parse(u)
            .map(|u| u.origin().ascii_serialization() == origin)
            .unwrap_or(false)
    })
}
