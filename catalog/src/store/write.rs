//! Applying a refresh of one location: everything it now provides replaces what it provided
//! before, in one transaction. Unchanged entities are not rewritten; an entity whose new version
//! fails keeps its last good version with the errors attached; an entity claimed by another
//! location is refused (Backstage's rule), never silently taken over.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Row};

mod orphans;
mod rows;

pub use orphans::{ORPHAN_ANNOTATION, Orphans};
use orphans::{ORPHANED, mark_orphaned};
use rows::{RowText, insert_rows};

use super::facets::{self, Change, Entities};
use super::search::{search_heading, search_rows, search_text};
use super::{Store, StoreError, now_ms, query_error};
use crate::model::{EntityRef, RelationEdge};

/// One document read from the location.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The file it came from.
    pub source: String,
    pub document: usize,
    pub entity_ref: Option<EntityRef>,
    pub result: CandidateResult,
}

/// What the document turned into.
#[derive(Clone, Debug)]
pub enum CandidateResult {
    Entity {
        body: Value,
        raw: Value,
        relations: Vec<RelationEdge>,
    },
    Problem {
        category: &'static str,
        line: Option<usize>,
        message: String,
    },
}

/// Counts of what a refresh changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RefreshSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Entities no longer in the source, kept and marked until their grace period ends.
    pub orphaned: usize,
    pub problems: usize,
    pub entities: usize,
    /// Time spent reading and processing the location, and writing the result.
    pub read_ms: u64,
    pub write_ms: u64,
    /// The source had not changed since it was last read (the same Git commit): nothing was read.
    pub source_unchanged: bool,
    /// Only the files changed since the last commit read were read.
    pub partial: bool,
}

/// SQLite page cache (KiB) of the connection writing a refresh: it holds the hot parts of the
/// indexes a refresh writes to. The connection is closed afterwards, which frees it.
const REFRESH_CACHE_KIB: u32 = 163_840;

/// Changed entities after which the database's statistics are refreshed.
const ANALYZE_AFTER: usize = 1_000;

/// Columns written by a refresh, and whether each holds an integer.
const ENTITY_COLUMNS: [(&str, bool); 14] = [
    ("uid", false),
    ("entity_ref", false),
    ("kind", false),
    ("namespace", false),
    ("name", false),
    ("location_id", false),
    ("source", false),
    ("document", true),
    ("hash", false),
    ("etag", false),
    ("body", false),
    ("raw", false),
    ("created_at", true),
    ("updated_at", true),
];
const RELATION_COLUMNS: [(&str, bool); 3] = [("source_ref", false), ("type", false), ("target_ref", false)];
const TEXT_COLUMNS: [(&str, bool); 3] = [("entity_id", true), ("text", false), ("heading", false)];
const SEARCH_COLUMNS: [(&str, bool); 4] = [
    ("entity_id", true),
    ("key", false),
    ("value", false),
    ("original_value", false),
];
const PROBLEM_COLUMNS: [(&str, bool); 7] = [
    ("location_id", false),
    ("source", false),
    ("document", true),
    ("entity_ref", false),
    ("line", true),
    ("category", false),
    ("message", false),
];

/// What the store holds of a location before its refresh (ref → uid, content hash, creation
/// time), and what every row of this refresh shares.
#[derive(Debug, Default)]
pub struct Known {
    entities: HashMap<String, Existing>,
    location_id: String,
    now: i64,
}

#[derive(Debug)]
struct Existing {
    uid: String,
    hash: String,
    created_at: i64,
    /// The file it was read from, and its kind.
    source: String,
    kind: String,
}

/// A candidate turned into rows, ready to write. Preparing is pure CPU work (hashing,
/// serialising, flattening for search), so it runs on the reading threads, not the writer's.
#[derive(Debug)]
pub struct Prepared {
    source: String,
    document: usize,
    entity_ref: Option<String>,
    outcome: Outcome,
}

#[derive(Debug)]
enum Outcome {
    /// Same content as stored: nothing to write.
    Unchanged,
    Entity(Box<EntityRows>),
    Problem {
        category: &'static str,
        line: Option<usize>,
        message: String,
    },
}

#[derive(Debug)]
struct EntityRows {
    /// The uid it keeps (changed) or receives (new).
    uid: String,
    /// Its `entities` row, its `relations` rows, and its `entity_text` and `search` rows without
    /// the entity's id.
    row: RowText,
    relations: Vec<RowText>,
    text: RowText,
    search: Vec<RowText>,
}

impl Known {
    /// Turns a candidate into what the refresh writes for it.
    pub fn prepare(&self, candidate: Candidate) -> Prepared {
        let entity_ref = candidate.entity_ref.as_ref().map(ToString::to_string);
        let outcome = match (candidate.result, &candidate.entity_ref, &entity_ref) {
            (
                CandidateResult::Problem {
                    category,
                    line,
                    message,
                },
                _,
                _,
            ) => Outcome::Problem {
                category,
                line,
                message,
            },
            (
                CandidateResult::Entity {
                    mut body,
                    raw,
                    relations,
                },
                Some(parsed),
                Some(reference),
            ) => {
                let hash = content_hash(&body, &relations);
                match self.entities.get(reference) {
                    Some(old) if old.hash == hash => Outcome::Unchanged,
                    old => {
                        let uid = old.map_or_else(|| uuid::Uuid::now_v7().to_string(), |e| e.uid.clone());
                        let etag = &hash[..20];
                        if let Some(Value::Object(metadata)) = body.get_mut("metadata") {
                            metadata.insert("uid".into(), Value::String(uid.clone()));
                            metadata.insert("etag".into(), Value::String(etag.to_string()));
                        }
                        let row = RowText::default()
                            .text(&uid)
                            .text(reference)
                            .text(&parsed.kind)
                            .text(&parsed.namespace)
                            .text(&parsed.name)
                            .text(&self.location_id)
                            .text(&candidate.source)
                            .int(candidate.document as i64)
                            .text(&hash)
                            .text(etag)
                            .text(&body.to_string())
                            .text(&raw.to_string())
                            .int(old.map_or(self.now, |e| e.created_at))
                            .int(self.now);
                        Outcome::Entity(Box::new(EntityRows {
                            text: RowText::default()
                                .text(&search_text(&body, reference))
                                .text(&search_heading(&body)),
                            search: search_rows(&body)
                                .iter()
                                .map(|(key, value, original)| RowText::default().text(key).text(value).text(original))
                                .collect(),
                            relations: relations
                                .iter()
                                .map(|e| {
                                    RowText::default()
                                        .text(&e.source.to_string())
                                        .text(e.relation_type)
                                        .text(&e.target.to_string())
                                })
                                .collect(),
                            uid,
                            row,
                        }))
                    }
                }
            }
            // Every entity has a ref; a candidate without one has nothing to store.
            (CandidateResult::Entity { .. }, _, _) => Outcome::Problem {
                category: "invalid",
                line: None,
                message: "the entity has no kind, namespace and name to be stored under".into(),
            },
        };
        Prepared {
            source: candidate.source,
            document: candidate.document,
            entity_ref,
            outcome,
        }
    }
}

/// A refresh in progress: one open transaction that batches of prepared candidates are written
/// into as they are read, so a reader never sees half of it and memory stays bounded.
pub struct Refresh {
    /// A connection of its own, closed when the refresh ends: dropped unfinished (an error, a
    /// cancelled task), the database rolls the transaction back.
    tx: PoolConnection<Any>,
    /// This refresh's turn to write, held until it ends.
    write_turn: tokio::sync::OwnedSemaphorePermit,
    postgres: bool,
    location_id: String,
    known: std::sync::Arc<Known>,
    /// Refs this refresh has provided so far: later duplicates are refused, the rest removed.
    seen: HashSet<String>,
    /// For a partial refresh, the files read: only what came from them can be removed.
    scope: Option<HashSet<String>>,
    summary: RefreshSummary,
    /// Errors were attached to or cleared from an entity: what the API shows of it changed.
    errors_changed: bool,
}

impl Store {
    /// Opens the transaction that replaces what `location_id` provides. With `files` (the files
    /// that changed since the last read), it replaces only what those provided when re-reading
    /// just them gives what re-reading everything would ([`Refresh::partial`] says which): only
    /// their entities are loaded, so a one-file push to a 100 000-entity location costs little.
    pub async fn begin_refresh(
        &self,
        location_id: &str,
        files: Option<HashSet<String>>,
    ) -> Result<Refresh, StoreError> {
        let write = self.writing_owned().await;
        let mut tx = self.pool().acquire().await.map_err(query_error("starting a refresh"))?;
        tx.close_on_drop();
        if !self.postgres {
            // A refresh touches every index; a larger page cache for its duration (on this
            // connection only) saves most of the re-reading.
            // Its commit does not copy the write-ahead log into the database file (a large refresh
            // would wait for hundreds of megabytes): that happens afterwards, off the clock.
            sqlx::query(&format!(
                "PRAGMA cache_size = -{REFRESH_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0"
            ))
            .execute(&mut *tx)
            .await
            .map_err(query_error("starting a refresh"))?;
        }
        sqlx::query("BEGIN")
            .execute(&mut *tx)
            .await
            .map_err(query_error("starting a refresh"))?;
        let partial = match files {
            Some(files) => {
                let known = known_entities(&mut tx, location_id, Some(&files)).await?;
                known.can_read_only(&files).then_some((known, files))
            }
            None => None,
        };
        let (known, scope) = match partial {
            Some((known, files)) => (known, Some(files)),
            None => (known_entities(&mut tx, location_id, None).await?, None),
        };
        for (sql, files) in scoped("DELETE FROM location_problems WHERE location_id = $1", scope.as_ref()) {
            let q = scoped_query(&sql, location_id, files);
            q.execute(&mut *tx).await.map_err(query_error("clearing problems"))?;
        }
        Ok(Refresh {
            tx,
            write_turn: write,
            postgres: self.postgres,
            location_id: location_id.to_string(),
            known: std::sync::Arc::new(known),
            seen: HashSet::new(),
            errors_changed: false,
            scope,
            summary: RefreshSummary::default(),
        })
    }
}

impl Known {
    /// Whether re-reading only `files` (names as stored in `source`) gives what re-reading the
    /// whole location would: each must have provided entities, and none a `Location`, which could
    /// lead to files not read otherwise.
    fn can_read_only(&self, files: &HashSet<String>) -> bool {
        let mut providing: HashSet<&str> = HashSet::new();
        for e in self.entities.values() {
            if files.contains(&e.source) {
                if e.kind == "location" {
                    return false;
                }
                providing.insert(&e.source);
            }
        }
        providing.len() == files.len()
    }
}

impl Refresh {
    /// Only some files are re-read (see [`Store::begin_refresh`]); entities from others stay.
    pub fn partial(&self) -> bool {
        self.scope.is_some()
    }

    /// What the location provided before, for [`Known::prepare`] on the reading threads.
    pub fn known(&self) -> std::sync::Arc<Known> {
        self.known.clone()
    }

    /// Writes one batch. Conflicts are decided here, in read order: an entity provided by another
    /// location, or defined twice in this one, is refused with a problem saying so.
    pub async fn apply(&mut self, batch: Vec<Prepared>) -> Result<(), StoreError> {
        let tx: &mut AnyConnection = &mut self.tx;
        let partial = self.scope.is_some().then_some(&*self.known);
        let (claimed, elsewhere_here) =
            claimed_elsewhere(tx, self.postgres, &self.location_id, partial, &batch).await?;
        let mut problems: Vec<RowText> = Vec::new();
        let mut kept_with_errors: Vec<(String, String)> = Vec::new();
        let mut clear_errors: Vec<String> = Vec::new();
        let mut fresh: Vec<(String, Prepared)> = Vec::new();
        for prepared in batch {
            let reference = prepared.entity_ref.clone();
            let problem = |category: &str, line: Option<usize>, message: String| {
                RowText::default()
                    .text(&self.location_id)
                    .text(&prepared.source)
                    .int(prepared.document as i64)
                    .opt_text(reference.as_deref())
                    .opt_int(line.map(|l| l as i64))
                    .text(category)
                    .text(&message)
            };
            let existing = reference.as_ref().and_then(|r| self.known.entities.get(r));
            match (&prepared.outcome, &reference) {
                (Outcome::Unchanged | Outcome::Entity(_), Some(r)) if claimed.contains_key(r) => {
                    problems.push(problem(
                        "conflict",
                        None,
                        format!(
                            "{r} is already provided by location {}; an entity can come from one location only",
                            claimed[r]
                        ),
                    ));
                }
                (Outcome::Unchanged | Outcome::Entity(_), Some(r)) if elsewhere_here.contains(r) => {
                    problems.push(problem(
                        "conflict",
                        None,
                        format!("{r} is defined more than once in this location; the first definition is used"),
                    ));
                }
                (Outcome::Unchanged | Outcome::Entity(_), Some(r)) if !self.seen.insert(r.clone()) => {
                    problems.push(problem(
                        "conflict",
                        None,
                        format!("{r} is defined more than once in this location; the first definition is used"),
                    ));
                }
                (Outcome::Unchanged, _) => {
                    self.summary.unchanged += 1;
                    if let Some(old) = existing {
                        clear_errors.push(old.uid.clone());
                    }
                }
                (Outcome::Entity(_), Some(r)) => fresh.push((r.clone(), prepared)),
                (
                    Outcome::Problem {
                        category,
                        line,
                        message,
                    },
                    Some(r),
                ) if existing.is_some() && !self.seen.contains(r) => {
                    // The last good version stays, with the reason it could not be updated.
                    self.seen.insert(r.clone());
                    let errors = serde_json::json!([{"category": category, "line": line, "message": message, "source": prepared.source}]);
                    kept_with_errors.push((existing.map(|e| e.uid.clone()).unwrap_or_default(), errors.to_string()));
                    problems.push(problem(category, *line, message.clone()));
                }
                (
                    Outcome::Problem {
                        category,
                        line,
                        message,
                    },
                    _,
                ) => problems.push(problem(category, *line, message.clone())),
                (Outcome::Entity(_), None) => {}
            }
        }
        let (added, updated) = write_entities(tx, self.postgres, &self.known, fresh).await?;
        self.summary.added += added;
        self.summary.updated += updated;
        self.summary.problems += problems.len();
        self.errors_changed |= !kept_with_errors.is_empty();
        for (uid, errors) in &kept_with_errors {
            sqlx::query("UPDATE entities SET errors = $1 WHERE uid = $2")
                .bind(errors)
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(query_error("recording entity errors"))?;
        }
        for chunk in clear_errors.chunks(500) {
            let list = placeholders(1, chunk.len());
            let sql = format!("UPDATE entities SET errors = NULL WHERE errors IS NOT NULL AND uid IN ({list})");
            let mut q = sqlx::query(&sql);
            for uid in chunk {
                q = q.bind(uid);
            }
            let cleared = q
                .execute(&mut *tx)
                .await
                .map_err(query_error("clearing entity errors"))?;
            self.errors_changed |= cleared.rows_affected() > 0;
        }
        insert_rows(tx, self.postgres, "location_problems", &PROBLEM_COLUMNS, problems, None).await?;
        Ok(())
    }

    /// Gives up: nothing of this refresh is kept.
    pub async fn abandon(mut self) -> Result<(), StoreError> {
        sqlx::query("ROLLBACK")
            .execute(&mut *self.tx)
            .await
            .map_err(query_error("abandoning a refresh"))
            .map(|_| ())
    }

    /// Deals with what the location no longer provides (orphaned or removed, per `orphans`),
    /// records the outcome and commits. `version` is what was read (a Git commit), so an
    /// unchanged source is not read again.
    pub async fn finish(
        mut self,
        store: &Store,
        started_ms: i64,
        version: Option<&str>,
        orphans: Orphans,
    ) -> Result<RefreshSummary, StoreError> {
        let tx: &mut AnyConnection = &mut self.tx;
        let gone: Vec<&Existing> = self
            .known
            .entities
            .iter()
            .filter(|(r, e)| !self.seen.contains(*r) && self.scope.as_ref().is_none_or(|s| s.contains(&e.source)))
            .map(|(_, e)| e)
            .collect();
        match orphans {
            Orphans::Remove => {
                let removed: Vec<String> = gone.iter().map(|e| e.uid.clone()).collect();
                self.summary.removed = removed.len();
                delete_entities(tx, self.postgres, &removed).await?;
            }
            Orphans::Mark => {
                let newly: Vec<String> = gone
                    .iter()
                    .filter(|e| e.hash != ORPHANED)
                    .map(|e| e.uid.clone())
                    .collect();
                self.summary.orphaned = newly.len();
                mark_orphaned(tx, self.postgres, &newly, self.known.now).await?;
            }
        }
        let count = match &self.scope {
            None => count_entities(tx, &self.location_id, None).await?,
            // Counting 100 000 rows for a one-file push costs more than the push: the count
            // recorded last time, less what the files read provided then, plus what they do now.
            Some(files) => {
                let before = self.known.entities.values().filter(|e| e.hash != ORPHANED).count() as i64;
                let now = count_entities(tx, &self.location_id, Some(files)).await?;
                let recorded: i64 = sqlx::query("SELECT entity_count FROM locations WHERE id = $1")
                    .bind(&self.location_id)
                    .fetch_one(&mut *tx)
                    .await
                    .and_then(|r| r.try_get(0))
                    .map_err(query_error("counting entities"))?;
                recorded - before + now
            }
        };
        self.summary.entities = count as usize;
        let now = now_ms();
        sqlx::query(
            "UPDATE locations SET last_attempt_at = $1, last_success_at = $2, last_duration_ms = $3, entity_count = $4, \
             last_error = NULL, source_version = $5 WHERE id = $6",
        )
        .bind(started_ms)
        .bind(now)
        .bind(now - started_ms)
        .bind(count)
        .bind(version)
        .bind(&self.location_id)
        .execute(&mut *tx)
        .await
        .map_err(query_error("recording the refresh"))?;
        let phase = std::time::Instant::now();
        sqlx::query("COMMIT")
            .execute(&mut *self.tx)
            .await
            .map_err(query_error("committing a refresh"))?;
        if !self.postgres {
            // Hand the page cache back now, on the thread that allocated it: memory freed later
            // from elsewhere tends to stay with the process.
            sqlx::query("PRAGMA shrink_memory")
                .execute(&mut *self.tx)
                .await
                .map_err(query_error("finishing a refresh"))?;
            let pool = store.pool().clone();
            tokio::spawn(async move {
                // PASSIVE: readers and the next writer go on meanwhile (a TRUNCATE checkpoint
                // holds new writers back while readers are busy: seconds under load).
                if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::debug!(error = %err, "checkpoint after a refresh");
                }
            });
        }
        tracing::debug!(ms = phase.elapsed().as_millis() as u64, "refresh: committed");
        let summary = self.summary;
        // The write turn is given back first: folding takes one of its own.
        drop(self.tx);
        drop(self.write_turn);
        if summary.added + summary.updated + summary.removed + summary.orphaned > 0 {
            store.fold_facets_logged().await;
        } else if self.errors_changed {
            store.committed();
        }
        // After a large change the planner's statistics are stale: without them it may scan every
        // entity of a kind rather than look up the few an owner has.
        if summary.added + summary.updated + summary.removed + summary.orphaned >= ANALYZE_AFTER {
            store.analyze().await?;
        }
        Ok(summary)
    }
}

impl Store {
    /// Refreshes the query planner's statistics of the catalog tables.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        if self.postgres {
            sqlx::query("ANALYZE entities, relations, search")
                .execute(self.pool())
                .await
                .map_err(query_error("analyzing"))?;
        } else {
            let mut conn = self.pool().acquire().await.map_err(query_error("analyzing"))?;
            // A sample per index is enough for the planner and keeps this fast at 100 000 entities.
            sqlx::query("PRAGMA analysis_limit = 1000")
                .execute(&mut *conn)
                .await
                .map_err(query_error("analyzing"))?;
            sqlx::query("ANALYZE")
                .execute(&mut *conn)
                .await
                .map_err(query_error("analyzing"))?;
        }
        Ok(())
    }
}

/// What the location provides (from `files` only, when given).
async fn known_entities(
    tx: &mut AnyConnection,
    location_id: &str,
    files: Option<&HashSet<String>>,
) -> Result<Known, StoreError> {
    const COLUMNS: &str = "SELECT entity_ref, uid, hash, created_at, source, kind FROM entities WHERE location_id = $1";
    let mut rows = Vec::new();
    for (sql, files) in scoped(COLUMNS, files) {
        let q = scoped_query(&sql, location_id, files);
        rows.extend(
            q.fetch_all(&mut *tx)
                .await
                .map_err(query_error("reading a location's entities"))?,
        );
    }
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                Existing {
                    uid: r.try_get(1)?,
                    hash: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    source: r.try_get(4)?,
                    kind: r.try_get(5)?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map(|entities| Known {
            entities,
            location_id: location_id.to_string(),
            now: now_ms(),
        })
        .map_err(query_error("reading a location's entities"))
}

/// Candidate refs that another location already provides, with that location's target, and
/// (in a partial refresh, where `partial` holds what the files being read provided) those that
/// files of this location not being read provide. An orphan of another location is no claim: it
/// is removed, and this location provides it now (a descriptor moved between repositories).
async fn claimed_elsewhere(
    tx: &mut AnyConnection,
    postgres: bool,
    location_id: &str,
    partial: Option<&Known>,
    batch: &[Prepared],
) -> Result<(HashMap<String, String>, HashSet<String>), StoreError> {
    let refs: Vec<&String> = batch
        .iter()
        .filter(|p| !matches!(p.outcome, Outcome::Problem { .. }))
        .filter_map(|p| p.entity_ref.as_ref())
        .collect();
    let mut claimed = HashMap::new();
    let mut elsewhere_here = HashSet::new();
    let mut taken_over = Vec::new();
    // A full refresh knows everything this location provides; a partial one asks.
    let which = if partial.is_some() {
        "$1 = $1"
    } else {
        "e.location_id <> $1"
    };
    for chunk in refs.chunks(500) {
        let list = placeholders(2, chunk.len());
        let sql = format!(
            "SELECT e.entity_ref, l.type, l.target, e.uid, e.hash, e.location_id FROM entities e \
             JOIN locations l ON l.id = e.location_id WHERE {which} AND e.entity_ref IN ({list})"
        );
        let mut q = sqlx::query(&sql).bind(location_id);
        for r in chunk {
            q = q.bind(r);
        }
        for row in q
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error("checking entity conflicts"))?
        {
            let read = |i| {
                row.try_get::<String, _>(i)
                    .map_err(query_error("checking entity conflicts"))
            };
            let reference = read(0)?;
            if read(5)? == location_id {
                if partial.is_some_and(|k| !k.entities.contains_key(&reference)) {
                    elsewhere_here.insert(reference);
                }
            } else if read(4)? == ORPHANED {
                taken_over.push(read(3)?);
            } else {
                claimed.insert(reference, format!("{}:{}", read(1)?, read(2)?));
            }
        }
    }
    delete_entities(tx, postgres, &taken_over).await?;
    Ok((claimed, elsewhere_here))
}

/// The location's entities (from `files` only, when given), orphans aside.
async fn count_entities(
    tx: &mut AnyConnection,
    location_id: &str,
    files: Option<&HashSet<String>>,
) -> Result<i64, StoreError> {
    const COUNT: &str = "SELECT COUNT(*) FROM entities WHERE location_id = $1 AND orphaned_at IS NULL";
    let mut total = 0;
    for (sql, files) in scoped(COUNT, files) {
        let q = scoped_query(&sql, location_id, files);
        total += q
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get::<i64, _>(0))
            .map_err(query_error("counting entities"))?;
    }
    Ok(total)
}

pub(super) async fn delete_entities(tx: &mut AnyConnection, postgres: bool, uids: &[String]) -> Result<(), StoreError> {
    for chunk in uids.chunks(500) {
        facets::record(tx, postgres, Entities::Uids(chunk), Change::Removed).await?;
        let list = placeholders(1, chunk.len());
        for table in [
            "search WHERE entity_id IN (SELECT id FROM entities WHERE uid",
            "entity_text WHERE entity_id IN (SELECT id FROM entities WHERE uid",
            "relations WHERE source_ref IN (SELECT entity_ref FROM entities WHERE uid",
            "entities WHERE (uid",
        ] {
            let sql = format!("DELETE FROM {table} IN ({list}))");
            let mut q = sqlx::query(&sql);
            for uid in chunk {
                q = q.bind(uid.clone());
            }
            q.execute(&mut *tx).await.map_err(query_error("removing entities"))?;
        }
    }
    Ok(())
}

/// Inserts new entities and rewrites changed ones, with their relations and search rows.
/// Changed entities are replaced whole (simpler than diffing rows); uid and creation time are kept.
async fn write_entities(
    tx: &mut AnyConnection,
    postgres: bool,
    known: &Known,
    fresh: Vec<(String, Prepared)>,
) -> Result<(usize, usize), StoreError> {
    let changed: Vec<String> = fresh
        .iter()
        .filter_map(|(r, _)| known.entities.get(r).map(|e| e.uid.clone()))
        .collect();
    delete_entities(tx, postgres, &changed).await?;
    let entities: Vec<EntityRows> = fresh
        .into_iter()
        .filter_map(|(_, p)| match p.outcome {
            Outcome::Entity(rows) => Some(*rows),
            _ => None,
        })
        .collect();
    let (updated, added) = (changed.len(), entities.len() - changed.len());
    let mut rows = Vec::with_capacity(entities.len());
    let mut dependents = Vec::with_capacity(entities.len());
    for e in entities {
        rows.push(e.row);
        dependents.push((e.uid, e.text, e.search, e.relations));
    }
    // Search rows need the entity's id, known once it is inserted.
    let ids: HashMap<String, i64> = insert_rows(tx, postgres, "entities", &ENTITY_COLUMNS, rows, Some("uid, id"))
        .await?
        .into_iter()
        .collect();
    let (mut text_rows, mut search_batch, mut relation_rows) = (Vec::new(), Vec::new(), Vec::new());
    for (uid, text, search, relations) in dependents {
        let id = *ids
            .get(&uid)
            .ok_or_else(|| StoreError::Corrupt(format!("no id came back for entity {uid}")))?;
        text_rows.push(text.after_id(id));
        search_batch.extend(search.iter().map(|tail| tail.after_id(id)));
        relation_rows.extend(relations);
    }
    insert_rows(tx, postgres, "relations", &RELATION_COLUMNS, relation_rows, None).await?;
    insert_rows(tx, postgres, "entity_text", &TEXT_COLUMNS, text_rows, None).await?;
    insert_rows(tx, postgres, "search", &SEARCH_COLUMNS, search_batch, None).await?;
    let ids: Vec<i64> = ids.into_values().collect();
    facets::record(tx, postgres, Entities::Ids(&ids), Change::Added).await?;
    Ok((added, updated))
}

/// `sql` (whose `$1` is the location) for the whole location, or for `files` only: one statement
/// per 500 files, each with `AND source IN (…)` appended and the files to bind after `$1`.
fn scoped<'a>(sql: &str, files: Option<&'a HashSet<String>>) -> Vec<(String, Vec<&'a String>)> {
    let Some(files) = files else {
        return vec![(sql.to_string(), Vec::new())];
    };
    let files: Vec<&String> = files.iter().collect();
    files
        .chunks(500)
        .map(|chunk| {
            (
                format!("{sql} AND source IN ({})", placeholders(2, chunk.len())),
                chunk.to_vec(),
            )
        })
        .collect()
}

/// One statement of [`scoped`] with its parameters bound: the location, then its files.
fn scoped_query<'q>(
    sql: &'q str,
    location_id: &'q str,
    files: Vec<&'q String>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    files
        .into_iter()
        .fold(sqlx::query(sql).bind(location_id), |q, file| q.bind(file))
}

/// `$start, $start+1, …` for an IN list.
pub(crate) fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn content_hash(body: &Value, relations: &[RelationEdge]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(body.to_string().as_bytes());
    for r in relations {
        hasher.update(format!("\n{} {} {}", r.source, r.relation_type, r.target).as_bytes());
    }
    crate::hex::hex(&hasher.finalize())
}
