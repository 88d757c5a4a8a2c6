//! `slo_definitions` and `slo_problems`: what the last collection found, replaced in one
//! transaction, and the claims that make one replica fetch an SLO's buckets per interval.

use sqlx::Row;

use super::{Store, StoreError, query_error};

/// One SLO as collected.
#[derive(Clone, Debug, PartialEq)]
pub struct Collected {
    pub id: String,
    pub entity: String,
    pub belongs_by: String,
    pub file: String,
    /// `model::Slo` as JSON.
    pub definition: String,
}

/// One problem of an SLO file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemRow {
    pub entity: String,
    pub file: String,
    pub line: i64,
    pub field: Option<String>,
    pub message: String,
}

/// A stored SLO and its sync state.
#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionRow {
    pub id: String,
    pub entity: String,
    pub belongs_by: String,
    pub file: String,
    pub definition: String,
    pub synced_to: Option<i64>,
    pub oldest_sample: Option<i64>,
    pub sync_error: Option<String>,
}

const COLUMNS: &str = "id, entity, belongs_by, file, definition, synced_to, oldest_sample, sync_error";

fn definition(row: &sqlx::any::AnyRow) -> Result<DefinitionRow, sqlx::Error> {
    Ok(DefinitionRow {
        id: row.try_get(0)?,
        entity: row.try_get(1)?,
        belongs_by: row.try_get(2)?,
        file: row.try_get(3)?,
        definition: row.try_get(4)?,
        synced_to: row.try_get(5)?,
        oldest_sample: row.try_get(6)?,
        sync_error: row.try_get(7)?,
    })
}

impl Store {
    /// Replaces what a collection found: definitions kept (their buckets and sync state too),
    /// changed or new; those no longer found deleted with their buckets; every problem replaced.
    pub async fn replace_definitions(
        &self,
        found: &[Collected],
        problems: &[ProblemRow],
        now: i64,
    ) -> Result<(), StoreError> {
        let context = "replacing the SLO definitions";
        let _turn = self.writing().await;
        let mut tx = self.pool().begin().await.map_err(query_error(context))?;
        for c in found {
            sqlx::query(
                "INSERT INTO slo_definitions (id, entity, belongs_by, file, definition, seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (id) DO UPDATE SET entity = excluded.entity, belongs_by = excluded.belongs_by, \
                 file = excluded.file, definition = excluded.definition, seen_at = excluded.seen_at",
            )
            .bind(&c.id)
            .bind(&c.entity)
            .bind(&c.belongs_by)
            .bind(&c.file)
            .bind(&c.definition)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(query_error(context))?;
        }
        // Buckets and figures first: SQLite's cascade needs foreign keys on, PostgreSQL's is
        // unconditional.
        for table in ["slo_buckets", "slo_summaries"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE slo IN (SELECT id FROM slo_definitions WHERE seen_at <> $1)"
            ))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(query_error(context))?;
        }
        sqlx::query("DELETE FROM slo_definitions WHERE seen_at <> $1")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(query_error(context))?;
        sqlx::query("DELETE FROM slo_problems")
            .execute(&mut *tx)
            .await
            .map_err(query_error(context))?;
        for p in problems {
            sqlx::query("INSERT INTO slo_problems (entity, file, line, field, message) VALUES ($1, $2, $3, $4, $5)")
                .bind(&p.entity)
                .bind(&p.file)
                .bind(p.line)
                .bind(&p.field)
                .bind(&p.message)
                .execute(&mut *tx)
                .await
                .map_err(query_error(context))?;
        }
        tx.commit().await.map_err(query_error(context))
    }

    /// Every stored SLO, or those of `entities`.
    pub async fn definitions(&self, entities: Option<&[String]>) -> Result<Vec<DefinitionRow>, StoreError> {
        let context = "reading the SLO definitions";
        let rows = match entities {
            None => sqlx::query(&format!("SELECT {COLUMNS} FROM slo_definitions ORDER BY entity, id"))
                .fetch_all(self.pool())
                .await
                .map_err(query_error(context))?,
            Some(entities) => {
                let mut rows = Vec::new();
                for chunk in entities.chunks(500) {
                    let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "SELECT {COLUMNS} FROM slo_definitions WHERE entity IN ({}) ORDER BY entity, id",
                        params.join(", ")
                    );
                    let mut query = sqlx::query(&sql);
                    for e in chunk {
                        query = query.bind(e);
                    }
                    rows.extend(query.fetch_all(self.pool()).await.map_err(query_error(context))?);
                }
                rows
            }
        };
        rows.iter()
            .map(definition)
            .collect::<Result<_, _>>()
            .map_err(query_error(context))
    }

    /// One stored SLO.
    pub async fn definition(&self, id: &str) -> Result<Option<DefinitionRow>, StoreError> {
        let context = "reading an SLO definition";
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM slo_definitions WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error(context))?;
        row.as_ref().map(definition).transpose().map_err(query_error(context))
    }

    /// The problems of the SLO files `entity` lists (all of them with `None`).
    pub async fn problems(&self, entity: Option<&str>) -> Result<Vec<ProblemRow>, StoreError> {
        let context = "reading the SLO files' problems";
        let sql = "SELECT entity, file, line, field, message FROM slo_problems \
                   WHERE $1 = '' OR entity = $1 ORDER BY entity, file, line";
        let rows = sqlx::query(sql)
            .bind(entity.unwrap_or_default())
            .fetch_all(self.pool())
            .await
            .map_err(query_error(context))?;
        rows.iter()
            .map(|r| {
                Ok(ProblemRow {
                    entity: r.try_get(0)?,
                    file: r.try_get(1)?,
                    line: r.try_get(2)?,
                    field: r.try_get(3)?,
                    message: r.try_get(4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(query_error(context))
    }

    /// The SLOs due for a sync at `now`, longest due first, at most `limit`.
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<DefinitionRow>, StoreError> {
        let context = "reading the SLOs due for a sync";
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM slo_definitions WHERE next_sync_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_sync_at, id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(query_error(context))?;
        rows.iter()
            .map(definition)
            .collect::<Result<_, _>>()
            .map_err(query_error(context))
    }

    /// Claims `id`'s sync until `until` for `worker`: true when this worker won it (one
    /// conditional update, so two replicas cannot both win on either database).
    pub async fn claim(&self, id: &str, worker: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        let context = "claiming an SLO's sync";
        let _turn = self.writing().await;
        let done = sqlx::query(
            "UPDATE slo_definitions SET claimed_by = $1, claimed_until = $2 \
             WHERE id = $3 AND next_sync_at <= $4 AND (claimed_until IS NULL OR claimed_until < $4)",
        )
        .bind(worker)
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(query_error(context))?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a claimed sync: the next one at `next`, with the failure if it failed.
    pub async fn release(&self, id: &str, worker: &str, next: i64, error: Option<&str>) -> Result<(), StoreError> {
        let context = "releasing an SLO's sync";
        let _turn = self.writing().await;
        sqlx::query(
            "UPDATE slo_definitions SET claimed_by = NULL, claimed_until = NULL, next_sync_at = $1, sync_error = $2 \
             WHERE id = $3 AND claimed_by = $4",
        )
        .bind(next)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await
        .map_err(query_error(context))?;
        Ok(())
    }
}
