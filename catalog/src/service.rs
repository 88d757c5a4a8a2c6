//! The catalog as a service for the server and its pages: registration rules (which location
//! types and targets may be registered), previews, refreshes one at a time, and the refresh loop.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::ingest::{self, IngestError, files::Limits};
use crate::store::{Candidate, CandidateResult, LocationRow, RefreshSummary, Store, StoreError};

/// The catalog's settings (Backstage's `catalog.*` configuration keys).
#[derive(Clone, Debug)]
pub struct CatalogConfig {
    /// Locations registered from configuration, as (type, target).
    pub locations: Vec<(String, String)>,
    /// Location types the API may register (Backstage's `catalog.allowedLocationTypes`, default `[url]`).
    pub allowed_location_types: Vec<String>,
    /// How often every location is read again.
    pub processing_interval: std::time::Duration,
    /// Git fetches: cache directory, timeout, tokens per host.
    pub git: ingest::git::GitSettings,
    /// The secret GitHub signs webhook deliveries with (`events.modules.github.webhookSecret`);
    /// without it, deliveries are refused.
    pub github_webhook_secret: Option<Secret>,
}

/// A secret string whose `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig {
            locations: Vec::new(),
            allowed_location_types: vec!["url".into()],
            processing_interval: std::time::Duration::from_secs(120),
            git: ingest::git::GitSettings::default(),
            github_webhook_secret: None,
        }
    }
}

/// What a caller did wrong, or what failed, in words the API passes on.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Entities and problems shown after registering or previewing a location: the first few of
/// each, and how many in all (a location may hold 100 000 entities; nobody reads them in a reply).
#[derive(Debug, Default)]
pub struct Listing {
    pub entities: Vec<Value>,
    pub entity_count: usize,
    /// Documents that did not become entities, with the reason.
    pub problems: Vec<String>,
    pub problem_count: usize,
}

/// How many entities and problems a [`Listing`] carries.
pub const LISTED: usize = 100;

impl Listing {
    fn add(&mut self, candidate: Candidate) {
        match candidate.result {
            CandidateResult::Entity { body, .. } => {
                self.entity_count += 1;
                if self.entities.len() < LISTED {
                    self.entities.push(body);
                }
            }
            CandidateResult::Problem { line, message, .. } => {
                self.problem_count += 1;
                if self.problems.len() < LISTED {
                    let at = line.map(|l| format!(":{l}")).unwrap_or_default();
                    self.problems.push(format!(
                        "{}{at} (document {}): {message}",
                        candidate.source, candidate.document
                    ));
                }
            }
        }
    }
}

/// The outcome of registering (or previewing) a location.
pub struct Registration {
    pub location: LocationRow,
    /// What the location provides (or would provide).
    pub listing: Listing,
    /// The location was registered before.
    pub exists: bool,
}

/// The catalog service shared by handlers, pages and the background loop.
pub struct Catalog {
    pub store: Store,
    pub config: CatalogConfig,
    limits: Limits,
    /// Refreshes run one at a time in this process: SQLite has one writer anyway, and two
    /// refreshes of one location must not interleave. (Several replicas coordinate in the database.)
    refreshing: tokio::sync::Mutex<()>,
}

impl Catalog {
    pub fn new(store: Store, mut config: CatalogConfig) -> Arc<Catalog> {
        // A file:// repository reads the local disk: only where file locations are allowed.
        config.git.allow_file = config.allowed_location_types.iter().any(|t| t == "file")
            || config.locations.iter().any(|(t, _)| t == "file");
        Arc::new(Catalog {
            store,
            config,
            limits: Limits::default(),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// Registers the locations named in the configuration and unregisters configured ones that were removed.
    pub async fn sync_config_locations(&self) -> Result<(), CatalogError> {
        for (location_type, target) in &self.config.locations {
            self.store.add_location(location_type, target, "config").await?;
        }
        for location in self.store.locations().await? {
            let still = self
                .config
                .locations
                .iter()
                .any(|(t, x)| *t == location.location_type && *x == location.target);
            if location.origin == "config" && !still {
                tracing::info!(target = %location.target, "location removed from the configuration: unregistering it");
                self.store.delete_location(&location.id).await?;
            }
        }
        Ok(())
    }

    /// Refreshes one location, logging the outcome.
    pub async fn refresh(&self, location: &LocationRow) -> Result<RefreshSummary, CatalogError> {
        let _guard = self.refreshing.lock().await;
        let started = std::time::Instant::now();
        match ingest::refresh_location(&self.store, location, self.limits, &self.config.git).await {
            Ok(summary) => {
                tracing::info!(
                    location = %location.target, added = summary.added, updated = summary.updated, removed = summary.removed,
                    unchanged = summary.unchanged, problems = summary.problems, read_ms = summary.read_ms,
                    write_ms = summary.write_ms, ms = started.elapsed().as_millis() as u64,
                    "location refreshed"
                );
                Ok(summary)
            }
            Err(err) => {
                tracing::warn!(location = %location.target, error = %err, "location could not be refreshed");
                Err(err.into())
            }
        }
    }

    /// The Git locations a push to `repository` (any of its URLs) on `branch` affects: those that
    /// follow that branch, or the default branch when they name none.
    pub async fn locations_for_push(
        &self,
        repository: &[&str],
        branch: &str,
        default_branch: &str,
    ) -> Result<Vec<LocationRow>, CatalogError> {
        Ok(self
            .store
            .locations()
            .await?
            .into_iter()
            .filter(|l| {
                let Ok(target) = ingest::git::parse_target(&l.location_type, &l.target, &self.config.git) else {
                    return false;
                };
                let followed = target.reference.as_deref().unwrap_or(default_branch);
                followed == branch && repository.iter().any(|r| ingest::git::same_repository(r, &target.repo))
            })
            .collect())
    }

    /// Refreshes every location; one failing never stops the others.
    pub async fn refresh_all(&self) -> Result<(), CatalogError> {
        for location in self.store.locations().await? {
            let _ = self.refresh(&location).await;
        }
        Ok(())
    }

    /// Registers a location through the API (or previews it with `dry_run`).
    pub async fn register(
        &self,
        location_type: &str,
        target: &str,
        dry_run: bool,
    ) -> Result<Registration, CatalogError> {
        self.check_registrable(location_type, target)?;
        if dry_run {
            let listing = self.preview(location_type, target).await?;
            let exists = self
                .store
                .locations()
                .await?
                .into_iter()
                .find(|l| l.location_type == location_type && l.target == target);
            let location = exists.clone().unwrap_or(LocationRow {
                id: String::new(),
                location_type: location_type.into(),
                target: target.into(),
                origin: "api".into(),
            });
            return Ok(Registration {
                location,
                listing,
                exists: exists.is_some(),
            });
        }
        let (location, created) = self.store.add_location(location_type, target, "api").await?;
        if !created {
            return Err(CatalogError::Conflict(format!(
                "location {location_type}:{target} is already registered"
            )));
        }
        let summary = match self.refresh(&location).await {
            Ok(summary) => summary,
            Err(err) => {
                // A location that cannot be read at all is not kept: the caller sees why.
                self.store.delete_location(&location.id).await?;
                return Err(err);
            }
        };
        let mut refs = self.store.entity_refs_of_location(&location.id).await?;
        refs.truncate(LISTED);
        let problems: Vec<String> = self
            .store
            .location_problems(&location.id)
            .await?
            .into_iter()
            .map(|p| format!("{}: {}", p.source, p.message))
            .collect();
        let listing = Listing {
            entities: self
                .store
                .entities_by_refs(&refs)
                .await?
                .into_iter()
                .flatten()
                .collect(),
            entity_count: summary.entities,
            problem_count: problems.len(),
            problems: problems.into_iter().take(LISTED).collect(),
        };
        Ok(Registration {
            location,
            listing,
            exists: false,
        })
    }

    /// What a location would provide, without storing anything.
    pub async fn preview(&self, location_type: &str, target: &str) -> Result<Listing, CatalogError> {
        self.check_registrable(location_type, target)?;
        let (start, provenance) = match location_type {
            "url" | "git" => {
                let parsed = ingest::git::parse_target(location_type, target, &self.config.git)?;
                let _guard = self.refreshing.lock().await; // the checkout is shared with refreshes
                let (checkout, _) = ingest::git::checkout(&parsed, &self.config.git).await?;
                let (start, provenance) = ingest::git::provenance(&parsed, target, &checkout);
                (start.display().to_string(), Some(provenance))
            }
            _ => (target.to_string(), None),
        };
        let limits = self.limits;
        tokio::task::spawn_blocking(move || {
            let mut listing = Listing::default();
            ingest::files::read_location_as(&start, provenance.as_ref(), None, &limits, &|c| c, &mut |found| {
                found.into_iter().for_each(|c| listing.add(c));
                true
            })
            .map(|()| listing)
        })
        .await
        .map_err(|e| CatalogError::Invalid(format!("reading failed: {e}")))?
        .map_err(CatalogError::from)
    }

    /// True when some location type is both allowed and readable, so registering can work.
    pub fn can_register(&self) -> bool {
        self.config
            .allowed_location_types
            .iter()
            .any(|t| ingest::READABLE_TYPES.contains(&t.as_str()))
    }

    /// Only allowed, readable types; file targets must be catalog files or directories.
    fn check_registrable(&self, location_type: &str, target: &str) -> Result<(), CatalogError> {
        if !self.config.allowed_location_types.iter().any(|t| t == location_type) {
            return Err(CatalogError::Invalid(format!(
                "location type `{location_type}` may not be registered here; allowed: {} (catalog.allowedLocationTypes)",
                self.config.allowed_location_types.join(", ")
            )));
        }
        if !ingest::READABLE_TYPES.contains(&location_type) {
            return Err(CatalogError::Invalid(format!(
                "location type `{location_type}` cannot be read by this version of Cairn"
            )));
        }
        if location_type != "file" {
            ingest::git::parse_target(location_type, target, &self.config.git)?;
            return Ok(());
        }
        if target.is_empty() || target.len() > 4096 || target.contains('\0') {
            return Err(CatalogError::Invalid(
                "the target must be a path of at most 4096 characters".into(),
            ));
        }
        let path = Path::new(target);
        let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if !is_yaml && !path.is_dir() && !target.contains('*') {
            return Err(CatalogError::Invalid(format!(
                "{target} is neither a .yaml file, a directory nor a glob"
            )));
        }
        Ok(())
    }
}

/// Registers configured locations, then refreshes everything now and every interval, until shutdown.
pub async fn run_refresh_loop(catalog: Arc<Catalog>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    if let Err(err) = catalog.sync_config_locations().await {
        tracing::error!(error = %err, "could not register the configured locations");
    }
    loop {
        if let Err(err) = catalog.refresh_all().await {
            tracing::error!(error = %err, "refreshing the catalog failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(catalog.config.processing_interval) => {}
            _ = shutdown.changed() => return,
        }
    }
}
