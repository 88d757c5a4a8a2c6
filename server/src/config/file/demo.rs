//! `demo:` (Cairn's): the demo's simulated cluster and generated delivery history. Its presence
//! switches the demo on; `cairn.dev.yaml` (what `./x run` uses) has it, a real installation not.
//!
//! ```yaml
//! demo:
//!   cluster:                               # optional: without it, no simulated cluster
//!     command: ./target/debug/kube-api     # testkit's binary, relative to this file
//!     name: simulated-demo
//!     every: { minutes: 2 }                # the script's pace
//!   history: { days: 90, seed: 1 }
//!   prometheus:                            # optional: without it (or with a prometheus: section), none
//!     command: ./target/debug/prometheus-fixture
//!     days: 8                              # history behind now (an SLO's 7-day window fits)
//! ```

use std::path::Path;

use serde::Deserialize;

use super::{Env, FileConfig, Interval, expand, value_error};
use crate::config::ConfigError;
use crate::demo::{ClusterSettings, DEFAULT_CLUSTER_NAME, DemoSettings, HistorySettings, PrometheusSettings};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemoSection {
    cluster: Option<ClusterSection>,
    history: Option<HistorySection>,
    prometheus: Option<PrometheusSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrometheusSection {
    command: String,
    days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterSection {
    command: String,
    name: Option<String>,
    every: Option<Interval>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistorySection {
    days: Option<u32>,
    seed: Option<u64>,
}

impl FileConfig {
    /// The demo's settings, when the file has a `demo:` section.
    pub(in crate::config) fn demo(&self, base: &Path, env: Env) -> Result<Option<DemoSettings>, ConfigError> {
        let Some(section) = &self.demo else {
            return Ok(None);
        };
        let cluster = match &section.cluster {
            None => None,
            Some(cluster) => {
                let command = expand(&cluster.command, "demo.cluster.command", env)?;
                let name = cluster.name.clone().unwrap_or_else(|| DEFAULT_CLUSTER_NAME.into());
                if name.is_empty() || name.len() > 63 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(value_error(
                        "demo.cluster.name",
                        format!("`{name}` must be 1–63 letters, digits or `-`"),
                    ));
                }
                let every = cluster
                    .every
                    .as_ref()
                    .map_or(std::time::Duration::from_secs(120), Interval::duration);
                if every < std::time::Duration::from_secs(1) {
                    return Err(value_error("demo.cluster.every", "must be at least one second".into()));
                }
                Some(ClusterSettings {
                    command: base.join(command),
                    name,
                    every,
                })
            }
        };
        let history = section.history.as_ref();
        let defaults = HistorySettings::default();
        let days = history.and_then(|h| h.days).unwrap_or(defaults.days);
        if !(1..=400).contains(&days) {
            return Err(value_error("demo.history.days", "must be 1 to 400".into()));
        }
        let prometheus = match &section.prometheus {
            None => None,
            Some(p) => {
                let days = p.days.unwrap_or(8);
                if !(1..=60).contains(&days) {
                    return Err(value_error("demo.prometheus.days", "must be 1 to 60".into()));
                }
                Some(PrometheusSettings {
                    command: base.join(expand(&p.command, "demo.prometheus.command", env)?),
                    days,
                })
            }
        };
        Ok(Some(DemoSettings {
            cluster,
            prometheus,
            history: HistorySettings {
                days,
                seed: history.and_then(|h| h.seed).unwrap_or(defaults.seed),
                // Beside the database: the configuration puts them there (it knows where that is).
                repositories: None,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_on_only_with_its_section() {
        let none = FileConfig::parse("app:\n  title: x\n").expect("parses");
        assert_eq!(none.demo(Path::new("."), &|_| None).expect("valid"), None);
        let on = FileConfig::parse("demo: {}\n").expect("parses");
        let settings = on.demo(Path::new("."), &|_| None).expect("valid").expect("on");
        assert_eq!((settings.cluster, settings.history), (None, HistorySettings::default()));
        let full = FileConfig::parse(
            "demo:\n  cluster:\n    command: ./target/debug/kube-api\n    every: { seconds: 30 }\n  history: { days: 30, seed: 9 }\n",
        )
        .expect("parses");
        let settings = full.demo(Path::new("/repo"), &|_| None).expect("valid").expect("on");
        let cluster = settings.cluster.expect("cluster");
        assert_eq!(cluster.command, Path::new("/repo/./target/debug/kube-api"));
        assert_eq!(cluster.name, DEFAULT_CLUSTER_NAME);
        assert_eq!(cluster.every, std::time::Duration::from_secs(30));
        assert_eq!(
            settings.history,
            HistorySettings {
                days: 30,
                seed: 9,
                repositories: None
            }
        );
        assert_eq!(settings.prometheus, None);
        let with_prometheus =
            FileConfig::parse("demo:\n  prometheus:\n    command: ./target/debug/prometheus-fixture\n")
                .expect("parses")
                .demo(Path::new("/repo"), &|_| None)
                .expect("valid")
                .expect("on");
        assert_eq!(
            with_prometheus.prometheus,
            Some(PrometheusSettings {
                command: "/repo/./target/debug/prometheus-fixture".into(),
                days: 8
            })
        );
        let typo = FileConfig::parse("demo:\n  histroy: {}\n").expect_err("unknown key");
        assert!(typo.contains("histroy"), "{typo}");
    }
}
