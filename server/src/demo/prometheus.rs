//! The demo's Prometheus: testkit's `prometheus-fixture --northwind` (Debian's Prometheus over a
//! backfilled history of every Northwind service's requests, and a few days ahead), started as a
//! child when no Prometheus is configured, so the Reliability pages have the simulated cluster's
//! Pyrra SLOs to show. It ends with the portal.

use std::time::Duration;

use tokio::process::Child;

use super::PrometheusSettings;

/// Backfilling a week of two dozen services takes a few seconds, more on a loaded machine.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running demo Prometheus; killed when dropped.
pub struct DemoPrometheus {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl DemoPrometheus {
    pub async fn start(settings: &PrometheusSettings) -> anyhow::Result<DemoPrometheus> {
        let days = settings.days.to_string();
        let (child, url) = super::child::start(
            &settings.command,
            &["--northwind", "--exit-with-stdin", "--days", &days],
            "demo.prometheus: the demo's Prometheus (build it with `cargo build -p testkit --bin prometheus-fixture`, \
             ./x run does; Debian's prometheus package, ./x setup installs it)",
            START_TIMEOUT,
        )
        .await?;
        Ok(DemoPrometheus { child, url })
    }

    /// Ends the child and waits for it.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
