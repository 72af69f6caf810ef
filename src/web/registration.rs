//! `GET /lti/register`: LTI Dynamic Registration started from Moodle's "Tool URL". Accepted
//! only when the operator allowed it (`CPRE_DYNAMIC_REGISTRATION=open`, or a one-time link
//! from `cpre platform invite`), checked before any request leaves the tool.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::i18n;
use crate::lti::dynamic_registration::{self as dynreg, DynamicRegistrationError, ToolDescription};
use crate::lti::oidc::hash_secret;
use crate::state::AppState;
use crate::store::platforms::{Platform, PlatformSpec, Source};
use crate::store::{StoreError, now_micros, registration_invites};
use crate::web::error::{AppError, AppResult};

use super::templates::render;

#[derive(Debug, Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    openid_configuration: Option<String>,
    #[serde(default)]
    registration_token: Option<String>,
    /// The secret of a one-time link (`cpre platform invite`).
    #[serde(default)]
    invite: Option<String>,
}

/// What the tool says about itself to the platform.
pub fn tool_description(state: &AppState) -> ToolDescription {
    let s = &state.settings;
    let mut custom = Map::new();
    custom.insert(
        "groups".into(),
        Value::String("$Moodle.Person.userGroupIds".into()),
    );
    ToolDescription {
        name: i18n::message(i18n::DEFAULT_LANG, "registration.tool.name"),
        description: i18n::message(i18n::DEFAULT_LANG, "registration.tool.description"),
        domain: s.domain(),
        launch_url: s.url("/lti/launch"),
        login_url: s.url("/lti/login"),
        jwks_url: s.url("/.well-known/jwks.json"),
        deep_linking_label: i18n::message(i18n::DEFAULT_LANG, "registration.tool.deep_linking"),
        custom_parameters: custom,
    }
}

pub async fn register(
    state: web::Data<AppState>,
    query: web::Query<RegisterQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    // Allowed? Decided before anything is fetched: a stranger makes the tool call nobody.
    let invite_id = if state.settings.dynamic_registration_open() {
        None
    } else {
        let secret = query
            .invite
            .as_deref()
            .filter(|s| !s.is_empty() && s.len() <= 128)
            .ok_or(AppError::RegistrationClosed)?;
        let hash = hash_secret(secret);
        let now = now_micros();
        let claimed = state
            .db
            .run(move |conn| registration_invites::claim(conn, &hash, now))
            .await?;
        Some(claimed.map_err(AppError::RegistrationInvite)?)
    };
    let outcome = run(&state, &query, invite_id.clone()).await;
    if outcome.is_err()
        && let Some(id) = invite_id
        && let Err(e) = state
            .db
            .run(move |conn| registration_invites::release(conn, &id))
            .await
    {
        tracing::warn!(error = %e, "could not give back a registration invite");
    }
    let (platform, deployment_id) = outcome?;
    // Moodle registered the tool again: the courses of the earlier registrations are not found
    // by this one's launches until they are carried over.
    let id = platform.id.clone();
    let earlier = state
        .db
        .run(move |conn| crate::registration::status(conn, &id))
        .await?
        .others
        .into_iter()
        .filter(|o| o.courses > 0)
        .collect::<Vec<_>>();
    tracing::info!(issuer = %platform.issuer, client_id = %platform.client_id, %deployment_id, "platform registered by Dynamic Registration");
    let mut response = render(
        "registration/done.html",
        context! {
            lang => i18n::DEFAULT_LANG,
            platform => platform.name,
            issuer => platform.issuer,
            client_id => platform.client_id,
            deployment_id => deployment_id,
            earlier => super::templates::ser(&earlier),
        },
    )?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Fetches and checks the configuration, registers, stores the registration.
async fn run(
    state: &AppState,
    query: &RegisterQuery,
    invite_id: Option<String>,
) -> AppResult<(Platform, String)> {
    let configuration_url =
        dynreg::check_configuration_url(query.openid_configuration.as_deref().unwrap_or_default())?;
    let token = query
        .registration_token
        .as_deref()
        .filter(|t| !t.is_empty() && t.len() <= 8192)
        .ok_or(DynamicRegistrationError::Parameter("registration_token"))?;
    let document = dynreg::fetch_configuration(&state.http, &configuration_url).await?;
    let platform = dynreg::check_configuration(&document, &configuration_url)?;
    let request = dynreg::registration_request(&tool_description(state), &platform);
    let registered = dynreg::register(
        &state.http,
        &platform.registration_endpoint,
        token,
        &request,
    )
    .await?;
    let deployment_id = registered
        .deployment_id
        .clone()
        .ok_or_else(|| DynamicRegistrationError::Answer("no deployment_id in the answer".into()))?;
    let spec = PlatformSpec {
        issuer: platform.issuer.clone(),
        client_id: registered.client_id.clone(),
        name: Some(platform.display_name()),
        auth_url: platform.authorization_endpoint.clone(),
        token_url: platform.token_endpoint.clone(),
        jwks_url: platform.jwks_uri.clone(),
        token_audience: None,
        role_map: None,
        deployment_ids: vec![deployment_id.clone()],
    };
    let stored = state
        .db
        .write(move |conn| {
            let platform = crate::registration::register(conn, &spec, Source::Dynamic)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if let Some(id) = &invite_id {
                registration_invites::consume(conn, id, &platform.id)?;
            }
            Ok(platform)
        })
        .await?;
    Ok((stored, deployment_id))
}
