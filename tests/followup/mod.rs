//! The staff follow-up through HTTP: teachers see, validate, comment, reopen and export only their formation's contracts; gestionnaires follow without deciding; designers see the whole course; reminders; and the IDOR battery.

mod flows;
mod idor;
mod not_students;
mod reminders;

use reqwest::StatusCode;

use crate::contract::Page;
use crate::design::{Staff, launch};
use crate::support::app::TestApp;
use crate::support::platform::LaunchSpec;

/// A teacher of Moodle groups `groups` (Instructor), person `sub`.
pub async fn teacher_of(app: &TestApp, sub: &str, groups: &str) -> Staff {
    launch(
        app,
        LaunchSpec::teacher()
            .person(sub, "Dominique", &format!("Enseignant{sub}"), "")
            .groups(groups),
    )
    .await
}

/// GET a follow-up page (`/suivi…`).
pub async fn get(s: &Staff, path: &str) -> Page {
    s.get(&format!("{}/suivi{path}", s.base)).await
}

/// POST raw fields (with the session's CSRF token) to `/suivi{path}`.
pub async fn post(app: &TestApp, s: &Staff, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = app.session_csrf(&s.base).await;
    let mut all: Vec<(String, String)> = vec![("csrf".into(), csrf)];
    all.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    s.post(&format!("{}/suivi{path}", s.base), &all).await
}

/// GET a download: status, content type, bytes.
pub async fn download(s: &Staff, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = s.browser.get(&format!("{}/suivi{path}", s.base)).await;
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, r.bytes().await.unwrap().to_vec())
}

/// The id of the contract of the student `sub` (as launched by `launch_student`).
pub async fn contract_of(app: &TestApp, sub: &str) -> String {
    let wanted = sub.to_owned();
    let users = app
        .state
        .db
        .run(move |conn| {
            use cpre::store::schema::{contracts, users};
            use diesel::prelude::*;
            Ok(contracts::table
                .inner_join(users::table)
                .filter(users::sub.eq(&wanted))
                .select(contracts::id)
                .load::<String>(conn)?)
        })
        .await
        .unwrap();
    users
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no contract for {sub}"))
}

/// Roster members (from NRPS) and their Moodle groups (from the web service) as a sync would
/// store them in course 2.
pub async fn store_roster(app: &TestApp, members: serde_json::Value, groups: serde_json::Value) {
    let members: Vec<cpre::lti::nrps::Member> = serde_json::from_value(members).unwrap();
    let groups: Vec<cpre::moodle_ws::GroupMembers> = serde_json::from_value(groups).unwrap();
    let names: Vec<cpre::moodle_ws::CourseGroup> = serde_json::from_value(serde_json::json!([
        {"id": 1, "name": "L1 Mathématiques"},
        {"id": 2, "name": "L1 Physique"},
    ]))
    .unwrap();
    app.state
        .db
        .run(move |conn| {
            use cpre::store::schema::contexts;
            use diesel::prelude::*;
            let ctx: cpre::store::ids::CourseId = contexts::table
                .filter(contexts::lti_id.eq("2"))
                .select(contexts::id)
                .get_result(conn)?;
            let now = cpre::store::now_micros();
            cpre::store::roster::replace(conn, &ctx, &members, now)?;
            cpre::store::groups::replace(conn, &ctx, &names, &groups, now)?;
            Ok(())
        })
        .await
        .unwrap();
}
