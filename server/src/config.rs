//! Configuration: defaults, then the YAML file (`--config`/`CAIRN_CONFIG`), then environment
//! variables and flags. File keys follow Backstage's `app-config.yaml` where the two overlap
//! (`app.title`, `app.baseUrl`, `backend.listen`, `backend.database`), so platform teams recognise them.

mod file;

use std::{net::SocketAddr, path::PathBuf};

pub use catalog::service::{CatalogConfig, OrphanPolicy};

use crate::cli::Cli;
use crate::telemetry::LogFormat;

pub use file::FileConfig;
use file::process_env;

/// Where the built site lives when nothing says otherwise: `cargo xtask build-site` writes it there.
pub const DEFAULT_SITE_ROOT: &str = "target/site";
/// The embedded database used when no database is configured.
pub const DEFAULT_DATABASE: &str = "./data/cairn.db";
/// Where the portal listens when nothing says otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";

/// A configuration problem, with the file and place where it was found.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{key}: {message}")]
    Value { key: &'static str, message: String },
}

/// The resolved configuration the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub database: DatabaseConfig,
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    pub app_title: String,
    /// Public URL of the portal, for links and (later) OIDC redirects.
    pub base_url: String,
    pub catalog: CatalogConfig,
    /// Task workers, their workspaces and limits.
    pub scaffolder: templates::service::ScaffolderConfig,
    /// Register Cairn's golden-path templates (`templates/golden-paths`) in the catalog at start-up.
    pub builtin_templates: bool,
    /// Sign-in, sessions and the permission policy.
    pub auth: crate::auth::AuthConfig,
    /// Kubernetes clusters whose workloads the Deployments views show (none: the views are off).
    pub kubernetes: Vec<deployments::ClusterConfig>,
    /// Delivery metrics: environments, rework window, Alertmanager's token (`dora:`).
    pub dora: delivery::DeliverySettings,
    /// The Prometheus servers SLO figures come from (`prometheus:`).
    pub prometheus: slo::service::Sources,
    /// SLO buckets, retention, the deploy gate (`slo:`).
    pub slo: slo::service::SloSettings,
    /// The demo's simulated cluster and generated history (`demo:`); None in a real installation.
    pub demo: Option<crate::demo::DemoSettings>,
    /// Cost allocation: sampling the watched clusters, retention, prices (`cost:`).
    pub cost: cost::settings::CostSettings,
}

/// How to reach the database. `Debug` hides credentials.
#[derive(Clone)]
pub struct DatabaseConfig {
    pub url: String,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &crate::db::redact_url(&self.url))
            .finish()
    }
}

impl Config {
    /// Resolves the configuration for a command line (flags and environment already merged by clap).
    pub fn load(cli: &Cli) -> Result<Config, ConfigError> {
        let file = match &cli.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        let config_dir = cli
            .config
            .as_ref()
            .and_then(|p| p.parent())
            .map(|p| {
                if p.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf();
        let defaults = CatalogConfig::default();
        let database_url = match &cli.database_args().database_url {
            Some(url) => url.clone(),
            None => file
                .database_url(&process_env)?
                .unwrap_or_else(|| DEFAULT_DATABASE.to_string()),
        };
        // Git checkouts live beside the SQLite file, or under ./data with PostgreSQL.
        let data_dir = if database_url.starts_with("postgres") {
            PathBuf::from("data")
        } else {
            let file = database_url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let file = file.split('?').next().unwrap_or(file);
            std::path::Path::new(file)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf)
        };
        let processing = file.processing(&defaults)?;
        let providers = file.github_providers()?;
        let mut locations = file.catalog_locations(&config_dir, &process_env)?;
        locations.extend(providers.iter().map(|(t, x, _)| (t.clone(), x.clone())));
        let schedules = providers
            .into_iter()
            .filter_map(|(t, x, every)| every.map(|e| (t, x, e)))
            .collect();
        let catalog = CatalogConfig {
            locations,
            github: file.github_integrations(&process_env)?,
            schedules,
            allowed_location_types: file.allowed_location_types().unwrap_or(defaults.allowed_location_types),
            processing_interval: file.processing_interval().unwrap_or(defaults.processing_interval),
            git: catalog::ingest::git::GitSettings {
                cache_dir: data_dir.join("git-cache"),
                credentials: file.git_credentials(&process_env)?,
                reading: file.reading_policy()?,
                ..defaults.git
            },
            github_webhook_secret: file
                .github_webhook_secret(&process_env)?
                .filter(|s| !s.is_empty())
                .map(catalog::service::Secret),
            ..processing
        };
        if catalog.processing_interval < std::time::Duration::from_secs(1) {
            return Err(ConfigError::Value {
                key: "catalog.processingInterval",
                message: "must be at least one second".into(),
            });
        }
        let (scaffolder, builtin_templates) = file.scaffolder(templates::service::ScaffolderConfig {
            work_dir: data_dir.join("scaffolder"),
            ..Default::default()
        })?;
        let serve = cli.serve_args();
        let bind = match serve.and_then(|s| s.bind) {
            Some(bind) => bind,
            None => file
                .bind(&process_env)?
                .unwrap_or_else(|| DEFAULT_BIND.parse().expect("valid default")),
        };
        let site_root = serve
            .and_then(|s| s.site_root.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SITE_ROOT));
        let log_format = match std::env::var("CAIRN_LOG_FORMAT") {
            Ok(value) => value.parse().map_err(|message| ConfigError::Value {
                key: "CAIRN_LOG_FORMAT",
                message,
            })?,
            Err(_) => LogFormat::Text,
        };
        let base_url = file.app_base_url().unwrap_or_else(|| format!("http://{bind}"));
        let production = std::env::var("CAIRN_ENV").is_ok_and(|v| v == "production");
        let auth = file.auth(&base_url, production, &process_env)?;
        let kubernetes = file.kubernetes_clusters(&process_env)?;
        let mut demo = file.demo(&config_dir, &process_env)?;
        let prometheus = file.prometheus(&process_env, &catalog.git.reading)?;
        let slo = file.slo()?;
        let cost = file.cost()?;
        let mut dora = file.dora(&process_env)?;
        // Clones for lead time live beside the catalog's, unless configured elsewhere.
        dora.changes_cache_dir
            .get_or_insert_with(|| data_dir.join("delivery-git"));
        // The demo's services' repositories, written beside the database, are read for lead time
        // through a mirror of their GitHub organisation, as a real installation reads a mirror.
        if let Some(demo) = demo.as_mut() {
            let dir = std::path::absolute(data_dir.join("demo-repositories")).map_err(|e| ConfigError::Value {
                key: "demo.history",
                message: format!("where the demo's repositories go: {e}"),
            })?;
            dora.mirrors.push(delivery::changes::Mirror {
                prefix: crate::demo::MIRRORED_REPOSITORIES.into(),
                read_from: format!("file://{}/", dir.display()),
            });
            demo.history.repositories = Some(dir);
        }
        Ok(Config {
            bind,
            database: DatabaseConfig { url: database_url },
            site_root,
            log_format,
            app_title: file.app_title().unwrap_or_else(|| "Cairn".to_string()),
            base_url,
            catalog,
            scaffolder,
            builtin_templates,
            auth,
            kubernetes,
            dora,
            prometheus,
            slo,
            demo,
            cost,
        })
    }
}
