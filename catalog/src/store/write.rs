//! Applying a refresh of one location: everything it now provides replaces what it provided
//! before, in one transaction. Unchanged entities are not rewritten; an entity whose new version
//! fails keeps its last good version with the errors attached; an entity claimed by another
//! location is refused (Backstage's rule), never silently taken over.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{Any, Row, Transaction};

use super::search::{self, search_rows, search_text};
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
    pub problems: usize,
    pub entities: usize,
    /// Time spent reading and processing the location, and writing the result.
    pub read_ms: u64,
    pub write_ms: u64,
}

/// SQLite page cache (KiB) of the connection writing a refresh, and of every connection otherwise
/// (the latter must match the `cache_size` the server sets when it connects).
const REFRESH_CACHE_KIB: u32 = 262_144;
const NORMAL_CACHE_KIB: u32 = 32_768;

/// Changed entities after which the database's statistics are refreshed.
const ANALYZE_AFTER: usize = 1_000;

/// Rows per INSERT statement: few round trips, a bounded statement size.
const ROWS_PER_STATEMENT: usize = 5_000;

/// Columns written by a refresh, and whether each holds an integer.
const ENTITY_COLUMNS: [(&str, bool); 15] = [
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
    ("search_text", false),
    ("created_at", true),
    ("updated_at", true),
];
const RELATION_COLUMNS: [(&str, bool); 3] = [("source_ref", false), ("type", false), ("target_ref", false)];
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

enum Param {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

struct Existing {
    uid: String,
    hash: String,
}

impl Store {
    /// Replaces what `location_id` provides with `candidates`, atomically.
    pub async fn apply_refresh(
        &self,
        location_id: &str,
        candidates: Vec<Candidate>,
        started_ms: i64,
    ) -> Result<RefreshSummary, StoreError> {
        let mut conn = self.pool().acquire().await.map_err(query_error("starting a refresh"))?;
        if !self.postgres {
            // A refresh touches every index; a larger page cache for its duration (on this
            // connection only) saves most of the re-reading. It is given back afterwards.
            sqlx::query(&format!("PRAGMA cache_size = -{REFRESH_CACHE_KIB}"))
                .execute(&mut *conn)
                .await
                .map_err(query_error("starting a refresh"))?;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(query_error("starting a refresh"))?;
        let existing = existing_entities(&mut tx, location_id).await?;
        let mut summary = RefreshSummary::default();
        let mut problems: Vec<Vec<Param>> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut kept_with_errors: Vec<(String, String)> = Vec::new();
        let mut fresh: Vec<(Candidate, String)> = Vec::new(); // new or changed, with their hash
        let mut clear_errors: Vec<String> = Vec::new();
        let phase = std::time::Instant::now();
        let claimed = claimed_elsewhere(&mut tx, location_id, &candidates).await?;
        tracing::debug!(ms = phase.elapsed().as_millis() as u64, "refresh: conflicts checked");
        for candidate in candidates {
            let reference = candidate.entity_ref.as_ref().map(ToString::to_string);
            let problem = |category: &'static str, line: Option<usize>, message: String| {
                vec![
                    Param::Text(location_id.to_string()),
                    Param::Text(candidate.source.clone()),
                    Param::OptInt(Some(candidate.document as i64)),
                    Param::OptText(reference.clone()),
                    Param::OptInt(line.map(|l| l as i64)),
                    Param::Text(category.to_string()),
                    Param::Text(message),
                ]
            };
            match (&candidate.result, &reference) {
                (CandidateResult::Entity { .. }, Some(r)) if claimed.contains_key(r) => {
                    let owner = &claimed[r];
                    problems.push(problem(
                        "conflict",
                        None,
                        format!(
                            "{r} is already provided by location {owner}; an entity can come from one location only"
                        ),
                    ));
                }
                (CandidateResult::Entity { .. }, Some(r)) if !seen.insert(r.clone()) => {
                    problems.push(problem(
                        "conflict",
                        None,
                        format!("{r} is defined more than once in this location; the first definition is used"),
                    ));
                }
                (CandidateResult::Entity { body, relations, .. }, Some(r)) => {
                    let hash = content_hash(body, relations);
                    match existing.get(r) {
                        Some(old) if old.hash == hash => {
                            summary.unchanged += 1;
                            clear_errors.push(old.uid.clone());
                        }
                        _ => fresh.push((candidate.clone(), hash)),
                    }
                }
                (
                    CandidateResult::Problem {
                        category,
                        line,
                        message,
                    },
                    Some(r),
                ) if existing.contains_key(r) && !seen.contains(r) => {
                    // The last good version stays, with the reason it could not be updated.
                    seen.insert(r.clone());
                    let errors = serde_json::json!([{"category": category, "line": line, "message": message, "source": candidate.source}]);
                    kept_with_errors.push((existing[r].uid.clone(), errors.to_string()));
                    problems.push(problem(category, *line, message.clone()));
                }
                (
                    CandidateResult::Problem {
                        category,
                        line,
                        message,
                    },
                    _,
                ) => problems.push(problem(category, *line, message.clone())),
                (CandidateResult::Entity { .. }, None) => {}
            }
        }

        let removed: Vec<String> = existing
            .iter()
            .filter(|(r, _)| !seen.contains(*r))
            .map(|(_, e)| e.uid.clone())
            .collect();
        summary.removed = removed.len();
        delete_entities(&mut tx, &removed).await?;
        let phase = std::time::Instant::now();
        let (added, updated) = write_entities(&mut tx, self.postgres, location_id, &existing, fresh).await?;
        tracing::debug!(ms = phase.elapsed().as_millis() as u64, "refresh: entities written");
        summary.added = added;
        summary.updated = updated;
        summary.problems = problems.len();
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
            q.execute(&mut *tx)
                .await
                .map_err(query_error("clearing entity errors"))?;
        }
        sqlx::query("DELETE FROM location_problems WHERE location_id = $1")
            .bind(location_id)
            .execute(&mut *tx)
            .await
            .map_err(query_error("clearing problems"))?;
        insert_rows(
            &mut tx,
            self.postgres,
            "location_problems",
            &PROBLEM_COLUMNS,
            problems,
            None,
        )
        .await?;

        let count: i64 = sqlx::query("SELECT COUNT(*) FROM entities WHERE location_id = $1")
            .bind(location_id)
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(query_error("counting entities"))?;
        summary.entities = count as usize;
        let now = now_ms();
        sqlx::query(
            "UPDATE locations SET last_attempt_at = $1, last_success_at = $2, last_duration_ms = $3, entity_count = $4, last_error = NULL WHERE id = $5",
        )
        .bind(started_ms)
        .bind(now)
        .bind(now - started_ms)
        .bind(count)
        .bind(location_id)
        .execute(&mut *tx)
        .await
        .map_err(query_error("recording the refresh"))?;
        let phase = std::time::Instant::now();
        tx.commit().await.map_err(query_error("committing a refresh"))?;
        tracing::debug!(ms = phase.elapsed().as_millis() as u64, "refresh: committed");
        if !self.postgres {
            sqlx::query(&format!("PRAGMA cache_size = -{NORMAL_CACHE_KIB}"))
                .execute(&mut *conn)
                .await
                .map_err(query_error("finishing a refresh"))?;
        }
        drop(conn);
        // After a large change the planner's statistics are stale: without them it may scan every
        // entity of a kind rather than look up the few an owner has.
        if summary.added + summary.updated + summary.removed >= ANALYZE_AFTER {
            let phase = std::time::Instant::now();
            self.analyze().await?;
            tracing::debug!(ms = phase.elapsed().as_millis() as u64, "refresh: analyzed");
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

async fn existing_entities(
    tx: &mut Transaction<'_, Any>,
    location_id: &str,
) -> Result<HashMap<String, Existing>, StoreError> {
    let rows = sqlx::query("SELECT entity_ref, uid, hash FROM entities WHERE location_id = $1")
        .bind(location_id)
        .fetch_all(&mut **tx)
        .await
        .map_err(query_error("reading a location's entities"))?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                Existing {
                    uid: r.try_get(1)?,
                    hash: r.try_get(2)?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(query_error("reading a location's entities"))
}

/// Candidate refs that another location already provides, with that location's target.
async fn claimed_elsewhere(
    tx: &mut Transaction<'_, Any>,
    location_id: &str,
    candidates: &[Candidate],
) -> Result<HashMap<String, String>, StoreError> {
    let refs: Vec<String> = candidates
        .iter()
        .filter_map(|c| c.entity_ref.as_ref().map(ToString::to_string))
        .collect();
    let mut claimed = HashMap::new();
    for chunk in refs.chunks(500) {
        let list = placeholders(2, chunk.len());
        let sql = format!(
            "SELECT e.entity_ref, l.type, l.target FROM entities e JOIN locations l ON l.id = e.location_id \
             WHERE e.location_id <> $1 AND e.entity_ref IN ({list})"
        );
        let mut q = sqlx::query(&sql).bind(location_id);
        for r in chunk {
            q = q.bind(r);
        }
        for row in q
            .fetch_all(&mut **tx)
            .await
            .map_err(query_error("checking entity conflicts"))?
        {
            let read = |i| {
                row.try_get::<String, _>(i)
                    .map_err(query_error("checking entity conflicts"))
            };
            claimed.insert(read(0)?, format!("{}:{}", read(1)?, read(2)?));
        }
    }
    Ok(claimed)
}

async fn delete_entities(tx: &mut Transaction<'_, Any>, uids: &[String]) -> Result<(), StoreError> {
    for chunk in uids.chunks(500) {
        let list = placeholders(1, chunk.len());
        for table in [
            "search WHERE entity_id IN (SELECT id FROM entities WHERE uid",
            "relations WHERE source_ref IN (SELECT entity_ref FROM entities WHERE uid",
            "entities WHERE (uid",
        ] {
            let sql = format!("DELETE FROM {table} IN ({list}))");
            let mut q = sqlx::query(&sql);
            for uid in chunk {
                q = q.bind(uid.clone());
            }
            q.execute(&mut **tx).await.map_err(query_error("removing entities"))?;
        }
    }
    Ok(())
}

/// Inserts new entities and rewrites changed ones, with their relations and search rows.
/// Changed entities are replaced whole (simpler than diffing rows); uid and creation time are kept.
async fn write_entities(
    tx: &mut Transaction<'_, Any>,
    postgres: bool,
    location_id: &str,
    existing: &HashMap<String, Existing>,
    fresh: Vec<(Candidate, String)>,
) -> Result<(usize, usize), StoreError> {
    let changed: Vec<String> = fresh
        .iter()
        .filter_map(|(c, _)| {
            c.entity_ref
                .as_ref()
                .and_then(|r| existing.get(&r.to_string()))
                .map(|e| e.uid.clone())
        })
        .collect();
    let created_at = created_times(tx, &changed).await?;
    delete_entities(tx, &changed).await?;

    let now = now_ms();
    let mut entity_rows = Vec::new();
    // Search and relation rows need the entity's id, known once it is inserted.
    let mut dependents: Vec<(String, Vec<search::SearchRow>, Vec<RelationEdge>)> = Vec::new();
    for (candidate, hash) in fresh {
        let (
            CandidateResult::Entity {
                mut body,
                raw,
                relations,
            },
            Some(entity_ref),
        ) = (candidate.result, candidate.entity_ref)
        else {
            continue;
        };
        let reference = entity_ref.to_string();
        let uid = existing
            .get(&reference)
            .map_or_else(|| uuid::Uuid::now_v7().to_string(), |e| e.uid.clone());
        let etag = hash[..20].to_string();
        if let Some(Value::Object(metadata)) = body.get_mut("metadata") {
            metadata.insert("uid".into(), Value::String(uid.clone()));
            metadata.insert("etag".into(), Value::String(etag.clone()));
        }
        dependents.push((uid.clone(), search_rows(&body), relations));
        let text = search_text(&body, &reference);
        let created = created_at.get(&uid).copied().unwrap_or(now);
        entity_rows.push(vec![
            Param::Text(uid),
            Param::Text(reference),
            Param::Text(entity_ref.kind),
            Param::Text(entity_ref.namespace),
            Param::Text(entity_ref.name),
            Param::Text(location_id.to_string()),
            Param::Text(candidate.source),
            Param::Int(candidate.document as i64),
            Param::Text(hash),
            Param::Text(etag),
            Param::Text(body.to_string()),
            Param::Text(raw.to_string()),
            Param::Text(text),
            Param::Int(created),
            Param::Int(now),
        ]);
    }
    let updated = changed.len();
    let added = entity_rows.len() - updated;
    let phase = std::time::Instant::now();
    let ids: HashMap<String, i64> =
        insert_rows(tx, postgres, "entities", &ENTITY_COLUMNS, entity_rows, Some("uid, id"))
            .await?
            .into_iter()
            .collect();
    tracing::debug!(ms = phase.elapsed().as_millis() as u64, "refresh: entity rows");
    let (mut relation_rows, mut search_batch) = (Vec::new(), Vec::new());
    for (uid, rows, relations) in dependents {
        let id = *ids
            .get(&uid)
            .ok_or_else(|| StoreError::Corrupt(format!("no id came back for entity {uid}")))?;
        for (key, value, original) in rows {
            search_batch.push(vec![
                Param::Int(id),
                Param::Text(key),
                Param::Text(value),
                Param::Text(original),
            ]);
        }
        for edge in relations {
            relation_rows.push(vec![
                Param::Text(edge.source.to_string()),
                Param::Text(edge.relation_type.to_string()),
                Param::Text(edge.target.to_string()),
            ]);
        }
    }
    insert_rows(tx, postgres, "relations", &RELATION_COLUMNS, relation_rows, None).await?;
    let phase = std::time::Instant::now();
    insert_rows(tx, postgres, "search", &SEARCH_COLUMNS, search_batch, None).await?;
    tracing::debug!(ms = phase.elapsed().as_millis() as u64, "refresh: search rows");
    Ok((added, updated))
}

async fn created_times(tx: &mut Transaction<'_, Any>, uids: &[String]) -> Result<HashMap<String, i64>, StoreError> {
    let mut out = HashMap::new();
    for chunk in uids.chunks(500) {
        let list = placeholders(1, chunk.len());
        let sql = format!("SELECT uid, created_at FROM entities WHERE uid IN ({list})");
        let mut q = sqlx::query(&sql);
        for uid in chunk {
            q = q.bind(uid.clone());
        }
        for row in q
            .fetch_all(&mut **tx)
            .await
            .map_err(query_error("reading creation times"))?
        {
            out.insert(
                row.try_get(0).map_err(query_error("reading creation times"))?,
                row.try_get(1).map_err(query_error("reading creation times"))?,
            );
        }
    }
    Ok(out)
}

/// Inserts `rows` into `table`, many rows per statement. The rows travel as one JSON parameter
/// that the database unpacks itself (`json_each` / `jsonb_array_elements`): binding thousands of
/// separate parameters costs more than the insert (sqlx binds them one by one), and this keeps one
/// statement text per table for any number of rows.
async fn insert_rows(
    tx: &mut Transaction<'_, Any>,
    postgres: bool,
    table: &str,
    columns: &[(&str, bool)],
    rows: Vec<Vec<Param>>,
    returning: Option<&str>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut returned = Vec::new();
    if rows.is_empty() {
        return Ok(returned);
    }
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, integer))| match (postgres, integer) {
            (true, true) => format!("(x->>{i})::bigint"),
            (true, false) => format!("x->>{i}"),
            (false, _) => format!("json_extract(x.value, '$[{i}]')"),
        })
        .collect();
    let source = if postgres {
        "jsonb_array_elements($1::jsonb) AS x"
    } else {
        "json_each($1) AS x"
    };
    let returning = returning.map(|r| format!(" RETURNING {r}")).unwrap_or_default();
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {source}{returning}",
        names.join(", "),
        values.join(", ")
    );
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Value> = rows
            .by_ref()
            .take(ROWS_PER_STATEMENT)
            .map(|row| {
                Value::Array(
                    row.into_iter()
                        .map(|p| match p {
                            Param::Text(s) | Param::OptText(Some(s)) => Value::String(s),
                            Param::Int(i) | Param::OptInt(Some(i)) => Value::from(i),
                            Param::OptText(None) | Param::OptInt(None) => Value::Null,
                        })
                        .collect(),
                )
            })
            .collect();
        let query = sqlx::query(&sql).bind(Value::Array(batch).to_string());
        if returning.is_empty() {
            query
                .execute(&mut **tx)
                .await
                .map_err(query_error("writing catalog rows"))?;
        } else {
            for row in query
                .fetch_all(&mut **tx)
                .await
                .map_err(query_error("writing catalog rows"))?
            {
                returned.push((
                    row.try_get(0).map_err(query_error("writing catalog rows"))?,
                    row.try_get(1).map_err(query_error("writing catalog rows"))?,
                ));
            }
        }
    }
    Ok(returned)
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
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
