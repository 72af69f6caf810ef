//! IMS role URIs and their mapping to the tool's roles (the LIS vocabulary, per-platform
//! overrides).
//!
//! Moodle decides `Instructor` by the capability `mod/lti:manage` on the activity, so every
//! kind of teacher (non-editing, editing, manager) arrives as `membership#Instructor`; a site
//! administrator also carries the institution and system `Administrator` roles. The tool role
//! therefore says only *student*, *teacher* or *platform administrator*: who designs a course
//! is recorded in the tool itself, never guessed from roles. A mentor (parent, adviser) is
//! never staff: the role gives nothing, so Learner + Mentor is a student and Mentor alone has
//! no role here. The table of every role is in docs/security.md.

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

/// Context roles (`membership#…`, their sub-roles `membership/<role>#…`, and the simple names
/// LTI 1.3 allows for them) and what each gives in the tool.
pub const CONTEXT_ROLES: &[(&str, ToolRole)] = &[
    ("Administrator", ToolRole::Admin),
    ("ContentDeveloper", ToolRole::None),
    ("Instructor", ToolRole::Teacher),
    ("Learner", ToolRole::Student),
    ("Manager", ToolRole::Teacher),
    ("Member", ToolRole::None),
    ("Mentor", ToolRole::None),
    ("Officer", ToolRole::None),
    ("TeachingAssistant", ToolRole::Teacher),
];

/// Institution roles (`institution/person#…`): only the administrator gives something (a
/// Moodle site administrator carries it). Being faculty or a student of the institution says
/// nothing about a course.
pub const INSTITUTION_ROLES: &[(&str, ToolRole)] = &[("Administrator", ToolRole::Admin)];

/// System roles (`system/person#…`): the platform's administrators.
pub const SYSTEM_ROLES: &[(&str, ToolRole)] = &[
    ("Administrator", ToolRole::Admin),
    ("SysAdmin", ToolRole::Admin),
];

fn lookup(table: &[(&str, ToolRole)], name: &str) -> ToolRole {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(ToolRole::None, |(_, r)| *r)
}

/// What one role URI (or simple name) gives by default.
pub fn default_role(uri: &str) -> ToolRole {
    if let Some(rest) = uri.strip_prefix(LIS) {
        if let Some(role) = rest.strip_prefix("membership#") {
            return lookup(CONTEXT_ROLES, role);
        }
        // A sub-role follows its principal role: `membership/Instructor#TeachingAssistant`.
        if let Some((principal, _sub)) = rest
            .strip_prefix("membership/")
            .and_then(|r| r.split_once('#'))
        {
            return lookup(CONTEXT_ROLES, principal);
        }
        if let Some(role) = rest.strip_prefix("institution/person#") {
            return lookup(INSTITUTION_ROLES, role);
        }
        if let Some(role) = rest.strip_prefix("system/person#") {
            return lookup(SYSTEM_ROLES, role);
        }
        return ToolRole::None;
    }
    // A simple name is a context role (LTI 1.3 §A.2.3); anything else is unknown.
    if uri.bytes().all(|b| b.is_ascii_alphabetic()) {
        return lookup(CONTEXT_ROLES, uri);
    }
    ToolRole::None
}

/// Maps role URIs to the strongest tool role they give, using `overrides` first (the exact
/// URI, then its principal role), then the default table. Unknown roles give nothing.
pub fn tool_role(roles: &[String], overrides: &BTreeMap<String, ToolRole>) -> ToolRole {
    roles
        .iter()
        .map(|uri| {
            overrides
                .get(uri.as_str())
                .or_else(|| overrides.get(principal_role(uri).as_str()))
                .copied()
                .unwrap_or_else(|| default_role(uri))
        })
        .max()
        .unwrap_or(ToolRole::None)
}

/// A role as people read it: `…/membership#Mentor` → `Mentor`,
/// `…/membership/Instructor#TeachingAssistant` → `TeachingAssistant`.
pub fn display_name(uri: &str) -> &str {
    uri.rsplit(['#', '/']).next().unwrap_or(uri)
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
        assert_eq!(tool_role(&[], &none), ToolRole::None);
        assert_eq!(tool_role(&["urn:unknown".into()], &none), ToolRole::None);
    }

    #[test]
    fn mentors_are_never_staff() {
        let none = BTreeMap::new();
        assert_eq!(
            tool_role(&uris(&["membership#Mentor"]), &none),
            ToolRole::None
        );
        assert_eq!(
            tool_role(&uris(&["membership#Learner", "membership#Mentor"]), &none),
            ToolRole::Student
        );
        assert_eq!(
            tool_role(&uris(&["membership/Mentor#Advisor"]), &none),
            ToolRole::None
        );
        assert_eq!(tool_role(&["Mentor".into()], &none), ToolRole::None);
    }

    #[test]
    fn overrides_win() {
        let overrides = parse_overrides(Some(&format!(
            r#"{{"{LIS}membership#Mentor": "teacher", "{LIS}membership#Instructor": "none"}}"#
        )))
        .unwrap();
        assert_eq!(
            tool_role(&uris(&["membership#Mentor"]), &overrides),
            ToolRole::Teacher
        );
        // An override of the principal role applies to its sub-roles.
        assert_eq!(
            tool_role(
                &uris(&["membership/Instructor#TeachingAssistant"]),
                &overrides
            ),
            ToolRole::None
        );
        assert!(parse_overrides(Some(r#"{"x": "boss"}"#)).is_err());
    }
}
