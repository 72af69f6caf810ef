//! Completion in Moodle's gradebook through AGS: delivery, failures and retries, tokens,
//! line items, restarts and several instances, and what staff and admins see.

mod delivery;
mod failures;
mod instances;
mod visibility;

use crate::support::app::TestApp;

/// Makes a pending row due now (as if its retry time had come), keeping its attempts.
pub async fn make_due(app: &TestApp, id: &str) {
    use cpre::store::schema::grade_outbox;
    use diesel::prelude::*;
    let id = id.to_string();
    app.state
        .db
        .run(move |conn| {
            diesel::update(grade_outbox::table.find(&id))
                .set(grade_outbox::next_attempt_at.eq(0))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Waits (up to `secs`) until the outbox row is no longer pending.
pub async fn wait_settled(app: &TestApp, id: &str, secs: u64) -> cpre::store::outbox::OutboxRow {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let row = app.outbox_row(id).await;
        if row.state.as_str() != "pending" || std::time::Instant::now() > deadline {
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Launches `n` students (sub 100, 101, …) on the platform's placement.
pub async fn launch_students(app: &TestApp, n: usize) -> Vec<String> {
    let browser = app.browser();
    let mut subs = Vec::new();
    for i in 0..n {
        let sub = format!("{}", 100 + i);
        browser
            .launch(
                &app.platform,
                crate::support::platform::LaunchSpec::student().person(
                    &sub,
                    &format!("Prénom{i}"),
                    &format!("Nom{i}"),
                    &format!("E{sub}"),
                ),
            )
            .await;
        subs.push(sub);
    }
    subs
}
