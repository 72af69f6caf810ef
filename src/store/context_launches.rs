//! Who opened the tool in which course: the first and the latest launch (the latter kept to
//! the hour, so that a returning user usually costs one read and no write).

use diesel::prelude::*;

use super::ids::{CourseId, UserId};
use super::schema::{context_launches, users};
use super::{DbConn, RunOnBackend, StoreResult};

/// The latest launch is rewritten only when it is older than this.
const REFRESH_MICROS: i64 = 3_600_000_000;

/// Records a launch of `user_id` in `context_id`, and whether it was made with a staff role
/// (once made with one, the user stays staff of the course) (caller's transaction).
pub fn record(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
    now: i64,
    staff: bool,
) -> StoreResult<()> {
    let seen: Option<(i64, bool)> = context_launches::table
        .find((context_id, user_id))
        .select((context_launches::last_at, context_launches::staff))
        .get_result_on(conn)
        .optional()?;
    match seen {
        None => {
            diesel::insert_into(context_launches::table)
                .values((
                    context_launches::context_id.eq(context_id),
                    context_launches::user_id.eq(user_id),
                    context_launches::first_at.eq(now),
                    context_launches::last_at.eq(now),
                    context_launches::staff.eq(staff),
                ))
                .execute_on(conn)?;
        }
        Some((last, was_staff)) if last < now - REFRESH_MICROS || (staff && !was_staff) => {
            diesel::update(context_launches::table.find((context_id, user_id)))
                .set((
                    context_launches::last_at.eq(now),
                    context_launches::staff.eq(staff || was_staff),
                ))
                .execute_on(conn)?;
        }
        Some(_) => {}
    }
    Ok(())
}

/// Someone who opened the tool in a course, and when.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct CourseLaunches {
    pub user_id: UserId,
    pub sub: String,
    pub first_at: i64,
    pub last_at: i64,
}

/// Users who launched in a course, with their first and latest launch.
pub fn of_context(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<CourseLaunches>> {
    Ok(context_launches::table
        .inner_join(users::table)
        .filter(context_launches::context_id.eq(context_id))
        .select((
            users::id,
            users::sub,
            context_launches::first_at,
            context_launches::last_at,
        ))
        .load_on(conn)?)
}

/// Courses with a launch since `since` (microseconds).
pub fn contexts_launched_since(conn: &mut DbConn, since: i64) -> StoreResult<Vec<CourseId>> {
    Ok(context_launches::table
        .filter(context_launches::last_at.gt(since))
        .select(context_launches::context_id)
        .distinct()
        .order(context_launches::context_id.asc())
        .load_on(conn)?)
}
