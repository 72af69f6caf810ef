//! LTI endpoints: OIDC login initiation, the launch (id_token form_post) and the tool's JWKS.

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

use super::session::{BINDING_PENDING, binding_cookie_name, cross_site_cookie, state_cookie_name};

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
    let lookup = init.clone();
    let platform = state
        .db
        .run(move |conn| {
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
                return Ok(Err(()));
            };
            if let Some(deployment) = &lookup.lti_deployment_id {
                if !platforms::has_deployment(conn, &platform.id, deployment)? {
                    return Ok(Ok((platform, false)));
                }
            }
            Ok(Ok((platform, true)))
        })
        .await?;
    let (platform, deployment_known) = platform.map_err(|()| AppError::UnknownPlatform {
        issuer: init.iss.clone(),
        client_id: init.client_id.clone().unwrap_or_default(),
    })?;
    if !deployment_known {
        return Err(AppError::UnknownDeployment {
            issuer: init.iss.clone(),
            deployment_id: init.lti_deployment_id.clone().unwrap_or_default(),
        });
    }
    let state_value = random_token();
    let nonce = random_token();
    let browser_secret = random_token();
    let now = now_micros();
    let ttl = i64::try_from(state.settings.state_ttl_seconds).unwrap_or(600);
    let row = OidcState {
        state: state_value.clone(),
        nonce: nonce.clone(),
        platform_id: platform.id.clone(),
        deployment_id: init.lti_deployment_id.clone(),
        target_link_uri: init.target_link_uri.clone(),
        browser_hash: hash_secret(&browser_secret),
        created_at: now,
        expires_at: now + ttl * 1_000_000,
    };
    state
        .db
        .run(move |conn| oidc_states::insert(conn, &row))
        .await?;
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
    if id_token.len() > launch::MAX_ID_TOKEN_BYTES {
        return Err(LaunchError::TooLarge.into());
    }
    if state_value.len() > 256 {
        return Err(LaunchError::State.into());
    }
    let taken = {
        let s = state_value.clone();
        state
            .db
            .run(move |conn| oidc_states::take(conn, &s))
            .await?
    }
    .ok_or(LaunchError::State)?;
    let platform = {
        let id = taken.platform_id.clone();
        state.db.run(move |conn| platforms::get(conn, &id)).await?
    };

    // Bind the launch to the browser that started the login: the state cookie when the browser
    // kept it, else the Origin of the form_post when the browser sent one.
    let state_cookie = state_cookie_name(&state_value);
    let binding = match req.cookie(&state_cookie) {
        Some(c) if hash_secret(c.value()) == taken.browser_hash => "state-cookie",
        Some(_) => return Err(LaunchError::StateCookie.into()),
        None => match req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
        {
            Some(origin) if origin_matches(origin, &platform) => "origin",
            Some(origin) => {
                return Err(LaunchError::Origin(origin.chars().take(200).collect()).into());
            }
            None => "state-only",
        },
    };

    let overrides = AppState::role_overrides(&platform);
    let expected = Expected {
        issuer: &platform.issuer,
        client_id: &platform.client_id,
        jwks_url: &platform.jwks_url,
        nonce: &taken.nonce,
        target_link_uri: &taken.target_link_uri,
        leeway_secs: state.settings.clock_leeway_seconds,
        role_overrides: &overrides,
    };
    let verified = launch::verify(&id_token, &expected, &state.jwks).await?;
    if taken
        .deployment_id
        .as_deref()
        .is_some_and(|d| d != verified.deployment_id)
    {
        return Err(LaunchError::Deployment(verified.deployment_id.clone()).into());
    }

    let token = random_token();
    let binding_secret = random_token();
    let session_id = hash_secret(&token);
    let now = now_micros();
    let ttl_secs =
        i64::try_from(state.settings.session_ttl_minutes.saturating_mul(60)).unwrap_or(28_800);
    let launch_json = serde_json::to_string(&verified)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("launch not serialisable: {e}")))?;
    let row = SessionRow {
        id: session_id.clone(),
        platform_id: platform.id.clone(),
        user_id: String::new(),
        context_id: String::new(),
        resource_link_id: None,
        deployment_id: verified.deployment_id.clone(),
        message_type: verified.message_type.as_str().to_string(),
        tool_role: verified.tool_role.as_str().to_string(),
        roles: serde_json::to_string(&verified.roles).unwrap_or_else(|_| "[]".into()),
        group_ids: serde_json::to_string(&verified.group_ids).unwrap_or_else(|_| "[]".into()),
        csrf_token: random_token(),
        binding_hash: hash_secret(&binding_secret),
        binding_state: BINDING_PENDING.into(),
        launch: launch_json,
        created_at: now,
        expires_at: now + ttl_secs * 1_000_000,
    };
    let platform_id = platform.id.clone();
    let recorded = state
        .db
        .write(move |conn| {
            if !platforms::has_deployment(conn, &platform_id, &verified.deployment_id)? {
                return Ok(Err(verified.deployment_id.clone()));
            }
            let recorded = store::launches::record(conn, &platform_id, &verified)?;
            let mut row = row;
            row.user_id = recorded.user.id.clone();
            row.context_id = recorded.context.id.clone();
            row.resource_link_id = recorded.resource_link.as_ref().map(|r| r.id.clone());
            sessions::insert(conn, &row)?;
            Ok(Ok(recorded))
        })
        .await?
        .map_err(LaunchError::Deployment)?;
    tracing::info!(
        platform = %platform.id,
        user = %recorded.user.id,
        context = %recorded.context.id,
        binding,
        "launch accepted"
    );

    let https = state.settings.is_https();
    let expired_state = cross_site_cookie(state_cookie, String::new(), https, 0, "/lti/launch");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/s/{token}/")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .append_header(cross_site_cookie(
            binding_cookie_name(&session_id),
            binding_secret,
            https,
            ttl_secs,
            "/s/",
        ))
        .append_header(expired_state)
        .finish())
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
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(snapshot.jwks_json.clone()))
}
