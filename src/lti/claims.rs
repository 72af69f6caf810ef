//! The LTI 1.3 id_token claims (serde model with the claim URIs) and their sub-structures.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const CLAIM_MESSAGE_TYPE: &str = "https://purl.imsglobal.org/spec/lti/claim/message_type";
pub const CLAIM_VERSION: &str = "https://purl.imsglobal.org/spec/lti/claim/version";
pub const CLAIM_DEPLOYMENT_ID: &str = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
pub const CLAIM_TARGET_LINK_URI: &str = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri";
pub const CLAIM_RESOURCE_LINK: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
pub const CLAIM_ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";
pub const CLAIM_CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";
pub const CLAIM_LIS: &str = "https://purl.imsglobal.org/spec/lti/claim/lis";
pub const CLAIM_CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";
pub const CLAIM_LAUNCH_PRESENTATION: &str =
    "https://purl.imsglobal.org/spec/lti/claim/launch_presentation";
pub const CLAIM_TOOL_PLATFORM: &str = "https://purl.imsglobal.org/spec/lti/claim/tool_platform";
pub const CLAIM_AGS_ENDPOINT: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
pub const CLAIM_NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
pub const CLAIM_DL_SETTINGS: &str =
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
pub const CLAIM_DL_DATA: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/data";
pub const CLAIM_DL_CONTENT_ITEMS: &str =
    "https://purl.imsglobal.org/spec/lti-dl/claim/content_items";
pub const CLAIM_DL_MSG: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/msg";
pub const CLAIM_EXT: &str = "https://purl.imsglobal.org/spec/lti/claim/ext";

pub const MESSAGE_RESOURCE_LINK: &str = "LtiResourceLinkRequest";
pub const MESSAGE_DEEP_LINKING: &str = "LtiDeepLinkingRequest";
pub const MESSAGE_DEEP_LINKING_RESPONSE: &str = "LtiDeepLinkingResponse";
pub const LTI_VERSION: &str = "1.3.0";

/// `aud` is a string or an array of strings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn as_slice(&self) -> &[String] {
        match self {
            Audience::One(a) => std::slice::from_ref(a),
            Audience::Many(v) => v,
        }
    }
}

/// The id_token as a platform sends it. Claims the spec requires are still `Option` here so
/// that a missing one is reported by name (see `launch::verify`), and each claim is read on
/// its own ([`IdTokenClaims::from_map`]) so that a malformed one is reported by name too.
#[derive(Debug, Clone, Default)]
pub struct IdTokenClaims {
    pub iss: Option<String>,
    pub aud: Option<Audience>,
    pub azp: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nonce: Option<String>,
    pub sub: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub message_type: Option<String>,
    pub version: Option<String>,
    pub deployment_id: Option<String>,
    pub target_link_uri: Option<String>,
    pub resource_link: Option<ResourceLinkClaim>,
    pub roles: Option<Vec<String>>,
    pub context: Option<ContextClaim>,
    pub lis: Option<LisClaim>,
    pub custom: Option<Map<String, Value>>,
    pub launch_presentation: Option<LaunchPresentation>,
    pub tool_platform: Option<ToolPlatform>,
    pub ags: Option<AgsEndpoint>,
    pub nrps: Option<NrpsClaim>,
    pub deep_linking_settings: Option<DeepLinkingSettings>,
    pub ext: Option<Map<String, Value>>,
}

/// A claim present in the token whose value does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadClaim {
    /// The claim's short name (`resource_link`, `roles`, `sub`…).
    pub claim: &'static str,
    /// What is wrong, from the parser (for the log).
    pub detail: String,
}

/// The short name of a claim: the last segment of its URI (`…/claim/resource_link` →
/// `resource_link`), or the name itself.
pub fn short_name(claim: &'static str) -> &'static str {
    claim.rsplit('/').next().unwrap_or(claim)
}

/// Takes one claim out of the token's claims; `null` counts as absent.
fn take<T: serde::de::DeserializeOwned>(
    map: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<Option<T>, BadClaim> {
    match map.remove(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|e| BadClaim {
                claim: short_name(claim),
                detail: e.to_string(),
            }),
    }
}

impl IdTokenClaims {
    /// Reads the claims the tool uses from the token's JSON object, one by one; the others
    /// are ignored.
    pub fn from_map(mut map: Map<String, Value>) -> Result<IdTokenClaims, BadClaim> {
        let m = &mut map;
        Ok(IdTokenClaims {
            iss: take(m, "iss")?,
            aud: take(m, "aud")?,
            azp: take(m, "azp")?,
            exp: take(m, "exp")?,
            iat: take(m, "iat")?,
            nonce: take(m, "nonce")?,
            sub: take(m, "sub")?,
            name: take(m, "name")?,
            given_name: take(m, "given_name")?,
            family_name: take(m, "family_name")?,
            email: take(m, "email")?,
            message_type: take(m, CLAIM_MESSAGE_TYPE)?,
            version: take(m, CLAIM_VERSION)?,
            deployment_id: take(m, CLAIM_DEPLOYMENT_ID)?,
            target_link_uri: take(m, CLAIM_TARGET_LINK_URI)?,
            resource_link: take(m, CLAIM_RESOURCE_LINK)?,
            roles: take(m, CLAIM_ROLES)?,
            context: take(m, CLAIM_CONTEXT)?,
            lis: take(m, CLAIM_LIS)?,
            custom: take(m, CLAIM_CUSTOM)?,
            launch_presentation: take(m, CLAIM_LAUNCH_PRESENTATION)?,
            tool_platform: take(m, CLAIM_TOOL_PLATFORM)?,
            ags: take(m, CLAIM_AGS_ENDPOINT)?,
            nrps: take(m, CLAIM_NRPS)?,
            deep_linking_settings: take(m, CLAIM_DL_SETTINGS)?,
            ext: take(m, CLAIM_EXT)?,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct ResourceLinkClaim {
    /// Required by the spec; empty when the platform left it out (refused by name).
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct ContextClaim {
    /// Required by the spec when the claim is present; empty when left out (refused by name).
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct LisClaim {
    #[serde(default)]
    pub person_sourcedid: Option<String>,
    #[serde(default)]
    pub course_section_sourcedid: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct LaunchPresentation {
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub document_target: Option<String>,
    #[serde(default)]
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct ToolPlatform {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub product_family_code: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// The Assignment and Grade Services endpoint claim.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct AgsEndpoint {
    #[serde(default)]
    pub scope: Vec<String>,
    /// Moodle sends an empty string in deep linking requests: treated as absent.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub lineitem: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub lineitems: Option<String>,
}

/// The Names and Role Provisioning Services claim.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct NrpsClaim {
    pub context_memberships_url: String,
    #[serde(default)]
    pub service_versions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct DeepLinkingSettings {
    /// Required; empty when left out (refused by name).
    #[serde(default)]
    pub deep_link_return_url: String,
    #[serde(default)]
    pub accept_types: Vec<String>,
    #[serde(default)]
    pub accept_presentation_document_targets: Vec<String>,
    #[serde(default)]
    pub accept_multiple: Option<bool>,
    #[serde(default)]
    pub auto_create: Option<bool>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub data: Option<String>,
}

fn empty_as_none<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|s| !s.trim().is_empty()))
}

/// Parses Moodle's `groups` custom parameter (`$Moodle.Person.userGroupIds`): numeric group ids,
/// comma-separated. Returns the ids and the items that were ignored because they are not ids.
pub fn parse_group_ids(raw: &str) -> (Vec<i64>, Vec<String>) {
    let mut ids = Vec::new();
    let mut rejected = Vec::new();
    for item in raw.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        match item.parse::<i64>() {
            Ok(id) if id > 0 && item.bytes().all(|b| b.is_ascii_digit()) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            _ => rejected.push(item.chars().take(64).collect()),
        }
    }
    ids.sort_unstable();
    (ids, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_parse_strictly() {
        assert_eq!(parse_group_ids(""), (vec![], vec![]));
        assert_eq!(parse_group_ids("12,15"), (vec![12, 15], vec![]));
        assert_eq!(parse_group_ids("15,12,12"), (vec![12, 15], vec![]));
        let (ids, rejected) = parse_group_ids("1,abc,-3,+4,2 ,$Moodle.Person.userGroupIds");
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(
            rejected,
            vec!["abc", "-3", "+4", "$Moodle.Person.userGroupIds"]
        );
    }

    #[test]
    fn moodle_student_fixture_parses() {
        let raw = include_str!("../../tests/fixtures/moodle/launch-student.json");
        let doc: Value = serde_json::from_str(raw).expect("fixture is JSON");
        let claims = IdTokenClaims::from_map(doc["payload"].as_object().unwrap().clone())
            .expect("claims parse");
        assert_eq!(claims.aud, Some(Audience::One("P8G71mrVyMbH8G0".into())));
        assert_eq!(claims.deployment_id.as_deref(), Some("1"));
        let ags = claims.ags.expect("ags claim");
        assert!(ags.lineitem.is_some());
        assert_eq!(
            claims.context.expect("context").kind,
            Some(vec!["CourseSection".into()])
        );
    }

    #[test]
    fn moodle_deep_linking_fixture_has_empty_lineitem_as_none() {
        let raw = include_str!("../../tests/fixtures/moodle/launch-deeplinking.json");
        let doc: Value = serde_json::from_str(raw).expect("fixture is JSON");
        let claims = IdTokenClaims::from_map(doc["payload"].as_object().unwrap().clone())
            .expect("claims parse");
        let ags = claims.ags.expect("ags claim");
        assert_eq!(ags.lineitem, None);
        assert!(claims.deep_linking_settings.is_some());
    }
}
