//! Courses (LTI contexts) and activity placements (resource links) as seen in launches.

use super::ids::{CourseId, PlatformId};
use diesel::prelude::*;

use super::schema::{contexts, resource_links};
use super::{DbConn, RunOnBackend, StoreResult, columns, new_id, now_micros};

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = contexts)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Context {
    pub id: CourseId,
    pub platform_id: PlatformId,
    pub lti_id: String,
    pub label: String,
    pub title: String,
    pub nrps_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = resource_links)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ResourceLink {
    pub id: String,
    pub context_id: CourseId,
    pub lti_id: String,
    pub deployment_id: String,
    pub title: String,
    pub ags_lineitem: Option<String>,
    pub ags_lineitems: Option<String>,
    /// Space-separated AGS scopes the platform granted.
    pub ags_scopes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A course as a launch describes it.
#[derive(Debug, Clone, Default)]
pub struct ContextSeen {
    pub lti_id: String,
    pub label: String,
    pub title: String,
    pub nrps_url: Option<String>,
}

/// An activity placement as a launch describes it.
#[derive(Debug, Clone, Default)]
pub struct ResourceLinkSeen {
    pub lti_id: String,
    pub deployment_id: String,
    pub title: String,
    pub ags_lineitem: Option<String>,
    pub ags_lineitems: Option<String>,
    pub ags_scopes: Vec<String>,
}

pub fn upsert(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    seen: &ContextSeen,
) -> StoreResult<Context> {
    let now = now_micros();
    let existing = find_by_lti_id(conn, platform_id, &seen.lti_id)?;
    let id = match existing {
        Some(c) => {
            // Keep a known NRPS URL when a launch does not carry one.
            let nrps = seen.nrps_url.clone().or(c.nrps_url.clone());
            if c.label == seen.label && c.title == seen.title && c.nrps_url == nrps {
                return Ok(c);
            }
            diesel::update(contexts::table.find(&c.id))
                .set((
                    contexts::label.eq(&seen.label),
                    contexts::title.eq(&seen.title),
                    contexts::nrps_url.eq(nrps),
                    contexts::updated_at.eq(now),
                ))
                .execute_on(conn)?;
            c.id
        }
        None => {
            let id = CourseId::new();
            diesel::insert_into(contexts::table)
                .values((
                    contexts::id.eq(&id),
                    contexts::platform_id.eq(platform_id),
                    contexts::lti_id.eq(&seen.lti_id),
                    contexts::label.eq(&seen.label),
                    contexts::title.eq(&seen.title),
                    contexts::nrps_url.eq(&seen.nrps_url),
                    contexts::created_at.eq(now),
                    contexts::updated_at.eq(now),
                ))
                .execute_on(conn)?;
            id
        }
    };
    get(conn, &id)
}

pub fn get(conn: &mut DbConn, id: &CourseId) -> StoreResult<Context> {
    Ok(contexts::table
        .find(id)
        .select(columns::<Context>())
        .get_result_on(conn)?)
}

pub fn find_by_lti_id(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    lti_id: &str,
) -> StoreResult<Option<Context>> {
    Ok(contexts::table
        .filter(contexts::platform_id.eq(platform_id))
        .filter(contexts::lti_id.eq(lti_id))
        .select(columns::<Context>())
        .get_result_on(conn)
        .optional()?)
}

pub fn upsert_resource_link(
    conn: &mut DbConn,
    context_id: &CourseId,
    seen: &ResourceLinkSeen,
) -> StoreResult<ResourceLink> {
    let now = now_micros();
    let scopes = seen.ags_scopes.join(" ");
    let existing = resource_links::table
        .filter(resource_links::context_id.eq(context_id))
        .filter(resource_links::lti_id.eq(&seen.lti_id))
        .select(columns::<ResourceLink>())
        .get_result_on::<ResourceLink>(conn)
        .optional()?;
    let id = match existing {
        Some(link) => {
            if link.deployment_id == seen.deployment_id
                && link.title == seen.title
                && link.ags_lineitem == seen.ags_lineitem
                && link.ags_lineitems == seen.ags_lineitems
                && link.ags_scopes == scopes
            {
                return Ok(link);
            }
            diesel::update(resource_links::table.find(&link.id))
                .set((
                    resource_links::deployment_id.eq(&seen.deployment_id),
                    resource_links::title.eq(&seen.title),
                    resource_links::ags_lineitem.eq(&seen.ags_lineitem),
                    resource_links::ags_lineitems.eq(&seen.ags_lineitems),
                    resource_links::ags_scopes.eq(&scopes),
                    resource_links::updated_at.eq(now),
                ))
                .execute_on(conn)?;
            link.id
        }
        None => {
            let id = new_id();
            diesel::insert_into(resource_links::table)
                .values((
                    resource_links::id.eq(&id),
                    resource_links::context_id.eq(context_id),
                    resource_links::lti_id.eq(&seen.lti_id),
                    resource_links::deployment_id.eq(&seen.deployment_id),
                    resource_links::title.eq(&seen.title),
                    resource_links::ags_lineitem.eq(&seen.ags_lineitem),
                    resource_links::ags_lineitems.eq(&seen.ags_lineitems),
                    resource_links::ags_scopes.eq(&scopes),
                    resource_links::created_at.eq(now),
                    resource_links::updated_at.eq(now),
                ))
                .execute_on(conn)?;
            id
        }
    };
    get_resource_link(conn, &id)
}

pub fn get_resource_link(conn: &mut DbConn, id: &str) -> StoreResult<ResourceLink> {
    Ok(resource_links::table
        .find(id)
        .select(columns::<ResourceLink>())
        .get_result_on::<ResourceLink>(conn)?)
}

/// Courses whose LTI context id is `lti_id`, on any platform (operator commands).
pub fn find_all_by_lti_id(conn: &mut DbConn, lti_id: &str) -> StoreResult<Vec<Context>> {
    Ok(contexts::table
        .filter(contexts::lti_id.eq(lti_id))
        .select(columns::<Context>())
        .order(contexts::created_at.asc())
        .load_on(conn)?)
}

/// The course with this tool id, if any.
pub fn find(conn: &mut DbConn, id: &CourseId) -> StoreResult<Option<Context>> {
    Ok(contexts::table
        .find(id)
        .select(columns::<Context>())
        .get_result_on(conn)
        .optional()?)
}

/// The courses of a platform seen in launches, and how many of them are configured (have a
/// `course_configs` row).
pub fn count_of_platform(conn: &mut DbConn, platform_id: &PlatformId) -> StoreResult<(i64, i64)> {
    use super::schema::course_configs;
    let courses = contexts::table
        .filter(contexts::platform_id.eq(platform_id))
        .count()
        .get_result_on::<i64>(conn)?;
    let configured = contexts::table
        .inner_join(course_configs::table.on(course_configs::context_id.eq(contexts::id)))
        .filter(contexts::platform_id.eq(platform_id))
        .count()
        .get_result_on::<i64>(conn)?;
    Ok((courses, configured))
}

/// The Moodle id of the latest placement of a course (the roster follows its access
/// restrictions: NRPS `rlid`).
pub fn latest_placement(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Option<String>> {
    Ok(resource_links::table
        .filter(resource_links::context_id.eq(context_id))
        .order((resource_links::created_at.desc(), resource_links::id.desc()))
        .select(resource_links::lti_id)
        .load_on::<String>(conn)?
        .into_iter()
        .next())
}
