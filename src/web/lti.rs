//! LTI endpoints, the HTTP side of `launch`: the OIDC login initiation (GET or POST), the
//! launch (id_token form_post) and the tool's JWKS.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::launch::BrowserProof;
use crate::lti::oidc::LoginInitiation;
use crate::state::AppState;

use super::error::{AppError, AppResult};
use super::session::{binding_cookie_name, cross_site_cookie, state_cookie_name};

/// `GET /lti/login`: initiation in the query string.
pub async fn login_get(
    state: web::Data<AppState>,
    query: web::Query<LoginInitiation>,
) -> AppResult<HttpResponse> {
    login(&state, query.into_inner()).await
}

/// `POST /lti/login`: initiation as a form (what Moodle does).
pub async fn login_post(
    state: web::Data<AppState>,
    form: web::Form<LoginInitiation>,
) -> AppResult<HttpResponse> {
    login(&state, form.into_inner()).await
}

/// Starts the login, sets the state cookie (the browser's proof at launch), redirects to the
/// platform's authentication endpoint.
async fn login(state: &AppState, init: LoginInitiation) -> AppResult<HttpResponse> {
    let started = state.launcher.login(init).await?;
    let cookie = cross_site_cookie(
        state_cookie_name(&started.state),
        started.browser_secret,
        state.settings.is_https(),
        started.ttl_seconds,
        "/lti/launch",
    );
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, started.redirect.as_str()))
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

/// `POST /lti/launch`: verifies the id_token and opens a tool session; the browser goes to
/// the session's first page, with its binding cookie when it keeps cookies.
pub async fn launch(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LaunchForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let state_value = form.state.unwrap_or_default();
    let id_token = form.id_token.unwrap_or_default();
    let browser = BrowserProof {
        state_secret: req
            .cookie(&state_cookie_name(&state_value))
            .map(|c| c.value().to_string()),
        origin: req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(str::to_string),
    };
    let opened = state
        .launcher
        .launch(&state_value, &id_token, &browser)
        .await?;
    let https = state.settings.is_https();
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header((header::LOCATION, format!("/s/{}/", opened.token)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .append_header(cross_site_cookie(
            state_cookie_name(&state_value),
            String::new(),
            https,
            0,
            "/lti/launch",
        ));
    if let Some(secret) = opened.binding_secret {
        response.append_header(cross_site_cookie(
            binding_cookie_name(&opened.session_id),
            secret,
            https,
            opened.ttl_seconds,
            "/s/",
        ));
    }
    Ok(response.finish())
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
