//! `prometheus-fixture [--days N]`: Debian's Prometheus over a backfilled history of
//! `checkout_requests_total{code="200"|"500"}` for browser tests and demos: N days (default 8)
//! ending five minutes ago, a steady 120 requests a minute with one error every 10 minutes, and an
//! outage (40% errors for an hour) a day before the end, so a 99.9% SLO has spent part of its
//! budget and shows a fast burn on its charts. Prints `listening on URL` and serves until killed.

use testkit::prometheus::{History, Minute, start};

#[tokio::main]
async fn main() {
    let mut days: usize = 8;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--days" => days = args.next().and_then(|d| d.parse().ok()).unwrap_or(days),
            other => {
                eprintln!("prometheus-fixture: unknown argument `{other}` (use --days N)");
                std::process::exit(2);
            }
        }
    }
    let now = chrono::Utc::now().timestamp();
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
    // Stopped by SIGTERM (the browser tests) or Ctrl-C: dropping the server stops Prometheus.
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    drop(server);
}
