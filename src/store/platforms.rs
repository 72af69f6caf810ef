//! Platform registrations (a Moodle site = issuer + client_id) and their queries.

use super::ids::PlatformId;
use diesel::prelude::*;

use super::schema::{deployments, platform_webservices, platforms};
use super::text::text_enum;
use super::{DbConn, RunOnBackend, StoreResult, columns, now_micros};

text_enum! {
    /// Where a registration came from (`platforms.source`).
    pub enum Source {
        /// `cpre platform add`.
        Cli = "cli",
        /// The platforms file read at start-up (or the demo).
        File = "file",
        /// Moodle's dynamic registration.
        Dynamic = "dynamic",
    }
}

/// A registered platform.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq, serde::Serialize)]
#[diesel(table_name = platforms)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Platform {
    pub id: PlatformId,
    pub issuer: String,
    pub client_id: String,
    pub name: String,
    pub auth_url: String,
    pub token_url: String,
    pub jwks_url: String,
    /// `aud` of our client assertions; the token URL when absent.
    pub token_audience: Option<String>,
    /// JSON object mapping role URIs to tool roles, overriding the default map.
    pub role_map: Option<String>,
    pub source: Source,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Platform {
    /// The audience our client-credentials assertions carry.
    pub fn assertion_audience(&self) -> &str {
        self.token_audience.as_deref().unwrap_or(&self.token_url)
    }
}

/// What it takes to register a platform.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSpec {
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub auth_url: String,
    pub token_url: String,
    pub jwks_url: String,
    #[serde(default)]
    pub token_audience: Option<String>,
    #[serde(default)]
    pub role_map: Option<std::collections::BTreeMap<String, String>>,
    pub deployment_ids: Vec<String>,
}

#[derive(Insertable)]
#[diesel(table_name = platforms)]
struct NewPlatform<'a> {
    id: &'a str,
    issuer: &'a str,
    client_id: &'a str,
    name: &'a str,
    auth_url: &'a str,
    token_url: &'a str,
    jwks_url: &'a str,
    token_audience: Option<&'a str>,
    role_map: Option<String>,
    source: Source,
    created_at: i64,
    updated_at: i64,
}

/// Inserts or updates the registration for (issuer, client_id) and adds its deployments.
/// Returns the platform row.
pub fn upsert(conn: &mut DbConn, spec: &PlatformSpec, origin: Source) -> StoreResult<Platform> {
    let now = now_micros();
    let role_map = match &spec.role_map {
        Some(map) => Some(serde_json::to_string(map).map_err(|e| {
            super::StoreError::Corrupt(format!("role map cannot be serialised: {e}"))
        })?),
        None => None,
    };
    let name = spec.name.clone().unwrap_or_else(|| spec.issuer.clone());
    let existing = find_by_issuer_and_client_id(conn, &spec.issuer, &spec.client_id)?;
    let id = match existing {
        Some(p) => {
            diesel::update(platforms::table.find(&p.id))
                .set((
                    platforms::name.eq(&name),
                    platforms::auth_url.eq(&spec.auth_url),
                    platforms::token_url.eq(&spec.token_url),
                    platforms::jwks_url.eq(&spec.jwks_url),
                    platforms::token_audience.eq(spec.token_audience.as_deref()),
                    platforms::role_map.eq(role_map.as_deref()),
                    platforms::updated_at.eq(now),
                ))
                .execute_on(conn)?;
            p.id
        }
        None => {
            let id = PlatformId::new();
            diesel::insert_into(platforms::table)
                .values(NewPlatform {
                    id: &id,
                    issuer: &spec.issuer,
                    client_id: &spec.client_id,
                    name: &name,
                    auth_url: &spec.auth_url,
                    token_url: &spec.token_url,
                    jwks_url: &spec.jwks_url,
                    token_audience: spec.token_audience.as_deref(),
                    role_map,
                    source: origin,
                    created_at: now,
                    updated_at: now,
                })
                .execute_on(conn)?;
            id
        }
    };
    for deployment in &spec.deployment_ids {
        add_deployment(conn, &id, deployment)?;
    }
    get(conn, &id)
}

/// Adds a deployment to a platform (no-op when already there).
pub fn add_deployment(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    deployment_id: &str,
) -> StoreResult<()> {
    let exists = deployments::table
        .find((platform_id, deployment_id))
        .count()
        .get_result_on::<i64>(conn)?
        > 0;
    if !exists {
        diesel::insert_into(deployments::table)
            .values((
                deployments::platform_id.eq(platform_id),
                deployments::deployment_id.eq(deployment_id),
                deployments::created_at.eq(now_micros()),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &PlatformId) -> StoreResult<Platform> {
    Ok(platforms::table
        .find(id)
        .select(columns::<Platform>())
        .get_result_on(conn)?)
}

pub fn find(conn: &mut DbConn, id: &PlatformId) -> StoreResult<Option<Platform>> {
    Ok(platforms::table
        .find(id)
        .select(columns::<Platform>())
        .get_result_on(conn)
        .optional()?)
}

pub fn find_by_issuer_and_client_id(
    conn: &mut DbConn,
    issuer: &str,
    client_id: &str,
) -> StoreResult<Option<Platform>> {
    Ok(platforms::table
        .filter(platforms::issuer.eq(issuer))
        .filter(platforms::client_id.eq(client_id))
        .select(columns::<Platform>())
        .get_result_on(conn)
        .optional()?)
}

/// Platforms registered for an issuer (Moodle can register the tool several times).
pub fn find_by_issuer(conn: &mut DbConn, issuer: &str) -> StoreResult<Vec<Platform>> {
    Ok(platforms::table
        .filter(platforms::issuer.eq(issuer))
        .select(columns::<Platform>())
        .order(platforms::created_at.asc())
        .load_on(conn)?)
}

pub fn list(conn: &mut DbConn) -> StoreResult<Vec<Platform>> {
    Ok(platforms::table
        .select(columns::<Platform>())
        .order((platforms::issuer.asc(), platforms::client_id.asc()))
        .load_on(conn)?)
}

pub fn deployments_of(conn: &mut DbConn, platform_id: &PlatformId) -> StoreResult<Vec<String>> {
    Ok(deployments::table
        .filter(deployments::platform_id.eq(platform_id))
        .select(deployments::deployment_id)
        .order(deployments::deployment_id.asc())
        .load_on(conn)?)
}

pub fn has_deployment(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    deployment_id: &str,
) -> StoreResult<bool> {
    Ok(deployments::table
        .find((platform_id, deployment_id))
        .count()
        .get_result_on::<i64>(conn)?
        > 0)
}

/// Removes a registration with everything recorded under it. Returns whether it existed.
pub fn remove(conn: &mut DbConn, issuer: &str, client_id: &str) -> StoreResult<bool> {
    let n = diesel::delete(
        platforms::table
            .filter(platforms::issuer.eq(issuer))
            .filter(platforms::client_id.eq(client_id)),
    )
    .execute_on(conn)?;
    Ok(n > 0)
}

/// Removes one deployment of a platform. Returns whether it existed.
pub fn remove_deployment(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    deployment_id: &str,
) -> StoreResult<bool> {
    let n =
        diesel::delete(deployments::table.find((platform_id, deployment_id))).execute_on(conn)?;
    Ok(n > 0)
}

/// Stores (or replaces) the web service URL and token of a platform.
pub fn set_webservice(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    url: &str,
    token: &str,
) -> StoreResult<()> {
    let now = now_micros();
    let exists = platform_webservices::table
        .find(platform_id)
        .count()
        .get_result_on::<i64>(conn)?
        > 0;
    if exists {
        diesel::update(platform_webservices::table.find(platform_id))
            .set((
                platform_webservices::url.eq(url),
                platform_webservices::token.eq(token),
                platform_webservices::updated_at.eq(now),
            ))
            .execute_on(conn)?;
    } else {
        diesel::insert_into(platform_webservices::table)
            .values((
                platform_webservices::platform_id.eq(platform_id),
                platform_webservices::url.eq(url),
                platform_webservices::token.eq(token),
                platform_webservices::created_at.eq(now),
                platform_webservices::updated_at.eq(now),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

/// Forgets a platform's web service token. Returns whether there was one.
pub fn remove_webservice(conn: &mut DbConn, platform_id: &PlatformId) -> StoreResult<bool> {
    Ok(diesel::delete(platform_webservices::table.find(platform_id)).execute_on(conn)? > 0)
}

/// The web service of a platform, if one is configured.
pub fn webservice(
    conn: &mut DbConn,
    platform_id: &PlatformId,
) -> StoreResult<Option<crate::moodle_ws::WebService>> {
    Ok(platform_webservices::table
        .find(platform_id)
        .select((platform_webservices::url, platform_webservices::token))
        .get_result_on::<(String, String)>(conn)
        .optional()?
        .map(|(url, token)| crate::moodle_ws::WebService { url, token }))
}
