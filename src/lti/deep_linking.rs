//! Deep Linking: the claims of the signed `LtiDeepLinkingResponse` holding one
//! `ltiResourceLink` (with its line item), and the academic years a placement may name.

use chrono::Datelike;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::claims::{
    CLAIM_DEPLOYMENT_ID, CLAIM_DL_CONTENT_ITEMS, CLAIM_DL_DATA, CLAIM_DL_MSG, CLAIM_MESSAGE_TYPE,
    CLAIM_VERSION, DeepLinkingSettings, LTI_VERSION, MESSAGE_DEEP_LINKING_RESPONSE,
};

/// The content item type the tool places.
pub const RESOURCE_LINK: &str = "ltiResourceLink";
/// Lifetime of the response JWT (the browser posts it right away).
pub const RESPONSE_LIFETIME_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeepLinkingError {
    /// The platform does not accept an `ltiResourceLink` here.
    #[error("the platform accepts only {0:?} here, not ltiResourceLink")]
    TypeNotAccepted(Vec<String>),
}

impl DeepLinkingError {
    /// The stable code of the message shown (catalogue `error.<code>.*`).
    pub fn code(&self) -> &'static str {
        match self {
            DeepLinkingError::TypeNotAccepted(_) => "deep_linking.types",
        }
    }

    pub fn kind(&self) -> crate::failure::Kind {
        crate::failure::Kind::Invalid
    }
}

/// The line item Moodle creates with the activity (so that the gradebook has the column).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedLineItem {
    pub score_maximum: f64,
    pub label: String,
    pub resource_id: String,
    pub tag: String,
}

/// One `ltiResourceLink` content item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLinkItem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub text: String,
    /// The launch URL (Moodle falls back to the tool's URL without it).
    pub url: String,
    pub custom: Map<String, Value>,
    pub line_item: PlacedLineItem,
}

/// Who answers whom, for the response's envelope.
#[derive(Debug, Clone)]
pub struct ResponseEnvelope<'a> {
    /// Our client_id (`iss`).
    pub client_id: &'a str,
    /// The platform's issuer (`aud`).
    pub platform_issuer: &'a str,
    pub deployment_id: &'a str,
    /// The request's settings (`data` is echoed when present).
    pub settings: &'a DeepLinkingSettings,
    /// A message shown by the platform after the placement.
    pub message: Option<&'a str>,
    pub now: i64,
    pub nonce: String,
}

/// Checks the platform accepts resource links in this request.
pub fn check_accepts_resource_link(settings: &DeepLinkingSettings) -> Result<(), DeepLinkingError> {
    if settings.accept_types.is_empty() || settings.accept_types.iter().any(|t| t == RESOURCE_LINK)
    {
        Ok(())
    } else {
        Err(DeepLinkingError::TypeNotAccepted(
            settings.accept_types.clone(),
        ))
    }
}

/// The claims of the `LtiDeepLinkingResponse` (Deep Linking 2.0 §4.2), to be signed with the
/// tool key.
pub fn response_claims(envelope: &ResponseEnvelope<'_>, items: &[ResourceLinkItem]) -> Value {
    let mut claims = json!({
        "iss": envelope.client_id,
        "aud": envelope.platform_issuer,
        "iat": envelope.now,
        "exp": envelope.now + RESPONSE_LIFETIME_SECS,
        "nonce": envelope.nonce,
        CLAIM_DEPLOYMENT_ID: envelope.deployment_id,
        CLAIM_MESSAGE_TYPE: MESSAGE_DEEP_LINKING_RESPONSE,
        CLAIM_VERSION: LTI_VERSION,
        CLAIM_DL_CONTENT_ITEMS: items,
    });
    if let Some(obj) = claims.as_object_mut() {
        if let Some(data) = envelope.settings.data.as_deref() {
            obj.insert(CLAIM_DL_DATA.into(), json!(data));
        }
        if let Some(msg) = envelope.message {
            obj.insert(CLAIM_DL_MSG.into(), json!(msg));
        }
    }
    claims
}

/// The academic year a date belongs to (a French academic year starts on 1 September):
/// 23 November 2026 → `2026-2027`, 15 June 2027 → `2026-2027`.
pub fn academic_year_of(date: chrono::NaiveDate) -> String {
    let start = if date.month() >= 9 {
        date.year()
    } else {
        date.year() - 1
    };
    format!("{start}-{}", start + 1)
}

/// The current and the next academic year, the ones a placement can name.
pub fn academic_years(today: chrono::NaiveDate) -> [String; 2] {
    let current = academic_year_of(today);
    let start: i32 = current[..4].parse().unwrap_or(today.year());
    [current, format!("{}-{}", start + 1, start + 2)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn settings(data: Option<&str>, types: &[&str]) -> DeepLinkingSettings {
        DeepLinkingSettings {
            deep_link_return_url: "http://m/mod/lti/contentitem_return.php?course=2".into(),
            accept_types: types.iter().map(|s| s.to_string()).collect(),
            data: data.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn academic_years_follow_september() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            academic_years(d(2026, 11, 23)),
            ["2026-2027".to_string(), "2027-2028".to_string()]
        );
        assert_eq!(academic_year_of(d(2027, 6, 15)), "2026-2027");
        assert_eq!(academic_year_of(d(2027, 8, 31)), "2026-2027");
        assert_eq!(academic_year_of(d(2027, 9, 1)), "2027-2028");
    }

    #[test]
    fn response_echoes_data_and_carries_the_envelope() {
        let s = settings(Some("opaque"), &["ltiResourceLink"]);
        let envelope = ResponseEnvelope {
            client_id: "client",
            platform_issuer: "http://m",
            deployment_id: "1",
            settings: &s,
            message: None,
            now: 1000,
            nonce: "n".into(),
        };
        let item = ResourceLinkItem {
            kind: RESOURCE_LINK,
            title: "T".into(),
            text: "x".into(),
            url: "http://tool/lti/launch".into(),
            custom: Map::new(),
            line_item: PlacedLineItem {
                score_maximum: 1.0,
                label: "T".into(),
                resource_id: "r".into(),
                tag: "t".into(),
            },
        };
        let claims = response_claims(&envelope, &[item]);
        assert_eq!(claims["iss"], "client");
        assert_eq!(claims["aud"], "http://m");
        assert_eq!(claims["exp"], 1000 + RESPONSE_LIFETIME_SECS);
        assert_eq!(claims[CLAIM_DL_DATA], "opaque");
        assert_eq!(claims[CLAIM_MESSAGE_TYPE], "LtiDeepLinkingResponse");
        assert_eq!(
            claims[CLAIM_DL_CONTENT_ITEMS][0]["lineItem"]["scoreMaximum"],
            1.0
        );
        let without = settings(None, &[]);
        let envelope = ResponseEnvelope {
            settings: &without,
            ..envelope
        };
        assert!(response_claims(&envelope, &[]).get(CLAIM_DL_DATA).is_none());
    }

    #[test]
    fn resource_links_must_be_accepted() {
        assert!(check_accepts_resource_link(&settings(None, &[])).is_ok());
        assert!(check_accepts_resource_link(&settings(None, &["ltiResourceLink"])).is_ok());
        assert!(check_accepts_resource_link(&settings(None, &["file", "html"])).is_err());
    }
}
