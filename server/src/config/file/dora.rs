//! `dora.*`: delivery metrics. Which clusters and namespaces are which environment (default:
//! every watched cluster is production), the rework window, the longest range a metrics request
//! covers, the bearer token Alertmanager's webhook sends and the secret PagerDuty signs with, and
//! where repositories are cloned for lead time (`changes`).

use delivery::{DeliverySettings, Environment};
use serde::Deserialize;

use super::{Env, FileConfig, Interval, expand, value_error};
use crate::config::ConfigError;

/// More environments than this is a mistake in the file.
const MAX_ENVIRONMENTS: usize = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct DoraSection {
    #[serde(default)]
    environments: Vec<EnvironmentEntry>,
    rework_window: Option<Interval>,
    max_range_days: Option<u32>,
    alertmanager: Option<AlertmanagerEntry>,
    pagerduty: Option<PagerDutyEntry>,
    changes: Option<ChangesEntry>,
    cache: Option<CacheEntry>,
}

/// `dora.cache`: each entity's judged deployments kept in memory until its data changes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CacheEntry {
    deployments: Option<usize>,
    ttl: Option<Interval>,
}

/// `dora.changes`: where repositories are cloned for lead time, and how many commits one
/// deployment's changes may have.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChangesEntry {
    cache_dir: Option<std::path::PathBuf>,
    max_commits: Option<usize>,
    #[serde(default)]
    mirrors: Vec<MirrorEntry>,
}

/// `dora.changes.mirrors[]`: repositories whose URL starts with `prefix` are read from
/// `readFrom` instead (a mirror inside the network).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MirrorEntry {
    prefix: String,
    read_from: String,
}

/// More mirrors than this is a mistake in the file.
const MAX_MIRRORS: usize = 100;

/// A mirror's two URLs: http(s), ssh or file, each ending in `/` so a prefix never cuts a name.
fn mirror(entry: &MirrorEntry) -> Result<delivery::changes::Mirror, ConfigError> {
    for (key, url) in [
        ("dora.changes.mirrors.prefix", &entry.prefix),
        ("dora.changes.mirrors.readFrom", &entry.read_from),
    ] {
        let scheme = url.split_once("://").map(|(s, _)| s);
        if !matches!(scheme, Some("https" | "http" | "ssh" | "file")) || !url.ends_with('/') {
            return Err(value_error(
                key,
                format!("`{url}` must be an https, http, ssh or file:// URL ending in `/`"),
            ));
        }
    }
    Ok(delivery::changes::Mirror {
        prefix: entry.prefix.clone(),
        read_from: entry.read_from.clone(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentEntry {
    name: String,
    #[serde(default)]
    clusters: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
    /// GitHub deployment environments that are this one.
    #[serde(default)]
    github: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertmanagerEntry {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PagerDutyEntry {
    secret: String,
}

impl std::fmt::Debug for PagerDutyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagerDutyEntry").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AlertmanagerEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertmanagerEntry").finish_non_exhaustive()
    }
}

impl FileConfig {
    /// The `dora:` settings, checked.
    pub(in crate::config) fn dora(&self, env: Env) -> Result<DeliverySettings, ConfigError> {
        let section = &self.dora;
        let defaults = DeliverySettings::default();
        if section.environments.len() > MAX_ENVIRONMENTS {
            return Err(value_error(
                "dora.environments",
                format!("more than {MAX_ENVIRONMENTS} environments"),
            ));
        }
        let mut environments: Vec<Environment> = Vec::new();
        for entry in &section.environments {
            let name = entry.name.trim();
            if name.is_empty() || name.len() > 63 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(value_error(
                    "dora.environments.name",
                    format!("`{name}` must be 1–63 characters without spaces"),
                ));
            }
            if environments.iter().any(|e| e.name == name) {
                return Err(value_error(
                    "dora.environments.name",
                    format!("environment `{name}` is configured twice"),
                ));
            }
            environments.push(Environment {
                name: name.to_string(),
                clusters: entry.clusters.iter().map(|c| c.trim().to_string()).collect(),
                namespaces: entry.namespaces.iter().map(|n| n.trim().to_string()).collect(),
                github: entry.github.iter().map(|g| g.trim().to_string()).collect(),
            });
        }
        let rework_window = section
            .rework_window
            .as_ref()
            .map_or(defaults.rework_window, Interval::duration);
        if rework_window.is_zero() || rework_window > std::time::Duration::from_secs(30 * 86_400) {
            return Err(value_error(
                "dora.reworkWindow",
                "must be more than zero and at most 30 days".into(),
            ));
        }
        let max_range_days = section.max_range_days.unwrap_or(defaults.max_range_days);
        if !(1..=800).contains(&max_range_days) {
            return Err(value_error("dora.maxRangeDays", "must be 1 to 800".into()));
        }
        let alertmanager_token = section
            .alertmanager
            .as_ref()
            .map(|a| expand(&a.token, "dora.alertmanager.token", env))
            .transpose()?
            .map(|t| t.trim().to_string());
        if alertmanager_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(value_error(
                "dora.alertmanager.token",
                "must be at least 16 characters".into(),
            ));
        }
        let pagerduty_secret = section
            .pagerduty
            .as_ref()
            .map(|p| expand(&p.secret, "dora.pagerduty.secret", env))
            .transpose()?
            .map(|s| s.trim().to_string());
        if pagerduty_secret.as_ref().is_some_and(String::is_empty) {
            return Err(value_error("dora.pagerduty.secret", "must not be empty".into()));
        }
        let changes = section.changes.as_ref();
        let max_commits = changes.and_then(|c| c.max_commits).unwrap_or(defaults.max_commits);
        if !(1..=100_000).contains(&max_commits) {
            return Err(value_error("dora.changes.maxCommits", "must be 1 to 100000".into()));
        }
        let mirrors = changes.map_or(&[][..], |c| &c.mirrors[..]);
        if mirrors.len() > MAX_MIRRORS {
            return Err(value_error(
                "dora.changes.mirrors",
                format!("more than {MAX_MIRRORS} mirrors"),
            ));
        }
        let mirrors = mirrors.iter().map(mirror).collect::<Result<Vec<_>, _>>()?;
        let cache = section.cache.as_ref();
        let cache_deployments = cache.and_then(|c| c.deployments).unwrap_or(defaults.cache_deployments);
        if cache_deployments > 50_000_000 {
            return Err(value_error("dora.cache.deployments", "must be at most 50000000".into()));
        }
        let cache_ttl = cache
            .and_then(|c| c.ttl.as_ref())
            .map_or(defaults.cache_ttl, Interval::duration);
        if cache_ttl > std::time::Duration::from_secs(86_400) {
            return Err(value_error("dora.cache.ttl", "must be at most a day".into()));
        }
        Ok(DeliverySettings {
            cache_deployments,
            cache_ttl,
            changes_cache_dir: changes.and_then(|c| c.cache_dir.clone()),
            max_commits,
            mirrors,
            environments,
            rework_window,
            max_range_days,
            alertmanager_token,
            pagerduty_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dora_settings_are_read_and_checked() {
        let file = FileConfig::parse(
            "dora:\n  environments:\n    - name: production\n      clusters: [prod-eu]\n      github: [prod]\n    - name: staging\n      namespaces: [stage]\n  reworkWindow: { hours: 12 }\n  alertmanager:\n    token: ${AM_TOKEN}\n  pagerduty:\n    secret: ${PD_SECRET}\n",
        )
        .expect("parses");
        let env = |name: &str| match name {
            "AM_TOKEN" => Some("0123456789abcdef".to_string()),
            "PD_SECRET" => Some("pd-signing-secret".to_string()),
            _ => None,
        };
        let settings = file.dora(&env).expect("valid");
        assert_eq!(settings.environments.len(), 2);
        assert_eq!(settings.environments[0].clusters, ["prod-eu"]);
        assert_eq!(settings.rework_window, std::time::Duration::from_secs(12 * 3600));
        assert_eq!(settings.alertmanager_token.as_deref(), Some("0123456789abcdef"));
        assert_eq!(settings.max_range_days, 400);
        assert_eq!(settings.pagerduty_secret.as_deref(), Some("pd-signing-secret"));
        assert_eq!(settings.environments[0].github, ["prod"]);
        assert_eq!((settings.max_commits, settings.changes_cache_dir), (1000, None));
        let changes = FileConfig::parse("dora:\n  changes:\n    cacheDir: /var/cache/cairn\n    maxCommits: 50\n")
            .expect("parses")
            .dora(&|_| None)
            .expect("valid");
        assert_eq!(changes.max_commits, 50);
        assert_eq!(
            changes.changes_cache_dir.as_deref(),
            Some(std::path::Path::new("/var/cache/cairn"))
        );
        let mirrored = FileConfig::parse(
            "dora:\n  changes:\n    mirrors:\n      - { prefix: https://github.com/acme/, readFrom: https://mirror.internal/acme/ }\n",
        )
        .expect("parses")
        .dora(&|_| None)
        .expect("valid");
        assert_eq!(mirrored.mirrors[0].read_from, "https://mirror.internal/acme/");
        let cut = FileConfig::parse(
            "dora:\n  changes:\n    mirrors:\n      - { prefix: https://github.com/acme, readFrom: https://m/acme/ }\n",
        )
        .expect("parses")
        .dora(&|_| None)
        .expect_err("a prefix that could cut a name");
        assert!(cut.to_string().contains("dora.changes.mirrors.prefix"), "{cut}");
        let typo = FileConfig::parse("dora:\n  pagerduty:\n    token: x\n").expect_err("unknown key");
        assert!(typo.contains("token"), "{typo}");

        let typo = FileConfig::parse("dora:\n  environments:\n    - name: production\n      cluster: [a]\n")
            .expect_err("unknown key");
        assert!(typo.contains("cluster") && typo.contains('4'), "{typo}");
        let short = FileConfig::parse("dora:\n  alertmanager:\n    token: short\n").expect("parses");
        let err = short.dora(&|_| None).expect_err("short token").to_string();
        assert!(err.starts_with("dora.alertmanager.token"), "{err}");
    }
}
