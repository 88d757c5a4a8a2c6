//! Debian's Prometheus Alertmanager (`prometheus-alertmanager`, installed by `./x setup`), started
//! for one test on a free port with a configuration that sends every alert to a webhook, and
//! stopped when dropped. Tests post alerts to its API as Prometheus would; it notifies on its own
//! schedule, with its own payloads.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BINARY: &str = "prometheus-alertmanager";

pub struct Alertmanager {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    /// Starts one whose only receiver posts to `webhook` with `Authorization: Bearer <token>`,
    /// grouping nothing away (each alert its own group) and flushing within a second, resolved
    /// alerts included.
    pub async fn start(webhook: &str, token: &str) -> Alertmanager {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: cairn\n  group_by: ['...']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
                 receivers:\n  - name: cairn\n    webhook_configs:\n      - url: '{webhook}'\n        send_resolved: true\n\
                 \x20       http_config:\n          authorization:\n            credentials: '{token}'\n"
            ),
        )
        .expect("write config");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = spawn(&config, dir.path(), port);
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{url}/-/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Alertmanager { child, url, _dir: dir };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{BINARY} did not become ready on port {port}");
    }

    /// Posts alerts to its v2 API, as Prometheus does.
    pub async fn post_alerts(&self, alerts: &serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(alerts)
            .send()
            .await
            .expect("post alerts");
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    /// The alerts it holds, as its v2 API lists them (with the fingerprints it computed).
    pub async fn alerts(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!("{}/api/v2/alerts", self.url))
            .await
            .expect("list alerts")
            .json()
            .await
            .expect("alerts json")
    }

    /// `alertmanager_notifications_failed_total` of `integration`, from its own metrics.
    pub async fn failed_notifications(&self, integration: &str) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        let wanted = format!("integration=\"{integration}\"");
        text.lines()
            .filter(|l| l.starts_with("alertmanager_notifications_failed_total{") && l.contains(&wanted))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }
}

fn spawn(config: &Path, storage: &Path, port: u16) -> Child {
    Command::new(BINARY)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", storage.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // No gossip with peers: one instance, and no second port to collide on.
        .arg("--cluster.listen-address=")
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {BINARY} (`./x setup` installs it from Debian): {e}"))
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
