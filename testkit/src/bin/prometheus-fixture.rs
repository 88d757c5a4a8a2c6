//! `prometheus-fixture [--days N]`: Debian's Prometheus over a backfilled history of
//! `checkout_requests_total{code="200"|"500"}` for browser tests: N days (default 8)
//! ending five minutes ago, a steady 120 requests a minute with one error every 10 minutes, and an
//! outage (40% errors for an hour) a day before the end, so a 99.9% SLO has spent part of its
//! budget and shows a fast burn on its charts. Prints `listening on URL` and serves until killed
//! (or, with `--exit-with-stdin`, until its standard input closes).
//!
//! `--northwind`: the demo's traffic instead, `http_requests_total{service, code}` of every
//! Northwind service of the simulated cluster, N days back and three days ahead (read as time
//! reaches them), some services with a past outage and some burning fast now.

use testkit::prometheus::{History, Minute, services_openmetrics, start, start_openmetrics};

#[tokio::main]
async fn main() {
    let mut days: usize = 8;
    let (mut northwind, mut exit_with_stdin) = (false, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--days" => days = args.next().and_then(|d| d.parse().ok()).unwrap_or(days),
            "--northwind" => northwind = true,
            "--exit-with-stdin" => exit_with_stdin = true,
            other => {
                eprintln!(
                    "prometheus-fixture: unknown argument `{other}` (use --days N, --northwind, --exit-with-stdin)"
                );
                std::process::exit(2);
            }
        }
    }
    let now = chrono::Utc::now().timestamp();
    if northwind {
        let services: Vec<&str> = testkit::kube_api::demo::NORTHWIND.iter().map(|s| s.name).collect();
        let from = now - days as i64 * 86_400;
        let server = start_openmetrics(&services_openmetrics(&services, from, now + 3 * 86_400, now)).await;
        println!("listening on {}", server.url);
        serve_until_stopped(exit_with_stdin).await;
        drop(server);
        return;
    }
    let end = now.div_euclid(300) * 300 - 300;
    let minutes = days * 1_440;
    let outage = (minutes - 1_440)..(minutes - 1_380);
    let plan = (0..minutes)
        .map(|i| {
            let total = 120;
            let bad = if outage.contains(&i) {
                total * 2 / 5
            } else {
                u64::from(i % 10 == 0)
            };
            Minute { good: total - bad, bad }
        })
        .collect();
    let history = History {
        start: end - 60 * minutes as i64,
        minutes: plan,
        resets: Vec::new(),
    };
    let server = start(&history).await;
    println!("listening on {}", server.url);
    serve_until_stopped(exit_with_stdin).await;
    drop(server);
}

/// Until SIGTERM (the browser tests), Ctrl-C, or (`stdin`) the end of standard input (the portal
/// that started it ended, even killed). The caller's drop then stops Prometheus.
async fn serve_until_stopped(stdin: bool) {
    let closed = async {
        if stdin {
            let mut sink = Vec::new();
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut sink).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = closed => {}
        },
        Err(_) => tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = closed => {}
        },
    }
}
