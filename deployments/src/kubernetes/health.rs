//! Whether a cluster's API server answers: watchers report losing it, a probe notices its return.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// How often a cluster that stopped answering is asked again (`GET /version`). Only while it is
/// down: a healthy cluster is known to be up from its watches.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// The last thing known about a cluster's API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reachability {
    /// Not asked yet.
    Connecting,
    Reachable,
    /// What the catalog holds from this cluster is as of `since`.
    Unreachable {
        since: DateTime<Utc>,
    },
}

/// Shared by a cluster's watches; readers subscribe.
#[derive(Clone)]
pub(crate) struct Health(watch::Sender<Reachability>);

impl Health {
    pub(crate) fn new() -> Self {
        Self(watch::Sender::new(Reachability::Connecting))
    }

    pub(crate) fn current(&self) -> Reachability {
        self.0.borrow().clone()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Reachability> {
        self.0.subscribe()
    }

    pub(crate) fn reached(&self) {
        self.0
            .send_if_modified(|now| std::mem::replace(now, Reachability::Reachable) != Reachability::Reachable);
    }

    /// Keeps the first `since` of an outage however often it is reported again.
    pub(crate) fn lost(&self) {
        self.0.send_if_modified(|now| {
            if matches!(now, Reachability::Unreachable { .. }) {
                return false;
            }
            *now = Reachability::Unreachable { since: Utc::now() };
            true
        });
    }

    /// Runs for the cluster's lifetime: while it is unreachable, asks for its version until it answers.
    pub(crate) async fn probe_while_down(self, client: kube::Client) {
        let mut changes = self.subscribe();
        loop {
            if changes
                .wait_for(|r| matches!(r, Reachability::Unreachable { .. }))
                .await
                .is_err()
            {
                return;
            }
            while matches!(self.current(), Reachability::Unreachable { .. }) {
                if client.apiserver_version().await.is_ok() {
                    self.reached();
                    break;
                }
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
        }
    }
}
