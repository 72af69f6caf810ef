//! Users as seen in launches (one per platform and `sub`) and the Moodle groups they belong to.

use super::ids::{CourseId, PlatformId, UserId};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::{user_groups, users};
use super::{DbConn, RunOnBackend, StoreResult, columns, now_micros};

pub use crate::lti::person::Person;

/// A person as one registration knows them (`users`): the platform's description of them
/// (read through `Deref`: `user.name`), kept up to date at each launch.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct User {
    pub id: UserId,
    pub platform_id: PlatformId,
    #[diesel(embed)]
    #[serde(flatten)]
    pub person: Person,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::ops::Deref for User {
    type Target = Person;
    fn deref(&self) -> &Person {
        &self.person
    }
}

/// The person columns of a table, in [`Person`]'s field order.
type PersonColumns = (Text, Text, Text, Text, Text, Text, Text);

impl<DB: diesel::backend::Backend> Queryable<PersonColumns, DB> for Person
where
    (String, String, String, String, String, String, String):
        diesel::deserialize::FromStaticSqlRow<PersonColumns, DB>,
{
    type Row = (String, String, String, String, String, String, String);

    fn build(row: Self::Row) -> diesel::deserialize::Result<Self> {
        let (sub, name, given_name, family_name, email, person_sourcedid, username) = row;
        Ok(Person {
            sub,
            name,
            given_name,
            family_name,
            email,
            person_sourcedid,
            username,
        })
    }
}

/// A person's columns in `users` (a roster row selects its own).
impl<DB: diesel::backend::Backend> Selectable<DB> for Person {
    type SelectExpression = (
        users::sub,
        users::name,
        users::given_name,
        users::family_name,
        users::email,
        users::person_sourcedid,
        users::username,
    );

    fn construct_selection() -> Self::SelectExpression {
        (
            users::sub,
            users::name,
            users::given_name,
            users::family_name,
            users::email,
            users::person_sourcedid,
            users::username,
        )
    }
}

/// Records the user (insert, or refresh the identity when it changed) and returns the row.
/// A returning user with the same identity costs one read and no write.
pub fn upsert(conn: &mut DbConn, platform_id: &PlatformId, who: &Person) -> StoreResult<User> {
    let now = now_micros();
    let existing = users::table
        .filter(users::platform_id.eq(platform_id))
        .filter(users::sub.eq(&who.sub))
        .select(columns::<User>())
        .get_result_on::<User>(conn)
        .optional()?;
    if let Some(user) = existing {
        if user.person == *who {
            return Ok(user);
        }
        diesel::update(users::table.find(&user.id))
            .set((
                users::name.eq(&who.name),
                users::given_name.eq(&who.given_name),
                users::family_name.eq(&who.family_name),
                users::email.eq(&who.email),
                users::person_sourcedid.eq(&who.person_sourcedid),
                users::username.eq(&who.username),
                users::updated_at.eq(now),
            ))
            .execute_on(conn)?;
        return get(conn, &user.id);
    }
    let id = UserId::new();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::platform_id.eq(platform_id),
            users::sub.eq(&who.sub),
            users::name.eq(&who.name),
            users::given_name.eq(&who.given_name),
            users::family_name.eq(&who.family_name),
            users::email.eq(&who.email),
            users::person_sourcedid.eq(&who.person_sourcedid),
            users::username.eq(&who.username),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute_on(conn)?;
    get(conn, &id)
}

pub fn get(conn: &mut DbConn, id: &UserId) -> StoreResult<User> {
    Ok(users::table
        .find(id)
        .select(columns::<User>())
        .get_result_on::<User>(conn)?)
}

/// Replaces the Moodle group ids of a user in a course with those of the latest launch
/// (no write when they did not change).
pub fn set_groups(
    conn: &mut DbConn,
    context_id: &CourseId,
    user_id: &UserId,
    group_ids: &[i64],
) -> StoreResult<()> {
    let mut known: Vec<i64> = user_groups::table
        .filter(user_groups::context_id.eq(context_id))
        .filter(user_groups::user_id.eq(user_id))
        .select(user_groups::group_id)
        .load_on(conn)?;
    known.sort_unstable();
    let mut wanted = group_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if known == wanted {
        return Ok(());
    }
    diesel::delete(
        user_groups::table
            .filter(user_groups::context_id.eq(context_id))
            .filter(user_groups::user_id.eq(user_id)),
    )
    .execute_on(conn)?;
    let now = now_micros();
    for group in &wanted {
        diesel::insert_into(user_groups::table)
            .values((
                user_groups::context_id.eq(context_id),
                user_groups::user_id.eq(user_id),
                user_groups::group_id.eq(*group),
                user_groups::seen_at.eq(now),
            ))
            .execute_on(conn)?;
    }
    Ok(())
}

/// Group ids seen in launches of a course, with how many distinct users are in each.
pub fn group_counts(conn: &mut DbConn, context_id: &CourseId) -> StoreResult<Vec<(i64, i64)>> {
    Ok(user_groups::table
        .filter(user_groups::context_id.eq(context_id))
        .group_by(user_groups::group_id)
        .select((user_groups::group_id, diesel::dsl::count_star()))
        .order(user_groups::group_id.asc())
        .load_on(conn)?)
}

/// The users of a platform among `ids`, or whose `sub` is among `subs`.
pub fn by_ids_or_subs(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    ids: &[UserId],
    subs: &[String],
) -> StoreResult<Vec<User>> {
    Ok(users::table
        .filter(users::platform_id.eq(platform_id))
        .filter(users::id.eq_any(ids).or(users::sub.eq_any(subs)))
        .select(columns::<User>())
        .load_on(conn)?)
}

/// The names of users by id.
pub fn names_of(
    conn: &mut DbConn,
    ids: &[UserId],
) -> StoreResult<std::collections::HashMap<UserId, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load_on::<(UserId, String)>(conn)?
        .into_iter()
        .collect())
}

/// The users with these ids.
pub fn by_ids(conn: &mut DbConn, ids: &[UserId]) -> StoreResult<Vec<User>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(columns::<User>())
        .load_on(conn)?)
}

/// The user `sub` of a platform, if the tool knows them.
pub fn find_by_sub(
    conn: &mut DbConn,
    platform_id: &PlatformId,
    sub: &str,
) -> StoreResult<Option<User>> {
    Ok(users::table
        .filter(users::platform_id.eq(platform_id))
        .filter(users::sub.eq(sub))
        .select(columns::<User>())
        .get_result_on(conn)
        .optional()?)
}
