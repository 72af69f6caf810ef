//! Reminders: the unsigned students of a formation (drafts, and roster members who never started), their addresses to copy, a mailto link, a CSV; forged addresses are dropped.

use reqwest::StatusCode;

use super::{download, get, post, teacher_of};
use crate::contract::{configure_demo, launch_student, signed_student};
use crate::design::audit;
use crate::support::app::TestApp;

async fn reminders_list_the_unsigned_students_only(app: TestApp) {
    configure_demo(&app).await;
    signed_student(&app, "71", "1", "MATH").await;
    let draft = launch_student(&app, "72", "1").await;
    draft.start("MATH").await;
    let t = teacher_of(&app, "904", "1").await;

    let page = get(&t, "/formations/MATH/relances").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let text = page.text();
    assert!(text.contains("Martin72"), "{text}");
    assert!(
        !text.contains("Martin71"),
        "signed students are not reminded"
    );
    let form = page.form("/relances");
    let email = form.get("who").expect("a box per student").to_owned();

    // Selected + a forged address: only the real one comes back.
    let chosen = post(
        &app,
        &t,
        "/formations/MATH/relances",
        &[("who", &email), ("who", "intrus@example.org")],
    )
    .await;
    assert_eq!(chosen.status, StatusCode::OK, "{}", chosen.text());
    assert!(
        chosen
            .html
            .contains(&format!("mailto:?bcc={}", email.replace('@', "%40"))),
        "{}",
        chosen.html
    );
    assert!(!chosen.html.contains("intrus"));
    let none = post(
        &app,
        &t,
        "/formations/MATH/relances",
        &[("who", "intrus@example.org")],
    )
    .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.has(".error-summary"));

    let (status, _, csv) = download(&t, "/formations/MATH/relances.csv").await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains(&email) && csv.contains("Brouillon"), "{csv}");
    assert!(!csv.contains("Martin71"));
    assert_eq!(audit(&app, "reminder").await.len(), 2);
}
crate::on_both_backends!(
    reminders_list_the_unsigned_students_only,
    super::reminders_list_the_unsigned_students_only
);
