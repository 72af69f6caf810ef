//! Grade delivery benchmark: a running `cpre serve` (SQLite) delivers BENCH_DELIVERIES pending
//! completions (default 10 000) to the in-process test platform (Moodle's AGS rules, token
//! endpoint verifying the client assertion against the tool's JWKS). Reports the tool's memory
//! (RSS from /proc) with the deliveries pending and the worker off, then deliveries per second
//! with the worker on, its peak memory, and how many tokens it asked for.
//!
//! `cargo bench --bench grades`. Knobs: BENCH_DELIVERIES (10000), BENCH_CONCURRENCY (8).

#[path = "common.rs"]
#[allow(dead_code)]
mod common;
#[path = "../support/platform.rs"]
#[allow(dead_code)]
mod platform;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{env_or, free_port};
use cpre::lti::claims::{AgsEndpoint, ContextClaim, ResourceLinkClaim};
use cpre::lti::launch::{Launch, MessageType, Person};
use cpre::lti::roles::ToolRole;
use cpre::store::{DbPool, users};
use platform::TestPlatform;

fn serve(exe: &str, db_url: &str, port: u16, worker: bool, concurrency: usize) -> Child {
    Command::new(exe)
        .arg("serve")
        .env("CPRE_DATABASE_URL", db_url)
        .env("CPRE_BIND", format!("127.0.0.1:{port}"))
        .env("CPRE_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("CPRE_GRADES_WORKER", worker.to_string())
        .env("CPRE_GRADES_CONCURRENCY", concurrency.to_string())
        .env("CPRE_GRADES_POLL_SECONDS", "1")
        .env("CPRE_ROSTER_SYNC_HOURS", "0")
        .env(
            "CPRE_LOG",
            std::env::var("CPRE_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn pending(db: &DbPool) -> i64 {
    let mut conn = db.get().unwrap();
    cpre::store::outbox::count_pending(&mut conn).unwrap()
}

#[tokio::main]
async fn main() {
    let deliveries = env_or("BENCH_DELIVERIES", 10_000);
    let concurrency = env_or("BENCH_CONCURRENCY", 8);
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let exe = env!("CARGO_BIN_EXE_cpre");

    let platform = TestPlatform::start("bench-client").await;
    *platform.state.tool_jwks_url.lock().unwrap() = format!("{base}/.well-known/jwks.json");

    // The database: the platform registered, one placement with its line item, N students
    // with a pending completion each (what N signatures leave).
    let db = DbPool::open_and_migrate(&db_url, 2).unwrap();
    let seeded = Instant::now();
    {
        let mut conn = db.get().unwrap();
        cpre::keyring::ensure_key(&mut conn).unwrap();
        let registered = cpre::registration::register(
            &mut conn,
            &platform.spec(),
            cpre::store::platforms::Source::Cli,
        )
        .unwrap();
        let lineitem = format!(
            "{}/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1",
            platform.base
        );
        let launch = Launch {
            issuer: platform.issuer().to_string(),
            client_id: "bench-client".into(),
            deployment_id: "1".into(),
            message_type: MessageType::ResourceLink,
            user: Person {
                sub: "u0".into(),
                name: "Étudiant 0".into(),
                ..Default::default()
            },
            roles: vec!["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner".into()],
            tool_role: ToolRole::Student,
            context: Some(ContextClaim {
                id: "2".into(),
                label: Some("L1-CONTRAT".into()),
                title: Some("L1 Contrat".into()),
                kind: None,
            }),
            resource_link: Some(ResourceLinkClaim {
                id: "1".into(),
                title: Some("Contrat".into()),
                description: None,
            }),
            target_link_uri: Some(format!("{base}/lti/launch")),
            custom: Default::default(),
            group_ids: vec![],
            ags: Some(AgsEndpoint {
                scope: vec![
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem".into(),
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score".into(),
                ],
                lineitem: Some(lineitem),
                lineitems: None,
            }),
            nrps: None,
            deep_linking: None,
            launch_presentation: None,
            tool_platform: None,
        };
        cpre::store::write_tx(&mut conn, |conn| {
            let recorded = cpre::store::launches::record(conn, &registered.id, &launch)?;
            let link = recorded.resource_link.expect("placement").id;
            for i in 0..deliveries {
                let user = users::upsert(
                    conn,
                    &registered.id,
                    &users::Person {
                        sub: format!("u{i}"),
                        name: format!("Étudiant {i}"),
                        ..Default::default()
                    },
                )?;
                cpre::store::outbox::enqueue(
                    conn,
                    &cpre::store::outbox::Completion {
                        user_id: &user.id,
                        resource_link_id: &link,
                        contract_id: None,
                        completed: true,
                        comment: "Contrat signé",
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(pending(&db) as usize, deliveries);
    println!(
        "seeded {deliveries} pending deliveries in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    // 1. The tool at rest with the deliveries pending (worker off).
    let mut idle = serve(exe, &db_url, port, false, concurrency);
    common::wait_healthy(&reqwest::Client::new(), &base).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = common::status_kib(&idle.id().to_string(), "VmRSS:");
    idle.kill().unwrap();
    idle.wait().unwrap();

    // 2. The worker delivers everything.
    let mut server = serve(exe, &db_url, port, true, concurrency);
    common::wait_healthy(&reqwest::Client::new(), &base).await;
    let started = Instant::now();
    let before = deliveries - pending(&db) as usize;
    let mut peak = 0;
    loop {
        peak = peak.max(common::status_kib(&server.id().to_string(), "VmRSS:"));
        if pending(&db) == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "deliveries did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    peak = peak.max(common::status_kib(&server.id().to_string(), "VmRSS:"));
    server.kill().unwrap();
    server.wait().unwrap();

    let services = &platform.state.services;
    let posts = services.score_posts();
    let ok = posts.iter().filter(|p| p.status == 200).count();
    assert_eq!(ok, deliveries, "every score accepted once");
    assert_eq!(posts.len(), deliveries, "no duplicate");
    println!("concurrency {concurrency}, SQLite, debug logs off");
    println!(
        "deliveries: {} in {elapsed:.2} s = {:.0} deliveries/s ({before} done before the first measure)",
        deliveries - before,
        (deliveries - before) as f64 / elapsed
    );
    println!(
        "token requests: {}",
        services.token_requests.load(Ordering::SeqCst)
    );
    println!(
        "memory: {:.1} MiB RSS with {deliveries} pending (worker off), peak {:.1} MiB while delivering",
        idle_rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
}
