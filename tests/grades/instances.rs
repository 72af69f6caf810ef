//! Restarts and several instances: a tool killed before or during a delivery delivers after
//! restart, once; two instances on one database deliver each score once.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{launch_students, wait_settled};
use crate::support::app::{TestApp, spawn_on, spawn_with};
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

fn with_worker(settings: &mut cpre::Settings) {
    settings.grades_worker = true;
    settings.grades_poll_seconds = 1;
    settings.grades_lease_seconds = 2;
    settings.roster_sync_hours = 0;
}

async fn killed_before_delivery_delivers_after_restart(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    // The signature committed, then the tool died before its worker ran.
    let id = app.enqueue_completion("3", true).await;
    let (db, platform) = app.kill().await;
    let app = spawn_on(db, platform, false, with_worker).await;
    let row = wait_settled(&app, &id, 15).await;
    assert_eq!(row.state.as_str(), "delivered");
    let services = &app.platform.state.services;
    assert_eq!(services.score_posts().len(), 1);
    assert_eq!(services.grade(2, "3").unwrap().score, Some(1.0));
}
crate::on_both_backends!(
    killed_before_delivery_delivers_after_restart,
    super::killed_before_delivery_delivers_after_restart
);

async fn killed_during_delivery_is_not_a_duplicate(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let (db, platform) = app.kill().await;
    let app = spawn_on(db, platform, false, with_worker).await;
    let services = app.platform.state.services.clone();
    // Moodle stores the score but answers late: the tool dies before it hears back.
    *services.score_delay.lock().unwrap() = Some(Duration::from_secs(30));
    let id = app.enqueue_completion("3", true).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while services.grade(2, "3").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the score never reached Moodle"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stored = services.grade(2, "3").unwrap();
    let (db, platform) = app.kill().await;
    let pool = cpre::store::DbPool::open(&db.url, 1).unwrap();
    let row_id = id.clone();
    let row = pool
        .run(move |conn| cpre::store::outbox::get(conn, &row_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.state.as_str(),
        "pending",
        "the bookkeeping never happened"
    );
    drop(pool);
    *services.score_delay.lock().unwrap() = None;
    let app = spawn_on(db, platform, false, with_worker).await;
    let row = wait_settled(&app, &id, 20).await;
    assert_eq!(row.state.as_str(), "delivered");
    assert_eq!(
        row.error_kind.map(|k| k.as_str()),
        Some("already_recorded"),
        "the second post got 409"
    );
    assert_eq!(
        services.grade(2, "3").unwrap(),
        stored,
        "no duplicate effect"
    );
    assert!(services.score_posts().iter().any(|p| p.status == 409));
}
crate::on_both_backends!(
    killed_during_delivery_is_not_a_duplicate,
    super::killed_during_delivery_is_not_a_duplicate
);

async fn two_instances_deliver_each_score_once(backend: Backend) {
    let Some(first) = spawn_with(backend, |s| {
        with_worker(s);
        s.grades_concurrency = 4;
    })
    .await
    else {
        return crate::support::db::skipped("two_instances_deliver_each_score_once::postgres");
    };
    let subs = launch_students(&first, 24).await;
    let second = first
        .second_instance(|s| {
            with_worker(s);
            s.grades_concurrency = 4;
        })
        .await;
    let mut ids = Vec::new();
    for sub in &subs {
        ids.push(first.enqueue_completion(sub, true).await);
    }
    for id in &ids {
        assert_eq!(
            wait_settled(&second, id, 30).await.state.as_str(),
            "delivered"
        );
    }
    let services = &first.platform.state.services;
    let posts = services.score_posts();
    assert_eq!(posts.len(), subs.len(), "each score posted once");
    assert!(posts.iter().all(|p| p.status == 200));
    let users: std::collections::HashSet<String> = posts
        .iter()
        .map(|p| {
            serde_json::from_str::<serde_json::Value>(&p.body).unwrap()["userId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(users.len(), subs.len());
    assert!(
        services.token_requests.load(Ordering::SeqCst) <= 2,
        "a token per instance at most"
    );
}

#[tokio::test]
async fn two_instances_on_postgres_deliver_each_score_once() {
    two_instances_deliver_each_score_once(Backend::Postgres).await;
}

#[tokio::test]
async fn two_instances_on_sqlite_deliver_each_score_once() {
    two_instances_deliver_each_score_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn claims_never_overlap_across_pools() {
    // Storage level: many concurrent claimers over two pools, each row claimed once.
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = crate::support::app::spawn(backend).await else {
            crate::support::db::skipped("claims_never_overlap_across_pools::postgres");
            continue;
        };
        let subs = launch_students(&app, 10).await;
        for sub in &subs {
            for _ in 0..3 {
                app.enqueue_completion(sub, true).await;
            }
        }
        let other = cpre::store::DbPool::open(&app.db.url, 4).unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let pool = if i % 2 == 0 {
                app.state.db.clone()
            } else {
                other.clone()
            };
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let now = cpre::store::now_micros();
                    let rows = pool
                        .run(move |conn| cpre::store::outbox::claim(conn, now, 60_000_000, 2))
                        .await
                        .unwrap();
                    if rows.is_empty() {
                        return mine;
                    }
                    mine.extend(rows.into_iter().map(|r| r.id));
                }
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(all.len(), 30, "{backend:?}: every row claimed");
        assert_eq!(distinct.len(), 30, "{backend:?}: no row claimed twice");
    }
}

#[tokio::test]
async fn a_graceful_stop_finishes_the_delivery_in_flight() {
    let app = spawn_with(Backend::Sqlite, with_worker).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let services = app.platform.state.services.clone();
    *services.score_delay.lock().unwrap() = Some(Duration::from_secs(2));
    let id = app.enqueue_completion("3", true).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while services.grade(2, "3").is_none() {
        assert!(std::time::Instant::now() < deadline, "never posted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGTERM: the worker stops taking work but waits for Moodle's answer and records it.
    let worker = app.worker.lock().unwrap().take().expect("worker on");
    worker.stop().await;
    let row = app.outbox_row(&id).await;
    assert_eq!(row.state.as_str(), "delivered");
    assert_eq!(row.error_kind, None);
    assert_eq!(services.score_posts().len(), 1);
}
