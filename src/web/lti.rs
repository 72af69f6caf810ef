//! LTI endpoints: OIDC login initiation, the launch (id_token form_post) and the tool's JWKS.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::lti::launch::{self, Expected, LaunchError};
use crate::lti::oidc::{self, LoginInitiation, hash_secret, random_token};
use crate::state::AppState;
use crate::store::oidc_states::{self, OidcState};
use crate::store::sessions::{self, SessionRow};
use crate::store::{self, now_micros, platforms};

use super::session::{
    BINDING_COOKIE, BINDING_TOKEN, binding_cookie_name, cross_site_cookie, state_cookie_name,
};

/// Logins this process started, kept in memory until their launch: the state row and the
/// registration read at login, so that the launch post reads nothing before it verifies the
/// token and then writes once. A copy only: the stored state stays the authority (the launch
/// transaction consumes it, so a replay still loses), and a launch arriving at another
/// instance, after a restart or after eviction reads the stored state instead.
#[derive(Clone)]
pub struct PendingLogins {
    cache: moka::future::Cache<String, Arc<PendingLogin>>,
}

struct PendingLogin {
    login: OidcState,
    platform: platforms::Platform,
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
}

/// `GET /lti/login`: initiation in the query string.
pub async fn login_get(
    state: web::Data<AppState>,
    query: web::Query<LoginInitiation>,
) -> AppResult<HttpResponse> {
    login(state, query.into_inner()).await
}

/// `POST /lti/login`: initiation as a form (what Moodle does).
pub async fn login_post(
    state: web::Data<AppState>,
    form: web::Form<LoginInitiation>,
) -> AppResult<HttpResponse> {
    login(state, form.into_inner()).await
}

async fn login(state: web::Data<AppState>, init: LoginInitiation) -> AppResult<HttpResponse> {
    init.check()?;
    let state_value = random_token();
    let nonce = random_token();
    let browser_secret = random_token();
    let now = now_micros();
    let ttl = i64::try_from(state.settings.state_ttl_seconds).unwrap_or(600);
    let mut row = OidcState {
        state: state_value.clone(),
        nonce: nonce.clone(),
        platform_id: String::new(),
        deployment_id: init.lti_deployment_id.clone(),
        target_link_uri: init.target_link_uri.clone(),
        browser_hash: hash_secret(&browser_secret),
        created_at: now,
        expires_at: now + ttl * 1_000_000,
    };
    // One database round trip and one transaction: find the registration, check the
    // deployment, store the state.
    let lookup = init.clone();
    let (platform, stored) = state
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
                return Ok(Err(AppError::UnknownPlatform {
                    issuer: lookup.iss.clone(),
                    client_id: lookup.client_id.clone().unwrap_or_default(),
                }));
            };
            if let Some(deployment) = &lookup.lti_deployment_id
                && !platforms::has_deployment(conn, &platform.id, deployment)?
            {
                return Ok(Err(AppError::UnknownDeployment {
                    issuer: lookup.iss.clone(),
                    deployment_id: deployment.clone(),
                }));
            }
            row.platform_id = platform.id.clone();
            oidc_states::insert(conn, &row)?;
            Ok(Ok((platform, row)))
        })
        .await??;
    state
        .logins
        .cache
        .insert(
            state_value.clone(),
            Arc::new(PendingLogin {
                login: stored,
                platform: platform.clone(),
            }),
        )
        .await;
    let redirect_uri = state.settings.url("/lti/launch");
    let location = oidc::auth_request_url(
        &platform.auth_url,
        &platform.client_id,
        &redirect_uri,
        &init,
        &state_value,
        &nonce,
    )?;
    let cookie = cross_site_cookie(
        state_cookie_name(&state_value),
        browser_secret,
        state.settings.is_https(),
        ttl,
        "/lti/launch",
    );
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .append_header(cookie)
        .finish())
}

#[derive(Debug, Deserialize)]
pub struct LaunchForm {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// `POST /lti/launch`: verifies the id_token and opens a tool session.
///
/// The state is read (from this process's pending logins, else from the store), the token
/// verified, then one write transaction consumes the stored state (exactly one row deleted,
/// so a replay loses), records the launch and opens the session. A launch refused after the
/// state was found burns the state too.
pub async fn launch(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LaunchForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let state_value = form
        .state
        .filter(|s| !s.is_empty())
        .ok_or(LaunchError::MissingField("state"))?;
    let id_token = form
        .id_token
        .filter(|s| !s.is_empty())
        .ok_or(LaunchError::MissingField("id_token"))?;
    if state_value.len() > 256 {
        return Err(LaunchError::State.into());
    }
    let pending = state
        .logins
        .cache
        .remove(&state_value)
        .await
        .filter(|p| p.login.expires_at >= now_micros());
    let (login, platform) = match pending {
        Some(p) => (p.login.clone(), p.platform.clone()),
        None => {
            let s = state_value.clone();
            state
                .db
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
    match verify(&state, &req, &id_token, &state_value, &login, &platform).await {
        Ok((verified, cookies_kept)) => {
            open_session(&state, state_value, &platform, verified, cookies_kept).await
        }
        Err(e) => {
            let s = state_value.clone();
            if let Err(burn) = state
                .db
                .run(move |conn| oidc_states::consume(conn, &s))
                .await
            {
                tracing::warn!(error = %burn, "could not burn the state of a refused launch");
            }
            Err(e)
        }
    }
}

/// Binds the launch to the browser that started the login, then verifies the id_token.
/// Returns the launch and whether the browser keeps the tool's cookies.
async fn verify(
    state: &AppState,
    req: &HttpRequest,
    id_token: &str,
    state_value: &str,
    login: &OidcState,
    platform: &platforms::Platform,
) -> AppResult<(launch::Launch, bool)> {
    // The state cookie when the browser kept it; else the Origin of the form_post when the
    // browser sent one; else the state alone (single use, short-lived, nonce-bound).
    let binding = match req.cookie(&state_cookie_name(state_value)) {
        Some(c) if hash_secret(c.value()) == login.browser_hash => "state-cookie",
        Some(_) => return Err(LaunchError::StateCookie.into()),
        None => match req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
        {
            Some(origin) if origin_matches(origin, platform) => "origin",
            Some(origin) => {
                return Err(LaunchError::Origin(origin.chars().take(200).collect()).into());
            }
            None => "state-only",
        },
    };
    let overrides = AppState::role_overrides(platform);
    let expected = Expected {
        issuer: &platform.issuer,
        client_id: &platform.client_id,
        jwks_url: &platform.jwks_url,
        nonce: &login.nonce,
        target_link_uri: &login.target_link_uri,
        leeway_secs: state.settings.clock_leeway_seconds,
        role_overrides: &overrides,
    };
    let verified = launch::verify(id_token, &expected, &state.jwks).await?;
    if login
        .deployment_id
        .as_deref()
        .is_some_and(|d| d != verified.deployment_id)
    {
        return Err(LaunchError::Deployment(verified.deployment_id.clone()).into());
    }
    tracing::debug!(launch_binding = binding, "launch bound to the browser");
    Ok((verified, binding == "state-cookie"))
}

/// Consumes the state, records the launch and opens the session, in one transaction; then
/// sends the browser to the session's first page.
async fn open_session(
    state: &AppState,
    state_value: String,
    platform: &platforms::Platform,
    verified: launch::Launch,
    cookies_kept: bool,
) -> AppResult<HttpResponse> {
    let token = random_token();
    let binding_secret = random_token();
    let session_id = hash_secret(&token);
    let now = now_micros();
    let ttl_secs =
        i64::try_from(state.settings.session_ttl_minutes.saturating_mul(60)).unwrap_or(28_800);
    let launch_json = serde_json::to_string(&verified)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("launch not serialisable: {e}")))?;
    // A browser that returned the state cookie keeps the binding cookie too: require it.
    let binding_state = if cookies_kept {
        BINDING_COOKIE
    } else {
        BINDING_TOKEN
    };
    let mut row = SessionRow {
        id: session_id.clone(),
        platform_id: platform.id.clone(),
        user_id: String::new(),
        context_id: None,
        resource_link_id: None,
        deployment_id: verified.deployment_id.clone(),
        message_type: verified.message_type.as_str().to_string(),
        tool_role: verified.tool_role.as_str().to_string(),
        roles: serde_json::to_string(&verified.roles).unwrap_or_else(|_| "[]".into()),
        group_ids: serde_json::to_string(&verified.group_ids).unwrap_or_else(|_| "[]".into()),
        csrf_token: random_token(),
        binding_hash: hash_secret(&binding_secret),
        binding_state: binding_state.into(),
        launch: launch_json,
        created_at: now,
        expires_at: now + ttl_secs * 1_000_000,
    };
    let platform_id = platform.id.clone();
    let state_for_tx = state_value.clone();
    let recorded = state
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
        session_binding = binding_state,
        "launch accepted"
    );
    let https = state.settings.is_https();
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header((header::LOCATION, format!("/s/{token}/")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .append_header(cross_site_cookie(
            state_cookie_name(&state_value),
            String::new(),
            https,
            0,
            "/lti/launch",
        ));
    if cookies_kept {
        response.append_header(cross_site_cookie(
            binding_cookie_name(&session_id),
            binding_secret,
            https,
            ttl_secs,
            "/s/",
        ));
    }
    Ok(response.finish())
}

/// True when `origin` is the origin of the platform's issuer or auth URL.
fn origin_matches(origin: &str, platform: &platforms::Platform) -> bool {
    [&platform.issuer, &platform.auth_url].iter().any(|u| {
        url::Url::parse(u)
            .map(|u| u.origin().ascii_serialization() == origin)
            .unwrap_or(false)
    })
}

/// `GET /.well-known/jwks.json`: the tool's public keys (active and in grace period).
pub async fn jwks(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let snapshot = state
        .keys
        .snapshot()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("key ring: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(snapshot.jwks_json.clone()))
}
