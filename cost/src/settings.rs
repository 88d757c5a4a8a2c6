//! The `cost:` settings: whether clusters are sampled, how often, how long each grain of the
//! history is kept, which clusters' usage comes from Prometheus (`prometheus`), and the prices
//! (`prices`). Plain data; the server reads and checks the file.

use std::time::Duration;

use crate::prices::PriceSettings;

/// How cost allocation samples, keeps and prices.
#[derive(Clone, Debug, PartialEq)]
pub struct CostSettings {
    /// Sample the watched clusters at all (default true; false leaves the history as it is).
    pub enabled: bool,
    /// Between two samples of a cluster; divides an hour evenly (default a minute).
    pub interval: Duration,
    /// How long samples, hourly and daily rows are kept.
    pub retention: Retention,
    /// How the metrics API is asked for usage: each request's timeout and largest answer.
    pub metrics_timeout: Duration,
    pub metrics_max_bytes: u64,
    pub prices: PriceSettings,
    /// Whole days compared before and after a rollout on an entity's Cost tab (default 3).
    pub rollout_days: u32,
    /// How long sums of whole past days are kept for the pages and the API, and how many.
    pub cache_ttl: Duration,
    pub cache_entries: usize,
    /// Clusters whose usage comes from Prometheus instead of the metrics API.
    pub prometheus: PrometheusUsage,
}

/// `cost.prometheus`: usage from Prometheus' cAdvisor series (the rate of
/// `container_cpu_usage_seconds_total`, `container_memory_working_set_bytes`), per watched
/// cluster, from a server of the `prometheus:` settings. Each query is bounded by
/// `cost.metrics` (timeout, largest answer) and `max_series`.
#[derive(Clone, Debug, PartialEq)]
pub struct PrometheusUsage {
    /// Watched cluster → where its series are.
    pub clusters: std::collections::BTreeMap<String, UsageQuery>,
    /// The window `rate()` looks back over (at least two scrapes; default 5 minutes).
    pub rate_window: Duration,
    /// The most containers one answer may hold (default 100 000).
    pub max_series: usize,
}

impl Default for PrometheusUsage {
    fn default() -> Self {
        Self {
            clusters: Default::default(),
            rate_window: Duration::from_secs(300),
            max_series: 100_000,
        }
    }
}

/// Where one cluster's usage series are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageQuery {
    /// A name of `prometheus.clusters`, or `default` for `prometheus.url`; `None`: the source
    /// named like the cluster where there is one, else `prometheus.url`.
    pub source: Option<String>,
    /// Label matchers added to both queries (`cluster="prod"` where one Prometheus holds many
    /// clusters); empty: none.
    pub selector: String,
}

/// How long each grain of the history is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Samples (one per container per interval): long enough to see the last hours in detail.
    pub samples: Duration,
    pub hourly: Duration,
    pub daily: Duration,
}

impl Default for Retention {
    /// Samples 2 hours, hourly rows 31 days, daily rows 400 days (a year and its comparison).
    fn default() -> Self {
        Self {
            samples: Duration::from_secs(2 * 3600),
            hourly: Duration::from_secs(31 * 86_400),
            daily: Duration::from_secs(400 * 86_400),
        }
    }
}

impl Default for CostSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            interval: Duration::from_secs(60),
            retention: Retention::default(),
            metrics_timeout: Duration::from_secs(10),
            metrics_max_bytes: 64 << 20,
            prices: PriceSettings::default(),
            rollout_days: 3,
            cache_ttl: Duration::from_secs(3600),
            cache_entries: 256,
            prometheus: PrometheusUsage::default(),
        }
    }
}

impl CostSettings {
    /// What is wrong with these settings, if anything.
    pub fn check(&self) -> Result<(), String> {
        let seconds = self.interval.as_secs();
        if self.interval.subsec_nanos() != 0 || seconds == 0 || 3600 % seconds != 0 {
            return Err("cost.interval must be whole seconds that divide an hour evenly (1 s to 1 h)".into());
        }
        let r = self.retention;
        if r.samples < self.interval || r.hourly < Duration::from_secs(3600) || r.daily < Duration::from_secs(86_400) {
            return Err(
                "cost.retention: samples must be kept at least one interval, hourly rows an hour, daily rows a day"
                    .into(),
            );
        }
        if self.metrics_timeout.is_zero() || self.metrics_timeout > self.interval.max(Duration::from_secs(10)) {
            return Err("cost.metrics.timeout must be more than zero and at most the interval (or 10 s)".into());
        }
        if !(1024..=1 << 30).contains(&self.metrics_max_bytes) {
            return Err("cost.metrics.maxBytes must be 1 KiB to 1 GiB".into());
        }
        if self.cache_ttl > Duration::from_secs(86_400) || self.cache_entries > 100_000 {
            return Err("cost.cache: ttl at most a day, entries at most 100000".into());
        }
        let p = &self.prometheus;
        if p.rate_window < Duration::from_secs(10) || p.rate_window > Duration::from_secs(3600) {
            return Err("cost.prometheus.rateWindow must be 10 s to an hour".into());
        }
        if !(1..=1_000_000).contains(&p.max_series) {
            return Err("cost.prometheus.maxSeries must be 1 to 1000000".into());
        }
        if let Some((cluster, _)) = p.clusters.iter().find(|(_, q)| !selector_is_plain(&q.selector)) {
            return Err(format!(
                "cost.prometheus.clusters.{cluster}.selector: label matchers only (`cluster=\"prod\"`), without braces or new lines"
            ));
        }
        if !(1..=30).contains(&self.rollout_days) {
            return Err("cost.rolloutDays must be 1 to 30".into());
        }
        self.prices.validate().map_err(|e| format!("cost.prices: {e}"))
    }
}

/// A selector goes inside the queries' braces: it may not close them.
fn selector_is_plain(selector: &str) -> bool {
    !selector.contains(['{', '}', '\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_and_bad_values_are_named() {
        assert_eq!(CostSettings::default().check(), Ok(()));
        let odd = CostSettings {
            interval: Duration::from_secs(7),
            ..CostSettings::default()
        };
        assert!(odd.check().expect_err("7 s").starts_with("cost.interval"));
        let second = CostSettings {
            interval: Duration::from_secs(1),
            metrics_timeout: Duration::from_secs(5),
            ..CostSettings::default()
        };
        assert_eq!(second.check(), Ok(()));
        let mut escaping = CostSettings::default();
        escaping.prometheus.clusters.insert(
            "prod".into(),
            UsageQuery {
                source: None,
                selector: "cluster=\"prod\"} or vector(1) or {a=\"b\"".into(),
            },
        );
        let err = escaping.check().expect_err("braces");
        assert!(err.starts_with("cost.prometheus.clusters.prod.selector"), "{err}");
    }
}
