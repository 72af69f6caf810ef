//! Assignment and Grade Services: scores posted to a line item, line items found or created,
//! with the exact media types Moodle requires and `/scores` before the query string.

use serde::{Deserialize, Serialize};

use super::http::{ServiceError, next_link, same_origin, truncate};

pub const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
pub const SCOPE_LINEITEM_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
pub const SCOPE_RESULT_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
pub const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";

/// Moodle refuses a score posted with any other `Content-Type` (400).
pub const MEDIA_SCORE: &str = "application/vnd.ims.lis.v1.score+json";
pub const MEDIA_LINEITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";
pub const MEDIA_LINEITEM_CONTAINER: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";

/// Pages of line items followed at most (a filtered list is one page in practice).
const MAX_PAGES: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityProgress {
    Initialized,
    Started,
    InProgress,
    Submitted,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GradingProgress {
    FullyGraded,
    Pending,
    PendingManual,
    Failed,
    NotReady,
}

/// A score (AGS §3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_given: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_maximum: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub timestamp: String,
    pub activity_progress: ActivityProgress,
    pub grading_progress: GradingProgress,
}

impl Score {
    /// Completion: 1 out of 1, Completed, FullyGraded.
    pub fn completion(user_id: &str, comment: &str, timestamp_micros: i64) -> Score {
        Score {
            user_id: user_id.to_string(),
            score_given: Some(1.0),
            score_maximum: Some(1.0),
            comment: non_empty(comment),
            timestamp: iso8601(timestamp_micros),
            activity_progress: ActivityProgress::Completed,
            grading_progress: GradingProgress::FullyGraded,
        }
    }

    /// A score that clears the grade: Moodle stores no grade when `scoreGiven` is absent
    /// (and drops it anyway unless `gradingProgress` is FullyGraded).
    pub fn cleared(user_id: &str, comment: &str, timestamp_micros: i64) -> Score {
        Score {
            user_id: user_id.to_string(),
            score_given: None,
            score_maximum: Some(1.0),
            comment: non_empty(comment),
            timestamp: iso8601(timestamp_micros),
            activity_progress: ActivityProgress::Initialized,
            grading_progress: GradingProgress::NotReady,
        }
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(1000).collect())
}

/// An ISO 8601 UTC time to the second (Moodle compares scores by whole seconds), written like
/// Moodle writes it: `2026-11-23T15:50:00+00:00`.
pub fn iso8601(micros: i64) -> String {
    let dt = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
    dt.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// A line item (AGS §3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub score_maximum: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_link_id: Option<String>,
}

/// The URL of a sub-resource of a line item: the segment goes at the end of the path, before
/// the query string (`…/lineitem?type_id=1` → `…/lineitem/scores?type_id=1`).
pub fn sub_resource_url(lineitem_url: &str, segment: &str) -> Result<url::Url, ServiceError> {
    let mut url = parse_service_url(lineitem_url)?;
    let path = format!("{}/{segment}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

fn parse_service_url(raw: &str) -> Result<url::Url, ServiceError> {
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err(ServiceError::InvalidUrl(truncate(raw))),
    }
}

/// Posts a score to a line item. Success is any 2xx (Moodle: 200 with an empty body).
pub async fn post_score(
    http: &reqwest::Client,
    token: &str,
    lineitem_url: &str,
    score: &Score,
) -> Result<(), ServiceError> {
    let url = sub_resource_url(lineitem_url, "scores")?;
    let body = serde_json::to_vec(score).map_err(|e| ServiceError::Malformed(e.to_string()))?;
    let response = http
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, MEDIA_SCORE)
        .body(body)
        .send()
        .await
        .map_err(ServiceError::transport)?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(ServiceError::from_response(response).await)
    }
}

/// The line items of a context filtered by resource link id and tag (following `next` links).
pub async fn find_line_items(
    http: &reqwest::Client,
    token: &str,
    lineitems_url: &str,
    resource_link_id: &str,
    tag: &str,
) -> Result<Vec<LineItem>, ServiceError> {
    let mut url = parse_service_url(lineitems_url)?;
    url.query_pairs_mut()
        .append_pair("resource_link_id", resource_link_id)
        .append_pair("tag", tag);
    let mut items = Vec::new();
    let mut next = Some(url.to_string());
    let mut pages = 0;
    while let Some(page_url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            break;
        }
        let response = http
            .get(parse_service_url(&page_url)?)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, MEDIA_LINEITEM_CONTAINER)
            .send()
            .await
            .map_err(ServiceError::transport)?;
        if !response.status().is_success() {
            return Err(ServiceError::from_response(response).await);
        }
        next = next_link(response.headers()).filter(|n| same_origin(lineitems_url, n));
        let body = response.bytes().await.map_err(ServiceError::transport)?;
        let page: Vec<LineItem> = serde_json::from_slice(&body)
            .map_err(|e| ServiceError::Malformed(format!("not a line item list: {e}")))?;
        items.extend(page);
    }
    // A platform that ignores the filters must not make us post to someone else's column.
    items.retain(|i| {
        i.resource_link_id
            .as_deref()
            .is_none_or(|r| r == resource_link_id)
            && i.tag.as_deref() == Some(tag)
    });
    Ok(items)
}

/// Creates a line item; returns it with the `id` the platform gave.
pub async fn create_line_item(
    http: &reqwest::Client,
    token: &str,
    lineitems_url: &str,
    item: &LineItem,
) -> Result<LineItem, ServiceError> {
    let url = parse_service_url(lineitems_url)?;
    let body = serde_json::to_vec(item).map_err(|e| ServiceError::Malformed(e.to_string()))?;
    let response = http
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, MEDIA_LINEITEM)
        .header(reqwest::header::ACCEPT, MEDIA_LINEITEM)
        .body(body)
        .send()
        .await
        .map_err(ServiceError::transport)?;
    if !response.status().is_success() {
        return Err(ServiceError::from_response(response).await);
    }
    let body = response.bytes().await.map_err(ServiceError::transport)?;
    let created: LineItem = serde_json::from_slice(&body)
        .map_err(|e| ServiceError::Malformed(format!("not a line item: {e}")))?;
    match &created.id {
        Some(id) if parse_service_url(id).is_ok() => Ok(created),
        _ => Err(ServiceError::Malformed(
            "created line item has no id".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_go_before_the_query_string() {
        assert_eq!(
            sub_resource_url(
                "http://m/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1",
                "scores"
            )
            .unwrap()
            .as_str(),
            "http://m/mod/lti/services.php/2/lineitems/2/lineitem/scores?type_id=1"
        );
        assert_eq!(
            sub_resource_url("https://lms/li/7/", "scores")
                .unwrap()
                .as_str(),
            "https://lms/li/7/scores"
        );
        assert!(sub_resource_url("not a url", "scores").is_err());
        assert!(sub_resource_url("ftp://m/x", "scores").is_err());
    }

    #[test]
    fn completion_and_clearing_scores_have_moodle_fields() {
        let micros = 1_795_449_600_123_456; // 2026-11-23T16:00:00.123456Z
        let done = serde_json::to_value(Score::completion("3", "Contrat signé", micros)).unwrap();
        assert_eq!(
            done,
            serde_json::json!({
                "userId": "3", "scoreGiven": 1.0, "scoreMaximum": 1.0,
                "comment": "Contrat signé", "timestamp": "2026-11-23T16:00:00+00:00",
                "activityProgress": "Completed", "gradingProgress": "FullyGraded"
            })
        );
        let cleared = serde_json::to_value(Score::cleared("3", "", micros)).unwrap();
        assert!(cleared.get("scoreGiven").is_none());
        assert!(cleared.get("comment").is_none());
        assert_eq!(cleared["gradingProgress"], "NotReady");
        assert_eq!(cleared["activityProgress"], "Initialized");
    }

    #[test]
    fn moodle_line_item_parses() {
        let raw = include_str!("../../tests/fixtures/moodle/ags-lineitem.json");
        let doc: serde_json::Value = serde_json::from_str(raw).unwrap();
        let item: LineItem =
            serde_json::from_value(doc["lineitem_get"]["response"]["body"].clone()).unwrap();
        assert_eq!(item.score_maximum, 100.0);
        assert_eq!(item.resource_link_id.as_deref(), Some("1"));
        let posted: Score =
            serde_json::from_value(doc["score_post"]["request"]["body"].clone()).unwrap();
        assert_eq!(posted.grading_progress, GradingProgress::FullyGraded);
    }
}
