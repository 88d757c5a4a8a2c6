//! The catalog as a service for the server and its pages: registration rules (which location
//! types and targets may be registered), previews, and refreshes under a claim, so that no two
//! workers (of this process or another replica) refresh one location at a time. The loop that
//! schedules them is `crate::scheduler`.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::ingest::{self, IngestError, RefreshSettings, files::Limits};
use crate::store::{
    Candidate, CandidateResult, LocationRow, Orphans, RefreshOutcome, RefreshSummary, Store, StoreError, now_ms,
};

/// The catalog's settings (Backstage's `catalog.*` configuration keys).
#[derive(Clone, Debug)]
pub struct CatalogConfig {
    /// Locations registered from configuration, as (type, target).
    pub locations: Vec<(String, String)>,
    /// Locations Cairn registers itself (its golden paths): like configured ones, but a `file`
    /// location here does not open `file://` Git repositories to registrations and publishing.
    pub builtin_locations: Vec<(String, String)>,
    /// Location types the API may register (Backstage's `catalog.allowedLocationTypes`, default `[url]`).
    pub allowed_location_types: Vec<String>,
    /// How often every location is read again.
    pub processing_interval: std::time::Duration,
    /// Git fetches: cache directory, timeout, tokens per host.
    pub git: ingest::git::GitSettings,
    /// The secret GitHub signs webhook deliveries with (`events.modules.github.webhookSecret`);
    /// without it, deliveries are refused.
    pub github_webhook_secret: Option<Secret>,
    /// Locations refreshed side by side by this process (`catalog.processing.workers`).
    pub workers: usize,
    /// Longest a refresh may take before it is abandoned (`catalog.processing.timeout`).
    pub refresh_timeout: std::time::Duration,
    /// How long a claim on a location lasts unless renewed (`catalog.processing.claimLease`): how
    /// soon another replica takes over the work of one that died.
    pub claim_lease: std::time::Duration,
    /// Back-off after failed refreshes: the first retry's delay, doubled each time up to the max
    /// (`catalog.processing.retry.initial`, `.max`).
    pub retry_initial: std::time::Duration,
    pub retry_max: std::time::Duration,
    /// Entities that disappeared from their source (`catalog.orphanStrategy`, `catalog.orphanGracePeriod`).
    pub orphans: OrphanPolicy,
    /// GitHub hosts and how to reach their API (`integrations.github`).
    pub github: Vec<ingest::github::GithubIntegration>,
    /// How often GitHub discovery and org locations are read (their API is rate-limited): per
    /// (type, target) from a provider's `schedule.frequency`, else `provider_interval`.
    pub schedules: Vec<(String, String, std::time::Duration)>,
    pub provider_interval: std::time::Duration,
    /// Bounds on each file read (`catalog.reading`).
    pub reading: crate::read::ReadLimits,
    /// How long a facet is remembered (`catalog.facetCacheTtl`; see `store::DEFAULT_FACET_CACHE_TTL`).
    pub facet_cache_ttl: std::time::Duration,
    /// How long an entity read by reference or uid is remembered, and the most bytes of them
    /// (`catalog.entityCache.ttl`, `.maxBytes`; see `store::DEFAULT_ENTITY_CACHE_TTL`).
    pub entity_cache_ttl: std::time::Duration,
    pub entity_cache_bytes: usize,
    /// Likewise for pages of listings and searches (`catalog.queryCache.ttl`, `.maxBytes`).
    pub query_cache_ttl: std::time::Duration,
    pub query_cache_bytes: usize,
}

/// What becomes of entities that disappeared from their source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrphanPolicy {
    /// Removed at once (`orphanStrategy: delete`).
    Delete,
    /// Marked and kept for ever (`orphanStrategy: keep`, Backstage's default).
    Keep,
    /// Marked, then removed once they have been orphans this long (Cairn's default: a day).
    GracePeriod(std::time::Duration),
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
            builtin_locations: Vec::new(),
            allowed_location_types: vec!["url".into()],
            processing_interval: std::time::Duration::from_secs(120),
            git: ingest::git::GitSettings::default(),
            github_webhook_secret: None,
            workers: 4,
            refresh_timeout: std::time::Duration::from_secs(600),
            claim_lease: std::time::Duration::from_secs(60),
            retry_initial: std::time::Duration::from_secs(10),
            retry_max: std::time::Duration::from_secs(3600),
            orphans: OrphanPolicy::GracePeriod(std::time::Duration::from_secs(86_400)),
            github: Vec::new(),
            facet_cache_ttl: crate::store::DEFAULT_FACET_CACHE_TTL,
            entity_cache_ttl: crate::store::DEFAULT_ENTITY_CACHE_TTL,
            entity_cache_bytes: crate::store::DEFAULT_ENTITY_CACHE_BYTES,
            query_cache_ttl: crate::store::DEFAULT_QUERY_CACHE_TTL,
            query_cache_bytes: crate::store::DEFAULT_QUERY_CACHE_BYTES,
            schedules: Vec::new(),
            provider_interval: std::time::Duration::from_secs(1800),
            reading: crate::read::ReadLimits::default(),
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
    settings: RefreshSettings,
    /// Who this process's claims belong to (host, process and a random part: unique across replicas).
    worker: String,
    /// Wakes idle workers when a refresh is requested here (other replicas notice within a poll).
    pub(crate) wake: tokio::sync::Notify,
    /// Bumped when a refresh here changed entities, so views built from them (the Deployments
    /// mapping) follow at once; other replicas' changes are picked up by their own polling.
    changed: tokio::sync::watch::Sender<u64>,
}

impl Catalog {
    pub fn new(store: Store, mut config: CatalogConfig) -> Arc<Catalog> {
        // A file:// repository reads the local disk: only where file locations are allowed.
        config.git.allow_file = config.allowed_location_types.iter().any(|t| t == "file")
            || config.locations.iter().any(|(t, _)| t == "file");
        let builtin = std::mem::take(&mut config.builtin_locations);
        config.locations.extend(builtin);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "cairn".into());
        let random = uuid::Uuid::new_v4().simple().to_string();
        Arc::new(Catalog {
            store: store
                .with_entity_cache(config.entity_cache_ttl, config.entity_cache_bytes)
                .with_query_cache(config.query_cache_ttl, config.query_cache_bytes),
            settings: RefreshSettings {
                limits: Limits {
                    read: config.reading,
                    ..Limits::default()
                },
                git: config.git.clone(),
                github: config.github.clone(),
                orphans: match config.orphans {
                    OrphanPolicy::Delete => Orphans::Remove,
                    _ => Orphans::Mark,
                },
            },
            config,
            worker: format!("{host}-{}-{}", std::process::id(), &random[..8]),
            wake: tokio::sync::Notify::new(),
            changed: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Changes whenever a refresh on this replica added, changed or removed entities.
    pub fn entities_changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// This process's name in claims.
    pub fn worker_name(&self) -> &str {
        &self.worker
    }

    /// Registers the locations named in the configuration and unregisters configured ones that were removed.
    pub async fn sync_config_locations(&self) -> Result<(), CatalogError> {
        for (location_type, target) in &self.config.locations {
            self.store.add_location(location_type, target, "config", None).await?;
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

    /// Refreshes one location now, waiting while another worker is refreshing it.
    pub async fn refresh(&self, location: &LocationRow) -> Result<RefreshSummary, CatalogError> {
        loop {
            let until = now_ms() + self.config.claim_lease.as_millis() as i64;
            if self.store.claim(&location.id, &self.worker, until).await? {
                return self.refresh_claimed(location).await;
            }
            if self.store.location(&location.id).await?.is_none() {
                return Err(CatalogError::NotFound(format!(
                    "location {} is not registered",
                    location.target
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Refreshes a location this process has claimed: renews the claim while it works, gives up
    /// after the timeout (or if the claim is lost), then releases it with the next due time.
    pub(crate) async fn refresh_claimed(&self, location: &LocationRow) -> Result<RefreshSummary, CatalogError> {
        let started = now_ms();
        let clock = std::time::Instant::now();
        let work = tokio::time::timeout(
            self.config.refresh_timeout,
            ingest::refresh_location(&self.store, location, &self.settings),
        );
        let outcome = tokio::select! {
            done = work => match done {
                Ok(result) => result.map_err(CatalogError::from),
                Err(_) => Err(self.abandoned(location, started, format!(
                    "the refresh took longer than {} s and was abandoned", self.config.refresh_timeout.as_secs()
                )).await),
            },
            lost = self.keep_claim(&location.id) => Err(self.abandoned(location, started, lost).await),
        };
        if let Ok(s) = &outcome
            && s.added + s.updated + s.removed + s.orphaned > 0
        {
            self.changed.send_modify(|n| *n += 1);
        }
        let next_at = match &outcome {
            Ok(_) => now_ms() + jitter(self.interval_for(location)),
            Err(_) => {
                let failures = self.store.failures(&location.id).await.unwrap_or(0);
                now_ms() + jitter(backoff(failures, self.config.retry_initial, self.config.retry_max))
            }
        };
        let release = match &outcome {
            Ok(_) => RefreshOutcome::Succeeded { next_at },
            Err(_) => RefreshOutcome::Failed { next_at },
        };
        if let Err(err) = self.store.release(&location.id, &self.worker, started, release).await {
            tracing::error!(location = %location.target, error = %err, "could not release a location's claim");
        }
        match &outcome {
            Ok(summary) => tracing::info!(
                location = %location.target, added = summary.added, updated = summary.updated,
                removed = summary.removed, orphaned = summary.orphaned, unchanged = summary.unchanged,
                problems = summary.problems, read_ms = summary.read_ms, write_ms = summary.write_ms,
                ms = clock.elapsed().as_millis() as u64, "location refreshed"
            ),
            Err(err) => tracing::warn!(location = %location.target, error = %err, "location could not be refreshed"),
        }
        outcome
    }

    /// How long a location rests between refreshes.
    fn interval_for(&self, location: &LocationRow) -> std::time::Duration {
        if !location.location_type.starts_with("github-") {
            return self.config.processing_interval;
        }
        self.config
            .schedules
            .iter()
            .find(|(t, x, _)| *t == location.location_type && *x == location.target)
            .map_or(self.config.provider_interval, |(_, _, every)| *every)
    }

    /// The GitHub discovery (`github-discovery`) or org (`github-org`) locations of `owner` on
    /// `host`: a repository or membership event there asks for them to be read again.
    pub async fn github_locations_of(
        &self,
        location_type: &str,
        host: &str,
        owner: &str,
    ) -> Result<Vec<LocationRow>, CatalogError> {
        use ingest::github::provider::{DiscoveryTarget, parse_org_target};
        let of_owner = |l: &LocationRow| {
            let found = match location_type {
                "github-discovery" => DiscoveryTarget::parse(&l.target).ok().map(|t| (t.host, t.org)),
                _ => parse_org_target(&l.target).ok(),
            };
            found.is_some_and(|(h, o)| h.eq_ignore_ascii_case(host) && o.eq_ignore_ascii_case(owner))
        };
        Ok(self
            .store
            .locations()
            .await?
            .into_iter()
            .filter(|l| l.location_type == location_type && of_owner(l))
            .collect())
    }

    /// Renews the claim on a location every third of its lease; returns (why) when it is lost.
    async fn keep_claim(&self, id: &str) -> String {
        let lease = self.config.claim_lease;
        loop {
            tokio::time::sleep(lease / 3).await;
            let until = now_ms() + lease.as_millis() as i64;
            match self.store.renew_claim(id, &self.worker, until).await {
                Ok(true) => {}
                Ok(false) => {
                    return "another worker took the location over (this one was too slow to renew its claim)".into();
                }
                // A database hiccup: the claim still holds until it expires; try again.
                Err(err) => tracing::warn!(error = %err, "renewing a claim failed"),
            }
        }
    }

    /// Records a refresh that was stopped from outside (timeout, lost claim); what it wrote was rolled back.
    async fn abandoned(&self, location: &LocationRow, started: i64, why: String) -> CatalogError {
        if let Err(err) = self.store.record_refresh_failure(&location.id, started, &why).await {
            tracing::error!(error = %err, "could not record a refresh failure");
        }
        CatalogError::Ingest(IngestError::Read(why))
    }

    /// Asks for these locations to be refreshed as soon as a worker is free (here or on another replica).
    pub async fn request_refresh(&self, locations: &[LocationRow]) -> Result<(), CatalogError> {
        let ids: Vec<String> = locations.iter().map(|l| l.id.clone()).collect();
        self.store.request_refresh(&ids).await?;
        self.wake.notify_waiters();
        Ok(())
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
        // Registered already claimed: the scheduler must not start on it before this refresh does.
        let until = now_ms() + self.config.claim_lease.as_millis() as i64;
        let (location, created) = self
            .store
            .add_location(location_type, target, "api", Some((&self.worker, until)))
            .await?;
        if !created {
            return Err(CatalogError::Conflict(format!(
                "location {location_type}:{target} is already registered"
            )));
        }
        let summary = match self.refresh_claimed(&location).await {
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
        let start = match location_type {
            "url" | "git" => {
                let parsed = ingest::git::parse_target(location_type, target, &self.config.git)?;
                let held = ingest::git::checkout(&parsed, &self.config.git).await?;
                let (start, provenance) = ingest::git::provenance(&parsed, target, &held.dir);
                (start.display().to_string(), Some(provenance), Some(held))
            }
            "github-discovery" | "github-org" => {
                return Err(CatalogError::Invalid(format!(
                    "{location_type} locations are read through GitHub's API and cannot be previewed; register them"
                )));
            }
            _ => (target.to_string(), None, None),
        };
        let (start, provenance, held) = start;
        let limits = self.settings.limits;
        tokio::task::spawn_blocking(move || {
            let _held = held; // the checkout stays at its commit while it is read
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
        match location_type {
            "file" => {}
            "github-discovery" => {
                ingest::github::provider::DiscoveryTarget::parse(target)?;
                return Ok(());
            }
            "github-org" => {
                ingest::github::provider::parse_org_target(target)?;
                return Ok(());
            }
            _ => {
                ingest::git::parse_target(location_type, target, &self.config.git)?;
                return Ok(());
            }
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

/// `interval` give or take a tenth, so locations registered together spread out over time.
fn jitter(interval: std::time::Duration) -> i64 {
    let ms = interval.as_millis() as f64;
    (ms * rand::random_range(0.9..1.1)) as i64
}

/// The wait before retrying after `failures` consecutive failures (this one included).
fn backoff(failures: u32, initial: std::time::Duration, max: std::time::Duration) -> std::time::Duration {
    initial.saturating_mul(1 << failures.min(20)).min(max)
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn retries_back_off_exponentially_up_to_the_max() {
        let (initial, max) = (Duration::from_secs(10), Duration::from_secs(3600));
        let waits: Vec<u64> = (0..10).map(|f| backoff(f, initial, max).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
        assert_eq!(backoff(u32::MAX, initial, max), max);
    }
}
