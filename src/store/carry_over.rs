//! Moving a registration's courses and people to another registration of the same platform
//! (Moodle registered the tool again and gave it a new client id): the queries of
//! `registration::carry_over`.

use diesel::prelude::*;

use super::ids::{CourseId, PlatformId, UserId};
use super::schema::{
    contexts, contract_comments, contract_signatures, contracts, course_configs, course_grants,
    formations, grade_outbox, platform_webservices, questionnaire_drafts, questionnaire_versions,
    sessions, users,
};
use super::{DbConn, RunOnBackend, StoreResult};

/// A course of a registration, as a carry-over sees it.
#[derive(Debug, Clone, Queryable)]
pub struct RegisteredCourse {
    pub id: CourseId,
    /// Moodle's course id (the LTI context id).
    pub lti_id: String,
    pub title: String,
}

/// A person of a registration, as a carry-over sees them.
#[derive(Debug, Clone, Queryable)]
pub struct RegisteredPerson {
    pub id: UserId,
    pub sub: String,
}

/// Every course of a registration, by Moodle course id.
pub fn courses(conn: &mut DbConn, platform_id: &PlatformId) -> StoreResult<Vec<RegisteredCourse>> {
    Ok(contexts::table
        .filter(contexts::platform_id.eq(platform_id))
        .order(contexts::lti_id.asc())
        .select((contexts::id, contexts::lti_id, contexts::title))
        .load_on(conn)?)
}

/// Every person of a registration.
pub fn people(conn: &mut DbConn, platform_id: &PlatformId) -> StoreResult<Vec<RegisteredPerson>> {
    Ok(users::table
        .filter(users::platform_id.eq(platform_id))
        .select((users::id, users::sub))
        .load_on(conn)?)
}

/// True when a course holds anything but the traces of launches: a configuration,
/// formations, questionnaires, drafts, grants or contracts.
pub fn course_holds_data(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<bool> {
    let counts = [
        course_configs::table
            .filter(course_configs::context_id.eq(context_id))
            .count()
            .get_result_on::<i64>(conn)?,
        formations::table
            .filter(formations::context_id.eq(context_id))
            .count()
            .get_result_on::<i64>(conn)?,
        questionnaire_versions::table
            .filter(questionnaire_versions::context_id.eq(context_id))
            .count()
            .get_result_on::<i64>(conn)?,
        questionnaire_drafts::table
            .filter(questionnaire_drafts::context_id.eq(context_id))
            .count()
            .get_result_on::<i64>(conn)?,
        course_grants::table
            .filter(course_grants::context_id.eq(context_id))
            .count()
            .get_result_on::<i64>(conn)?,
        contracts::table
            .filter(contracts::context_id.eq(context_id))
            .count()
            .get_result_on::<i64>(conn)?,
    ];
    Ok(counts.iter().any(|n| *n > 0))
}

/// True when a person holds anything but the traces of launches: contracts, signatures,
/// comments, grants, or gradebook deliveries.
pub fn person_holds_data(conn: &mut DbConn, user_id: &UserId) -> StoreResult<bool> {
    let counts = [
        contracts::table
            .filter(contracts::user_id.eq(user_id))
            .count()
            .get_result_on::<i64>(conn)?,
        contract_signatures::table
            .filter(contract_signatures::signed_by.eq(user_id))
            .count()
            .get_result_on::<i64>(conn)?,
        contract_comments::table
            .filter(contract_comments::author_id.eq(user_id))
            .count()
            .get_result_on::<i64>(conn)?,
        course_grants::table
            .filter(course_grants::user_id.eq(user_id))
            .count()
            .get_result_on::<i64>(conn)?,
        grade_outbox::table
            .filter(grade_outbox::user_id.eq(user_id))
            .count()
            .get_result_on::<i64>(conn)?,
    ];
    Ok(counts.iter().any(|n| *n > 0))
}

/// Sessions opened in course `twin` (about to be dropped) continue in course `kept`, on the
/// placement with the same Moodle id when it has one.
pub fn keep_sessions_of_course(
    conn: &mut DbConn,
    twin: &CourseId,
    kept: &CourseId,
) -> StoreResult<()> {
    use super::schema::resource_links;
    let open: Vec<(String, Option<String>)> = sessions::table
        .left_join(
            resource_links::table.on(resource_links::id.nullable().eq(sessions::resource_link_id)),
        )
        .filter(sessions::context_id.eq(twin))
        .select((sessions::id, resource_links::lti_id.nullable()))
        .load_on(conn)?;
    for (session, link) in open {
        let placement: Option<String> = match link {
            Some(lti_id) => resource_links::table
                .filter(resource_links::context_id.eq(kept))
                .filter(resource_links::lti_id.eq(lti_id))
                .select(resource_links::id)
                .get_result_on(conn)
                .optional()?,
            None => None,
        };
        diesel::update(sessions::table.find(&session))
            .set((
                sessions::context_id.eq(kept),
                sessions::resource_link_id.eq(placement),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

/// Sessions of person `twin` (about to be dropped) continue as person `kept`.
pub fn keep_sessions_of_person(conn: &mut DbConn, twin: &UserId, kept: &UserId) -> StoreResult<()> {
    diesel::update(sessions::table.filter(sessions::user_id.eq(twin)))
        .set(sessions::user_id.eq(kept))
        .execute_on(conn)?;
    Ok(())
}

/// Deletes a course that holds only launch traces (they go with it).
pub fn drop_course(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<()> {
    diesel::delete(contexts::table.find(context_id)).execute_on(conn)?;
    Ok(())
}

/// Deletes a person who holds only launch traces (they go with them).
pub fn drop_person(conn: &mut DbConn, user_id: &UserId) -> StoreResult<()> {
    diesel::delete(users::table.find(user_id)).execute_on(conn)?;
    Ok(())
}

/// Moves every course, person and pending gradebook delivery of registration `from` to
/// registration `to`, gives `to` the web service token of `from` when it has none, and ends
/// the sessions opened through `from`. Returns (courses, people) moved.
pub fn move_all(
    conn: &mut DbConn,
    from: &PlatformId,
    to: &PlatformId,
) -> StoreResult<(usize, usize)> {
    let courses = diesel::update(contexts::table.filter(contexts::platform_id.eq(from)))
        .set(contexts::platform_id.eq(to))
        .execute_on(conn)?;
    let people = diesel::update(users::table.filter(users::platform_id.eq(from)))
        .set(users::platform_id.eq(to))
        .execute_on(conn)?;
    diesel::update(grade_outbox::table.filter(grade_outbox::platform_id.eq(from)))
        .set(grade_outbox::platform_id.eq(to))
        .execute_on(conn)?;
    diesel::delete(sessions::table.filter(sessions::platform_id.eq(from))).execute_on(conn)?;
    let target_has_token = platform_webservices::table
        .find(to)
        .count()
        .get_result_on::<i64>(conn)?
        > 0;
    if !target_has_token {
        diesel::update(platform_webservices::table.find(from))
            .set(platform_webservices::platform_id.eq(to))
            .execute_on(conn)?;
    }
    Ok((courses, people))
}
