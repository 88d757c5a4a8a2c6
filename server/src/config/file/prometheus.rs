//! `prometheus:` (where SLO figures come from: a URL, a bearer token or basic auth, a timeout and
//! bounds, globally and per named source) and `slo:` (how the buckets are kept current, the
//! retention, the deploy gate's policy). Secrets come from `${ENV}` and are never logged.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use slo::prometheus::{Auth, Prometheus, PrometheusSettings};
use slo::service::{GatePolicy, SloSettings, Sources};

use super::{Env, FileConfig, Interval, expand, value_error};
use crate::config::ConfigError;

/// More named sources than this is a mistake in the file.
const MAX_SOURCES: usize = 100;

/// `prometheus:`: the global server and `clusters.<name>` (an SLO whose OpenSLO data source has
/// that name reads from it).
pub(super) type PrometheusSection = ServerEntry;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ServerEntry {
    url: Option<String>,
    bearer_token: Option<String>,
    basic_auth: Option<BasicAuth>,
    timeout: Option<Interval>,
    private_network: Option<bool>,
    max_response_bytes: Option<usize>,
    max_series: Option<usize>,
    max_points: Option<usize>,
    /// Only at the top level.
    #[serde(default)]
    clusters: BTreeMap<String, ServerEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicAuth {
    username: String,
    password: String,
}

impl ServerEntry {
    /// Whether `source` names a server: `default` for `url`, else a name of `clusters`.
    pub(super) fn has_source(&self, source: &str) -> bool {
        match source {
            "default" => self.url.is_some(),
            name => self.clusters.contains_key(name),
        }
    }
}

impl std::fmt::Debug for ServerEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerEntry")
            .field("url", &self.url.as_deref().map(outbound::without_credentials))
            .finish_non_exhaustive()
    }
}

/// `slo:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct SloSection {
    sync_interval: Option<Interval>,
    claim_lease: Option<Interval>,
    settle: Option<Interval>,
    max_backfill: Option<Interval>,
    retention: Option<Interval>,
    collect_interval: Option<Interval>,
    max_slos: Option<usize>,
    max_deploys: Option<i64>,
    gate: Option<GateEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GateEntry {
    min_remaining_percent: Option<f64>,
    block_on_page: Option<bool>,
    allow_fixes: Option<bool>,
}

impl FileConfig {
    /// The Prometheus servers, checked (URL, no DNS yet).
    pub(in crate::config) fn prometheus(
        &self,
        env: Env,
        reading: &outbound::ReadingPolicy,
    ) -> Result<Sources, ConfigError> {
        let section = &self.prometheus;
        if section.clusters.len() > MAX_SOURCES {
            return Err(value_error(
                "prometheus.clusters",
                format!("more than {MAX_SOURCES} clusters"),
            ));
        }
        let mut sources = Sources {
            global: server(section, "prometheus", env, reading)?,
            named: BTreeMap::new(),
        };
        for (name, entry) in &section.clusters {
            if !entry.clusters.is_empty() {
                return Err(value_error(
                    "prometheus.clusters",
                    format!("cluster `{name}` cannot have clusters"),
                ));
            }
            let Some(p) = server(entry, "prometheus.clusters", env, reading)? else {
                return Err(value_error(
                    "prometheus.clusters.url",
                    format!("cluster `{name}` needs a url"),
                ));
            };
            sources.named.insert(name.clone(), p);
        }
        Ok(sources)
    }

    /// The `slo:` settings, checked.
    pub(in crate::config) fn slo(&self) -> Result<SloSettings, ConfigError> {
        let s = &self.slo;
        let d = SloSettings::default();
        let pick =
            |v: &Option<Interval>, default: Duration, key: &'static str, min: u64| -> Result<Duration, ConfigError> {
                let value = v.as_ref().map_or(default, Interval::duration);
                if value < Duration::from_secs(min) {
                    return Err(value_error(key, format!("must be at least {min} seconds")));
                }
                Ok(value)
            };
        let gate = match &s.gate {
            None => d.gate.clone(),
            Some(g) => {
                let percent = g.min_remaining_percent.unwrap_or(d.gate.min_remaining * 100.0);
                if !(-1_000.0..100.0).contains(&percent) {
                    return Err(value_error("slo.gate.minRemainingPercent", "must be below 100".into()));
                }
                GatePolicy {
                    min_remaining: percent / 100.0,
                    block_on_page: g.block_on_page.unwrap_or(d.gate.block_on_page),
                    allow_fixes: g.allow_fixes.unwrap_or(d.gate.allow_fixes),
                }
            }
        };
        let max_backfill = pick(&s.max_backfill, d.max_backfill, "slo.maxBackfill", 86_400)?;
        let retention = pick(&s.retention, d.retention, "slo.retention", 86_400)?;
        if retention < max_backfill {
            return Err(value_error("slo.retention", "must be at least slo.maxBackfill".into()));
        }
        let mut limits = d.limits.clone();
        limits.max_slos = s.max_slos.unwrap_or(limits.max_slos);
        Ok(SloSettings {
            sync_interval: pick(&s.sync_interval, d.sync_interval, "slo.syncInterval", 10)?,
            claim_lease: pick(&s.claim_lease, d.claim_lease, "slo.claimLease", 10)?,
            settle: pick(&s.settle, d.settle, "slo.settle", 0)?,
            max_backfill,
            retention,
            collect_interval: pick(&s.collect_interval, d.collect_interval, "slo.collectInterval", 10)?,
            max_per_round: d.max_per_round,
            limits,
            gate,
            series_step: d.series_step,
            max_deploys: s.max_deploys.unwrap_or(d.max_deploys).clamp(0, 10_000),
            // The `dora:` environments, set beside the other sections (`run::slo_settings`).
            environments: Vec::new(),
        })
    }
}

fn server(
    entry: &ServerEntry,
    key: &'static str,
    env: Env,
    reading: &outbound::ReadingPolicy,
) -> Result<Option<Prometheus>, ConfigError> {
    let Some(url) = &entry.url else {
        if entry.bearer_token.is_some() || entry.basic_auth.is_some() {
            return Err(value_error(key, "credentials without a url".into()));
        }
        return Ok(None);
    };
    let auth = match (&entry.bearer_token, &entry.basic_auth) {
        (Some(_), Some(_)) => return Err(value_error(key, "either bearerToken or basicAuth, not both".into())),
        (Some(token), None) => Auth::Bearer(expand(token, "prometheus.bearerToken", env)?),
        (None, Some(b)) => Auth::Basic {
            user: expand(&b.username, "prometheus.basicAuth.username", env)?,
            password: expand(&b.password, "prometheus.basicAuth.password", env)?,
        },
        (None, None) => Auth::None,
    };
    let d = PrometheusSettings::default();
    let settings = PrometheusSettings {
        url: expand(url, "prometheus.url", env)?,
        auth,
        private_network: entry.private_network.unwrap_or(false),
        timeout: entry.timeout.as_ref().map_or(d.timeout, Interval::duration),
        max_response_bytes: entry.max_response_bytes.unwrap_or(d.max_response_bytes),
        max_series: entry.max_series.unwrap_or(d.max_series),
        max_points: entry.max_points.unwrap_or(d.max_points),
    };
    if settings.timeout.is_zero() {
        return Err(value_error(key, "timeout must be above zero".into()));
    }
    Prometheus::new(settings, reading)
        .map(Some)
        .map_err(|e| value_error(key, e.to_string()))
}
