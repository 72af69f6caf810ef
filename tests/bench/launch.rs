//! Launch benchmark: drives complete launches (login initiation, auth at the test platform,
//! id_token form_post, first page: the student's contract in the demo course) against a
//! running `cpre serve` on SQLite, and reports
//! launches per second and the server's CPU time per launch (from /proc, whole run).
//!
//! `make bench` (or `cargo bench --bench launch`). Knobs: BENCH_LAUNCHES (default 3000),
//! BENCH_CONCURRENCY (default 8), BENCH_MODE (`login`, `launch` = login and id_token post,
//! `page` = the first page again, `health` = `GET /health`, the floor of one HTTP request;
//! unset = complete launches), BENCH_SERVER (path of another
//! `cpre` build to measure instead of this one).

#[path = "common.rs"]
#[allow(dead_code)]
mod common;
#[path = "../support/platform.rs"]
#[allow(dead_code)]
mod platform;

use std::process::{Command, Stdio};
use std::time::Instant;

use common::{cpu_ticks, env_or, free_port};
use platform::{LaunchSpec, TestPlatform};

#[tokio::main]
async fn main() {
    let launches = env_or("BENCH_LAUNCHES", 3000);
    let concurrency = env_or("BENCH_CONCURRENCY", 8);
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // BENCH_SERVER: another build of `cpre` to measure (to compare two builds side by side).
    let exe = std::env::var("BENCH_SERVER").unwrap_or_else(|_| env!("CARGO_BIN_EXE_cpre").into());
    let exe = exe.as_str();

    let platform = TestPlatform::start("bench-client").await;
    *platform.state.tool_launch_url.lock().unwrap() = format!("{base}/lti/launch");
    let add = Command::new(exe)
        .args(platform.platform_add_args())
        .env("CPRE_DATABASE_URL", &db_url)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    // The demo course (MATH = Moodle group 1, PHYS = group 2), so that the first page is what
    // a student gets: their formation's contract.
    {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lti-config/demo/course.yaml");
        let mut course = cpre::course::file::read(&path).unwrap();
        course.issuer = platform.issuer().to_string();
        course.client_id = "bench-client".into();
        let pool = cpre::store::DbPool::open_and_migrate(&db_url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        cpre::store::transaction(&mut conn, |c| cpre::course::configure::apply(c, &course))
            .unwrap();
    }

    let mut server = Command::new(exe)
        .arg("serve")
        .env("CPRE_DATABASE_URL", &db_url)
        .env("CPRE_BIND", format!("127.0.0.1:{port}"))
        .env("CPRE_BASE_URL", &base)
        .env(
            "CPRE_LOG",
            std::env::var("CPRE_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..100 {
        if client.get(format!("{base}/health")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Users: 500 students in two groups, as many distinct subs as a busy course.
    let hints: Vec<String> = (0..500)
        .map(|i| {
            platform.expect_launch(
                LaunchSpec::student()
                    .person(
                        &format!("{}", 1000 + i),
                        "Etu",
                        &format!("N{i}"),
                        &format!("E{i:06}"),
                    )
                    .groups(if i % 2 == 0 { "1" } else { "2" }),
            )
        })
        .collect();

    // Warm-up (JWKS fetch, caches, SQLite pages).
    let first_page = one_launch(&client, &base, &platform, &hints[0]).await;
    // BENCH_MODE=login|page measures one step alone (login initiations, or first pages);
    // BENCH_MODE=launch stops before the first page (login initiation and id_token post).
    let mode = std::env::var("BENCH_MODE").unwrap_or_default();

    let pid = server.id();
    let ticks_before = cpu_ticks(pid);
    let started = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let base = base.clone();
        let next = next.clone();
        let hints = hints.clone();
        let state = platform.state.clone();
        let issuer = platform.base.clone();
        let mode = mode.clone();
        let first_page = first_page.clone();
        tasks.push(tokio::spawn(async move {
            let platform = TestPlatform {
                state,
                base: issuer,
            };
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= launches {
                    break;
                }
                let hint = &hints[i % hints.len()];
                match mode.as_str() {
                    "launch" => {
                        common::launch(&client, &base, &platform.base, &platform.initiation(hint))
                            .await;
                    }
                    "login" => {
                        let r = client
                            .post(format!("{base}/lti/login"))
                            .form(&platform.initiation(hint))
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), 302);
                    }
                    "health" => {
                        let r = client.get(format!("{base}/health")).send().await.unwrap();
                        assert_eq!(r.status(), 200);
                        let _ = r.bytes().await.unwrap();
                    }
                    "page" => {
                        let r = client
                            .get(format!("{base}{}", first_page.0))
                            .header("Cookie", &first_page.1)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), 200);
                        let _ = r.bytes().await.unwrap();
                    }
                    _ => {
                        one_launch(&client, &base, &platform, hint).await;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    let ticks = cpu_ticks(pid) - ticks_before;
    let tick_ms = 1000.0 / 100.0; // USER_HZ is 100 on Linux
    let cpu_ms = ticks as f64 * tick_ms;
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "launch benchmark (SQLite, {concurrency} concurrent browsers, every check on){}",
        if mode.is_empty() {
            String::new()
        } else {
            format!(", only `{mode}` requests")
        }
    );
    println!("  complete launches : {launches}");
    println!("  wall time         : {:.2} s", elapsed.as_secs_f64());
    println!(
        "  launches/second   : {:.0}",
        launches as f64 / elapsed.as_secs_f64()
    );
    println!("  server CPU total  : {cpu_ms:.0} ms");
    println!(
        "  server CPU/launch : {:.3} ms (target ≤ 0.25 ms)",
        cpu_ms / launches as f64
    );
}

/// Login initiation → platform auth → form_post → first page. Returns the first page's path
/// and the cookie it needs.
async fn one_launch(
    client: &reqwest::Client,
    base: &str,
    platform: &TestPlatform,
    hint: &str,
) -> (String, String) {
    let (first, binding) =
        common::launch(client, base, &platform.base, &platform.initiation(hint)).await;
    let mut get = client.get(format!("{base}{first}"));
    if let Some(b) = &binding {
        get = get.header("Cookie", b);
    }
    let page = get.send().await.unwrap();
    assert_eq!(page.status(), 200);
    let _ = page.bytes().await.unwrap();
    (first, binding.unwrap_or_default())
}
