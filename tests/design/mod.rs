//! The designer's screens through HTTP: formations, groups, formation data, questionnaires (import, editor, form editor, publication, preview), academic years, history, grants, journal; and every refusal (teachers, CSRF, another course).

mod formations;
mod grants;
mod preview;
mod questionnaires;
mod refusals;
mod years;

use reqwest::StatusCode;
use serde_json::json;

use crate::contract::{Form, Page, Student};
use crate::support::app::TestApp;
use crate::support::platform::LaunchSpec;

/// A launched staff member (a browser with its session).
pub type Staff = Student;

/// Launches `spec` and returns the session.
pub async fn launch(app: &TestApp, spec: LaunchSpec) -> Staff {
    let browser = app.browser();
    let launched = browser.launch(&app.platform, spec).await;
    Student {
        browser,
        base: launched.base,
        home: launched.page,
    }
}

/// A platform administrator of course 2 (a designer of every course of the platform).
pub async fn designer(app: &TestApp) -> Staff {
    launch(app, LaunchSpec::admin()).await
}

/// A platform administrator in another course (`context`).
pub async fn designer_of(app: &TestApp, context: &str) -> Staff {
    launch(
        app,
        LaunchSpec::admin().claim(
            "https://purl.imsglobal.org/spec/lti/claim/context",
            json!({"id": context, "label": format!("C{context}"), "title": format!("Cours {context}")}),
        ),
    )
    .await
}

/// A teacher of group 1 (Instructor, not a designer).
pub async fn teacher(app: &TestApp) -> Staff {
    launch(app, LaunchSpec::teacher().groups("1")).await
}

/// GET a configuration page (`/config…`).
pub async fn get(s: &Staff, path: &str) -> Page {
    s.get(&format!("{}/config{path}", s.base)).await
}

/// Posts the form of `page` whose action ends with `suffix`, with `changes` applied.
pub async fn post_form(s: &Staff, page: &Page, suffix: &str, changes: &[(&str, &[&str])]) -> Page {
    let mut form: Form = page.form(suffix);
    for (name, values) in changes {
        form = form.set(name, values);
    }
    s.post(&form.action, &form.fields).await
}

/// Posts raw fields (with the session's CSRF token) to `/config{path}`.
pub async fn post(app: &TestApp, s: &Staff, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = app.session_csrf(&s.base).await;
    let mut all: Vec<(String, String)> = vec![("csrf".into(), csrf)];
    all.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    s.post(&format!("{}/config{path}", s.base), &all).await
}

/// Follows a 303 and checks the page.
pub async fn follow_ok(s: &Staff, p: &Page) -> Page {
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    let page = s.follow(p).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    page
}

/// Audit entries of an action, oldest first: (action, detail).
pub async fn audit(app: &TestApp, action: &str) -> Vec<serde_json::Value> {
    use cpre::store::schema::audit_log;
    use diesel::prelude::*;
    let action = action.to_owned();
    app.state
        .db
        .run(move |conn| {
            Ok(audit_log::table
                .filter(audit_log::action.eq(&action))
                .order(audit_log::created_at.asc())
                .select(audit_log::detail)
                .load::<String>(conn)?)
        })
        .await
        .unwrap()
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

/// The formation of course 2 with `code`.
pub async fn formation(app: &TestApp, code: &str) -> cpre::store::formations::FormationRow {
    use cpre::store::schema::formations;
    use diesel::prelude::*;
    let wanted = code.to_owned();
    app.state
        .db
        .run(move |conn| {
            Ok(formations::table
                .filter(formations::code.eq(&wanted))
                .select(cpre::store::formations::FormationRow::as_select())
                .load(conn)?)
        })
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no formation {code}"))
}

/// The sample questionnaire.
pub const SAMPLE: &str = include_str!("../../docs/examples/questionnaire-l1.yaml");
