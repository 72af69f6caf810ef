//! Moodle's REST web services, optional per platform: the groups of a course
//! (`core_group_get_course_groups`), their members (`core_group_get_group_members`) and the
//! course roles of the enrolled users (`core_enrol_get_enrolled_users`). LTI launches carry
//! group ids only, NRPS carries no groups and calls a non-editing teacher a Learner; this is
//! how names and real roles come in. No SQL here.

use serde::Deserialize;
use serde_json::Value;

use crate::lti::http::truncate;

pub const FUNCTION_COURSE_GROUPS: &str = "core_group_get_course_groups";
pub const FUNCTION_GROUP_MEMBERS: &str = "core_group_get_group_members";
pub const FUNCTION_ENROLLED_USERS: &str = "core_enrol_get_enrolled_users";
/// Group ids asked per `core_group_get_group_members` call.
const MEMBERS_CHUNK: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsError {
    #[error("Moodle web service unreachable: {0}")]
    Transport(String),
    #[error("Moodle web service answered HTTP {0}")]
    Status(u16),
    /// Moodle answers 200 with `{"exception", "errorcode", "message"}` on errors
    /// (`invalidtoken`, `accessexception`, `servicerequireslogin`, …).
    #[error("Moodle refused `{function}`: {errorcode} ({message})")]
    Moodle {
        function: String,
        errorcode: String,
        message: String,
    },
    #[error("unexpected answer to `{function}`: {message}")]
    Malformed { function: String, message: String },
    #[error("the LTI context id `{0}` is not a Moodle course id")]
    NotACourse(String),
}

/// Where and with what token to call a platform's web services.
#[derive(Debug, Clone)]
pub struct WebService {
    /// `…/webservice/rest/server.php`
    pub url: String,
    pub token: String,
}

/// The REST endpoint of a Moodle site from its issuer (wwwroot).
pub fn default_url(issuer: &str) -> String {
    format!(
        "{}/webservice/rest/server.php",
        issuer.trim_end_matches('/')
    )
}

/// A group of a course.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CourseGroup {
    pub id: i64,
    #[serde(default)]
    pub courseid: i64,
    pub name: String,
    #[serde(default)]
    pub idnumber: String,
    #[serde(default)]
    pub description: String,
}

/// The members (Moodle user ids, which are the LTI `sub`) of a group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GroupMembers {
    pub groupid: i64,
    #[serde(default)]
    pub userids: Vec<i64>,
}

/// An enrolled user of a course with the roles assigned in the course.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnrolledUser {
    pub id: i64,
    #[serde(default)]
    pub roles: Vec<CourseRole>,
}

/// A role of a user in a course (Moodle keys roles on `shortname`: `student`, `teacher`,
/// `editingteacher`, `manager`…; `name` is empty unless renamed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CourseRole {
    pub shortname: String,
}

/// Moodle's course id for an LTI context: Moodle uses the course id as context id.
pub fn course_id(lti_context_id: &str) -> Result<i64, WsError> {
    lti_context_id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| WsError::NotACourse(lti_context_id.to_string()))
}

/// Calls one function (POST, so that the token stays out of URLs and access logs).
async fn call(
    http: &reqwest::Client,
    ws: &WebService,
    function: &str,
    params: &[(String, String)],
) -> Result<Value, WsError> {
    let mut form: Vec<(String, String)> = vec![
        ("wstoken".into(), ws.token.clone()),
        ("wsfunction".into(), function.into()),
        ("moodlewsrestformat".into(), "json".into()),
    ];
    form.extend_from_slice(params);
    let response = http
        .post(&ws.url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| WsError::Transport(e.to_string()))?;
    if !response.status().is_success() {
        return Err(WsError::Status(response.status().as_u16()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| WsError::Transport(e.to_string()))?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| WsError::Malformed {
        function: function.into(),
        message: format!(
            "not JSON ({e}): {}",
            truncate(&String::from_utf8_lossy(&body))
        ),
    })?;
    if let Some(exception) = value.get("exception").or_else(|| value.get("errorcode")) {
        let field = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        return Err(WsError::Moodle {
            function: function.into(),
            errorcode: match field("errorcode") {
                c if c.is_empty() => exception.as_str().unwrap_or("error").to_string(),
                c => c,
            },
            message: truncate(&field("message")),
        });
    }
    Ok(value)
}

fn parse<T: serde::de::DeserializeOwned>(function: &str, value: Value) -> Result<T, WsError> {
    serde_json::from_value(value).map_err(|e| WsError::Malformed {
        function: function.into(),
        message: e.to_string(),
    })
}

/// The groups of a course.
pub async fn course_groups(
    http: &reqwest::Client,
    ws: &WebService,
    course_id: i64,
) -> Result<Vec<CourseGroup>, WsError> {
    let value = call(
        http,
        ws,
        FUNCTION_COURSE_GROUPS,
        &[("courseid".into(), course_id.to_string())],
    )
    .await?;
    parse(FUNCTION_COURSE_GROUPS, value)
}

/// The members of groups (asked by chunks).
pub async fn group_members(
    http: &reqwest::Client,
    ws: &WebService,
    group_ids: &[i64],
) -> Result<Vec<GroupMembers>, WsError> {
    let mut all = Vec::new();
    for chunk in group_ids.chunks(MEMBERS_CHUNK) {
        let params: Vec<(String, String)> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| (format!("groupids[{i}]"), id.to_string()))
            .collect();
        let value = call(http, ws, FUNCTION_GROUP_MEMBERS, &params).await?;
        all.extend(parse::<Vec<GroupMembers>>(FUNCTION_GROUP_MEMBERS, value)?);
    }
    Ok(all)
}

/// The enrolled users of a course with their course roles (only the `id` and `roles` fields
/// are asked for).
pub async fn enrolled_roles(
    http: &reqwest::Client,
    ws: &WebService,
    course_id: i64,
) -> Result<Vec<EnrolledUser>, WsError> {
    let value = call(
        http,
        ws,
        FUNCTION_ENROLLED_USERS,
        &[
            ("courseid".into(), course_id.to_string()),
            ("options[0][name]".into(), "userfields".into()),
            ("options[0][value]".into(), "id,roles".into()),
        ],
    )
    .await?;
    parse(FUNCTION_ENROLLED_USERS, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moodle_shapes_parse() {
        let groups: Vec<CourseGroup> = parse(
            FUNCTION_COURSE_GROUPS,
            serde_json::json!([
                {"id": 1, "courseid": 2, "name": "L1 Mathématiques", "description": "",
                 "descriptionformat": 1, "enrolmentkey": "", "idnumber": "L1-MATH"},
            ]),
        )
        .unwrap();
        assert_eq!(groups[0].name, "L1 Mathématiques");
        assert_eq!(groups[0].idnumber, "L1-MATH");
        let members: Vec<GroupMembers> = parse(
            FUNCTION_GROUP_MEMBERS,
            serde_json::json!([{"groupid": 1, "userids": [3, 5]}]),
        )
        .unwrap();
        assert_eq!(members[0].userids, vec![3, 5]);
        let enrolled: Vec<EnrolledUser> = parse(
            FUNCTION_ENROLLED_USERS,
            serde_json::json!([{"id": 5, "roles": [
                {"roleid": 4, "name": "", "shortname": "teacher", "sortorder": 0}
            ]}, {"id": 3}]),
        )
        .unwrap();
        assert_eq!(enrolled[0].roles[0].shortname, "teacher");
        assert!(enrolled[1].roles.is_empty());
        assert!(course_id("2").is_ok());
        assert!(course_id("course-v1:x").is_err());
        assert_eq!(
            default_url("https://moodle.univ.fr/"),
            "https://moodle.univ.fr/webservice/rest/server.php"
        );
    }
}
