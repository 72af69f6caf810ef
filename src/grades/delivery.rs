//! Delivery of outbox rows to Moodle's gradebook (AGS): the line item (from the launch, or
//! found/created), a cached access token, the score; then the row's bookkeeping: delivered,
//! retried later (exponential backoff with jitter, `Retry-After`), or failed with its reason.
//!
//! A delivery that reaches Moodle but whose bookkeeping is lost (crash, timeout) is made
//! again after its lease: the score keeps its timestamp, so Moodle answers 409 to the second
//! one, which counts as delivered. No duplicate effect, nothing dropped silently.

use std::time::Duration;

use crate::access_tokens::CallError;
use crate::lti::ags::{
    self, LineItem, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE, Score,
};
use crate::lti::http::ServiceError;
use crate::state::AppState;
use crate::store::contexts::{self, ResourceLink};
use crate::store::platforms::{self, Platform};
use crate::store::{StoreError, now_micros};

use crate::store::line_items;
use crate::store::outbox::{self, ErrorKind, OutboxRow};

/// The tag of the tool's line items (Deep Linking places it; the tool finds its own by it).
pub const LINE_ITEM_TAG: &str = "cpre-contrat";
/// The label of a line item the tool creates.
pub const LINE_ITEM_LABEL: &str = "Contrat pédagogique pour la réussite étudiante";
/// First retry delay; doubled at each attempt up to [`MAX_DELAY`].
pub const BASE_DELAY: Duration = Duration::from_secs(30);
pub const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What `deliver_next` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The score is in the gradebook (or already was).
    Delivered,
    /// It failed for now and is scheduled again.
    Retried,
    /// It is refused for good; kept with its reason.
    Failed,
    /// Nothing was due.
    Empty,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of one attempt, before bookkeeping.
#[derive(Debug, Clone, PartialEq)]
enum Attempt {
    Delivered(Option<ErrorKind>),
    Retry {
        kind: ErrorKind,
        error: String,
        retry_after: Option<Duration>,
    },
    Fail {
        kind: ErrorKind,
        error: String,
    },
}

impl Attempt {
    fn retry(kind: ErrorKind, error: impl Into<String>) -> Attempt {
        Attempt::Retry {
            kind,
            error: error.into(),
            retry_after: None,
        }
    }
    fn fail(kind: ErrorKind, error: impl Into<String>) -> Attempt {
        Attempt::Fail {
            kind,
            error: error.into(),
        }
    }
}

/// Claims the next due row and delivers it.
pub async fn deliver_next(state: &AppState) -> Result<Outcome, DeliveryError> {
    let now = now_micros();
    let lease = lease_micros(state);
    let mut rows = state
        .db
        .run(move |conn| outbox::claim(conn, now, lease, 1))
        .await?;
    match rows.pop() {
        Some(row) => deliver(state, row).await,
        None => Ok(Outcome::Empty),
    }
}

/// The lease of a claimed row, in microseconds.
pub fn lease_micros(state: &AppState) -> i64 {
    i64::try_from(
        state
            .settings
            .grades_lease_seconds
            .saturating_mul(1_000_000),
    )
    .unwrap_or(i64::MAX)
}

/// Delivers a claimed row and records what happened.
pub async fn deliver(state: &AppState, row: OutboxRow) -> Result<Outcome, DeliveryError> {
    deliver_gated(state, row, None).await
}

/// Like [`deliver`], taking `gate` around the bookkeeping write (the worker serialises its
/// writes on SQLite, where concurrent writers wait in SQLite's busy handler).
pub async fn deliver_gated(
    state: &AppState,
    row: OutboxRow,
    gate: Option<&tokio::sync::Semaphore>,
) -> Result<Outcome, DeliveryError> {
    let lease_token = row.lease_token.clone().unwrap_or_default();
    let attempt = attempt(state, &row).await?;
    let max_attempts = max_attempts(state.settings.grades_retry_days);
    let attempt = match attempt {
        Attempt::Retry { kind, error, .. } if row.attempts >= max_attempts => Attempt::Fail {
            kind: ErrorKind::GaveUp,
            error: format!(
                "abandon après {} tentatives ({kind}) : {error}",
                row.attempts
            ),
        },
        other => other,
    };
    let id = row.id.clone();
    let outcome = match &attempt {
        Attempt::Delivered(_) => Outcome::Delivered,
        Attempt::Retry { .. } => Outcome::Retried,
        Attempt::Fail { .. } => Outcome::Failed,
    };
    match &attempt {
        Attempt::Delivered(note) => {
            tracing::info!(outbox = %id, user = %row.user_sub, completed = row.completed, note = ?note, "grade delivered")
        }
        Attempt::Retry { kind, error, .. } => {
            tracing::warn!(outbox = %id, attempts = row.attempts, kind = kind.as_str(), error = %error, "grade delivery failed, will retry")
        }
        Attempt::Fail { kind, error } => {
            tracing::error!(outbox = %id, kind = kind.as_str(), error = %error, "grade delivery refused for good")
        }
    }
    let next_at = match &attempt {
        Attempt::Retry { retry_after, .. } => {
            let delay = next_delay(row.attempts, *retry_after, rand::random::<f64>());
            now_micros() + i64::try_from(delay.as_micros()).unwrap_or(i64::MAX / 2)
        }
        _ => 0,
    };
    let _permit = match gate {
        Some(gate) => gate.acquire().await.ok(),
        None => None,
    };
    let kept = state
        .db
        .run(move |conn| match attempt {
            Attempt::Delivered(note) => outbox::mark_delivered(conn, &id, &lease_token, note),
            Attempt::Retry { kind, error, .. } => {
                outbox::schedule_retry(conn, &id, &lease_token, next_at, kind, &error)
            }
            Attempt::Fail { kind, error } => {
                outbox::mark_failed(conn, &id, &lease_token, kind, &error)
            }
        })
        .await?;
    if !kept {
        tracing::warn!(outbox = %row.id, "lease lost before bookkeeping: another worker owns the row");
    }
    Ok(outcome)
}

/// One attempt: where to post, with which token, and what the platform said.
async fn attempt(state: &AppState, row: &OutboxRow) -> Result<Attempt, StoreError> {
    let (platform, link, remembered, superseded) = {
        let (platform_id, link_id, row) = (
            row.platform_id.clone(),
            row.resource_link_id.clone(),
            row.clone(),
        );
        state
            .db
            .run(move |conn| {
                let platform = platforms::get(conn, &platform_id)?;
                let link = contexts::get_resource_link(conn, &link_id)?;
                let remembered = line_items::find(conn, &link_id)?;
                let superseded = outbox::has_newer(conn, &row)?;
                Ok((platform, link, remembered, superseded))
            })
            .await?
    };
    // Moodle keeps the server's time of a score for an activity's grade item and answers 409 to
    // any older timestamp: posting an old change after a newer one would be refused, and the
    // newer one is what the gradebook must show anyway.
    if superseded {
        return Ok(Attempt::Delivered(Some(ErrorKind::Superseded)));
    }
    // The row's snapshot first; the placement's latest launch fills what it lacks (grades
    // enabled on the activity after the signature, then `cpre outbox retry`).
    let granted: Vec<String> = if row.scopes.trim().is_empty() {
        &link.ags_scopes
    } else {
        &row.scopes
    }
    .split_whitespace()
    .map(str::to_string)
    .collect();
    if !granted.iter().any(|s| s == SCOPE_SCORE) {
        return Ok(Attempt::fail(
            ErrorKind::GradesNotEnabled,
            "notes non activées sur cette activité (Moodle n'accorde pas le service de notes)",
        ));
    }
    let scopes: Vec<String> = [SCOPE_SCORE, SCOPE_LINEITEM_READONLY, SCOPE_LINEITEM]
        .into_iter()
        .filter(|s| granted.iter().any(|g| g == s))
        .map(str::to_string)
        .collect();
    let lineitem = match row
        .lineitem_url
        .clone()
        .or_else(|| link.ags_lineitem.clone())
        .or(remembered)
    {
        Some(url) => url,
        None => match resolve_line_item(state, row, &platform, &link, &scopes).await? {
            Ok(url) => url,
            Err(attempt) => return Ok(attempt),
        },
    };
    let score = if row.completed {
        Score::completion(&row.user_sub, &row.comment, row.score_timestamp)
    } else {
        Score::cleared(&row.user_sub, &row.comment, row.score_timestamp)
    };
    let http = &state.http;
    let result = state
        .tokens
        .call(&platform, &scopes, |token| {
            let (lineitem, score) = (&lineitem, &score);
            async move { ags::post_score(http, &token, lineitem, score).await }
        })
        .await;
    Ok(match result {
        Ok(()) => Attempt::Delivered(None),
        Err(CallError::Service(ServiceError::Status { status: 409, .. })) => {
            Attempt::Delivered(Some(ErrorKind::AlreadyRecorded))
        }
        Err(CallError::Service(ServiceError::Status {
            status: 400, body, ..
        })) => Attempt::fail(
            ErrorKind::NotGradable,
            format!(
                "Moodle a refusé la note (HTTP 400) : utilisateur sans rôle évalué dans le cours ? {body}"
            ),
        ),
        Err(e) => classify(e),
    })
}

/// Finds the tool's line item among the placement's line items, or creates it.
async fn resolve_line_item(
    state: &AppState,
    row: &OutboxRow,
    platform: &Platform,
    link: &ResourceLink,
    scopes: &[String],
) -> Result<Result<String, Attempt>, StoreError> {
    let Some(lineitems) = row
        .lineitems_url
        .clone()
        .or_else(|| link.ags_lineitems.clone())
    else {
        return Ok(Err(Attempt::fail(
            ErrorKind::GradesNotEnabled,
            "notes non activées sur cette activité",
        )));
    };
    let can_read = scopes
        .iter()
        .any(|s| s == SCOPE_LINEITEM || s == SCOPE_LINEITEM_READONLY);
    if !can_read {
        return Ok(Err(Attempt::fail(
            ErrorKind::GradesNotEnabled,
            "notes non activées sur cette activité (pas d'accès aux colonnes de notes)",
        )));
    }
    let http = &state.http;
    let found = state
        .tokens
        .call(platform, scopes, |token| {
            let (lineitems, rlid) = (&lineitems, &link.lti_id);
            async move { ags::find_line_items(http, &token, lineitems, rlid, LINE_ITEM_TAG).await }
        })
        .await;
    let (url, created) = match found {
        Ok(items) => match items.into_iter().find_map(|i| i.id) {
            Some(id) => (id, false),
            None => {
                if !scopes.iter().any(|s| s == SCOPE_LINEITEM) {
                    return Ok(Err(Attempt::fail(
                        ErrorKind::GradesNotEnabled,
                        "notes non activées sur cette activité (pas de droit de créer la colonne)",
                    )));
                }
                let item = LineItem {
                    id: None,
                    label: LINE_ITEM_LABEL.into(),
                    score_maximum: 1.0,
                    resource_id: Some(LINE_ITEM_TAG.into()),
                    tag: Some(LINE_ITEM_TAG.into()),
                    resource_link_id: Some(link.lti_id.clone()),
                };
                let made = state
                    .tokens
                    .call(platform, scopes, |token| {
                        let (lineitems, item) = (&lineitems, &item);
                        async move { ags::create_line_item(http, &token, lineitems, item).await }
                    })
                    .await;
                match made {
                    Ok(LineItem { id: Some(id), .. }) => (id, true),
                    Ok(_) => {
                        return Ok(Err(Attempt::retry(
                            ErrorKind::Refused,
                            "line item without id",
                        )));
                    }
                    Err(e) => return Ok(Err(classify(e))),
                }
            }
        },
        Err(e) => return Ok(Err(classify(e))),
    };
    let link_id = link.id.clone();
    let url = state
        .db
        .run(move |conn| line_items::remember(conn, &link_id, &url, created))
        .await?;
    tracing::info!(resource_link = %link.id, lineitem = %url, created, "line item of the placement");
    Ok(Ok(url))
}

/// Sorts a failed call into retry-later or refused-for-good.
fn classify(error: CallError) -> Attempt {
    match error {
        CallError::Token(e) if e.is_transient() => Attempt::Retry {
            kind: ErrorKind::Unavailable,
            retry_after: match &e {
                crate::lti::client_credentials::TokenError::Service(s) => s.retry_after(),
                _ => None,
            },
            error: e.to_string(),
        },
        // Moodle refuses tokens while the tool is pending or disabled: the administrator may
        // fix it, so keep trying (until the retry period ends).
        CallError::Token(e) => Attempt::retry(ErrorKind::TokenRefused, e.to_string()),
        CallError::Service(e) if e.is_transient() => Attempt::Retry {
            kind: ErrorKind::Unavailable,
            retry_after: e.retry_after(),
            error: e.to_string(),
        },
        CallError::Service(e @ ServiceError::Status { status: 401, .. }) => {
            Attempt::retry(ErrorKind::Unauthorized, e.to_string())
        }
        CallError::Service(e) => Attempt::fail(ErrorKind::Refused, e.to_string()),
    }
}

/// The delay before retry number `attempts + 1`: 30 s doubled per attempt up to 6 h, ±25 %
/// jitter (`unit` in [0, 1)), at least the platform's `Retry-After` (up to a day).
pub fn next_delay(attempts: i32, retry_after: Option<Duration>, unit: f64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let nominal = BASE_DELAY
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(MAX_DELAY);
    let jittered = nominal.mul_f64(0.75 + 0.5 * unit.clamp(0.0, 1.0));
    match retry_after {
        Some(after) => jittered.max(after.min(MAX_RETRY_AFTER)),
        None => jittered,
    }
}

/// The attempts that fit in `days` with the nominal delays: after that, a row is failed.
pub fn max_attempts(days: u64) -> i32 {
    let budget = Duration::from_secs(days.saturating_mul(86_400));
    let mut spent = Duration::ZERO;
    let mut attempts = 1;
    loop {
        let exponent = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(0);
        let delay = BASE_DELAY
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(MAX_DELAY);
        if spent + delay > budget || attempts >= 10_000 {
            return attempts;
        }
        spent += delay;
        attempts += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_ceiling() {
        assert_eq!(next_delay(1, None, 0.5), Duration::from_secs(30));
        assert_eq!(next_delay(2, None, 0.5), Duration::from_secs(60));
        assert_eq!(next_delay(3, None, 0.0), Duration::from_secs(90));
        assert_eq!(next_delay(3, None, 1.0), Duration::from_secs(150));
        assert_eq!(next_delay(40, None, 0.5), MAX_DELAY);
        assert_eq!(
            next_delay(1, Some(Duration::from_secs(600)), 0.5),
            Duration::from_secs(600),
            "Retry-After wins when longer"
        );
        assert_eq!(
            next_delay(1, Some(Duration::from_secs(10 * 86_400)), 0.5),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn retries_last_for_days() {
        // 7 days: 10 doublings (8.5 h) then every 6 h.
        assert_eq!(max_attempts(7), 37);
        assert!(max_attempts(1) < max_attempts(2));
        assert_eq!(max_attempts(0), 1);
    }

    #[test]
    fn failures_are_sorted() {
        let status = |s| {
            CallError::Service(ServiceError::Status {
                status: s,
                body: String::new(),
                retry_after: Some(Duration::from_secs(5)),
            })
        };
        assert!(matches!(
            classify(status(503)),
            Attempt::Retry {
                kind: ErrorKind::Unavailable,
                retry_after: Some(_),
                ..
            }
        ));
        assert!(matches!(
            classify(status(429)),
            Attempt::Retry {
                kind: ErrorKind::Unavailable,
                ..
            }
        ));
        assert!(matches!(
            classify(status(401)),
            Attempt::Retry {
                kind: ErrorKind::Unauthorized,
                ..
            }
        ));
        assert!(matches!(
            classify(status(404)),
            Attempt::Fail {
                kind: ErrorKind::Refused,
                ..
            }
        ));
        assert!(matches!(
            classify(CallError::Service(ServiceError::Transport(
                "refused".into()
            ))),
            Attempt::Retry {
                kind: ErrorKind::Unavailable,
                ..
            }
        ));
    }
}
