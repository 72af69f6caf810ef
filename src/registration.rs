//! Platform registration: checking a registration, the `lti-config/platforms/*.toml` files
//! loaded at start, and a registration's status for its administrators.

use std::path::Path;

use crate::grades::outbox;
use crate::lti::roles::ToolRole;
use crate::store::platforms::{self, Platform, PlatformSpec, source};
use crate::store::{DbConn, StoreError, StoreResult, contexts};

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{0}")]
    Invalid(String),
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a registration before it is stored.
pub fn validate(spec: &PlatformSpec) -> Result<(), RegistrationError> {
    let invalid = |m: String| Err(RegistrationError::Invalid(m));
    for (name, value) in [
        ("issuer", &spec.issuer),
        ("auth-url", &spec.auth_url),
        ("token-url", &spec.token_url),
        ("jwks-url", &spec.jwks_url),
    ] {
        match url::Url::parse(value) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return invalid(format!("--{name} `{value}` is not an http(s) URL")),
        }
    }
    if spec.issuer.ends_with('/') {
        tracing::warn!(issuer = %spec.issuer, "issuer ends with `/`: Moodle's issuer has none, launches must match exactly");
    }
    if spec.client_id.trim().is_empty() {
        return invalid("--client-id is empty".into());
    }
    if spec.deployment_ids.is_empty() || spec.deployment_ids.iter().any(|d| d.trim().is_empty()) {
        return invalid("at least one non-empty --deployment-id is needed".into());
    }
    if let Some(map) = &spec.role_map {
        for (uri, role) in map {
            if ToolRole::parse(role).is_none() {
                return invalid(format!("role map: `{uri}` maps to unknown role `{role}`"));
            }
        }
    }
    Ok(())
}

/// Validates and stores a registration.
pub fn register(
    conn: &mut DbConn,
    spec: &PlatformSpec,
    origin: &str,
) -> Result<Platform, RegistrationError> {
    validate(spec)?;
    Ok(platforms::upsert(conn, spec, origin)?)
}

/// Loads every `*.toml` of `dir/platforms/` (a missing folder is fine). Returns the platforms.
pub fn load_files(conn: &mut DbConn, dir: &Path) -> Result<Vec<Platform>, RegistrationError> {
    let folder = dir.join("platforms");
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut loaded = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| RegistrationError::File {
            file: name.clone(),
            message: e.to_string(),
        })?;
        let spec: PlatformSpec = toml::from_str(&text).map_err(|e| RegistrationError::File {
            file: name.clone(),
            message: e.to_string(),
        })?;
        let platform =
            register(conn, &spec, source::FILE).map_err(|e| RegistrationError::File {
                file: name.clone(),
                message: e.to_string(),
            })?;
        tracing::info!(file = %name, issuer = %platform.issuer, client_id = %platform.client_id, "platform loaded from file");
        loaded.push(platform);
    }
    Ok(loaded)
}

/// A registration as its administrators see it: deployments, courses, gradebook deliveries,
/// and the other registrations of the same platform (the same issuer: Moodle registered the
/// tool again).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlatformStatus {
    pub platform: Platform,
    pub deployments: Vec<String>,
    pub courses: i64,
    pub configured_courses: i64,
    pub deliveries: outbox::Counts,
    pub others: Vec<OtherRegistration>,
}

/// Another registration of the same issuer, with the courses it holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OtherRegistration {
    pub platform: Platform,
    pub courses: i64,
    pub configured_courses: i64,
}

/// The status of the registration `platform_id`.
pub fn status(conn: &mut DbConn, platform_id: &str) -> StoreResult<PlatformStatus> {
    let platform = platforms::get(conn, platform_id)?;
    let deployments = platforms::deployments_of(conn, platform_id)?;
    let (courses, configured_courses) = contexts::count_of_platform(conn, platform_id)?;
    let deliveries = outbox::counts(conn, Some(platform_id))?;
    let mut others = Vec::new();
    for other in platforms::find_by_issuer(conn, &platform.issuer)? {
        if other.id == platform.id {
            continue;
        }
        let (courses, configured_courses) = contexts::count_of_platform(conn, &other.id)?;
        others.push(OtherRegistration {
            platform: other,
            courses,
            configured_courses,
        });
    }
    Ok(PlatformStatus {
        platform,
        deployments,
        courses,
        configured_courses,
        deliveries,
        others,
    })
}
