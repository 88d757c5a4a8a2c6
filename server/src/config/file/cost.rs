//! `cost:`: cost allocation (issue 17). Whether the watched clusters are sampled, every how long
//! (`interval`, a minute), how long samples, hourly and daily rows are kept (`retention`), how
//! the metrics API is asked for usage (`metrics`), and the prices (`prices`: currency, defaults,
//! per-cluster, node-pool and storage-class overrides, as `cost::prices::PriceSettings` reads them).

use cost::prices::PriceSettings;
use cost::settings::{CostSettings, Retention};
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
        };
        settings.check().map_err(|message| value_error("cost", message))?;
        Ok(settings)
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
}
