//! LTI Dynamic Registration 1.0: fetch and check the platform's OpenID configuration, build
//! the tool's client registration, post it with the registration token, read the answer.
//!
//! The OpenID configuration is parsed with `openidconnect`'s `ProviderMetadata` (typed issuer
//! and endpoints, with the LTI platform configuration as additional metadata). The client
//! registration request and response use our own types: Moodle answers with values that are
//! not OpenID Connect client metadata (`logo_uri: ""` when the tool sent none, the
//! `deployment_id` inside the LTI tool configuration), which `openidconnect`'s strict
//! `ClientRegistrationResponse` refuses.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, ProviderMetadata};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::ags::{SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE};
use super::claims::MESSAGE_DEEP_LINKING;
use super::http::{ServiceError, truncate};
use super::nrps::SCOPE_MEMBERSHIP_READONLY;

pub const PLATFORM_CONFIGURATION: &str =
    "https://purl.imsglobal.org/spec/lti-platform-configuration";
pub const TOOL_CONFIGURATION: &str = "https://purl.imsglobal.org/spec/lti-tool-configuration";
/// The largest OpenID configuration or registration answer read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why a Dynamic Registration could not complete. `code()` names the page shown.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DynamicRegistrationError {
    #[error("missing or invalid parameter `{0}`")]
    Parameter(&'static str),
    #[error("the platform's OpenID configuration could not be fetched: {0}")]
    Unreachable(String),
    #[error("the platform's OpenID configuration is invalid: {0}")]
    Configuration(String),
    #[error("the platform refused the registration: {0}")]
    Refused(String),
    #[error("the platform's registration answer is invalid: {0}")]
    Answer(String),
}

impl DynamicRegistrationError {
    /// The sort of failure: a parameter of the request, else the platform.
    pub fn kind(&self) -> crate::failure::Kind {
        match self {
            DynamicRegistrationError::Parameter(_) => crate::failure::Kind::Invalid,
            _ => crate::failure::Kind::Upstream,
        }
    }

    /// The stable code of the message shown (catalogue `error.registration.<code>.*`).
    pub fn code(&self) -> &'static str {
        match self {
            DynamicRegistrationError::Parameter(_) => "parameter",
            DynamicRegistrationError::Unreachable(_) => "unreachable",
            DynamicRegistrationError::Configuration(_) => "configuration",
            DynamicRegistrationError::Refused(_) => "refused",
            DynamicRegistrationError::Answer(_) => "answer",
        }
    }
}

/// The LTI part of the platform's OpenID configuration.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct LtiPlatformConfiguration {
    #[serde(default)]
    pub product_family_code: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub messages_supported: Vec<SupportedMessage>,
    #[serde(default)]
    pub variables: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct SupportedMessage {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub placements: Vec<String>,
}

/// `ProviderMetadata`'s additional fields: the LTI platform configuration.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct LtiProviderMetadata {
    #[serde(rename = "https://purl.imsglobal.org/spec/lti-platform-configuration")]
    pub lti: Option<LtiPlatformConfiguration>,
}

impl AdditionalProviderMetadata for LtiProviderMetadata {}

/// A platform's OpenID configuration with its LTI platform configuration.
pub type PlatformMetadata = ProviderMetadata<
    LtiProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// What the tool keeps from a checked OpenID configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformConfiguration {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub registration_endpoint: String,
    pub product_family_code: String,
    pub version: Option<String>,
    pub deep_linking: bool,
}

impl PlatformConfiguration {
    /// A name for operators: `Moodle — moodle.univ.fr`.
    pub fn display_name(&self) -> String {
        let host = url::Url::parse(&self.issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| self.issuer.clone());
        let product = match self.product_family_code.as_str() {
            "moodle" => "Moodle".to_string(),
            "" => "LTI".to_string(),
            other => other.to_string(),
        };
        format!("{product} — {host}")
    }
}

/// Checks the `openid_configuration` parameter: an http(s) URL without credentials.
pub fn check_configuration_url(raw: &str) -> Result<url::Url, DynamicRegistrationError> {
    match url::Url::parse(raw) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.username().is_empty()
                && u.password().is_none()
                && u.fragment().is_none() =>
        {
            Ok(u)
        }
        _ => Err(DynamicRegistrationError::Parameter("openid_configuration")),
    }
}

/// Parses and checks an OpenID configuration fetched from `configuration_url`: the issuer and
/// every endpoint on the configuration URL's origin, a token endpoint, a registration
/// endpoint, the LTI platform configuration, `private_key_jwt` and RS256 when listed.
pub fn check_configuration(
    document: &[u8],
    configuration_url: &url::Url,
) -> Result<PlatformConfiguration, DynamicRegistrationError> {
    let invalid = |m: String| DynamicRegistrationError::Configuration(m);
    let metadata: PlatformMetadata = serde_json::from_slice(document)
        .map_err(|e| invalid(format!("not an OpenID configuration: {e}")))?;
    let origin = configuration_url.origin();
    let same_origin = |name: &str, value: &str| -> Result<String, DynamicRegistrationError> {
        let parsed = url::Url::parse(value).map_err(|_| invalid(format!("{name} is not a URL")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(format!("{name} is not http(s)")));
        }
        if parsed.origin() != origin {
            return Err(invalid(format!(
                "{name} `{}` is not on {}",
                truncate(value),
                origin.ascii_serialization()
            )));
        }
        Ok(value.to_string())
    };
    let issuer = same_origin("issuer", metadata.issuer().as_str())?;
    let authorization_endpoint = same_origin(
        "authorization_endpoint",
        metadata.authorization_endpoint().as_str(),
    )?;
    let token_endpoint = same_origin(
        "token_endpoint",
        metadata
            .token_endpoint()
            .ok_or_else(|| invalid("no token_endpoint".into()))?
            .as_str(),
    )?;
    let jwks_uri = same_origin("jwks_uri", metadata.jwks_uri().as_str())?;
    let registration_endpoint = same_origin(
        "registration_endpoint",
        metadata
            .registration_endpoint()
            .ok_or_else(|| invalid("no registration_endpoint".into()))?
            .as_str(),
    )?;
    if let Some(methods) = metadata.token_endpoint_auth_methods_supported()
        && !methods.contains(&CoreClientAuthMethod::PrivateKeyJwt)
    {
        return Err(invalid("private_key_jwt is not supported".into()));
    }
    if let Some(algs) = metadata.token_endpoint_auth_signing_alg_values_supported()
        && !algs
            .iter()
            .any(|a| serde_json::to_value(a).is_ok_and(|v| v == json!("RS256")))
    {
        return Err(invalid("RS256 is not supported".into()));
    }
    let lti = metadata
        .additional_metadata()
        .lti
        .clone()
        .ok_or_else(|| invalid(format!("no {PLATFORM_CONFIGURATION}")))?;
    let deep_linking = lti
        .messages_supported
        .iter()
        .any(|m| m.kind == MESSAGE_DEEP_LINKING);
    Ok(PlatformConfiguration {
        issuer,
        authorization_endpoint,
        token_endpoint,
        jwks_uri,
        registration_endpoint,
        product_family_code: lti.product_family_code,
        version: lti.version,
        deep_linking,
    })
}

/// What the tool says about itself in a registration.
#[derive(Debug, Clone)]
pub struct ToolDescription {
    pub name: String,
    pub description: String,
    /// `host[:port]` of the tool.
    pub domain: String,
    pub launch_url: String,
    pub login_url: String,
    pub jwks_url: String,
    pub deep_linking_label: String,
    pub custom_parameters: Map<String, Value>,
}

/// The scopes the tool asks for: AGS (scores, find and create its line item) and NRPS.
pub fn requested_scopes() -> Vec<&'static str> {
    vec![
        SCOPE_LINEITEM,
        SCOPE_LINEITEM_READONLY,
        SCOPE_SCORE,
        SCOPE_MEMBERSHIP_READONLY,
    ]
}

/// The client registration request (LTI Dynamic Registration §3.5.1).
pub fn registration_request(tool: &ToolDescription, platform: &PlatformConfiguration) -> Value {
    let mut messages = Vec::new();
    if platform.deep_linking {
        messages.push(json!({
            "type": MESSAGE_DEEP_LINKING,
            "target_link_uri": tool.launch_url,
            "label": tool.deep_linking_label,
        }));
    }
    json!({
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool.login_url,
        "redirect_uris": [tool.launch_url],
        "client_name": tool.name,
        "jwks_uri": tool.jwks_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": requested_scopes().join(" "),
        TOOL_CONFIGURATION: {
            "domain": tool.domain,
            "description": tool.description,
            "target_link_uri": tool.launch_url,
            "custom_parameters": tool.custom_parameters,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": messages,
        },
    })
}

/// What the platform's answer gives the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub client_id: String,
    pub deployment_id: Option<String>,
    /// The scopes granted (Moodle lists them; informative).
    pub scope: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    client_id: Option<Value>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti-tool-configuration",
        default
    )]
    tool: Option<Map<String, Value>>,
}

/// Reads the platform's registration answer: `client_id`, and the `deployment_id` of the LTI
/// tool configuration.
pub fn parse_registration_answer(body: &[u8]) -> Result<Registered, DynamicRegistrationError> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        DynamicRegistrationError::Answer(format!(
            "not JSON ({e}): {}",
            truncate(&String::from_utf8_lossy(body))
        ))
    })?;
    let text = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let client_id = answer
        .client_id
        .as_ref()
        .and_then(text)
        .ok_or_else(|| DynamicRegistrationError::Answer("no client_id".into()))?;
    let deployment_id = answer
        .tool
        .as_ref()
        .and_then(|t| t.get("deployment_id"))
        .and_then(text);
    Ok(Registered {
        client_id,
        deployment_id,
        scope: answer.scope,
    })
}

async fn read_limited(response: reqwest::Response) -> Result<Vec<u8>, String> {
    if response
        .content_length()
        .is_some_and(|n| n as usize > MAX_DOCUMENT_BYTES)
    {
        return Err("document too large".into());
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err("document too large".into());
    }
    Ok(body.to_vec())
}

/// Fetches the OpenID configuration (no redirect followed: the client does not follow any).
pub async fn fetch_configuration(
    http: &reqwest::Client,
    url: &url::Url,
) -> Result<Vec<u8>, DynamicRegistrationError> {
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| {
            DynamicRegistrationError::Unreachable(ServiceError::transport(e).to_string())
        })?;
    if !response.status().is_success() {
        return Err(DynamicRegistrationError::Unreachable(format!(
            "HTTP {}",
            response.status().as_u16()
        )));
    }
    read_limited(response)
        .await
        .map_err(DynamicRegistrationError::Unreachable)
}

/// Posts the registration with the registration token as Bearer; returns the registration.
pub async fn register(
    http: &reqwest::Client,
    registration_endpoint: &str,
    registration_token: &str,
    request: &Value,
) -> Result<Registered, DynamicRegistrationError> {
    let response = http
        .post(registration_endpoint)
        .bearer_auth(registration_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .json(request)
        .send()
        .await
        .map_err(|e| DynamicRegistrationError::Refused(ServiceError::transport(e).to_string()))?;
    let status = response.status();
    let body = read_limited(response)
        .await
        .map_err(DynamicRegistrationError::Answer)?;
    if !status.is_success() {
        return Err(DynamicRegistrationError::Refused(format!(
            "HTTP {}: {}",
            status.as_u16(),
            truncate(String::from_utf8_lossy(&body).trim())
        )));
    }
    parse_registration_answer(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/moodle/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn config_url() -> url::Url {
        url::Url::parse("http://127.0.0.1:8081/mod/lti/openid-configuration.php").unwrap()
    }

    #[test]
    fn moodle_configuration_is_accepted() {
        let doc = serde_json::to_vec(&fixture("openid-configuration.json")).unwrap();
        let config = check_configuration(&doc, &config_url()).unwrap();
        assert_eq!(config.issuer, "http://127.0.0.1:8081");
        assert_eq!(
            config.token_endpoint,
            "http://127.0.0.1:8081/mod/lti/token.php"
        );
        assert_eq!(
            config.registration_endpoint,
            "http://127.0.0.1:8081/mod/lti/openid-registration.php"
        );
        assert!(config.deep_linking);
        assert_eq!(config.display_name(), "Moodle — 127.0.0.1");
    }

    #[test]
    fn configuration_checks_fail_closed() {
        let base = fixture("openid-configuration.json");
        let check = |edit: &dyn Fn(&mut Map<String, Value>)| {
            let mut doc = base.clone();
            edit(doc.as_object_mut().unwrap());
            check_configuration(&serde_json::to_vec(&doc).unwrap(), &config_url())
        };
        assert!(check(&|_| {}).is_ok());
        let err = check(&|d| {
            d.insert("issuer".into(), json!("https://evil.example"));
        })
        .unwrap_err();
        assert!(err.to_string().contains("issuer"), "{err}");
        assert!(
            check(&|d| {
                d.insert(
                    "registration_endpoint".into(),
                    json!("https://evil.example/register"),
                );
            })
            .is_err()
        );
        assert!(
            check(&|d| {
                d.remove("token_endpoint");
            })
            .is_err()
        );
        assert!(
            check(&|d| {
                d.remove("registration_endpoint");
            })
            .is_err()
        );
        assert!(
            check(&|d| {
                d.remove(PLATFORM_CONFIGURATION);
            })
            .is_err()
        );
        assert!(
            check(&|d| {
                d.insert(
                    "token_endpoint_auth_methods_supported".into(),
                    json!(["client_secret_basic"]),
                );
            })
            .is_err()
        );
        assert!(check_configuration(b"<html>", &config_url()).is_err());
        assert!(check_configuration_url("javascript:alert(1)").is_err());
        assert!(check_configuration_url("http://u:p@m/x").is_err());
        assert!(check_configuration_url("https://m/x").is_ok());
    }

    #[test]
    fn moodle_answer_gives_client_and_deployment() {
        let doc = fixture("registration-request.json");
        let body = serde_json::to_vec(&doc["moodle_registration_response"]).unwrap();
        let registered = parse_registration_answer(&body).unwrap();
        assert_eq!(registered.client_id, "0TpqrQzqB1EZ6iC");
        assert_eq!(registered.deployment_id.as_deref(), Some("2"));
        assert!(parse_registration_answer(b"{}").is_err());
        assert!(parse_registration_answer(b"nope").is_err());
    }

    #[test]
    fn request_has_what_moodle_requires() {
        let doc = serde_json::to_vec(&fixture("openid-configuration.json")).unwrap();
        let platform = check_configuration(&doc, &config_url()).unwrap();
        let mut custom = Map::new();
        custom.insert("groups".into(), json!("$Moodle.Person.userGroupIds"));
        let tool = ToolDescription {
            name: "CPRE".into(),
            description: "d".into(),
            domain: "tool:8080".into(),
            launch_url: "http://tool:8080/lti/launch".into(),
            login_url: "http://tool:8080/lti/login".into(),
            jwks_url: "http://tool:8080/.well-known/jwks.json".into(),
            deep_linking_label: "Placer".into(),
            custom_parameters: custom,
        };
        let request = registration_request(&tool, &platform);
        for field in [
            "response_types",
            "initiate_login_uri",
            "redirect_uris",
            "client_name",
            "jwks_uri",
            "token_endpoint_auth_method",
        ] {
            assert!(request.get(field).is_some(), "{field}");
        }
        assert_eq!(request["token_endpoint_auth_method"], "private_key_jwt");
        assert_eq!(request["application_type"], "web");
        let config = &request[TOOL_CONFIGURATION];
        assert_eq!(
            config["custom_parameters"]["groups"],
            "$Moodle.Person.userGroupIds"
        );
        assert_eq!(config["messages"][0]["type"], "LtiDeepLinkingRequest");
        assert!(request["scope"].as_str().unwrap().contains(SCOPE_SCORE));
    }
}
