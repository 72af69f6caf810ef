//! A launch without the (optional) context claim: the tool opened outside any course. The
//! launch is valid; a student is told to open the contract from their course, staff see the
//! tool's home, an administrator the status of the platform's registration; pages that need
//! a course say so. Never a 5xx.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::app::TestApp;
use crate::support::platform::LaunchSpec;

const CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";

fn outside_any_course(spec: LaunchSpec) -> LaunchSpec {
    spec.claim(CONTEXT, Value::Null)
}

async fn launches_without_a_course_are_valid(app: TestApp) {
    let browser = app.browser();
    let (base, page) = browser
        .open(&app.platform, outside_any_course(LaunchSpec::student()))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let text = crate::support::text(&page.text().await.unwrap());
    assert!(
        text.contains("Ouvrez le contrat depuis votre cours"),
        "{text}"
    );
    // A page that needs a course says so (and is no 5xx).
    let contract = browser.get(&format!("{base}/contrat/MATH/")).await;
    assert_eq!(contract.status(), StatusCode::FORBIDDEN);
    let text = crate::support::text(&contract.text().await.unwrap());
    assert!(text.contains("Ouvrez l'activité depuis un cours"), "{text}");
    let followup = browser.get(&format!("{base}/suivi/")).await;
    assert_eq!(followup.status(), StatusCode::FORBIDDEN);

    let (_, page) = browser
        .open(&app.platform, outside_any_course(LaunchSpec::teacher()))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let text = crate::support::text(&page.text().await.unwrap());
    assert!(text.contains("en dehors de tout cours"), "{text}");
    assert!(!text.contains("Enregistrement de cette plateforme"));

    let (base, page) = browser
        .open(&app.platform, outside_any_course(LaunchSpec::admin()))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let text = crate::support::text(&page.text().await.unwrap());
    assert!(
        text.contains("Enregistrement de cette plateforme"),
        "{text}"
    );
    assert!(text.contains(crate::support::app::CLIENT_ID), "{text}");
    assert!(text.contains("0 cours ouvert(s) avec l'outil"), "{text}");
    let deliveries = browser.get(&format!("{base}/admin/deliveries")).await;
    assert_eq!(deliveries.status(), StatusCode::OK);

    // Recorded: the users and their sessions, no course.
    assert_eq!(app.count("contexts").await, 0);
    assert_eq!(app.count("sessions").await, 3);
    assert_eq!(app.count("users").await, 3);
}
crate::on_both_backends!(
    launches_without_a_course_are_valid,
    super::launches_without_a_course_are_valid
);

async fn the_admin_home_counts_the_courses(app: TestApp) {
    let browser = app.browser();
    browser.launch(&app.platform, LaunchSpec::student()).await;
    let (_, page) = browser
        .open(&app.platform, outside_any_course(LaunchSpec::admin()))
        .await;
    let text = crate::support::text(&page.text().await.unwrap());
    assert!(
        text.contains("1 cours ouvert(s) avec l'outil, dont 0 configuré(s)"),
        "{text}"
    );
}
crate::on_both_backends!(
    the_admin_home_counts_the_courses,
    super::the_admin_home_counts_the_courses
);
