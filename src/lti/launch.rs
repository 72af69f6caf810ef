//! Launch verification: turns a posted id_token into one typed [`Launch`], or a precise
//! [`LaunchError`]. Every check fails closed.

use std::collections::BTreeMap;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::claims::*;
use super::jwks::{JwksCache, JwksError};
use super::roles::{ToolRole, tool_role};
use crate::failure::Kind;

/// The largest id_token accepted (bytes).
pub const MAX_ID_TOKEN_BYTES: usize = 64 * 1024;

/// Why a launch was refused. `code()` is stable: it names the message shown to the user;
/// `kind()` says which sort of refusal it is (and so its HTTP status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    #[error("missing form field `{0}`")]
    MissingField(&'static str),
    #[error("id_token larger than {MAX_ID_TOKEN_BYTES} bytes")]
    TooLarge,
    #[error("malformed id_token: {0}")]
    Malformed(String),
    #[error("algorithm not allowed: {0} (RS256 only)")]
    Algorithm(String),
    #[error("no key id in the token header")]
    MissingKid,
    #[error("{0}")]
    UnknownKey(String),
    #[error("{0}")]
    KeysUnavailable(String),
    #[error("bad signature")]
    Signature,
    #[error("id_token expired")]
    Expired,
    #[error("id_token issued in the future (iat {iat}, now {now})")]
    IssuedInFuture { iat: i64, now: i64 },
    #[error("id_token not valid yet (nbf)")]
    NotYetValid,
    #[error("wrong issuer")]
    Issuer,
    #[error("wrong audience")]
    Audience,
    #[error("audience `{0}` is not trusted (only our client_id is)")]
    UntrustedAudience(String),
    #[error("azp missing or not our client_id")]
    AuthorizedParty,
    #[error("nonce does not match the login")]
    Nonce,
    #[error("unknown, expired or already used state")]
    State,
    #[error("state cookie does not match")]
    StateCookie,
    #[error("form posted from {0}, not from the platform")]
    Origin(String),
    #[error("deployment `{0}` is not registered for this platform")]
    Deployment(String),
    #[error("LTI version `{0}` is not 1.3.0")]
    Version(String),
    #[error("message type `{0}` is not supported")]
    MessageType(String),
    #[error("missing claim `{0}`")]
    MissingClaim(&'static str),
    #[error("invalid claim `{0}`: {1}")]
    InvalidClaim(&'static str, String),
    #[error("claim `{claim}` has no `{field}`")]
    ClaimField {
        claim: &'static str,
        field: &'static str,
    },
    #[error("target_link_uri differs from the login's")]
    TargetLinkUri,
}

impl LaunchError {
    /// A stable code naming the message shown to the user (see the catalogue, `error.launch.*`).
    pub fn code(&self) -> &'static str {
        match self {
            LaunchError::MissingField(_) => "missing_field",
            LaunchError::TooLarge => "too_large",
            LaunchError::Malformed(_) => "malformed",
            LaunchError::Algorithm(_) => "algorithm",
            LaunchError::MissingKid => "missing_kid",
            LaunchError::UnknownKey(_) => "unknown_key",
            LaunchError::KeysUnavailable(_) => "keys_unavailable",
            LaunchError::Signature => "signature",
            LaunchError::Expired => "expired",
            LaunchError::IssuedInFuture { .. } | LaunchError::NotYetValid => "clock",
            LaunchError::Issuer => "issuer",
            LaunchError::Audience
            | LaunchError::UntrustedAudience(_)
            | LaunchError::AuthorizedParty => "audience",
            LaunchError::Nonce => "nonce",
            LaunchError::State | LaunchError::StateCookie => "state",
            LaunchError::Origin(_) => "origin",
            LaunchError::Deployment(_) => "deployment",
            LaunchError::Version(_) => "version",
            LaunchError::MessageType(_) => "message_type",
            LaunchError::MissingClaim(_) => "missing_claim",
            LaunchError::InvalidClaim(..) => "invalid_claim",
            LaunchError::ClaimField { .. } => "claim_field",
            LaunchError::TargetLinkUri => "target_link_uri",
        }
    }

    /// Which sort of refusal this is: the request is malformed, or it could not be
    /// authenticated (signature, key, issuer, audience, validity, nonce, state), or the
    /// platform's keys could not be fetched.
    pub fn kind(&self) -> Kind {
        match self {
            LaunchError::Algorithm(_)
            | LaunchError::MissingKid
            | LaunchError::UnknownKey(_)
            | LaunchError::Signature
            | LaunchError::Expired
            | LaunchError::IssuedInFuture { .. }
            | LaunchError::NotYetValid
            | LaunchError::Issuer
            | LaunchError::Audience
            | LaunchError::UntrustedAudience(_)
            | LaunchError::AuthorizedParty
            | LaunchError::Nonce
            | LaunchError::State
            | LaunchError::StateCookie
            | LaunchError::Origin(_) => Kind::Unauthenticated,
            LaunchError::KeysUnavailable(_) => Kind::Upstream,
            LaunchError::MissingField(_)
            | LaunchError::TooLarge
            | LaunchError::Malformed(_)
            | LaunchError::Deployment(_)
            | LaunchError::Version(_)
            | LaunchError::MessageType(_)
            | LaunchError::MissingClaim(_)
            | LaunchError::InvalidClaim(..)
            | LaunchError::ClaimField { .. }
            | LaunchError::TargetLinkUri => Kind::Invalid,
        }
    }

    /// The claim (short name) and field a message may name.
    pub fn claim(&self) -> Option<(&'static str, Option<&'static str>)> {
        match self {
            LaunchError::MissingClaim(c) | LaunchError::InvalidClaim(c, _) => Some((c, None)),
            LaunchError::ClaimField { claim, field } => Some((claim, Some(field))),
            _ => None,
        }
    }
}

/// The kind of launch message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageType {
    #[serde(rename = "LtiResourceLinkRequest")]
    ResourceLink,
    #[serde(rename = "LtiDeepLinkingRequest")]
    DeepLinking,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::ResourceLink => MESSAGE_RESOURCE_LINK,
            MessageType::DeepLinking => MESSAGE_DEEP_LINKING,
        }
    }

    /// Reads a message type name (`None` for one the tool does not handle).
    pub fn parse(s: &str) -> Option<MessageType> {
        [MessageType::ResourceLink, MessageType::DeepLinking]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

pub use super::person::Person;

/// A verified launch: everything the tool uses from the id_token, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    pub issuer: String,
    pub client_id: String,
    pub deployment_id: String,
    pub message_type: MessageType,
    pub user: Person,
    pub roles: Vec<String>,
    pub tool_role: ToolRole,
    /// The course; absent when the platform launched the tool outside any course (the claim
    /// is optional in LTI 1.3).
    pub context: Option<ContextClaim>,
    pub resource_link: Option<ResourceLinkClaim>,
    pub target_link_uri: Option<String>,
    pub custom: Map<String, Value>,
    /// Moodle group ids from the `groups` custom parameter.
    pub group_ids: Vec<i64>,
    pub ags: Option<AgsEndpoint>,
    pub nrps: Option<NrpsClaim>,
    pub deep_linking: Option<DeepLinkingSettings>,
    pub launch_presentation: Option<LaunchPresentation>,
    pub tool_platform: Option<ToolPlatform>,
}

/// What the id_token must match.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub jwks_url: &'a str,
    pub nonce: &'a str,
    /// The `target_link_uri` of the login initiation.
    pub target_link_uri: &'a str,
    pub leeway_secs: u64,
    pub role_overrides: &'a BTreeMap<String, ToolRole>,
}

/// Verifies an id_token: size, header, signature against the platform's keys, iss, aud/azp,
/// exp/iat/nbf with leeway, nonce, version, message type and its required claims.
/// The deployment and the state are checked by the caller (they need storage).
pub async fn verify(
    id_token: &str,
    expected: &Expected<'_>,
    keys: &JwksCache,
) -> Result<Launch, LaunchError> {
    if id_token.is_empty() {
        return Err(LaunchError::MissingField("id_token"));
    }
    if id_token.len() > MAX_ID_TOKEN_BYTES {
        return Err(LaunchError::TooLarge);
    }
    let header = jsonwebtoken::decode_header(id_token).map_err(|e| match e.kind() {
        ErrorKind::Json(_) => match alg_of(id_token) {
            Some(alg) => LaunchError::Algorithm(alg),
            None => LaunchError::Malformed(e.to_string()),
        },
        _ => LaunchError::Malformed(e.to_string()),
    })?;
    if header.alg != Algorithm::RS256 {
        return Err(LaunchError::Algorithm(format!("{:?}", header.alg)));
    }
    let kid = header.kid.as_deref().ok_or(LaunchError::MissingKid)?;
    let key = keys
        .key(expected.jwks_url, kid)
        .await
        .map_err(|e| match e {
            JwksError::UnknownKid(_) => LaunchError::UnknownKey(e.to_string()),
            JwksError::Fetch { .. } => LaunchError::KeysUnavailable(e.to_string()),
        })?;

    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = expected.leeway_secs;
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.validate_nbf = true;
    let data = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation).map_err(
        |e| match e.kind() {
            ErrorKind::InvalidSignature => LaunchError::Signature,
            ErrorKind::ExpiredSignature => LaunchError::Expired,
            ErrorKind::ImmatureSignature => LaunchError::NotYetValid,
            ErrorKind::InvalidIssuer => LaunchError::Issuer,
            ErrorKind::InvalidAudience => LaunchError::Audience,
            ErrorKind::MissingRequiredClaim(c) => match c.as_str() {
                "iss" => LaunchError::MissingClaim("iss"),
                "aud" => LaunchError::MissingClaim("aud"),
                _ => LaunchError::MissingClaim("exp"),
            },
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidRsaKey(_) => {
                LaunchError::Algorithm(e.to_string())
            }
            _ => LaunchError::Malformed(e.to_string()),
        },
    )?;
    let claims = IdTokenClaims::from_map(data.claims)
        .map_err(|bad| LaunchError::InvalidClaim(bad.claim, bad.detail))?;
    let now = chrono::Utc::now().timestamp();
    check_claims(claims, expected, now)
}

/// The claim checks that follow the signature; separate so they can be tested without keys.
fn check_claims(
    claims: IdTokenClaims,
    expected: &Expected<'_>,
    now: i64,
) -> Result<Launch, LaunchError> {
    let leeway = i64::try_from(expected.leeway_secs).unwrap_or(i64::MAX);
    let iat = claims.iat.ok_or(LaunchError::MissingClaim("iat"))?;
    if iat > now.saturating_add(leeway) {
        return Err(LaunchError::IssuedInFuture { iat, now });
    }
    let aud = claims.aud.ok_or(LaunchError::MissingClaim("aud"))?;
    // The only audience the tool trusts is its own client_id (Security Framework §5.1.3).
    if let Some(other) = aud.as_slice().iter().find(|a| *a != expected.client_id) {
        return Err(LaunchError::UntrustedAudience(truncate(other)));
    }
    match (&claims.azp, aud.as_slice().len()) {
        (Some(azp), _) if azp != expected.client_id => return Err(LaunchError::AuthorizedParty),
        (None, n) if n > 1 => return Err(LaunchError::AuthorizedParty),
        _ => {}
    }
    let nonce = claims.nonce.ok_or(LaunchError::MissingClaim("nonce"))?;
    if nonce.is_empty() || nonce != expected.nonce {
        return Err(LaunchError::Nonce);
    }
    let version = claims.version.ok_or(LaunchError::MissingClaim("version"))?;
    if version != LTI_VERSION {
        return Err(LaunchError::Version(truncate(&version)));
    }
    let message_type = match claims.message_type.as_deref() {
        Some(MESSAGE_RESOURCE_LINK) => MessageType::ResourceLink,
        Some(MESSAGE_DEEP_LINKING) => MessageType::DeepLinking,
        Some(other) => return Err(LaunchError::MessageType(truncate(other))),
        None => return Err(LaunchError::MissingClaim("message_type")),
    };
    let deployment_id = claims
        .deployment_id
        .filter(|d| !d.is_empty())
        .ok_or(LaunchError::MissingClaim("deployment_id"))?;
    let sub = claims
        .sub
        .filter(|s| !s.is_empty())
        .ok_or(LaunchError::MissingClaim("sub"))?;
    let roles = claims.roles.ok_or(LaunchError::MissingClaim("roles"))?;
    // Optional, but when present its `id` is required.
    let context = claims.context;
    if context.as_ref().is_some_and(|c| c.id.is_empty()) {
        return Err(LaunchError::ClaimField {
            claim: "context",
            field: "id",
        });
    }
    let resource_link = claims.resource_link;
    if resource_link.as_ref().is_some_and(|r| r.id.is_empty()) {
        return Err(LaunchError::ClaimField {
            claim: "resource_link",
            field: "id",
        });
    }
    let deep_linking = claims.deep_linking_settings;
    match message_type {
        MessageType::ResourceLink => {
            if resource_link.is_none() {
                return Err(LaunchError::MissingClaim("resource_link"));
            }
            if claims.target_link_uri.as_deref().is_none_or(str::is_empty) {
                return Err(LaunchError::MissingClaim("target_link_uri"));
            }
        }
        MessageType::DeepLinking => match &deep_linking {
            Some(dl) if dl.deep_link_return_url.is_empty() => {
                return Err(LaunchError::ClaimField {
                    claim: "deep_linking_settings",
                    field: "deep_link_return_url",
                });
            }
            Some(dl) => {
                url::Url::parse(&dl.deep_link_return_url).map_err(|e| {
                    LaunchError::InvalidClaim("deep_linking_settings", e.to_string())
                })?;
            }
            None => return Err(LaunchError::MissingClaim("deep_linking_settings")),
        },
    }
    if let Some(target) = claims.target_link_uri.as_deref()
        && !expected.target_link_uri.is_empty()
        && target != expected.target_link_uri
    {
        return Err(LaunchError::TargetLinkUri);
    }
    let custom = claims.custom.unwrap_or_default();
    let group_ids = match custom.get("groups") {
        Some(Value::String(raw)) => {
            let (ids, rejected) = parse_group_ids(raw);
            if !rejected.is_empty() {
                tracing::warn!(?rejected, "ignored items of the `groups` custom parameter");
            }
            ids
        }
        Some(Value::Number(n)) => n.as_i64().filter(|id| *id > 0).into_iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => {
            tracing::warn!(value = %other, "ignored a `groups` custom parameter that is not a string");
            Vec::new()
        }
    };
    let ext_username = claims
        .ext
        .as_ref()
        .and_then(|e| e.get("user_username"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let lis = claims.lis.unwrap_or_default();
    let user = Person {
        sub,
        name: claims.name.unwrap_or_default(),
        given_name: claims.given_name.unwrap_or_default(),
        family_name: claims.family_name.unwrap_or_default(),
        email: claims.email.unwrap_or_default(),
        person_sourcedid: lis.person_sourcedid.unwrap_or_default(),
        username: ext_username.unwrap_or_default(),
    };
    let tool_role = tool_role(&roles, expected.role_overrides);
    Ok(Launch {
        issuer: claims.iss.unwrap_or_default(),
        client_id: expected.client_id.to_string(),
        deployment_id,
        message_type,
        user,
        roles,
        tool_role,
        context,
        resource_link,
        target_link_uri: claims.target_link_uri,
        custom,
        group_ids,
        ags: claims.ags,
        nrps: claims.nrps,
        deep_linking,
        launch_presentation: claims.launch_presentation,
        tool_platform: claims.tool_platform,
    })
}

/// The `alg` a header claims, for the log, when the header does not parse (e.g. `none`).
fn alg_of(token: &str) -> Option<String> {
    use base64::Engine;
    token
        .split('.')
        .next()
        .and_then(|h| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .ok()
        })
        .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
        .and_then(|h| h.get("alg").and_then(Value::as_str).map(truncate))
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn student_claims() -> IdTokenClaims {
        let raw = include_str!("../../tests/fixtures/moodle/launch-student.json");
        let doc: Value = serde_json::from_str(raw).unwrap();
        IdTokenClaims::from_map(doc["payload"].as_object().unwrap().clone()).unwrap()
    }

    fn expected<'a>(overrides: &'a BTreeMap<String, ToolRole>) -> Expected<'a> {
        Expected {
            issuer: "http://127.0.0.1:8081",
            client_id: "P8G71mrVyMbH8G0",
            jwks_url: "unused",
            nonce: "RGfmDbW-pbNe4xpzrPqiLjvN2zVaoZ-U",
            target_link_uri: "http://127.0.0.1:8090/launch",
            leeway_secs: 30,
            role_overrides: overrides,
        }
    }

    const NOW: i64 = 1795449100;

    #[test]
    fn moodle_student_launch_is_typed() {
        let none = BTreeMap::new();
        let launch = check_claims(student_claims(), &expected(&none), NOW).unwrap();
        assert_eq!(launch.message_type, MessageType::ResourceLink);
        assert_eq!(launch.tool_role, ToolRole::Student);
        assert_eq!(launch.group_ids, vec![1]);
        assert_eq!(launch.user.person_sourcedid, "STUDENT1");
        assert_eq!(launch.user.username, "student1");
        assert_eq!(launch.context.unwrap().id, "2");
        assert_eq!(launch.resource_link.unwrap().id, "1");
    }

    #[test]
    fn claim_checks_fail_closed() {
        let none = BTreeMap::new();
        let exp = expected(&none);
        let mut c = student_claims();
        c.iat = Some(NOW + 300);
        assert!(matches!(
            check_claims(c, &exp, NOW),
            Err(LaunchError::IssuedInFuture { .. })
        ));
        // Another audience beside ours is untrusted, with or without azp.
        for azp in [None, Some("P8G71mrVyMbH8G0".to_string())] {
            let mut c = student_claims();
            c.aud = Some(Audience::Many(vec![
                "P8G71mrVyMbH8G0".into(),
                "https://other.example".into(),
            ]));
            c.azp = azp;
            assert_eq!(
                check_claims(c, &exp, NOW).unwrap_err(),
                LaunchError::UntrustedAudience("https://other.example".into())
            );
        }
        // Our client_id listed twice: azp is then required, and must be ours.
        let mut c = student_claims();
        c.aud = Some(Audience::Many(vec![
            "P8G71mrVyMbH8G0".into(),
            "P8G71mrVyMbH8G0".into(),
        ]));
        assert_eq!(
            check_claims(c.clone(), &exp, NOW).unwrap_err(),
            LaunchError::AuthorizedParty
        );
        c.azp = Some("P8G71mrVyMbH8G0".into());
        assert!(check_claims(c, &exp, NOW).is_ok());
        let mut c = student_claims();
        c.azp = Some("someone-else".into());
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::AuthorizedParty
        );
        // No context: a valid launch outside any course; a context without id is refused.
        let mut c = student_claims();
        c.context = None;
        assert_eq!(check_claims(c, &exp, NOW).unwrap().context, None);
        let mut c = student_claims();
        c.context.as_mut().unwrap().id.clear();
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::ClaimField {
                claim: "context",
                field: "id"
            }
        );
        let mut c = student_claims();
        c.resource_link.as_mut().unwrap().id.clear();
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::ClaimField {
                claim: "resource_link",
                field: "id"
            }
        );
        let mut c = student_claims();
        c.nonce = Some("other".into());
        assert_eq!(check_claims(c, &exp, NOW).unwrap_err(), LaunchError::Nonce);
        let mut c = student_claims();
        c.version = Some("1.1".into());
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::Version("1.1".into())
        );
        let mut c = student_claims();
        c.message_type = Some("LtiSubmissionReviewRequest".into());
        assert!(matches!(
            check_claims(c, &exp, NOW),
            Err(LaunchError::MessageType(_))
        ));
        let mut c = student_claims();
        c.resource_link = None;
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::MissingClaim("resource_link")
        );
        let mut c = student_claims();
        c.sub = None;
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::MissingClaim("sub")
        );
        let mut c = student_claims();
        c.deployment_id = None;
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::MissingClaim("deployment_id")
        );
        let mut c = student_claims();
        c.target_link_uri = Some("https://evil.example/launch".into());
        assert_eq!(
            check_claims(c, &exp, NOW).unwrap_err(),
            LaunchError::TargetLinkUri
        );
    }
}
