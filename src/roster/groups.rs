//! Moodle group names and members of a course, and the course roles of its users, read
//! through the platform's optional web service token and stored (`store::groups`).

use crate::moodle_ws::{self, CourseGroup, GroupMembers, WebService, WsError};
use crate::state::AppState;
use crate::store::contexts::Context;
use crate::store::groups::{self, GroupsReport};
use crate::store::{StoreError, now_micros, platforms, roster};

#[derive(Debug, thiserror::Error)]
pub enum GroupsError {
    #[error("no Moodle web service token for this platform (cpre platform webservice)")]
    NotConfigured,
    #[error(transparent)]
    Ws(#[from] WsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the course's groups and their members from Moodle and stores them (replacing the
/// previous ones). The outcome is recorded in the course's sync state.
pub async fn sync(state: &AppState, context: &Context) -> Result<GroupsReport, GroupsError> {
    let platform_id = context.platform_id.clone();
    let ws = state
        .db
        .run(move |conn| platforms::webservice(conn, &platform_id))
        .await?
        .ok_or(GroupsError::NotConfigured)?;
    let result = fetch(state, &ws, &context.lti_id).await;
    // The roles are a separate permission of the token: without them, groups still come in.
    let roles = match moodle_ws::course_id(&context.lti_id) {
        Ok(course) => match moodle_ws::enrolled_roles(&state.http, &ws, course).await {
            Ok(users) => Some(users),
            Err(e) => {
                tracing::warn!(context = %context.id, error = %e, "course roles not read");
                None
            }
        },
        Err(_) => None,
    };
    let context_id = context.id.clone();
    let now = now_micros();
    match result {
        Ok((groups, members)) => {
            let report = state
                .db
                .write(move |conn| {
                    let mut report = groups::replace(conn, &context_id, &groups, &members, now)?;
                    if let Some(users) = &roles {
                        report.roles = Some(groups::replace_roles(conn, &context_id, users)?);
                    }
                    roster::record_groups(conn, &context_id, now, None)?;
                    Ok(report)
                })
                .await?;
            Ok(report)
        }
        Err(e) => {
            let message = e.to_string();
            state
                .db
                .run(move |conn| roster::record_groups(conn, &context_id, now, Some(&message)))
                .await?;
            Err(e.into())
        }
    }
}

async fn fetch(
    state: &AppState,
    ws: &WebService,
    lti_context_id: &str,
) -> Result<(Vec<CourseGroup>, Vec<GroupMembers>), WsError> {
    let course = moodle_ws::course_id(lti_context_id)?;
    let groups = moodle_ws::course_groups(&state.http, ws, course).await?;
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let members = if ids.is_empty() {
        Vec::new()
    } else {
        moodle_ws::group_members(&state.http, ws, &ids).await?
    };
    Ok((groups, members))
}
