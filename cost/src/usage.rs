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
mod tests {
    use super::*;

    fn series(pod: &str, container: &str, value: f64) -> Series {
        Series {
            labels: [("namespace", "shop"), ("pod", pod), ("container", container)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            samples: vec![(1.0, value)],
        }
    }

    #[test]
    fn queries_leave_out_pod_level_series_and_add_the_selector() {
        let (cpu, memory) = queries(r#"cluster="prod""#, 300);
        assert_eq!(
            cpu,
            r#"max by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{container!="", container!="POD", cluster="prod"}[300s]))"#
        );
        assert_eq!(
            memory,
            r#"max by (namespace, pod, container) (container_memory_working_set_bytes{container!="", container!="POD", cluster="prod"})"#
        );
        assert!(queries("", 60).0.contains(r#"{container!="", container!="POD"}[60s]"#));
    }

    #[test]
    fn both_figures_make_a_measurement_to_the_nanocore() {
        let cpu = [
            series("web-1", "app", 1.4999999999999998),
            series("web-1", "sidecar", 0.25),
            series("cron-1", "app", f64::NAN),
        ];
        let memory = [series("web-1", "app", 536_870_912.0), series("cron-1", "app", 1.0)];
        let m = measurements(&cpu, &memory);
        assert_eq!(m.len(), 1, "sidecar has no memory, cron-1 no finite CPU: {m:?}");
        let web = m[&("shop".into(), "web-1".into(), "app".into())];
        assert_eq!(web.cpu_millis, 1500.0);
        assert_eq!(web.memory_bytes, 536_870_912.0);
    }

    /// A Prometheus that does not answer: the metrics API's figures stand where it answered;
    /// otherwise usage is unknown with both reasons.
    #[tokio::test]
    async fn a_failing_prometheus_leaves_the_metrics_apis_figures_or_both_reasons() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", closed.local_addr().expect("address"));
        drop(closed);
        let sources = Sources {
            global: Some(
                Prometheus::new(
                    PrometheusSettings {
                        url,
                        private_network: true,
                        ..Default::default()
                    },
                    &Default::default(),
                )
                .expect("a client"),
            ),
            named: Default::default(),
        };
        let mut settings = CostSettings::default();
        settings
            .prometheus
            .clusters
            .insert("prod".into(), UsageQuery::default());
        let usage = PrometheusUsage::new(&settings, &sources, &Default::default()).expect("resolved");
        let measured = Measured {
            cpu_millis: 5.0,
            memory_bytes: 6.0,
        };
        let mut resources = ClusterResources {
            cluster: "prod".into(),
            pods: vec![deployments::resources::PodResources {
                namespace: "shop".into(),
                name: "web-1".into(),
                containers: vec![deployments::resources::ContainerResources {
                    name: "app".into(),
                    usage: Some(measured),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            usage: UsageState::Measured { at_ms: 1 },
            ..Default::default()
        };
        let before = resources.clone();
        assert_eq!(usage.measure(&mut resources, 60).await, Meter::MetricsApi);
        assert_eq!(resources, before, "the metrics API's figures stand");
        resources.usage = UsageState::Unknown {
            reason: "the metrics API (metrics.k8s.io/v1beta1) is not installed".into(),
        };
        usage.measure(&mut resources, 60).await;
        let UsageState::Unknown { reason } = &resources.usage else {
            panic!("unknown: {:?}", resources.usage)
        };
        assert!(reason.starts_with("Prometheus (prometheus.url): query `"), "{reason}");
        assert!(
            reason.ends_with("; the metrics API (metrics.k8s.io/v1beta1) is not installed"),
            "{reason}"
        );
        let mut elsewhere = ClusterResources {
            cluster: "lab".into(),
            ..before
        };
        assert_eq!(
            usage.measure(&mut elsewhere, 60).await,
            Meter::MetricsApi,
            "not a Prometheus cluster"
        );
    }

    #[test]
    fn sources_resolve_by_name_cluster_or_global() {
        let client = |url: &str| {
            Prometheus::new(
                PrometheusSettings {
                    url: url.into(),
                    ..Default::default()
                },
                &Default::default(),
            )
            .expect("a client")
        };
        let sources = Sources {
            global: Some(client("https://global.example")),
            named: [("prod".to_string(), client("https://prod.example"))].into(),
        };
        let by = |cluster: &str, source: Option<&str>| {
            let query = UsageQuery {
                source: source.map(str::to_string),
                selector: String::new(),
            };
            resolve(cluster, &query, &sources).map(|(name, p)| (name, p.base().to_string()))
        };
        assert_eq!(
            by("prod", None),
            Ok(("prometheus.clusters.prod".into(), "https://prod.example/".into()))
        );
        assert_eq!(
            by("lab", None),
            Ok(("prometheus.url".into(), "https://global.example/".into()))
        );
        assert_eq!(by("prod", Some("default")).expect("global").0, "prometheus.url");
        assert_eq!(by("lab", Some("prod")).expect("named").0, "prometheus.clusters.prod");
        let missing = by("lab", Some("eu")).expect_err("no such source");
        assert!(missing.contains("prometheus.clusters has no `eu`"), "{missing}");
        let none = Sources::default();
        let query = UsageQuery::default();
        assert!(
            resolve("lab", &query, &none)
                .expect_err("nothing")
                .contains("prometheus.url is not set")
        );
    }
}
