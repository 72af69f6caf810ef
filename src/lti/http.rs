//! HTTP details shared by the clients of platform services (AGS, NRPS, tokens): the error of a
//! failed call and whether to retry it, `Retry-After`, and `Link: <…>; rel="next"`.

use std::time::Duration;

use reqwest::header::{HeaderMap, LINK, RETRY_AFTER};

/// The most of an error body kept (for logs and staff pages).
const MAX_ERROR_BODY: usize = 500;

/// A call to a platform service that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// No answer: connection refused, DNS, TLS, timeout, a body cut short.
    #[error("platform unreachable: {0}")]
    Transport(String),
    /// The platform answered with an error status.
    #[error("HTTP {status}: {body}")]
    Status {
        status: u16,
        body: String,
        /// From `Retry-After` (429 and 503).
        retry_after: Option<Duration>,
    },
    /// The URL given by the platform (claim, link) is unusable.
    #[error("invalid service URL `{0}`")]
    InvalidUrl(String),
    /// The platform answered 2xx with something that is not what the service defines.
    #[error("unexpected answer: {0}")]
    Malformed(String),
}

impl ServiceError {
    /// The HTTP status, when the platform answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ServiceError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when trying again later may succeed: no answer, 5xx, 408, 425, 429.
    pub fn is_transient(&self) -> bool {
        match self {
            ServiceError::Transport(_) => true,
            ServiceError::Status { status, .. } => {
                *status >= 500 || matches!(status, 408 | 425 | 429)
            }
            ServiceError::InvalidUrl(_) | ServiceError::Malformed(_) => false,
        }
    }

    /// The platform's `Retry-After`, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ServiceError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn transport(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        ServiceError::Transport(format!("{kind}: {e}"))
    }

    /// Reads an error answer: status, `Retry-After`, the start of the body.
    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = response.text().await.unwrap_or_default();
        ServiceError::Status {
            status,
            body: truncate(body.trim()),
            retry_after,
        }
    }
}

/// Cuts a text to what an error message keeps.
pub fn truncate(text: &str) -> String {
    if text.len() <= MAX_ERROR_BODY {
        return text.to_string();
    }
    let mut end = MAX_ERROR_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// True when `candidate` is an http(s) URL on the same origin as `reference`: a paging link
/// is only followed (with the bearer token) when it stays on the platform.
pub fn same_origin(reference: &str, candidate: &str) -> bool {
    match (url::Url::parse(reference), url::Url::parse(candidate)) {
        (Ok(a), Ok(b)) => matches!(b.scheme(), "http" | "https") && a.origin() == b.origin(),
        _ => false,
    }
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(u64::try_from(delta).unwrap_or(0)))
}

/// The URL of the `rel="next"` link of a `Link` header (RFC 8288), if any. Tolerates the
/// typographic quotes Moodle's line item service puts around relation names.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(next_in_link_value)
}

fn next_in_link_value(value: &str) -> Option<String> {
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>')?;
        let target = &after[..end];
        let params_end = after[end..].find('<').map_or(after.len(), |i| end + i);
        let params = &after[end + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches(|c| c == '"' || c == '\u{201c}' || c == '\u{201d}')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = &after[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_in_moodle_headers() {
        assert_eq!(
            next_in_link_value(
                "<http://m/mod/lti/services.php/CourseSection/2/bindings/1/memberships?limit=2&from=2&rlid=1>; rel=\"next\""
            )
            .as_deref(),
            Some(
                "http://m/mod/lti/services.php/CourseSection/2/bindings/1/memberships?limit=2&from=2&rlid=1"
            )
        );
        // Moodle's line item container uses typographic quotes and several relations.
        let items = "<http://m/l?from=0>; rel=\u{201c}first\u{201d}, <http://m/l?from=2>; rel=\u{201c}next\u{201d}, <http://m/l?from=4>; rel=\u{201c}last\u{201d}";
        assert_eq!(
            next_in_link_value(items).as_deref(),
            Some("http://m/l?from=2")
        );
        assert_eq!(
            next_in_link_value("<http://m/l?from=0>; rel=\"first\""),
            None
        );
        assert_eq!(next_in_link_value("garbage"), None);
        assert!(same_origin("http://m:81/a?x=1", "http://m:81/b"));
        assert!(!same_origin("http://m:81/a", "http://m:82/a"));
        assert!(!same_origin("http://m/a", "https://evil.example/a"));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(300)).to_rfc2822();
        headers.insert(RETRY_AFTER, later.parse().unwrap());
        let delay = retry_after(&headers).unwrap();
        assert!(delay.as_secs() > 290 && delay.as_secs() <= 300, "{delay:?}");
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn transient_errors_are_told_apart() {
        let status = |s| ServiceError::Status {
            status: s,
            body: String::new(),
            retry_after: None,
        };
        assert!(status(503).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(400).is_transient());
        assert!(!status(404).is_transient());
        assert!(ServiceError::Transport("x".into()).is_transient());
        assert!(!ServiceError::Malformed("x".into()).is_transient());
        assert_eq!(truncate(&"é".repeat(400)).chars().count(), 251);
    }
}
