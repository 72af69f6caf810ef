//! IMS role URIs and their mapping to the tool's roles (default map, per-platform overrides).
//!
//! Moodle decides `Instructor` by the capability `mod/lti:manage` on the activity, so every
//! kind of teacher (non-editing, editing, manager) arrives as `membership#Instructor`; a site
//! administrator also carries the `Administrator` roles. The tool role therefore says only
//! *student*, *teacher* or *platform administrator*: who designs a course is recorded in the
//! tool itself, never guessed from roles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a launch lets a user be in the tool, before any grant recorded in the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ToolRole {
    /// No role the tool knows (e.g. a guest): nothing to show.
    None,
    /// A learner: fills and signs their own contract.
    Student,
    /// An instructor on the activity: staff of the formations of their groups.
    Teacher,
    /// A platform administrator: designer of every course of that platform.
    Admin,
}

impl ToolRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolRole::None => "none",
            ToolRole::Student => "student",
            ToolRole::Teacher => "teacher",
            ToolRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<ToolRole> {
        match s {
            "none" => Some(ToolRole::None),
            "student" => Some(ToolRole::Student),
            "teacher" => Some(ToolRole::Teacher),
            "admin" => Some(ToolRole::Admin),
            _ => None,
        }
    }
}

const LIS: &str = "http://purl.imsglobal.org/vocab/lis/v2/";

/// The documented default: each entry maps a role URI (full, or the short LTI 1.1 name) to a
/// tool role. Sub-roles (`membership/Instructor#TeachingAssistant`) follow their principal role.
pub fn default_map() -> BTreeMap<String, ToolRole> {
    let mut map = BTreeMap::new();
    for (suffix, role) in [
        ("membership#Learner", ToolRole::Student),
        ("membership#Instructor", ToolRole::Teacher),
        ("membership#ContentDeveloper", ToolRole::Teacher),
        ("membership#Mentor", ToolRole::Teacher),
        ("membership#Manager", ToolRole::Teacher),
        ("membership#Administrator", ToolRole::Admin),
        ("institution/person#Administrator", ToolRole::Admin),
        ("system/person#Administrator", ToolRole::Admin),
        ("institution/person#Student", ToolRole::None),
        ("institution/person#Faculty", ToolRole::None),
        ("institution/person#Staff", ToolRole::None),
    ] {
        map.insert(format!("{LIS}{suffix}"), role);
    }
    map.insert("Learner".into(), ToolRole::Student);
    map.insert("Instructor".into(), ToolRole::Teacher);
    map
}

/// Maps role URIs to the strongest tool role they give, using `overrides` first, then the
/// default map. Unknown roles give nothing.
pub fn tool_role(roles: &[String], overrides: &BTreeMap<String, ToolRole>) -> ToolRole {
    let defaults = default_map();
    roles
        .iter()
        .map(|uri| {
            let principal = principal_role(uri);
            overrides
                .get(uri.as_str())
                .or_else(|| overrides.get(principal.as_str()))
                .or_else(|| defaults.get(uri.as_str()))
                .or_else(|| defaults.get(principal.as_str()))
                .copied()
                .unwrap_or(ToolRole::None)
        })
        .max()
        .unwrap_or(ToolRole::None)
}

/// `…/membership/Instructor#TeachingAssistant` → `…/membership#Instructor`.
fn principal_role(uri: &str) -> String {
    if let Some(rest) = uri.strip_prefix(LIS)
        && let Some((path, _sub)) = rest.split_once('#')
        && let Some((kind, principal)) = path.split_once('/')
    {
        return format!("{LIS}{kind}#{principal}");
    }
    uri.to_string()
}

/// Parses a platform's role-map override (role URI → `student|teacher|admin|none`).
pub fn parse_overrides(json: Option<&str>) -> Result<BTreeMap<String, ToolRole>, String> {
    let Some(json) = json else {
        return Ok(BTreeMap::new());
    };
    let raw: BTreeMap<String, String> =
        serde_json::from_str(json).map_err(|e| format!("role map is not a JSON object: {e}"))?;
    raw.into_iter()
        .map(|(uri, role)| {
            ToolRole::parse(&role).map(|r| (uri, r)).ok_or_else(|| {
                format!("unknown tool role `{role}` (student, teacher, admin, none)")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| format!("{LIS}{s}")).collect()
    }

    #[test]
    fn moodle_roles_map_by_default() {
        let none = BTreeMap::new();
        assert_eq!(
            tool_role(&uris(&["membership#Learner"]), &none),
            ToolRole::Student
        );
        assert_eq!(
            tool_role(&uris(&["membership#Instructor"]), &none),
            ToolRole::Teacher
        );
        assert_eq!(
            tool_role(
                &uris(&[
                    "institution/person#Administrator",
                    "membership#Instructor",
                    "system/person#Administrator"
                ]),
                &none
            ),
            ToolRole::Admin
        );
        assert_eq!(
            tool_role(&uris(&["membership/Instructor#TeachingAssistant"]), &none),
            ToolRole::Teacher
        );
        assert_eq!(tool_role(&[], &none), ToolRole::None);
        assert_eq!(tool_role(&["urn:unknown".into()], &none), ToolRole::None);
    }

    #[test]
    fn overrides_win() {
        let overrides =
            parse_overrides(Some(&format!(r#"{{"{LIS}membership#Mentor": "none"}}"#))).unwrap();
        assert_eq!(
            tool_role(&uris(&["membership#Mentor"]), &overrides),
            ToolRole::None
        );
        assert!(parse_overrides(Some(r#"{"x": "boss"}"#)).is_err());
    }
}
