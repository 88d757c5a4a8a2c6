//! The optional YAML configuration file. Unknown keys are errors, reported with their line, so a
//! typo never silently falls back to a default. Strings may use `${VAR}` to read the environment,
//! as in Backstage, which keeps secrets such as database passwords out of the file.

use std::{net::SocketAddr, path::Path};

use serde::Deserialize;

use super::ConfigError;

mod access;
mod catalog_reading;
mod cost;
mod demo;
mod dora;
mod kubernetes;
mod prometheus;
mod reading;

/// Largest config file accepted: a config is a few kilobytes, anything bigger is a mistake.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The file's shape. Each section mirrors the Backstage key of the same name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    app: AppSection,
    #[serde(default)]
    backend: BackendSection,
    #[serde(default)]
    catalog: CatalogSection,
    #[serde(default)]
    integrations: IntegrationsSection,
    #[serde(default)]
    events: EventsSection,
    #[serde(default)]
    scaffolder: ScaffolderSection,
    #[serde(default)]
    auth: access::AuthSection,
    #[serde(default)]
    permission: access::PermissionSection,
    #[serde(default)]
    kubernetes: kubernetes::KubernetesSection,
    #[serde(default)]
    dora: dora::DoraSection,
    /// Cairn's: cost allocation (issue 17).
    #[serde(default)]
    cost: cost::CostSection,
    /// Cairn's: the Prometheus servers SLO figures come from (issue 18).
    #[serde(default)]
    prometheus: prometheus::PrometheusSection,
    /// Cairn's: keeping SLO buckets current, their retention, the deploy gate's policy.
    #[serde(default)]
    slo: prometheus::SloSection,
    /// Cairn's: the demo (its presence switches it on).
    demo: Option<demo::DemoSection>,
}

/// `scaffolder.*`: Backstage's `concurrentTasksLimit`, and Cairn's limits and built-in templates.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScaffolderSection {
    /// Tasks run side by side by each replica (0: this replica runs none).
    concurrent_tasks_limit: Option<usize>,
    /// Longest a task may run.
    task_timeout: Option<Interval>,
    /// Register Cairn's golden-path templates (default true).
    builtin_templates: Option<bool>,
}

/// `events.modules.github.webhookSecret`, Backstage's key for GitHub webhook deliveries.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsSection {
    #[serde(default)]
    modules: EventModules,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventModules {
    github: Option<GithubEvents>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GithubEvents {
    webhook_secret: Option<String>,
}

impl std::fmt::Debug for GithubEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubEvents").finish_non_exhaustive()
    }
}

/// `integrations`: tokens per Git host, in Backstage's shape (`github: [{host, token}]`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntegrationsSection {
    #[serde(default)]
    github: Vec<HostToken>,
    #[serde(default)]
    gitlab: Vec<HostToken>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HostToken {
    host: Option<String>,
    token: Option<String>,
    /// GitHub's API (`https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise).
    api_base_url: Option<String>,
    /// GitHub Apps (the first is used); their client and webhook settings are accepted, unused.
    #[serde(default)]
    apps: Vec<GithubApp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GithubApp {
    app_id: u64,
    private_key: String,
    #[serde(rename = "clientId")]
    _client_id: Option<String>,
    #[serde(rename = "clientSecret")]
    _client_secret: Option<String>,
    #[serde(rename = "webhookSecret")]
    _webhook_secret: Option<String>,
    #[serde(rename = "webhookUrl")]
    _webhook_url: Option<String>,
}

impl std::fmt::Debug for HostToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostToken")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// `catalog`: as in Backstage's app-config (`locations`, `allowedLocationTypes`, `processingInterval`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CatalogSection {
    #[serde(default)]
    locations: Vec<LocationEntry>,
    allowed_location_types: Option<Vec<String>>,
    processing_interval: Option<Interval>,
    /// Backstage's `keep` or `delete`.
    orphan_strategy: Option<String>,
    /// Cairn's: orphans are removed after this (unless the strategy says otherwise).
    orphan_grace_period: Option<Interval>,
    #[serde(default)]
    processing: ProcessingSection,
    #[serde(default)]
    providers: ProvidersSection,
    reading: Option<catalog_reading::CatalogReadingSection>,
    /// Cairn's: how long a facet is remembered (a change on this replica forgets it at once).
    facet_cache_ttl: Option<Interval>,
    /// Cairn's: entities read by reference or uid, remembered likewise.
    #[serde(default)]
    entity_cache: CacheSection,
    /// Cairn's: pages of listings and searches, remembered likewise.
    #[serde(default)]
    query_cache: CacheSection,
}

/// `catalog.entityCache`, `catalog.queryCache`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CacheSection {
    ttl: Option<Interval>,
    max_bytes: Option<usize>,
}

/// `catalog.providers`: Backstage's GitHub entity providers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ProvidersSection {
    /// `github.<id>`: discovery of an organisation's repositories with a catalog file.
    #[serde(default)]
    github: std::collections::BTreeMap<String, GithubProvider>,
    /// `githubOrg`: one provider or a list; teams and members as Groups and Users.
    github_org: Option<OneOrMany<GithubOrgProvider>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GithubProvider {
    organization: String,
    catalog_path: Option<String>,
    host: Option<String>,
    #[serde(default)]
    filters: GithubFilters,
    schedule: Option<Schedule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GithubFilters {
    branch: Option<String>,
    repository: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GithubOrgProvider {
    #[serde(rename = "id")]
    _id: String,
    github_url: String,
    orgs: Vec<String>,
    schedule: Option<Schedule>,
}

/// Backstage's task schedule; Cairn uses the frequency (workers bound the time anyway).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Schedule {
    frequency: Interval,
    #[serde(rename = "timeout")]
    _timeout: Option<Interval>,
    #[serde(rename = "initialDelay")]
    _initial_delay: Option<Interval>,
}

/// `catalog.processing` (Cairn's): the refresh workers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ProcessingSection {
    workers: Option<usize>,
    timeout: Option<Interval>,
    claim_lease: Option<Interval>,
    retry: Option<RetrySection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetrySection {
    initial: Option<Interval>,
    max: Option<Interval>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationEntry {
    #[serde(rename = "type")]
    location_type: String,
    target: String,
}

/// A duration the way Backstage writes them: `{ minutes: 3 }`, `{ seconds: 30 }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Interval {
    #[serde(default)]
    days: u64,
    #[serde(default)]
    hours: u64,
    #[serde(default)]
    minutes: u64,
    #[serde(default)]
    seconds: u64,
    #[serde(default)]
    milliseconds: u64,
}

impl Interval {
    fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.days * 86_400 + self.hours * 3600 + self.minutes * 60 + self.seconds)
            + std::time::Duration::from_millis(self.milliseconds)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AppSection {
    title: Option<String>,
    base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BackendSection {
    /// Cairn serves API and pages from one origin, so this is the portal's URL when `app.baseUrl` is unset.
    base_url: Option<String>,
    listen: Option<Listen>,
    database: Option<Database>,
    /// Which hosts may be read (`allow`, Backstage's) and whether private networks may.
    reading: Option<reading::ReadingSection>,
}

/// `backend.listen`: either `":3000"`/`"0.0.0.0:3000"` or `{ host, port }`, as in Backstage.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Listen {
    Address(String),
    Parts { host: Option<String>, port: Option<u16> },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Database {
    /// `pg` or `better-sqlite3` (Backstage's names); `postgres` and `sqlite` are accepted too.
    client: Option<String>,
    connection: Option<Connection>,
}

/// `backend.database.connection`: a URL/path string, or PostgreSQL fields as Backstage writes them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Connection {
    Url(String),
    Fields {
        host: Option<String>,
        port: Option<u16>,
        user: Option<String>,
        password: Option<String>,
        database: Option<String>,
        /// SQLite: the directory for the database file (Backstage's better-sqlite3 option).
        directory: Option<String>,
    },
}

impl FileConfig {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<FileConfig, ConfigError> {
        let read_err = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read_err)?.len();
        if size > MAX_FILE_BYTES {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!("{size} bytes is larger than the {MAX_FILE_BYTES}-byte limit for a config file"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        FileConfig::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses YAML text; the error names the line, column and key at fault.
    pub fn parse(text: &str) -> Result<FileConfig, String> {
        if text.trim().is_empty() {
            return Ok(FileConfig::default());
        }
        serde_saphyr::from_str(text).map_err(|e| e.to_string())
    }

    pub(super) fn bind(&self, env: Env) -> Result<Option<SocketAddr>, ConfigError> {
        let Some(listen) = &self.backend.listen else {
            return Ok(None);
        };
        let (host, port) = match listen {
            Listen::Address(address) => match address.rsplit_once(':') {
                Some((host, port)) => (expand(host, "backend.listen", env)?, port.to_string()),
                None => {
                    return Err(value_error(
                        "backend.listen",
                        format!("`{address}` is not HOST:PORT or :PORT"),
                    ));
                }
            },
            Listen::Parts { host, port } => (
                host.as_deref()
                    .map(|h| expand(h, "backend.listen.host", env))
                    .transpose()?
                    .unwrap_or_default(),
                port.unwrap_or(3000).to_string(),
            ),
        };
        let host = if host.is_empty() { "127.0.0.1".to_string() } else { host };
        let text = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        text.parse()
            .map(Some)
            .map_err(|_| value_error("backend.listen", format!("`{text}` is not an IP address and port")))
    }

    pub(super) fn database_url(&self, env: Env) -> Result<Option<String>, ConfigError> {
        let Some(db) = &self.backend.database else {
            return Ok(None);
        };
        let client = db.client.as_deref().map(|c| match c {
            "pg" | "postgres" | "postgresql" => Ok(Client::Postgres),
            "better-sqlite3" | "sqlite3" | "sqlite" => Ok(Client::Sqlite),
            other => Err(value_error(
                "backend.database.client",
                format!("`{other}` is not supported; use `pg` (PostgreSQL) or `better-sqlite3` (SQLite)"),
            )),
        });
        let client = client.transpose()?;
        let url = match &db.connection {
            None if client == Some(Client::Postgres) => {
                return Err(value_error(
                    "backend.database.connection",
                    "is required when client is `pg`".into(),
                ));
            }
            None => return Ok(None),
            Some(Connection::Url(url)) => expand(url, "backend.database.connection", env)?,
            Some(Connection::Fields {
                directory: Some(dir), ..
            }) => {
                format!(
                    "{}/cairn.db",
                    expand(dir, "backend.database.connection.directory", env)?.trim_end_matches('/')
                )
            }
            Some(Connection::Fields {
                host,
                port,
                user,
                password,
                database,
                directory: None,
            }) => {
                let part = |v: &Option<String>, key, default: &str| -> Result<String, ConfigError> {
                    v.as_deref()
                        .map(|v| expand(v, key, env))
                        .transpose()
                        .map(|v| v.unwrap_or_else(|| default.to_string()))
                };
                let host = part(host, "backend.database.connection.host", "127.0.0.1")?;
                let user = part(user, "backend.database.connection.user", "postgres")?;
                let password = part(password, "backend.database.connection.password", "")?;
                let database = part(database, "backend.database.connection.database", "cairn")?;
                let auth = if password.is_empty() {
                    percent_encode(&user)
                } else {
                    format!("{}:{}", percent_encode(&user), percent_encode(&password))
                };
                format!("postgres://{auth}@{host}:{}/{database}", port.unwrap_or(5432))
            }
        };
        let is_postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        match client {
            Some(Client::Postgres) if !is_postgres => Err(value_error(
                "backend.database.connection",
                "client is `pg` but the connection is not a postgres:// URL".into(),
            )),
            Some(Client::Sqlite) if is_postgres => Err(value_error(
                "backend.database.connection",
                "client is `better-sqlite3` but the connection is a postgres:// URL".into(),
            )),
            _ => Ok(Some(url)),
        }
    }

    /// The GitHub webhook secret, if any (usually `${GITHUB_WEBHOOK_SECRET}`).
    pub(super) fn github_webhook_secret(&self, env: Env) -> Result<Option<String>, ConfigError> {
        self.events
            .modules
            .github
            .as_ref()
            .and_then(|g| g.webhook_secret.as_ref())
            .map(|s| expand(s, "events.modules.github.webhookSecret", env))
            .transpose()
    }

    /// Git credentials from `integrations.github` and `integrations.gitlab` (hosts default to
    /// github.com and gitlab.com; tokens usually come from `${VAR}`).
    pub(super) fn git_credentials(&self, env: Env) -> Result<Vec<catalog::ingest::git::Credential>, ConfigError> {
        let mut out = Vec::new();
        for (list, default_host, key) in [
            (&self.integrations.github, "github.com", "integrations.github.token"),
            (&self.integrations.gitlab, "gitlab.com", "integrations.gitlab.token"),
        ] {
            for entry in list {
                if let Some(token) = &entry.token {
                    out.push(catalog::ingest::git::Credential {
                        host: entry.host.clone().unwrap_or_else(|| default_host.to_string()),
                        token: expand(token, key, env)?,
                    });
                }
            }
        }
        Ok(out)
    }

    /// GitHub hosts and how to reach their API, from `integrations.github`.
    pub(super) fn github_integrations(
        &self,
        env: Env,
    ) -> Result<Vec<catalog::ingest::github::GithubIntegration>, ConfigError> {
        use catalog::ingest::github::{GithubAuth, GithubIntegration, GithubSettings};
        let mut out = Vec::new();
        for entry in &self.integrations.github {
            let host = entry.host.clone().unwrap_or_else(|| "github.com".to_string());
            let api_base_url = match &entry.api_base_url {
                Some(url) => expand(url, "integrations.github.apiBaseUrl", env)?,
                None if host == "github.com" => "https://api.github.com".to_string(),
                None => format!("https://{host}/api/v3"),
            };
            let auth = match (entry.apps.first(), &entry.token) {
                (Some(app), _) => GithubAuth::App {
                    app_id: app.app_id,
                    private_key_pem: catalog::service::Secret(expand(
                        &app.private_key,
                        "integrations.github.apps.privateKey",
                        env,
                    )?),
                },
                (None, Some(token)) => GithubAuth::Token(catalog::service::Secret(expand(
                    token,
                    "integrations.github.token",
                    env,
                )?)),
                (None, None) => GithubAuth::None,
            };
            out.push(GithubIntegration {
                host,
                settings: GithubSettings {
                    api_base_url,
                    auth,
                    ..GithubSettings::default()
                },
            });
        }
        Ok(out)
    }

    /// The GitHub providers as locations (type, target) with their schedules: a discovery becomes
    /// `github-discovery:https://HOST/ORG/*/blob/BRANCH/PATH[?repository=REGEX]`, each org of an
    /// org provider `github-org:https://HOST/ORG`.
    pub(super) fn github_providers(&self) -> Result<Vec<(String, String, Option<std::time::Duration>)>, ConfigError> {
        let providers = &self.catalog.providers;
        let mut out = Vec::new();
        for (id, p) in &providers.github {
            let path = p.catalog_path.as_deref().unwrap_or("/catalog-info.yaml");
            let path = path.trim_start_matches('/');
            if path.is_empty() || path.contains(['*', '?']) {
                return Err(ConfigError::Value {
                    key: "catalog.providers.github.catalogPath",
                    message: format!(
                        "provider `{id}`: the catalog path must name one file (wildcards are not supported)"
                    ),
                });
            }
            let branch = p.filters.branch.as_deref().unwrap_or("-");
            let mut target = format!(
                "https://{}/{}/*/blob/{branch}/{path}",
                p.host.as_deref().unwrap_or("github.com"),
                p.organization
            );
            if let Some(regex) = &p.filters.repository {
                target.push_str(&format!("?repository={regex}"));
            }
            out.push((
                "github-discovery".to_string(),
                target,
                p.schedule.as_ref().map(|s| s.frequency.duration()),
            ));
        }
        let orgs = match &providers.github_org {
            None => Vec::new(),
            Some(OneOrMany::One(p)) => vec![p],
            Some(OneOrMany::Many(list)) => list.iter().collect(),
        };
        for p in orgs {
            for org in &p.orgs {
                out.push((
                    "github-org".to_string(),
                    format!("{}/{org}", p.github_url.trim_end_matches('/')),
                    p.schedule.as_ref().map(|s| s.frequency.duration()),
                ));
            }
        }
        Ok(out)
    }

    /// `catalog.locations` as (type, target); relative file targets are resolved against `base`.
    pub(super) fn catalog_locations(&self, base: &Path, env: Env) -> Result<Vec<(String, String)>, ConfigError> {
        self.catalog
            .locations
            .iter()
            .map(|l| {
                let target = expand(&l.target, "catalog.locations.target", env)?;
                let target = if l.location_type == "file" && Path::new(&target).is_relative() {
                    let base = if base.is_absolute() {
                        base.to_path_buf()
                    } else {
                        std::env::current_dir().unwrap_or_default().join(base)
                    };
                    catalog::process::files::normalize(&base.join(&target))
                        .display()
                        .to_string()
                } else {
                    target
                };
                Ok((l.location_type.clone(), target))
            })
            .collect()
    }

    pub(super) fn allowed_location_types(&self) -> Option<Vec<String>> {
        self.catalog.allowed_location_types.clone()
    }

    pub(super) fn processing_interval(&self) -> Option<std::time::Duration> {
        self.catalog.processing_interval.as_ref().map(Interval::duration)
    }

    /// The refresh workers' settings over `defaults`.
    pub(super) fn processing(
        &self,
        defaults: &catalog::service::CatalogConfig,
    ) -> Result<catalog::service::CatalogConfig, ConfigError> {
        use catalog::service::OrphanPolicy;
        let p = &self.catalog.processing;
        let retry = p.retry.as_ref();
        let grace = self.catalog.orphan_grace_period.as_ref().map(Interval::duration);
        let orphans = match (self.catalog.orphan_strategy.as_deref(), grace) {
            (Some("delete"), _) => OrphanPolicy::Delete,
            (Some("keep"), None) => OrphanPolicy::Keep,
            (Some("keep") | None, Some(grace)) => OrphanPolicy::GracePeriod(grace),
            (None, None) => defaults.orphans,
            (Some(other), _) => {
                return Err(ConfigError::Value {
                    key: "catalog.orphanStrategy",
                    message: format!("`{other}` is not a strategy; use `keep` or `delete`"),
                });
            }
        };
        let config = catalog::service::CatalogConfig {
            workers: p.workers.unwrap_or(defaults.workers),
            refresh_timeout: p.timeout.as_ref().map_or(defaults.refresh_timeout, Interval::duration),
            claim_lease: p.claim_lease.as_ref().map_or(defaults.claim_lease, Interval::duration),
            retry_initial: retry
                .and_then(|r| r.initial.as_ref())
                .map_or(defaults.retry_initial, Interval::duration),
            retry_max: retry
                .and_then(|r| r.max.as_ref())
                .map_or(defaults.retry_max, Interval::duration),
            orphans,
            reading: self.catalog_reading()?,
            facet_cache_ttl: self
                .catalog
                .facet_cache_ttl
                .as_ref()
                .map_or(defaults.facet_cache_ttl, Interval::duration),
            entity_cache_ttl: self
                .catalog
                .entity_cache
                .ttl
                .as_ref()
                .map_or(defaults.entity_cache_ttl, Interval::duration),
            entity_cache_bytes: self
                .catalog
                .entity_cache
                .max_bytes
                .unwrap_or(defaults.entity_cache_bytes),
            query_cache_ttl: self
                .catalog
                .query_cache
                .ttl
                .as_ref()
                .map_or(defaults.query_cache_ttl, Interval::duration),
            query_cache_bytes: self.catalog.query_cache.max_bytes.unwrap_or(defaults.query_cache_bytes),
            ..defaults.clone()
        };
        let bounded = |key: &'static str, ok: bool, message: &str| {
            if ok {
                Ok(())
            } else {
                Err(ConfigError::Value {
                    key,
                    message: message.into(),
                })
            }
        };
        bounded(
            "catalog.facetCacheTtl",
            config.facet_cache_ttl <= std::time::Duration::from_secs(3600),
            "must be at most an hour (zero reads every facet afresh)",
        )?;
        bounded(
            "catalog.entityCache.ttl",
            config.entity_cache_ttl <= std::time::Duration::from_secs(3600),
            "must be at most an hour (zero reads every entity afresh)",
        )?;
        bounded(
            "catalog.queryCache.ttl",
            config.query_cache_ttl <= std::time::Duration::from_secs(3600),
            "must be at most an hour (zero reads every page afresh)",
        )?;
        bounded(
            "catalog.processing.workers",
            (1..=64).contains(&config.workers),
            "must be between 1 and 64",
        )?;
        bounded(
            "catalog.processing.claimLease",
            config.claim_lease >= std::time::Duration::from_millis(300),
            "must be at least 300 milliseconds",
        )?;
        bounded(
            "catalog.processing.timeout",
            config.refresh_timeout >= std::time::Duration::from_secs(1),
            "must be at least one second",
        )?;
        bounded(
            "catalog.processing.retry",
            config.retry_initial >= std::time::Duration::from_millis(100) && config.retry_max >= config.retry_initial,
            "`initial` must be at least 100 milliseconds and `max` at least `initial`",
        )?;
        Ok(config)
    }

    /// The scaffolder's settings over `defaults`, and whether the built-in templates are registered.
    pub(super) fn scaffolder(
        &self,
        defaults: templates::service::ScaffolderConfig,
    ) -> Result<(templates::service::ScaffolderConfig, bool), ConfigError> {
        let s = &self.scaffolder;
        let mut config = defaults;
        if let Some(workers) = s.concurrent_tasks_limit {
            if workers > 64 {
                return Err(value_error(
                    "scaffolder.concurrentTasksLimit",
                    "must be between 0 and 64".into(),
                ));
            }
            config.workers = workers;
        }
        if let Some(timeout) = &s.task_timeout {
            let timeout = timeout.duration();
            if timeout < std::time::Duration::from_secs(1) {
                return Err(value_error(
                    "scaffolder.taskTimeout",
                    "must be at least one second".into(),
                ));
            }
            config.limits.max_duration = timeout;
        }
        Ok((config, s.builtin_templates.unwrap_or(true)))
    }

    pub(super) fn app_title(&self) -> Option<String> {
        self.app.title.clone()
    }

    pub(super) fn app_base_url(&self) -> Option<String> {
        self.app
            .base_url
            .as_ref()
            .or(self.backend.base_url.as_ref())
            .map(|u| u.trim_end_matches('/').to_string())
    }
}

/// Looks up an environment variable (a parameter so tests need not touch the process environment).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Client {
    Postgres,
    Sqlite,
}

fn value_error(key: &'static str, message: String) -> ConfigError {
    ConfigError::Value { key, message }
}

/// Replaces `${VAR}` with the variable's value; `$${` escapes a literal `${`.
fn expand(text: &str, key: &'static str, env: Env) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if rest[..start].ends_with('$') {
            out.push_str(&rest[..start - 1]);
            out.push_str("${");
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            return Err(value_error(key, "has `${` without a closing `}`".into()));
        };
        let name = &rest[start + 2..start + end];
        let value = env(name).ok_or_else(|| {
            value_error(
                key,
                format!("refers to environment variable `{name}`, which is not set"),
            )
        })?;
        out.push_str(&value);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backstage_style_file_is_understood() {
        let file = FileConfig::parse(
            "app:\n  title: Acme Portal\n  baseUrl: https://portal.acme.dev/\nbackend:\n  listen:\n    port: 7007\n  database:\n    client: pg\n    connection:\n      host: db.internal\n      user: cairn\n      password: p@ss:word\n",
        )
        .expect("valid");
        assert_eq!(file.app_title().as_deref(), Some("Acme Portal"));
        assert_eq!(file.app_base_url().as_deref(), Some("https://portal.acme.dev"));
        assert_eq!(
            file.bind(&process_env).expect("bind"),
            Some("127.0.0.1:7007".parse().expect("addr"))
        );
        assert_eq!(
            file.database_url(&process_env).expect("db").as_deref(),
            Some("postgres://cairn:p%40ss%3Aword@db.internal:5432/cairn")
        );
    }

    #[test]
    fn listen_accepts_backstage_short_form() {
        let file = FileConfig::parse("backend:\n  listen: ':8080'\n").expect("valid");
        assert_eq!(
            file.bind(&process_env).expect("bind"),
            Some("127.0.0.1:8080".parse().expect("addr"))
        );
        let file = FileConfig::parse("backend:\n  listen: '0.0.0.0:80'\n").expect("valid");
        assert_eq!(
            file.bind(&process_env).expect("bind"),
            Some("0.0.0.0:80".parse().expect("addr"))
        );
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = FileConfig::parse("app:\n  title: x\nbackend:\n  databse:\n    client: pg\n").expect_err("typo");
        assert!(err.contains("databse"), "{err}");
        assert!(err.contains('4'), "line number missing: {err}");
    }

    #[test]
    fn malformed_yaml_is_an_error_not_a_default() {
        let err = FileConfig::parse("app:\n  title: [unclosed\n").expect_err("malformed");
        assert!(!err.is_empty());
    }

    #[test]
    fn environment_variables_are_substituted() {
        let env = |name: &str| (name == "PG_PASSWORD").then(|| "s3cret".to_string());
        let file = FileConfig::parse("backend:\n  database:\n    connection: postgres://u:${PG_PASSWORD}@h/db\n")
            .expect("valid");
        assert_eq!(
            file.database_url(&env).expect("db").as_deref(),
            Some("postgres://u:s3cret@h/db")
        );
        let missing = FileConfig::parse("backend:\n  database:\n    connection: ${CAIRN_TEST_UNSET_VAR_9}\n")
            .expect("valid")
            .database_url(&env)
            .expect_err("unset variable");
        assert!(missing.to_string().contains("CAIRN_TEST_UNSET_VAR_9"), "{missing}");
    }

    #[test]
    fn client_and_connection_must_agree() {
        let err = FileConfig::parse("backend:\n  database:\n    client: pg\n    connection: ./x.db\n")
            .expect("valid")
            .database_url(&process_env)
            .expect_err("mismatch");
        assert!(err.to_string().contains("backend.database.connection"), "{err}");
        let err = FileConfig::parse("backend:\n  database:\n    client: mysql\n")
            .expect("valid")
            .database_url(&process_env)
            .expect_err("unsupported");
        assert!(err.to_string().contains("mysql"), "{err}");
    }

    #[test]
    fn github_providers_and_integrations_read_like_backstages() {
        let file = FileConfig::parse(
            "catalog:\n  providers:\n    github:\n      acme:\n        organization: acme\n        catalogPath: /services/catalog-info.yaml\n        filters: { branch: main, repository: 'svc-.*' }\n        schedule: { frequency: { minutes: 5 }, timeout: { minutes: 3 } }\n    githubOrg:\n      id: prod\n      githubUrl: https://ghe.acme.internal\n      orgs: [acme, labs]\nintegrations:\n  github:\n    - host: ghe.acme.internal\n      apps:\n        - appId: 7\n          privateKey: ${KEY}\n          webhookSecret: w\n    - host: github.com\n      token: t\n",
        )
        .expect("valid");
        assert_eq!(
            file.github_providers().expect("providers"),
            vec![
                (
                    "github-discovery".to_string(),
                    "https://github.com/acme/*/blob/main/services/catalog-info.yaml?repository=svc-.*".to_string(),
                    Some(std::time::Duration::from_secs(300))
                ),
                (
                    "github-org".to_string(),
                    "https://ghe.acme.internal/acme".to_string(),
                    None
                ),
                (
                    "github-org".to_string(),
                    "https://ghe.acme.internal/labs".to_string(),
                    None
                ),
            ]
        );
        let env = |name: &str| (name == "KEY").then(|| "PEM".to_string());
        let integrations = file.github_integrations(&env).expect("integrations");
        assert_eq!(
            integrations[0].settings.api_base_url,
            "https://ghe.acme.internal/api/v3"
        );
        assert!(matches!(
            &integrations[0].settings.auth,
            catalog::ingest::github::GithubAuth::App { app_id: 7, private_key_pem } if private_key_pem.0 == "PEM"
        ));
        assert_eq!(integrations[1].settings.api_base_url, "https://api.github.com");
        assert!(!format!("{integrations:?}").contains("PEM"), "secrets never in Debug");

        let err = FileConfig::parse("catalog:\n  providers:\n    github:\n      x:\n        organization: a\n        catalogPath: '*/catalog-info.yaml'\n")
            .expect("valid")
            .github_providers()
            .expect_err("wildcards");
        assert!(err.to_string().contains("catalogPath"), "{err}");
    }

    #[test]
    fn scaffolder_settings_are_read_and_checked() {
        let file = FileConfig::parse(
            "scaffolder:\n  concurrentTasksLimit: 0\n  taskTimeout: { minutes: 2 }\n  builtinTemplates: false\n",
        )
        .unwrap();
        let (config, builtin) = file
            .scaffolder(templates::service::ScaffolderConfig::default())
            .unwrap();
        assert_eq!(
            (config.workers, config.limits.max_duration.as_secs(), builtin),
            (0, 120, false)
        );
        let file = FileConfig::parse("scaffolder:\n  concurrentTasksLimit: 1000\n").unwrap();
        assert!(
            file.scaffolder(templates::service::ScaffolderConfig::default())
                .is_err()
        );
        assert!(FileConfig::parse("scaffolder:\n  concurrency: 3\n").is_err());
    }

    #[test]
    fn processing_and_orphan_settings_are_checked() {
        let defaults = catalog::service::CatalogConfig::default();
        let file = FileConfig::parse(
            "catalog:\n  orphanStrategy: delete\n  processing:\n    workers: 8\n    claimLease: { seconds: 30 }\n    retry: { initial: { milliseconds: 500 }, max: { minutes: 5 } }\n",
        )
        .expect("valid");
        let config = file.processing(&defaults).expect("valid");
        assert_eq!(config.workers, 8);
        assert_eq!(config.claim_lease, std::time::Duration::from_secs(30));
        assert_eq!(config.retry_initial, std::time::Duration::from_millis(500));
        assert_eq!(config.orphans, catalog::service::OrphanPolicy::Delete);
        let grace = FileConfig::parse("catalog:\n  orphanGracePeriod: { hours: 2 }\n").expect("valid");
        assert_eq!(
            grace.processing(&defaults).expect("valid").orphans,
            catalog::service::OrphanPolicy::GracePeriod(std::time::Duration::from_secs(7200))
        );
        for (yaml, key) in [
            (
                "catalog:\n  processing:\n    workers: 0\n",
                "catalog.processing.workers",
            ),
            ("catalog:\n  orphanStrategy: sometimes\n", "catalog.orphanStrategy"),
            (
                "catalog:\n  processing:\n    claimLease: { milliseconds: 10 }\n",
                "catalog.processing.claimLease",
            ),
        ] {
            let err = FileConfig::parse(yaml)
                .expect("valid")
                .processing(&defaults)
                .expect_err(yaml);
            assert!(err.to_string().contains(key), "{err}");
        }
    }
}
