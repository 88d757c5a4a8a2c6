//! What pods and nodes use, from the metrics API (`metrics.k8s.io/v1beta1`, served by
//! metrics-server): polled, since it cannot be watched, every `MetricsPolling::interval`, each
//! request bounded in time and size. A cluster without the API, or one that refuses or fails to
//! answer, has its usage recorded as unknown with the reason; that never stops anything else.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::AsyncReadExt;
use serde::Deserialize;

use super::cluster::Inner;
use super::quantity;

const GROUP_VERSION: &str = "metrics.k8s.io/v1beta1";

/// How the metrics API is polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsPolling {
    /// Between two polls (metrics-server measures every 15 s by default; a minute matches the
    /// cost sampler's interval).
    pub interval: Duration,
    /// Longest one request may take, answer included.
    pub timeout: Duration,
    /// Largest answer read; a larger one is refused (usage unknown), never buffered whole.
    pub max_bytes: u64,
}

impl Default for MetricsPolling {
    /// Every minute, 10 s per request, 64 MiB per answer (about 200 000 pods' measurements).
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            max_bytes: 64 << 20,
        }
    }
}

/// One container's measured usage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    /// Cores × 1000 (fractions kept: metrics-server reports nanocores).
    pub cpu_millis: f64,
    pub memory_bytes: f64,
}

/// The last poll's outcome.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// When the last poll that answered was made (Unix ms), or why usage is unknown.
    pub state: UsageState,
    /// `(namespace, pod)` → `(container, usage)`.
    pub pods: HashMap<(String, String), Vec<(String, Measured)>>,
    pub nodes: HashMap<String, Measured>,
}

/// Whether usage is known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UsageState {
    /// Not polled yet (or polling is off).
    #[default]
    NotPolled,
    /// The metrics API answered at this time (Unix ms).
    Measured { at_ms: i64 },
    /// It did not, and why (`the metrics API (metrics.k8s.io) is not installed`…).
    Unknown { reason: String },
}

/// Polls while the cluster lives.
pub(super) async fn poll_every(inner: Weak<Inner>, polling: MetricsPolling) {
    loop {
        let Some(cluster) = inner.upgrade() else { return };
        let usage = poll(&cluster, polling).await;
        if let UsageState::Unknown { reason } = &usage.state {
            tracing::debug!(cluster = cluster.name(), reason, "kubernetes usage unknown");
        }
        cluster.usage.send_replace(Arc::new(usage));
        drop(cluster);
        tokio::time::sleep(polling.interval).await;
    }
}

async fn poll(inner: &Inner, polling: MetricsPolling) -> Usage {
    let at_ms = chrono::Utc::now().timestamp_millis();
    let pods = match list::<PodMetrics>(inner, "pods", polling).await {
        Ok(items) => items,
        Err(reason) => {
            return Usage {
                state: UsageState::Unknown { reason },
                ..Usage::default()
            };
        }
    };
    // Node usage is informative only (allocation prices capacity): its absence is no failure.
    let nodes = list::<NodeMetrics>(inner, "nodes", polling).await.unwrap_or_default();
    Usage {
        state: UsageState::Measured { at_ms },
        pods: pods
            .into_iter()
            .map(|p| {
                let containers = p
                    .containers
                    .into_iter()
                    .filter_map(|c| Some((c.name, c.usage.measured()?)))
                    .collect();
                ((p.metadata.namespace, p.metadata.name), containers)
            })
            .collect(),
        nodes: nodes
            .into_iter()
            .filter_map(|n| Some((n.metadata.name, n.usage.measured()?)))
            .collect(),
    }
}

/// Lists every measurement of `plural`, or says why not.
async fn list<T: for<'de> Deserialize<'de>>(
    inner: &Inner,
    plural: &str,
    polling: MetricsPolling,
) -> Result<Vec<T>, String> {
    let request = http::Request::get(format!("/apis/{GROUP_VERSION}/{plural}"))
        .body(Vec::new())
        .map_err(|e| format!("building the request: {e}"))?;
    let read = async {
        let stream = inner
            .client
            .request_stream(request)
            .await
            .map_err(|error| match error {
                kube::Error::Api(status) if status.code == 404 => {
                    format!("the metrics API ({GROUP_VERSION}) is not installed")
                }
                kube::Error::Api(status) if status.code == 403 => {
                    format!(
                        "the service account may not list {plural}.metrics.k8s.io ({})",
                        status.message
                    )
                }
                other => format!("the metrics API did not answer: {other}"),
            })?;
        let mut body = Vec::new();
        let mut limited = stream.take(polling.max_bytes + 1);
        limited
            .read_to_end(&mut body)
            .await
            .map_err(|e| format!("reading the metrics API's answer: {e}"))?;
        if body.len() as u64 > polling.max_bytes {
            return Err(format!(
                "the metrics API's answer is larger than {} bytes",
                polling.max_bytes
            ));
        }
        let list: List<T> =
            serde_json::from_slice(&body).map_err(|e| format!("the metrics API's answer is not a list: {e}"))?;
        Ok(list.items)
    };
    match tokio::time::timeout(polling.timeout, read).await {
        Ok(result) => result,
        Err(_) => Err(format!("the metrics API did not answer within {:?}", polling.timeout)),
    }
}

#[derive(Deserialize)]
struct List<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(Deserialize)]
struct PodMetrics {
    metadata: Metadata,
    #[serde(default)]
    containers: Vec<ContainerMetrics>,
}

#[derive(Deserialize)]
struct ContainerMetrics {
    name: String,
    usage: Resources,
}

#[derive(Deserialize)]
struct NodeMetrics {
    metadata: Metadata,
    usage: Resources,
}

#[derive(Deserialize)]
struct Resources {
    cpu: Option<String>,
    memory: Option<String>,
}

impl Resources {
    /// Both figures, or nothing: a measurement missing one is no measurement.
    fn measured(&self) -> Option<Measured> {
        Some(Measured {
            cpu_millis: quantity::parse(self.cpu.as_deref()?)? * 1000.0,
            memory_bytes: quantity::parse(self.memory.as_deref()?)?,
        })
    }
}
