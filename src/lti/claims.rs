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
/// that a missing one is reported by name (see `launch::verify`), not as a parse error.
#[derive(Debug, Clone, Deserialize)]
pub struct IdTokenClaims {
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub aud: Option<Audience>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti/claim/message_type",
        default
    )]
    pub message_type: Option<String>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/version", default)]
    pub version: Option<String>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
        default
    )]
    pub deployment_id: Option<String>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri",
        default
    )]
    pub target_link_uri: Option<String>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti/claim/resource_link",
        default
    )]
    pub resource_link: Option<ResourceLinkClaim>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/roles", default)]
    pub roles: Option<Vec<String>>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/context", default)]
    pub context: Option<ContextClaim>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/lis", default)]
    pub lis: Option<LisClaim>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/custom", default)]
    pub custom: Option<Map<String, Value>>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation",
        default
    )]
    pub launch_presentation: Option<LaunchPresentation>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti/claim/tool_platform",
        default
    )]
    pub tool_platform: Option<ToolPlatform>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
        default
    )]
    pub ags: Option<AgsEndpoint>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
        default
    )]
    pub nrps: Option<NrpsClaim>,
    #[serde(
        rename = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings",
        default
    )]
    pub deep_linking_settings: Option<DeepLinkingSettings>,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti/claim/ext", default)]
    pub ext: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct ResourceLinkClaim {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct ContextClaim {
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
        let claims: IdTokenClaims =
            serde_json::from_value(doc["payload"].clone()).expect("claims parse");
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
        let claims: IdTokenClaims =
            serde_json::from_value(doc["payload"].clone()).expect("claims parse");
        let ags = claims.ags.expect("ags claim");
        assert_eq!(ags.lineitem, None);
        assert!(claims.deep_linking_settings.is_some());
    }
}
