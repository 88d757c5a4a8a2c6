//! Registered locations, their refresh status and the problems of their last refresh.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms, query_error};

/// A registered location.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LocationRow {
    pub id: String,
    #[serde(rename = "type")]
    pub location_type: String,
    pub target: String,
    /// `config` or `api`.
    #[serde(skip)]
    pub origin: String,
}

/// The outcome of a location's last refresh.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LocationStatus {
    pub location: LocationRow,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_duration_ms: Option<i64>,
    pub entity_count: i64,
    pub last_error: Option<String>,
    pub problem_count: i64,
    /// When it is due again (ms), and whether a refresh was asked for before then.
    pub next_refresh_at: i64,
    pub refresh_requested: bool,
    /// Consecutive failed refreshes: each doubles the wait before the next attempt.
    pub failures: i64,
    /// A worker is refreshing it now.
    pub refreshing: bool,
}

/// A document of a location that did not become an entity.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProblemRow {
    pub source: String,
    pub document: Option<i64>,
    pub entity_ref: Option<String>,
    pub line: Option<i64>,
    pub category: String,
    pub message: String,
}

/// A problem from its six columns (source, document, entity_ref, line, category, message),
/// starting at column `first`.
fn problem(row: &sqlx::any::AnyRow, first: usize) -> Result<ProblemRow, sqlx::Error> {
    Ok(ProblemRow {
        source: row.try_get(first)?,
        document: row.try_get(first + 1)?,
        entity_ref: row.try_get(first + 2)?,
        line: row.try_get(first + 3)?,
        category: row.try_get(first + 4)?,
        message: row.try_get(first + 5)?,
    })
}

/// The origin of locations a discovery location registered.
pub fn discovered_by(parent_id: &str) -> String {
    format!("discovery:{parent_id}")
}

pub(super) const COLUMNS: &str = "id, type, target, origin";

pub(super) fn location(row: &sqlx::any::AnyRow) -> Result<LocationRow, sqlx::Error> {
    Ok(LocationRow {
        id: row.try_get(0)?,
        location_type: row.try_get(1)?,
        target: row.try_get(2)?,
        origin: row.try_get(3)?,
    })
}

impl Store {
    /// Registers a location, or returns the existing one with the same type and target.
    /// The flag says whether it was created now. A new location is due at once, unless
    /// `claimed_by` (worker, until) claims it for the caller, who refreshes it itself.
    pub async fn add_location(
        &self,
        location_type: &str,
        target: &str,
        origin: &str,
        claimed_by: Option<(&str, i64)>,
    ) -> Result<(LocationRow, bool), StoreError> {
        if let Some(existing) = self.location_by_target(location_type, target).await? {
            return Ok((existing, false));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let _write = self.writing().await;
        let inserted = sqlx::query(
            "INSERT INTO locations (id, type, target, origin, created_at, claimed_by, claim_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (type, target) DO NOTHING",
        )
        .bind(&id)
        .bind(location_type)
        .bind(target)
        .bind(origin)
        .bind(now_ms())
        .bind(claimed_by.map(|(w, _)| w))
        .bind(claimed_by.map(|(_, until)| until))
        .execute(self.pool())
        .await
        .map_err(query_error("registering a location"))?;
        let row = self
            .location_by_target(location_type, target)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a location vanished right after it was registered".into()))?;
        Ok((row, inserted.rows_affected() == 1))
    }

    async fn location_by_target(&self, location_type: &str, target: &str) -> Result<Option<LocationRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM locations WHERE type = $1 AND target = $2"
        ))
        .bind(location_type)
        .bind(target)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("reading a location"))?
        .map(|r| location(&r))
        .transpose()
        .map_err(query_error("reading a location"))
    }

    /// One location by id.
    pub async fn location(&self, id: &str) -> Result<Option<LocationRow>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM locations WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("reading a location"))?
            .map(|r| location(&r))
            .transpose()
            .map_err(query_error("reading a location"))
    }

    /// Every location, oldest first.
    pub async fn locations(&self) -> Result<Vec<LocationRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM locations ORDER BY created_at, id"))
            .fetch_all(self.pool())
            .await
            .map_err(query_error("listing locations"))?;
        rows.iter()
            .map(location)
            .collect::<Result<_, _>>()
            .map_err(query_error("listing locations"))
    }

    /// Every location with the outcome of its last refresh.
    pub async fn location_statuses(&self) -> Result<Vec<LocationStatus>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.id, l.type, l.target, l.origin, l.last_attempt_at, l.last_success_at, l.last_duration_ms, \
             l.entity_count, l.last_error, (SELECT COUNT(*) FROM location_problems p WHERE p.location_id = l.id), \
             l.next_refresh_at, CASE WHEN l.requested_at IS NULL THEN 0 ELSE 1 END, l.failures, \
             CASE WHEN l.claim_until >= $1 THEN 1 ELSE 0 END \
             FROM locations l ORDER BY l.created_at, l.id",
        )
        .bind(now_ms())
        .fetch_all(self.pool())
        .await
        .map_err(query_error("listing location statuses"))?;
        let read = |r: &sqlx::any::AnyRow| -> Result<LocationStatus, sqlx::Error> {
            Ok(LocationStatus {
                location: location(r)?,
                last_attempt_at: r.try_get(4)?,
                last_success_at: r.try_get(5)?,
                last_duration_ms: r.try_get(6)?,
                entity_count: r.try_get(7)?,
                last_error: r.try_get(8)?,
                problem_count: r.try_get(9)?,
                next_refresh_at: r.try_get(10)?,
                refresh_requested: r.try_get::<i64, _>(11)? != 0,
                failures: r.try_get(12)?,
                refreshing: r.try_get::<i64, _>(13)? != 0,
            })
        };
        rows.iter()
            .map(read)
            .collect::<Result<_, _>>()
            .map_err(query_error("listing location statuses"))
    }

    /// The location that provides an entity.
    pub async fn location_of_entity(&self, entity_ref: &str) -> Result<Option<LocationRow>, StoreError> {
        sqlx::query(
            "SELECT l.id, l.type, l.target, l.origin FROM locations l JOIN entities e ON e.location_id = l.id \
             WHERE e.entity_ref = $1",
        )
        .bind(entity_ref)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("reading an entity's location"))?
        .map(|r| location(&r))
        .transpose()
        .map_err(query_error("reading an entity's location"))
    }

    /// Unregisters a location and removes every entity only it provided (in one transaction),
    /// and likewise the locations it discovered. Returns false when there was no such location.
    pub async fn delete_location(&self, id: &str) -> Result<bool, StoreError> {
        for child in self.locations_discovered_by(id).await? {
            Box::pin(self.delete_location(&child.id)).await?;
        }
        let write = self.writing().await;
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(query_error("starting to unregister a location"))?;
        super::facets::record(
            &mut tx,
            self.postgres,
            super::facets::Entities::Location(id),
            super::facets::Change::Removed,
        )
        .await?;
        for statement in [
            "DELETE FROM search WHERE entity_id IN (SELECT id FROM entities WHERE location_id = $1)",
            "DELETE FROM entity_text WHERE entity_id IN (SELECT id FROM entities WHERE location_id = $1)",
            "DELETE FROM relations WHERE source_ref IN (SELECT entity_ref FROM entities WHERE location_id = $1)",
            "DELETE FROM entities WHERE location_id = $1",
            "DELETE FROM location_problems WHERE location_id = $1",
        ] {
            sqlx::query(statement)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(query_error("unregistering a location"))?;
        }
        let deleted = sqlx::query("DELETE FROM locations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(query_error("unregistering a location"))?;
        tx.commit().await.map_err(query_error("unregistering a location"))?;
        drop(write);
        self.fold_facets_logged().await;
        Ok(deleted.rows_affected() == 1)
    }

    /// The locations a discovery location registered (their origin names it).
    pub async fn locations_discovered_by(&self, id: &str) -> Result<Vec<LocationRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM locations WHERE origin = $1"))
            .bind(discovered_by(id))
            .fetch_all(self.pool())
            .await
            .map_err(query_error("listing discovered locations"))?;
        rows.iter()
            .map(location)
            .collect::<Result<_, _>>()
            .map_err(query_error("listing discovered locations"))
    }

    /// Makes the locations discovered by `parent` exactly `targets` (of `location_type`): new ones
    /// are registered, due at once; those no longer found are unregistered with their entities.
    /// A target registered already by someone else stays theirs. Returns (added, removed).
    pub async fn sync_discovered(
        &self,
        parent: &str,
        location_type: &str,
        targets: &std::collections::BTreeSet<String>,
    ) -> Result<(usize, usize), StoreError> {
        let origin = discovered_by(parent);
        let existing = self.locations_discovered_by(parent).await?;
        let mut removed = 0;
        for gone in existing.iter().filter(|l| !targets.contains(&l.target)) {
            removed += usize::from(self.delete_location(&gone.id).await?);
        }
        let mut added = 0;
        for target in targets {
            if !existing.iter().any(|l| &l.target == target) {
                let (_, created) = self.add_location(location_type, target, &origin, None).await?;
                added += usize::from(created);
            }
        }
        Ok((added, removed))
    }

    /// References of the entities a location provides.
    pub async fn entity_refs_of_location(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT entity_ref FROM entities WHERE location_id = $1 ORDER BY entity_ref")
            .bind(id)
            .fetch_all(self.pool())
            .await
            .map_err(query_error("listing a location's entities"))?;
        rows.iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(query_error("listing a location's entities"))
    }

    /// The problems of a location's last refresh.
    pub async fn location_problems(&self, id: &str) -> Result<Vec<ProblemRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT source, document, entity_ref, line, category, message FROM location_problems \
             WHERE location_id = $1 ORDER BY source, document",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading location problems"))?;
        rows.iter()
            .map(|r| problem(r, 0))
            .collect::<Result<_, _>>()
            .map_err(query_error("reading location problems"))
    }

    /// The first `per_location` problems of every location, by location id: one statement, however
    /// many locations (the admin page lists them all).
    pub async fn first_problems(
        &self,
        per_location: usize,
    ) -> Result<std::collections::HashMap<String, Vec<ProblemRow>>, StoreError> {
        let rows = sqlx::query(
            "SELECT location_id, source, document, entity_ref, line, category, message FROM ( \
               SELECT p.*, ROW_NUMBER() OVER (PARTITION BY location_id ORDER BY source, document) AS n \
               FROM location_problems p) ranked \
             WHERE n <= $1 ORDER BY location_id, n",
        )
        .bind(per_location as i64)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading location problems"))?;
        let mut out: std::collections::HashMap<String, Vec<ProblemRow>> = std::collections::HashMap::new();
        for r in &rows {
            let location_id: String = r.try_get(0).map_err(query_error("reading location problems"))?;
            let found = problem(r, 1).map_err(query_error("reading location problems"))?;
            out.entry(location_id).or_default().push(found);
        }
        Ok(out)
    }

    /// Records a refresh that failed as a whole (the location could not be read); its entities stay.
    pub async fn record_refresh_failure(&self, id: &str, started_ms: i64, message: &str) -> Result<(), StoreError> {
        let _write = self.writing().await;
        sqlx::query("UPDATE locations SET last_attempt_at = $1, last_duration_ms = $2, last_error = $3 WHERE id = $4")
            .bind(started_ms)
            .bind(now_ms() - started_ms)
            .bind(message)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(query_error("recording a refresh failure"))?;
        Ok(())
    }

    /// The source version (a Git commit) the location's entities were last read from, unless
    /// its latest refresh failed.
    pub async fn source_version(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT source_version FROM locations WHERE id = $1 AND last_error IS NULL")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("reading a location's version"))?;
        row.map(|r| r.try_get::<Option<String>, _>(0))
            .transpose()
            .map(Option::flatten)
            .map_err(query_error("reading a location's version"))
    }

    /// A refresh that succeeded without writing entities itself: a source found unchanged
    /// (`count` None: the count recorded last time stands), or a discovery (`count` found).
    /// Returns the location's entity count.
    pub async fn record_refresh_success(
        &self,
        id: &str,
        started_ms: i64,
        count: Option<usize>,
    ) -> Result<usize, StoreError> {
        let now = now_ms();
        let _write = self.writing().await;
        let count: i64 = sqlx::query(
            "UPDATE locations SET last_attempt_at = $1, last_success_at = $2, last_duration_ms = $3, \
             entity_count = COALESCE($4, entity_count), last_error = NULL WHERE id = $5 RETURNING entity_count",
        )
        .bind(started_ms)
        .bind(now)
        .bind(now - started_ms)
        .bind(count.map(|c| c as i64))
        .bind(id)
        .fetch_one(self.pool())
        .await
        .and_then(|r| r.try_get(0))
        .map_err(query_error("recording a refresh"))?;
        Ok(count as usize)
    }
}
