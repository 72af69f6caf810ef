//! Synchronising a course's roster: every page of the NRPS memberships (with the placement's
//! `rlid`, following `rel="next"` on the platform only), stored in one transaction, then the
//! groups when the platform has a web service token; and the schedule of the worker.

use serde::Serialize;

use crate::access_tokens::CallError;
use crate::lti::http::same_origin;
use crate::lti::nrps::{self, SCOPE_MEMBERSHIP_READONLY};
use crate::state::AppState;
use crate::store::{StoreError, context_launches, contexts, now_micros, platforms};

use super::groups::{self, GroupsError};
use crate::store::groups::GroupsReport;
use crate::store::ids::CourseId;
use crate::store::roster::{self, Replaced};

/// Members asked per page.
pub const PAGE_SIZE: u32 = 200;
/// Pages followed at most (200 000 members).
pub const MAX_PAGES: usize = 1000;
/// Only courses launched within this window are synchronised by the schedule.
const RECENT_MICROS: i64 = 30 * 86_400 * 1_000_000;
/// A scheduled synchronisation holds its course this long at most.
const LEASE_MICROS: i64 = 15 * 60 * 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("this course's launches carry no roster service (NRPS is not enabled for the tool)")]
    NoRoster,
    #[error("roster service: {0}")]
    Call(#[from] CallError),
    #[error("the roster has more than {MAX_PAGES} pages")]
    TooManyPages,
    #[error("a next page link leaves the platform: {0}")]
    ForeignLink(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a synchronisation did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub pages: usize,
    pub members: Replaced,
    /// `None` without a web service token; the error text when the groups failed.
    pub groups: Option<Result<GroupsReport, String>>,
}

/// Fetches the whole roster of a course and stores it; then its groups (when the platform
/// has a web service token). Failures are recorded in the course's sync state.
pub async fn sync_context(
    state: &AppState,
    context_id: &CourseId,
) -> Result<SyncReport, RosterError> {
    let id = context_id.clone();
    let (context, platform, rlid) = state
        .db
        .run(move |conn| {
            let context = contexts::get(conn, &id)?;
            let platform = platforms::get(conn, &context.platform_id)?;
            let rlid = contexts::latest_placement(conn, &id)?;
            Ok((context, platform, rlid))
        })
        .await?;
    let Some(nrps_url) = context.nrps_url.clone() else {
        return Err(RosterError::NoRoster);
    };
    let fetched = fetch_all(state, &platform, &nrps_url, rlid.as_deref()).await;
    let now = now_micros();
    let context_id = context.id.clone();
    let (members, pages) = match fetched {
        Ok(found) => found,
        Err(e) => {
            let message = e.to_string();
            state
                .db
                .run(move |conn| roster::record_failure(conn, &context_id, now, &message))
                .await?;
            return Err(e);
        }
    };
    let replaced = state
        .db
        .write(move |conn| {
            let replaced = roster::replace(conn, &context_id, &members, now)?;
            roster::record_success(conn, &context_id, now, replaced.total)?;
            Ok(replaced)
        })
        .await?;
    tracing::info!(context = %context.id, pages, total = replaced.total, added = replaced.added, removed = replaced.removed, "roster synchronised");
    let groups = match groups::sync(state, &context).await {
        Ok(report) => Some(Ok(report)),
        Err(GroupsError::NotConfigured) => None,
        Err(e) => {
            tracing::warn!(context = %context.id, error = %e, "group synchronisation failed");
            Some(Err(e.to_string()))
        }
    };
    Ok(SyncReport {
        pages,
        members: replaced,
        groups,
    })
}

async fn fetch_all(
    state: &AppState,
    platform: &platforms::Platform,
    nrps_url: &str,
    rlid: Option<&str>,
) -> Result<(Vec<nrps::Member>, usize), RosterError> {
    let scopes = vec![SCOPE_MEMBERSHIP_READONLY.to_string()];
    let mut url = nrps::first_page_url(nrps_url, rlid, PAGE_SIZE)
        .map_err(CallError::from)?
        .to_string();
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(RosterError::TooManyPages);
        }
        let http = &state.http;
        let page = state
            .tokens
            .call(platform, &scopes, |token| {
                let url = &url;
                async move { nrps::fetch_page(http, &token, url).await }
            })
            .await?;
        all.extend(page.members);
        match page.next {
            Some(next) if same_origin(nrps_url, &next) => url = next,
            Some(next) => return Err(RosterError::ForeignLink(next)),
            None => break,
        }
    }
    Ok((all, pages))
}

/// One round of the schedule: the courses launched in the last 30 days whose roster is older
/// than `CPRE_ROSTER_SYNC_HOURS`, each reserved so that one instance does it. Returns how
/// many were synchronised.
pub async fn scheduled_round(state: &AppState) -> Result<usize, StoreError> {
    let now = now_micros();
    let interval = i64::try_from(
        state
            .settings
            .roster_sync_hours
            .saturating_mul(3_600_000_000),
    )
    .unwrap_or(i64::MAX / 2);
    let candidates = state
        .db
        .run(move |conn| {
            let ids = context_launches::contexts_launched_since(conn, now - RECENT_MICROS)?;
            let mut due = Vec::new();
            for id in ids {
                let has_roster = contexts::get(conn, &id)?.nrps_url.is_some();
                if has_roster && roster::try_lease(conn, &id, now, LEASE_MICROS, interval)? {
                    due.push(id);
                }
            }
            Ok(due)
        })
        .await?;
    let mut done = 0;
    for id in candidates {
        match sync_context(state, &id).await {
            Ok(_) => done += 1,
            Err(e) => {
                tracing::warn!(context = %id, error = %e, "scheduled roster synchronisation failed")
            }
        }
    }
    Ok(done)
}
