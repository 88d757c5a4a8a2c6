//! `cost:`: cost allocation (issue 17). Whether the watched clusters are sampled, every how long
//! (`interval`, a minute), how long samples, hourly and daily rows are kept (`retention`), how
//! the metrics API is asked for usage (`metrics`), which clusters' usage comes from Prometheus
//! instead (`prometheus`, naming servers of `prometheus:`), and the prices (`prices`: currency, defaults,
//! per-cluster, node-pool and storage-class overrides, as `cost::prices::PriceSettings` reads them).

use cost::prices::PriceSettings;
use std::collections::BTreeMap;

use cost::settings::{CostSettings, PrometheusUsage, Retention, UsageQuery};
use serde::Deserialize;

use super::{FileConfig, Interval, value_error};
use crate::config::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CostSection {
    enabled: Option<bool>,
    interval: Option<Interval>,
    retention: Option<RetentionEntry>,
    metrics: Option<MetricsEntry>,
    prices: Option<PriceSettings>,
    rollout_days: Option<u32>,
    cache: Option<CacheEntry>,
    prometheus: Option<PrometheusEntry>,
}

/// `cost.prometheus`: clusters whose usage comes from Prometheus.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrometheusEntry {
    #[serde(default)]
    clusters: BTreeMap<String, UsageEntry>,
    rate_window: Option<Interval>,
    max_series: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageEntry {
    source: Option<String>,
    selector: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheEntry {
    ttl: Option<Interval>,
    entries: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionEntry {
    samples: Option<Interval>,
    hourly: Option<Interval>,
    daily: Option<Interval>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricsEntry {
    timeout: Option<Interval>,
    max_bytes: Option<u64>,
}

impl FileConfig {
    /// The `cost:` settings, checked.
    pub(in crate::config) fn cost(&self) -> Result<CostSettings, ConfigError> {
        let section = &self.cost;
        let defaults = CostSettings::default();
        let retention = section.retention.as_ref();
        let kept = |pick: fn(&RetentionEntry) -> &Option<Interval>, default| {
            retention
                .and_then(|r| pick(r).as_ref())
                .map_or(default, Interval::duration)
        };
        let metrics = section.metrics.as_ref();
        let settings = CostSettings {
            enabled: section.enabled.unwrap_or(defaults.enabled),
            interval: section.interval.as_ref().map_or(defaults.interval, Interval::duration),
            retention: Retention {
                samples: kept(|r| &r.samples, defaults.retention.samples),
                hourly: kept(|r| &r.hourly, defaults.retention.hourly),
                daily: kept(|r| &r.daily, defaults.retention.daily),
            },
            metrics_timeout: metrics
                .and_then(|m| m.timeout.as_ref())
                .map_or(defaults.metrics_timeout, Interval::duration),
            metrics_max_bytes: metrics.and_then(|m| m.max_bytes).unwrap_or(defaults.metrics_max_bytes),
            prices: section.prices.clone().unwrap_or_default(),
            rollout_days: section.rollout_days.unwrap_or(defaults.rollout_days),
            cache_ttl: section
                .cache
                .as_ref()
                .and_then(|c| c.ttl.as_ref())
                .map_or(defaults.cache_ttl, Interval::duration),
            cache_entries: section
                .cache
                .as_ref()
                .and_then(|c| c.entries)
                .unwrap_or(defaults.cache_entries),
            prometheus: self.cost_prometheus()?,
        };
        settings.check().map_err(|message| value_error("cost", message))?;
        Ok(settings)
    }

    /// `cost.prometheus`, each cluster's source checked against `prometheus:`.
    fn cost_prometheus(&self) -> Result<PrometheusUsage, ConfigError> {
        let defaults = PrometheusUsage::default();
        let Some(entry) = &self.cost.prometheus else {
            return Ok(defaults);
        };
        let mut clusters = BTreeMap::new();
        for (cluster, usage) in &entry.clusters {
            let found = match usage.source.as_deref() {
                Some(source) => self.prometheus.has_source(source),
                None => self.prometheus.has_source(cluster) || self.prometheus.has_source("default"),
            };
            if !found {
                return Err(value_error(
                    "cost.prometheus.clusters",
                    format!(
                        "cluster `{cluster}`: no such Prometheus ({}); set prometheus.url or name one of prometheus.clusters",
                        usage
                            .source
                            .as_deref()
                            .unwrap_or("neither prometheus.clusters.<cluster> nor prometheus.url")
                    ),
                ));
            }
            clusters.insert(
                cluster.clone(),
                UsageQuery {
                    source: usage.source.clone(),
                    selector: usage.selector.clone().unwrap_or_default(),
                },
            );
        }
        Ok(PrometheusUsage {
            clusters,
            rate_window: entry
                .rate_window
                .as_ref()
                .map_or(defaults.rate_window, Interval::duration),
            max_series: entry.max_series.unwrap_or(defaults.max_series),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_settings_are_read_and_checked() {
        let defaults = FileConfig::parse("{}").expect("parses").cost().expect("valid");
        assert_eq!(defaults, CostSettings::default());
        let file = FileConfig::parse(
            "cost:\n  interval: { seconds: 30 }\n  retention:\n    samples: { hours: 6 }\n    daily: { days: 90 }\n  metrics:\n    timeout: { seconds: 5 }\n    maxBytes: 1048576\n  prices:\n    currency: EUR\n    clusters:\n      prod:\n        cpu: 0.02\n        nodePools:\n          - value: g4dn.xlarge\n            gpu: 0.526\n        storageClasses: { gp3: 0.08 }\n",
        )
        .expect("parses");
        let settings = file.cost().expect("valid");
        assert_eq!(settings.interval, std::time::Duration::from_secs(30));
        assert_eq!(settings.retention.samples, std::time::Duration::from_secs(6 * 3600));
        assert_eq!(settings.retention.hourly, Retention::default().hourly);
        assert_eq!(settings.retention.daily, std::time::Duration::from_secs(90 * 86_400));
        assert_eq!(settings.metrics_max_bytes, 1 << 20);
        assert_eq!(settings.prices.currency, "EUR");
        assert_eq!(settings.prices.clusters["prod"].node_pools[0].rates.gpu, Some(0.526));
        let odd = FileConfig::parse("cost:\n  interval: { seconds: 7 }\n").expect("parses");
        let err = odd.cost().expect_err("7 s").to_string();
        assert!(err.contains("cost.interval"), "{err}");
        let negative =
            FileConfig::parse("cost:\n  prices:\n    defaults: { cpu: -1, memory: 1, gpu: 1, storage: 1 }\n")
                .expect("parses");
        assert!(negative.cost().is_err());
        let typo = FileConfig::parse("cost:\n  intervall: { seconds: 30 }\n").expect_err("unknown key");
        assert!(typo.contains("intervall"), "{typo}");
    }

    #[test]
    fn usage_from_prometheus_names_a_configured_server() {
        let file = FileConfig::parse(
            "prometheus:\n  url: http://prometheus.monitoring:9090\n  clusters:\n    prod-eu: { url: http://eu.example }\ncost:\n  prometheus:\n    rateWindow: { minutes: 2 }\n    clusters:\n      prod-eu: {}\n      staging: { source: default, selector: 'cluster=\"staging\"' }\n",
        )
        .expect("parses");
        let usage = file.cost().expect("valid").prometheus;
        assert_eq!(usage.rate_window, std::time::Duration::from_secs(120));
        assert_eq!(usage.clusters["prod-eu"], UsageQuery::default());
        assert_eq!(usage.clusters["staging"].source.as_deref(), Some("default"));
        assert_eq!(usage.clusters["staging"].selector, "cluster=\"staging\"");
        let unknown =
            FileConfig::parse("cost:\n  prometheus:\n    clusters:\n      prod: { source: eu }\n").expect("parses");
        let err = unknown.cost().expect_err("no such source").to_string();
        assert!(
            err.contains("cost.prometheus.clusters") && err.contains("`prod`"),
            "{err}"
        );
        let none = FileConfig::parse("cost:\n  prometheus:\n    clusters:\n      prod: {}\n").expect("parses");
        assert!(
            none.cost().is_err(),
            "no prometheus.url and no prometheus.clusters.prod"
        );
    }
}
