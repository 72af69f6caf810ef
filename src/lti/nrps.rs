//! Names and Role Provisioning Services: the course roster, page by page (`limit`, `rlid`,
//! `Link: <…>; rel="next"`), in the NRPS v2 membership container format.

use serde::{Deserialize, Serialize};

use super::http::{ServiceError, next_link, truncate};

pub const SCOPE_MEMBERSHIP_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
/// The media type Moodle answers NRPS v2 to (it refuses `application/json` with 400).
pub const MEDIA_MEMBERSHIP_CONTAINER: &str =
    "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

/// One member of the course, as the platform describes it. Moodle gives short role names
/// (`Learner`, `Instructor`) decided by `moodle/course:manageactivities`, not the launch's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Member {
    pub user_id: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub lis_person_sourcedid: Option<String>,
    /// Moodle's username (`ext_user_username`).
    #[serde(default)]
    pub ext_user_username: Option<String>,
}

impl Member {
    /// The person the roster describes (empty strings for what it did not send).
    pub fn person(&self) -> super::person::Person {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        super::person::Person {
            sub: self.user_id.clone(),
            name: text(&self.name),
            given_name: text(&self.given_name),
            family_name: text(&self.family_name),
            email: text(&self.email),
            person_sourcedid: text(&self.lis_person_sourcedid),
            username: text(&self.ext_user_username),
        }
    }
}

fn active() -> String {
    "Active".into()
}

#[derive(Debug, Deserialize)]
struct Container {
    #[serde(default)]
    members: Vec<Member>,
}

/// One page of the roster and the URL of the next, if any.
#[derive(Debug, Clone)]
pub struct Page {
    pub members: Vec<Member>,
    pub next: Option<String>,
}

/// The first page's URL: the context memberships URL with `rlid` (so that Moodle applies the
/// activity's access restrictions) and a page size.
pub fn first_page_url(
    context_memberships_url: &str,
    rlid: Option<&str>,
    limit: u32,
) -> Result<url::Url, ServiceError> {
    let mut url = match url::Url::parse(context_memberships_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        _ => return Err(ServiceError::InvalidUrl(truncate(context_memberships_url))),
    };
    {
        let mut query = url.query_pairs_mut();
        if let Some(rlid) = rlid {
            query.append_pair("rlid", rlid);
        }
        query.append_pair("limit", &limit.to_string());
    }
    Ok(url)
}

/// Fetches one page.
pub async fn fetch_page(
    http: &reqwest::Client,
    token: &str,
    url: &str,
) -> Result<Page, ServiceError> {
    let parsed = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => return Err(ServiceError::InvalidUrl(truncate(url))),
    };
    let response = http
        .get(parsed)
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, MEDIA_MEMBERSHIP_CONTAINER)
        .send()
        .await
        .map_err(ServiceError::transport)?;
    if !response.status().is_success() {
        return Err(ServiceError::from_response(response).await);
    }
    let next = next_link(response.headers());
    let body = response.bytes().await.map_err(ServiceError::transport)?;
    let container: Container = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::Malformed(format!("not a membership container: {e}")))?;
    let members = container
        .members
        .into_iter()
        .filter(|m| !m.user_id.is_empty())
        .collect();
    Ok(Page { members, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moodle_roster_parses_with_its_short_roles() {
        let raw = include_str!("../../tests/fixtures/moodle/nrps-rlid.json");
        let doc: serde_json::Value = serde_json::from_str(raw).unwrap();
        let container: Container = serde_json::from_value(doc["response"]["body"].clone()).unwrap();
        assert_eq!(container.members.len(), 4);
        let teacher = &container.members[0];
        assert_eq!(teacher.user_id, "5");
        assert_eq!(teacher.roles, vec!["Learner"], "non-editing teacher");
        assert_eq!(teacher.status, "Active");
        assert_eq!(teacher.ext_user_username.as_deref(), Some("teacher1"));
        assert_eq!(container.members[3].roles, vec!["Instructor"]);
    }

    #[test]
    fn first_page_keeps_the_query_and_adds_rlid_and_limit() {
        let url = first_page_url(
            "http://m/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
            Some("1"),
            200,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://m/mod/lti/services.php/CourseSection/2/bindings/1/memberships?rlid=1&limit=200"
        );
        assert!(first_page_url("nope", None, 1).is_err());
    }
}
