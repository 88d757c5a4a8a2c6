//! The simulated cluster: testkit's `kube-api --demo` started as a child process on a free
//! loopback port, watched like any configured cluster. It reads its standard input until the end
//! (`--exit-with-stdin`), so it ends when the portal does, even when the portal is killed.

use std::time::Duration;

use deployments::entities::ClusterEntity;
use deployments::{ClusterConfig, ClusterSettings as Reach, ClusterSource, ServerTrust};
use tokio::process::Child;

use super::ClusterSettings;

/// Longest wait for the child to say where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A running simulated cluster; killed when dropped.
pub struct SimulatedCluster {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl SimulatedCluster {
    /// Starts `kube-api --demo` and waits for its address.
    pub async fn start(settings: &ClusterSettings) -> anyhow::Result<SimulatedCluster> {
        let every = settings.every.as_secs().max(1).to_string();
        let (child, url) = super::child::start(
            &settings.command,
            &["--demo", "--exit-with-stdin", "--demo-every", &every],
            "demo.cluster: the simulated cluster (build it with `cargo build -p testkit --bin kube-api`; ./x run does)",
            START_TIMEOUT,
        )
        .await?;
        Ok(SimulatedCluster { child, url })
    }

    /// The cluster as the Deployments views watch it; its Resource says it is simulated.
    pub fn config(&self, settings: &ClusterSettings) -> ClusterConfig {
        ClusterConfig {
            settings: Reach {
                name: settings.name.clone(),
                source: ClusterSource::Url {
                    api_url: self.url.clone(),
                    token: None,
                    trust: ServerTrust::SystemRoots,
                },
            },
            entity: ClusterEntity {
                name: settings.name.clone(),
                owner: Some("group:default/platform-engineering".into()),
                endpoint: "simulated for the demo by testkit's kube-api on this machine; not a real cluster".into(),
            },
        }
    }

    /// Ends the child and waits for it.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
