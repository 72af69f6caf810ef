//! The role table of docs/security.md, one launch per row: what each role (or set of roles)
//! of a launch makes of the user in a course. `student` lands on the contract, `teacher` and
//! `admin` on the staff follow-up (an administrator as designer of the course), `none` on the
//! page saying the tool has no role for them.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{TestApp, spawn};
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

const LIS: &str = "http://purl.imsglobal.org/vocab/lis/v2/";

/// Launches with exactly these roles and says what the tool made of the user.
async fn landing(app: &TestApp, roles: &[&str]) -> &'static str {
    let roles: Vec<String> = roles
        .iter()
        .map(|r| {
            if r.contains('#') {
                format!("{LIS}{r}")
            } else {
                r.to_string()
            }
        })
        .collect();
    let spec = LaunchSpec::student().claim(
        "https://purl.imsglobal.org/spec/lti/claim/roles",
        json!(roles),
    );
    let (base, page) = app.browser().open(&app.platform, spec).await;
    let status = page.status();
    let url = page.url().path().to_string();
    let text = crate::support::text(&page.text().await.unwrap());
    match status {
        StatusCode::FORBIDDEN if text.contains("Aucun rôle pour cet outil dans ce cours") => {
            "none"
        }
        StatusCode::OK if url.starts_with(&format!("{base}/suivi")) => {
            // The follow-up: an administrator is a designer of the course.
            let designer = app.browser().get(&format!("{base}/config/")).await.status();
            if text.contains("Configurer") && designer != StatusCode::FORBIDDEN {
                "admin"
            } else {
                "teacher"
            }
        }
        StatusCode::OK | StatusCode::NOT_FOUND if text.contains("contrat") => "student",
        other => panic!("unexpected landing {other} at {url}: {text}"),
    }
}

macro_rules! role_rows {
    ($($name:ident: [$($role:expr),*] => $expected:expr;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let app = spawn(Backend::Sqlite).await.unwrap();
                assert_eq!(landing(&app, &[$($role),*]).await, $expected);
            }
        )*
    };
}

role_rows! {
    context_learner: ["membership#Learner"] => "student";
    context_instructor: ["membership#Instructor"] => "teacher";
    context_teaching_assistant_sub_role: ["membership/Instructor#TeachingAssistant"] => "teacher";
    context_teaching_assistant: ["membership#TeachingAssistant"] => "teacher";
    context_content_developer: ["membership#ContentDeveloper"] => "none";
    context_mentor: ["membership#Mentor"] => "none";
    context_mentor_sub_role: ["membership/Mentor#Advisor"] => "none";
    learner_and_mentor: ["membership#Learner", "membership#Mentor"] => "student";
    learner_and_instructor: ["membership#Learner", "membership#Instructor"] => "teacher";
    context_manager: ["membership#Manager"] => "teacher";
    context_member: ["membership#Member"] => "none";
    context_officer: ["membership#Officer"] => "none";
    context_administrator: ["membership#Administrator"] => "admin";
    institution_administrator: ["institution/person#Administrator"] => "admin";
    institution_faculty: ["institution/person#Faculty"] => "none";
    institution_instructor: ["institution/person#Instructor"] => "none";
    institution_student: ["institution/person#Student"] => "none";
    institution_mentor: ["institution/person#Mentor"] => "none";
    system_administrator: ["system/person#Administrator"] => "admin";
    system_sysadmin: ["system/person#SysAdmin"] => "admin";
    system_user: ["system/person#User"] => "none";
    short_learner: ["Learner"] => "student";
    short_instructor: ["Instructor"] => "teacher";
    short_mentor: ["Mentor"] => "none";
    moodle_site_administrator: [
        "institution/person#Administrator",
        "membership#Instructor",
        "system/person#Administrator"
    ] => "admin";
    no_role_at_all: [] => "none";
    unknown_role: ["urn:example:role#Boss"] => "none";
}
