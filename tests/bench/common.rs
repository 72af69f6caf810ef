//! What the benchmarks share: knobs from the environment, a free loopback port, readings of a
//! process from /proc, waiting for `cpre serve` to answer, and a complete LTI launch as a
//! browser makes it.

use std::net::TcpListener;
use std::time::Duration;

/// A numeric knob (`BENCH_…`), or its default.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A loopback port nobody listens on.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A field of /proc/{pid}/status in KiB (`VmRSS:`, `VmHWM:`); `pid` may be `self`.
pub fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of a process, in clock ticks (USER_HZ: 100 per second on Linux).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("server /proc stat");
    // Fields after the command name (which is in parentheses): utime is 14th, stime 15th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Waits (up to 10 s) until `GET {base}/health` answers 200.
pub async fn wait_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cpre serve did not start");
}

/// A launch as a browser makes it: the platform's login initiation (`initiation`, the form
/// Moodle posts) → the platform's auth page → the id_token form_post from `origin`, with the
/// state cookie when the tool set one. Returns the first page's path (`/s/{token}/`) and the
/// session's binding cookie when there is one.
pub async fn launch(
    client: &reqwest::Client,
    base: &str,
    origin: &str,
    initiation: &[(String, String)],
) -> (String, Option<String>) {
    let login = client
        .post(format!("{base}/lti/login"))
        .form(initiation)
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 302, "login initiation");
    let location = login.headers()["location"].to_str().unwrap().to_string();
    let cookie = login
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string());
    let page = client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).expect("auto-post form") + marker.len();
        let end = page[start..].find('"').unwrap() + start;
        page[start..end].to_string()
    };
    let mut post = client
        .post(format!("{base}/lti/launch"))
        .header("Origin", origin)
        .form(&[("id_token", value("id_token")), ("state", value("state"))]);
    if let Some(c) = &cookie {
        post = post.header("Cookie", c);
    }
    let launched = post.send().await.unwrap();
    assert_eq!(launched.status(), 303, "launch accepted");
    let first = launched.headers()["location"].to_str().unwrap().to_string();
    let binding = launched
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|c| {
            let c = c.to_str().unwrap();
            c.starts_with("cpre_b_")
                .then(|| c.split(';').next().unwrap().to_string())
        });
    (first, binding)
}
