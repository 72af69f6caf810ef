//! The Moodle groups of each course, their members and the course roles of its users, as
//! the platform's web service gave them (`roster::groups` reads them), and the group overview
//! staff see: by name when known, else by id with how many users who launched are in each.

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;

use super::ids::CourseId;
use crate::moodle_ws::{self, CourseGroup, GroupMembers};
use crate::store::schema::{moodle_group_members, moodle_groups};
use crate::store::{DbConn, RunOnBackend, StoreResult, users};

/// What a group synchronisation found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupsReport {
    pub groups: usize,
    pub memberships: usize,
    /// Enrolled users whose course roles were read; `None` when Moodle refused to give them
    /// (the function is not in the token's service): the roles stored before are kept.
    pub roles: Option<usize>,
}

/// Moodle course roles that make a person staff of the course, never a student.
pub const STAFF_ROLES: &[&str] = &["editingteacher", "teacher", "manager", "coursecreator"];

/// Replaces the stored groups and memberships of a course (caller's transaction).
pub fn replace(
    conn: &mut DbConn,
    context_id: &CourseId,
    groups: &[CourseGroup],
    members: &[GroupMembers],
    now: i64,
) -> StoreResult<GroupsReport> {
    diesel::delete(
        moodle_group_members::table.filter(moodle_group_members::context_id.eq(context_id)),
    )
    .execute_on(conn)?;
    diesel::delete(moodle_groups::table.filter(moodle_groups::context_id.eq(context_id)))
        .execute_on(conn)?;
    let mut known = HashSet::new();
    for g in groups {
        if !known.insert(g.id) {
            continue;
        }
        diesel::insert_into(moodle_groups::table)
            .values((
                moodle_groups::context_id.eq(context_id),
                moodle_groups::group_id.eq(g.id),
                moodle_groups::name.eq(&g.name),
                moodle_groups::idnumber.eq(&g.idnumber),
                moodle_groups::synced_at.eq(now),
            ))
            .execute_on(conn)?;
    }
    let mut memberships = 0;
    let mut seen = HashSet::new();
    for m in members.iter().filter(|m| known.contains(&m.groupid)) {
        for user in &m.userids {
            if !seen.insert((m.groupid, *user)) {
                continue;
            }
            diesel::insert_into(moodle_group_members::table)
                .values((
                    moodle_group_members::context_id.eq(context_id),
                    moodle_group_members::group_id.eq(m.groupid),
                    moodle_group_members::user_sub.eq(user.to_string()),
                ))
                .execute_on(conn)?;
            memberships += 1;
        }
    }
    Ok(GroupsReport {
        groups: known.len(),
        memberships,
        roles: None,
    })
}

/// Replaces the stored course roles of a course's enrolled users (caller's transaction).
/// Returns how many users were read.
pub fn replace_roles(
    conn: &mut DbConn,
    context_id: &CourseId,
    users: &[moodle_ws::EnrolledUser],
) -> StoreResult<usize> {
    use crate::store::schema::moodle_course_roles;
    diesel::delete(
        moodle_course_roles::table.filter(moodle_course_roles::context_id.eq(context_id)),
    )
    .execute_on(conn)?;
    let mut seen = HashSet::new();
    for user in users {
        for role in &user.roles {
            if !seen.insert((user.id, role.shortname.as_str())) {
                continue;
            }
            diesel::insert_into(moodle_course_roles::table)
                .values((
                    moodle_course_roles::context_id.eq(context_id),
                    moodle_course_roles::user_sub.eq(user.id.to_string()),
                    moodle_course_roles::shortname.eq(&role.shortname),
                ))
                .execute_on(conn)?;
        }
    }
    Ok(users.len())
}

/// A Moodle group of a course as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupOverview {
    pub group_id: i64,
    /// Known when the platform has a web service token and the groups were synchronised.
    pub name: Option<String>,
    pub idnumber: Option<String>,
    /// Users who launched the tool with this group in their launch.
    pub launched_users: i64,
    /// Members according to Moodle's web service (when known).
    pub members: Option<i64>,
}

/// The groups of a course: those seen in launches and those the web service gave, by id.
pub fn overview(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<GroupOverview>> {
    let mut by_id: BTreeMap<i64, GroupOverview> = BTreeMap::new();
    for (group_id, launched) in users::group_counts(conn, context_id)? {
        by_id.insert(
            group_id,
            GroupOverview {
                group_id,
                name: None,
                idnumber: None,
                launched_users: launched,
                members: None,
            },
        );
    }
    let named: Vec<(i64, String, String)> = moodle_groups::table
        .filter(moodle_groups::context_id.eq(context_id))
        .select((
            moodle_groups::group_id,
            moodle_groups::name,
            moodle_groups::idnumber,
        ))
        .load_on(conn)?;
    let counts: BTreeMap<i64, i64> = moodle_group_members::table
        .filter(moodle_group_members::context_id.eq(context_id))
        .group_by(moodle_group_members::group_id)
        .select((moodle_group_members::group_id, diesel::dsl::count_star()))
        .load_on::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    for (group_id, name, idnumber) in named {
        let entry = by_id.entry(group_id).or_insert(GroupOverview {
            group_id,
            name: None,
            idnumber: None,
            launched_users: 0,
            members: None,
        });
        entry.name = Some(name);
        entry.idnumber = (!idnumber.is_empty()).then_some(idnumber);
        entry.members = Some(counts.get(&group_id).copied().unwrap_or(0));
    }
    let mut list: Vec<GroupOverview> = by_id.into_values().collect();
    list.sort_by(|a, b| match (&a.name, &b.name) {
        (Some(x), Some(y)) => x.cmp(y).then(a.group_id.cmp(&b.group_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.group_id.cmp(&b.group_id),
    });
    Ok(list)
}

/// Group names of a course by id (empty without a web service).
pub fn names(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<BTreeMap<i64, String>> {
    Ok(moodle_groups::table
        .filter(moodle_groups::context_id.eq(context_id))
        .select((moodle_groups::group_id, moodle_groups::name))
        .load_on::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Group ids of each member (`sub`) according to the web service: how students who never
/// launched are placed in their formation.
pub fn member_groups(
    conn: &mut DbConn,
    context_id: &CourseId,
) -> StoreResult<BTreeMap<String, Vec<i64>>> {
    let rows: Vec<(String, i64)> = moodle_group_members::table
        .filter(moodle_group_members::context_id.eq(context_id))
        .select((
            moodle_group_members::user_sub,
            moodle_group_members::group_id,
        ))
        .order((
            moodle_group_members::user_sub.asc(),
            moodle_group_members::group_id.asc(),
        ))
        .load_on(conn)?;
    let mut map: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (sub, group) in rows {
        map.entry(sub).or_default().push(group);
    }
    Ok(map)
}
