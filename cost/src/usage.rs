//! Usage from Prometheus, for the clusters `cost.prometheus` names: cAdvisor's
//! `container_cpu_usage_seconds_total` (its rate over `rateWindow`) and
//! `container_memory_working_set_bytes`, per `(namespace, pod, container)`, asked at each
//! interval's end in place of the metrics API's figures. Two instant queries per cluster and
//! interval through `slo::prometheus` (the outgoing rule, no redirects), bounded by
//! `cost.metrics` (timeout, largest answer) and `cost.prometheus.maxSeries`. When Prometheus
//! fails, the metrics API's figures stand if it answered; otherwise usage is unknown with both
//! reasons, and CPU and memory are priced on requests alone.

use std::collections::{BTreeMap, HashMap};

use deployments::resources::ClusterResources;
use deployments::{Measured, UsageState};
use slo::prometheus::{Prometheus, PrometheusSettings, Series};
use slo::service::Sources;

use crate::settings::{CostSettings, UsageQuery};
use crate::view::Meter;

/// `(namespace, pod, container)` → usage.
pub type Measurements = HashMap<(String, String, String), Measured>;

/// The clusters whose usage Prometheus gives, each with its server and selector.
#[derive(Clone, Debug, Default)]
pub struct PrometheusUsage {
    clusters: BTreeMap<String, ClusterUsage>,
    rate_window_s: u64,
}

#[derive(Clone, Debug)]
struct ClusterUsage {
    prometheus: Prometheus,
    /// How messages name it: `prometheus.clusters.<name>` or `prometheus.url`.
    source: String,
    selector: String,
}

impl PrometheusUsage {
    /// For `settings.prometheus`, from the `prometheus:` servers; each gets its own client bounded
    /// by the cost settings (a cluster's containers are many more series than an SLO's query).
    pub fn new(
        settings: &CostSettings,
        sources: &Sources,
        reading: &outbound::ReadingPolicy,
    ) -> Result<PrometheusUsage, String> {
        let mut clusters = BTreeMap::new();
        for (cluster, query) in &settings.prometheus.clusters {
            let (source, server) = resolve(cluster, query, sources)?;
            let bounded = PrometheusSettings {
                timeout: settings.metrics_timeout,
                max_response_bytes: usize::try_from(settings.metrics_max_bytes).unwrap_or(usize::MAX),
                max_series: settings.prometheus.max_series,
                max_points: settings.prometheus.max_series,
                ..server.settings().clone()
            };
            let prometheus =
                Prometheus::new(bounded, reading).map_err(|e| format!("cost.prometheus.clusters.{cluster}: {e}"))?;
            clusters.insert(
                cluster.clone(),
                ClusterUsage {
                    prometheus,
                    source,
                    selector: query.selector.clone(),
                },
            );
        }
        Ok(PrometheusUsage {
            clusters,
            rate_window_s: settings.prometheus.rate_window.as_secs().max(1),
        })
    }

    /// Puts Prometheus' usage at `at_s` (Unix seconds) into `resources` where its cluster reads
    /// usage from Prometheus; says what measured the usage `resources` now holds.
    pub async fn measure(&self, resources: &mut ClusterResources, at_s: i64) -> Meter {
        let Some(cluster) = self.clusters.get(&resources.cluster) else {
            return Meter::MetricsApi;
        };
        let measured = self.query(cluster, at_s).await.and_then(|m| {
            let containers = resources.pods.iter().map(|p| p.containers.len()).sum::<usize>();
            if m.is_empty() && containers > 0 {
                Err(format!(
                    "it holds no container_cpu_usage_seconds_total and container_memory_working_set_bytes series{}",
                    if cluster.selector.is_empty() {
                        String::new()
                    } else {
                        format!(" matching {}", cluster.selector)
                    }
                ))
            } else {
                Ok(m)
            }
        });
        match measured {
            Ok(usage) => {
                apply(resources, &usage, at_s * 1000);
                Meter::Prometheus
            }
            Err(error) => {
                let error = format!("Prometheus ({}): {error}", cluster.source);
                tracing::debug!(cluster = %resources.cluster, %error, "cost: usage from Prometheus unknown");
                match &resources.usage {
                    // The metrics API's figures stand.
                    UsageState::Measured { .. } => Meter::MetricsApi,
                    UsageState::Unknown { reason } => {
                        resources.usage = UsageState::Unknown {
                            reason: format!("{error}; {reason}"),
                        };
                        Meter::Prometheus
                    }
                    UsageState::NotPolled => {
                        resources.usage = UsageState::Unknown { reason: error };
                        Meter::Prometheus
                    }
                }
            }
        }
    }

    async fn query(&self, cluster: &ClusterUsage, at_s: i64) -> Result<Measurements, String> {
        let (cpu, memory) = queries(&cluster.selector, self.rate_window_s);
        let (cpu, memory) = tokio::join!(
            cluster.prometheus.query(&cpu, at_s),
            cluster.prometheus.query(&memory, at_s)
        );
        Ok(measurements(
            &cpu.map_err(|e| e.to_string())?,
            &memory.map_err(|e| e.to_string())?,
        ))
    }
}

/// The server `query` names for `cluster`, and how to name it.
fn resolve<'a>(cluster: &str, query: &UsageQuery, sources: &'a Sources) -> Result<(String, &'a Prometheus), String> {
    let global = || {
        sources
            .global
            .as_ref()
            .map(|p| ("prometheus.url".to_string(), p))
            .ok_or_else(|| format!("cost.prometheus.clusters.{cluster}: prometheus.url is not set"))
    };
    match query.source.as_deref() {
        Some("default") => global(),
        Some(name) => sources
            .named
            .get(name)
            .map(|p| (format!("prometheus.clusters.{name}"), p))
            .ok_or_else(|| format!("cost.prometheus.clusters.{cluster}: prometheus.clusters has no `{name}`")),
        None => match sources.named.get(cluster) {
            Some(p) => Ok((format!("prometheus.clusters.{cluster}"), p)),
            None => global(),
        },
    }
}

/// The two queries: CPU cores used (the counter's rate) and working-set bytes, one series per
/// container (`max`: a container scraped twice, by two jobs, is counted once; cAdvisor's
/// pod-level `container=""` and pause `POD` series left out).
pub fn queries(selector: &str, rate_window_s: u64) -> (String, String) {
    let matchers = if selector.trim().is_empty() {
        r#"container!="", container!="POD""#.to_string()
    } else {
        format!(r#"container!="", container!="POD", {}"#, selector.trim())
    };
    (
        format!(
            "max by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{{{matchers}}}[{rate_window_s}s]))"
        ),
        format!("max by (namespace, pod, container) (container_memory_working_set_bytes{{{matchers}}})"),
    )
}

/// Containers with both figures (a container missing one is not measured, as with the
/// metrics API). CPU to the nanocore, as metrics-server reports it.
pub fn measurements(cpu: &[Series], memory: &[Series]) -> Measurements {
    let key = |s: &Series| {
        let label = |name: &str| s.labels.get(name).cloned().unwrap_or_default();
        (label("namespace"), label("pod"), label("container"))
    };
    let value = |s: &Series| s.samples.last().map(|&(_, v)| v).filter(|v| v.is_finite() && *v >= 0.0);
    let memory: HashMap<_, f64> = memory.iter().filter_map(|s| Some((key(s), value(s)?))).collect();
    cpu.iter()
        .filter_map(|s| {
            let key = key(s);
            let cores = value(s)?;
            let bytes = *memory.get(&key)?;
            Some((
                key,
                Measured {
                    cpu_millis: (cores * 1e9).round() / 1e6,
                    memory_bytes: bytes.round(),
                },
            ))
        })
        .collect()
}

/// Every container's usage from `usage` (none where Prometheus has none: unknown, not zero).
fn apply(resources: &mut ClusterResources, usage: &Measurements, at_ms: i64) {
    for pod in &mut resources.pods {
        for c in &mut pod.containers {
            c.usage = usage
                .get(&(pod.namespace.clone(), pod.name.clone(), c.name.clone()))
                .copied();
        }
    }
    resources.usage = UsageState::Measured { at_ms };
}

#[cfg(test)]
mod tests;
