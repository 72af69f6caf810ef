//! Recording a verified launch: the user, the course, the placement, the user's groups, and
//! that the user opened the tool in that course (a launch outside any course records the user
//! only).

use super::contexts::{self, Context, ContextSeen, ResourceLink, ResourceLinkSeen};
use super::ids::PlatformId;
use super::users::{self, User};
use super::{DbConn, StoreResult};
use crate::lti::launch::Launch;

/// What a launch recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub user: User,
    /// The course, unless the platform launched the tool outside any course.
    pub context: Option<Context>,
    pub resource_link: Option<ResourceLink>,
}

/// Records the user, context, resource link and group ids of a launch (caller's transaction).
pub fn record(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    launch: &Launch,
) -> StoreResult<Recorded> {
    let user = users::upsert(conn, platform_id, &launch.user)?;
    let Some(claim) = &launch.context else {
        return Ok(Recorded {
            user,
            context: None,
            resource_link: None,
        });
    };
    let context = contexts::upsert(
        conn,
        platform_id,
        &ContextSeen {
            lti_id: claim.id.clone(),
            label: claim.label.clone().unwrap_or_default(),
            title: claim.title.clone().unwrap_or_default(),
            nrps_url: launch
                .nrps
                .as_ref()
                .map(|n| n.context_memberships_url.clone()),
        },
    )?;
    let resource_link = match &launch.resource_link {
        Some(link) => {
            let ags = launch.ags.clone().unwrap_or_default();
            Some(contexts::upsert_resource_link(
                conn,
                &context.id,
                &ResourceLinkSeen {
                    lti_id: link.id.clone(),
                    deployment_id: launch.deployment_id.clone(),
                    title: link.title.clone().unwrap_or_default(),
                    ags_lineitem: ags.lineitem,
                    ags_lineitems: ags.lineitems,
                    ags_scopes: ags.scope,
                },
            )?)
        }
        None => None,
    };
    users::set_groups(conn, &context.id, &user.id, &launch.group_ids)?;
    let staff = launch.tool_role >= crate::lti::roles::ToolRole::Teacher;
    super::context_launches::record(conn, &context.id, &user.id, super::now_micros(), staff)?;
    Ok(Recorded {
        user,
        context: Some(context),
        resource_link,
    })
}
