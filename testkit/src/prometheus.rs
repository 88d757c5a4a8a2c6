//! A real Prometheus (Debian's `prometheus` package, installed by `./x setup`) over a known
//! history: OpenMetrics text written from a traffic plan, turned into TSDB blocks by
//! `promtool tsdb create-blocks-from openmetrics`, served on a free loopback port. The process
//! is killed when the server is dropped. The one harness of the SLO tests (`slo/tests`,
//! `server/tests/slo.rs`), of usage from Prometheus (`server/tests/cost.rs`, any OpenMetrics text)
//! and, through the `prometheus-fixture` binary, of the browser tests.

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};

/// One minute's increments of the two counters.
#[derive(Clone, Copy, Debug)]
pub struct Minute {
    pub good: u64,
    pub bad: u64,
}

/// The history: a sample every minute from `start` (value 0) to `start + 60·minutes.len()`.
pub struct History {
    pub start: i64,
    pub minutes: Vec<Minute>,
    /// Minute indexes (1-based sample numbers) at which both counters restart from zero.
    pub resets: Vec<usize>,
}

impl History {
    pub fn end(&self) -> i64 {
        self.start + 60 * self.minutes.len() as i64
    }

    /// The good and bad events whose samples fall in `(from, to]`, counted minute by minute.
    pub fn count(&self, from: i64, to: i64) -> (u64, u64) {
        let (mut good, mut bad) = (0, 0);
        for (i, m) in self.minutes.iter().enumerate() {
            let at = self.start + 60 * (i as i64 + 1);
            if at > from && at <= to {
                good += m.good;
                bad += m.bad;
            }
        }
        (good, bad)
    }

    /// OpenMetrics text: `checkout_requests_total{code="200"|"500"}` every minute, and Sloth's
    /// recorded 5-minute error ratio every five minutes, as Sloth's rules would have written it.
    pub fn openmetrics(&self) -> String {
        let mut text = String::new();
        let mut counters = [0u64; 2];
        let mut samples: Vec<(i64, [u64; 2])> = vec![(self.start, counters)];
        for (i, m) in self.minutes.iter().enumerate() {
            if self.resets.contains(&(i + 1)) {
                counters = [0, 0];
            }
            counters[0] += m.good;
            counters[1] += m.bad;
            samples.push((self.start + 60 * (i as i64 + 1), counters));
        }
        text.push_str("# TYPE checkout_requests counter\n");
        for (code, k) in [("200", 0), ("500", 1)] {
            for (at, values) in &samples {
                let _ = writeln!(text, "checkout_requests_total{{code=\"{code}\"}} {} {at}", values[k]);
            }
        }
        text.push_str("# TYPE slo:sli_error:ratio_rate5m gauge\n");
        let mut at = self.start + 300;
        while at <= self.end() {
            let (good, bad) = self.count(at - 300, at);
            if good + bad > 0 {
                let _ = writeln!(
                    text,
                    "slo:sli_error:ratio_rate5m{{sloth_service=\"checkout\",sloth_slo=\"requests-availability\"}} {} {at}",
                    bad as f64 / (good + bad) as f64
                );
            }
            at += 300;
        }
        text.push_str("# EOF\n");
        text
    }
}

/// How the demo's services fare, by their position in the list: traffic, a background error now
/// and then, some with a past outage (one that spends the week's budget, one that spends part of
/// it) and some burning fast around `now`.
fn demo_minute(service: usize, minute: i64, now: i64) -> (u64, u64) {
    let total = 40 + (service as u64 * 53) % 160;
    let every = 20 + (service as i64 * 7) % 40;
    let mut bad = u64::from(minute.rem_euclid(every) == 0);
    let minutes_ago = (now - minute * 60) / 60;
    let outage_at = (1 + (service as i64 * 13) % 5) * 1_440 + 600;
    if service % 8 == 1 && (outage_at - 45..outage_at).contains(&minutes_ago) {
        bad = total * 2 / 5;
    } else if service % 8 == 5 && (outage_at - 20..outage_at).contains(&minutes_ago) {
        bad = total / 5;
    } else if service % 9 == 4 && (-30..30).contains(&minutes_ago) {
        bad = total / 20;
    }
    (total - bad, bad)
}

/// The demo's traffic in OpenMetrics: `http_requests_total{service, code="200"|"500"}` of each of
/// `services` every two minutes from `from` to `to` (unix seconds; samples after now are read as
/// time reaches them, so a long-running demo keeps getting data).
pub fn services_openmetrics(services: &[&str], from: i64, to: i64, now: i64) -> String {
    let mut text = String::from("# TYPE http_requests counter\n");
    for (i, service) in services.iter().enumerate() {
        for (code, bad) in [("200", false), ("500", true)] {
            let mut count = 0u64;
            let mut minute = from / 60;
            while minute * 60 <= to {
                let (good, errors) = demo_minute(i, minute, now);
                count += if bad { errors } else { good };
                if minute % 2 == 0 {
                    let _ = writeln!(
                        text,
                        "http_requests_total{{service=\"{service}\",code=\"{code}\"}} {count} {}",
                        minute * 60
                    );
                }
                minute += 1;
            }
        }
    }
    text.push_str("# EOF\n");
    text
}

/// A running Prometheus.
pub struct Server {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn require(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{tool}` is missing: `./x setup` installs Debian's prometheus package"
    );
}

/// Backfills `history` and starts Prometheus on it. It also scrapes itself every second, so
/// `prometheus_tsdb_lowest_timestamp_seconds` says how far back its data goes.
pub async fn start(history: &History) -> Server {
    let server = launch(&history.openmetrics());
    wait_ready(&server, true).await;
    server
}

/// Backfills any OpenMetrics text and starts Prometheus on it, ready to answer. Its samples may
/// lie in the future (a query at any time up to the last one finds them); Prometheus then
/// refuses its own scrapes older than its newest block, so this one does not wait for them.
pub async fn start_openmetrics(openmetrics: &str) -> Server {
    let server = launch(openmetrics);
    wait_ready(&server, false).await;
    server
}

fn launch(openmetrics: &str) -> Server {
    require("promtool");
    require("prometheus");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    let input = dir.path().join("history.om");
    std::fs::write(&input, openmetrics).expect("write the OpenMetrics file");
    let made = Command::new("promtool")
        // Day-long blocks: a week is 8 blocks instead of 84, written in a tenth of the time.
        .args([
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--quiet",
            "--max-block-duration=24h",
        ])
        .arg(&input)
        .arg(&data)
        .output()
        .expect("run promtool");
    assert!(
        made.status.success(),
        "promtool create-blocks-from openmetrics failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .expect("write the configuration");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        // The history lies in the past: a retention counted from the newest sample must keep it.
        .arg("--storage.tsdb.retention.time=100y")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Waits for `/-/ready` and (`scraped`) the first self-scrape, a bounded number of times.
async fn wait_ready(server: &Server, scraped: bool) {
    let client = reqwest::Client::new();
    let ready = format!("{}/-/ready", server.url);
    let self_scrape = format!(
        "{}/api/v1/query?query=prometheus_tsdb_lowest_timestamp_seconds",
        server.url
    );
    for _ in 0..600 {
        let is_ready = client.get(&ready).send().await.is_ok_and(|r| r.status().is_success());
        if is_ready && !scraped {
            return;
        }
        if is_ready {
            let body = match client.get(&self_scrape).send().await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if body.contains("\"value\"") {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("prometheus did not become ready at {}", server.url);
}
