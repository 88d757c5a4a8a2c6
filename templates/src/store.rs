//! Every SQL statement of scaffolder tasks: created by a request, claimed by a worker of any
//! replica (`FOR UPDATE SKIP LOCKED` on PostgreSQL), kept alive by a heartbeat, and their events.
//! Writes queue on the catalog store's write gate: SQLite has one writer for both.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use catalog::store::{Store, now_ms};

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("task storage failed while {context}: {source}")]
pub struct StoreError {
    context: &'static str,
    source: sqlx::Error,
}

fn failed(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError { context, source }
}

/// A task as stored (Backstage's `SerializedTask`, plus what the worker keeps).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: String,
    pub spec: Value,
    pub status: String,
    pub created_by: Option<String>,
    pub template_ref: String,
    pub created_at: i64,
    pub last_heartbeat_at: Option<i64>,
    pub attempts: i64,
    pub output: Option<Value>,
    pub finished_at: Option<i64>,
}

/// One event of a task's log (Backstage's `SerializedTaskEvent`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub task_id: String,
    pub event_type: String,
    pub body: Value,
    pub created_at: i64,
}

const TASK_COLUMNS: &str = "id, spec, status, created_by, template_ref, created_at, last_heartbeat_at, CAST(attempts AS BIGINT), output, finished_at";

fn task(row: &AnyRow) -> Result<TaskRow, sqlx::Error> {
    let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    Ok(TaskRow {
        id: row.try_get(0)?,
        spec: json(row.try_get(1)?).unwrap_or(Value::Null),
        status: row.try_get(2)?,
        created_by: row.try_get(3)?,
        template_ref: row.try_get(4)?,
        created_at: row.try_get(5)?,
        last_heartbeat_at: row.try_get(6)?,
        attempts: row.try_get(7)?,
        output: json(row.try_get(8)?),
        finished_at: row.try_get(9)?,
    })
}

fn event(row: &AnyRow) -> Result<EventRow, sqlx::Error> {
    let body: String = row.try_get(3)?;
    Ok(EventRow {
        id: row.try_get(0)?,
        task_id: row.try_get(1)?,
        event_type: row.try_get(2)?,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        created_at: row.try_get(4)?,
    })
}

/// The tasks' tables, over the catalog's pool.
#[derive(Clone, Debug)]
pub struct TaskStore {
    store: Store,
}

impl TaskStore {
    pub fn new(store: Store) -> TaskStore {
        TaskStore { store }
    }

    /// Stores a new task, open for any worker.
    pub async fn create(
        &self,
        id: &str,
        spec: &Value,
        template_ref: &str,
        created_by: Option<&str>,
    ) -> Result<(), StoreError> {
        let _write = self.store.writing().await;
        sqlx::query(
            "INSERT INTO scaffolder_tasks (id, spec, status, created_by, template_ref, created_at) \
             VALUES ($1, $2, 'open', $3, $4, $5)",
        )
        .bind(id)
        .bind(spec.to_string())
        .bind(created_by)
        .bind(template_ref)
        .bind(now_ms())
        .execute(self.store.pool())
        .await
        .map_err(failed("creating a task"))?;
        Ok(())
    }

    pub async fn task(&self, id: &str) -> Result<Option<TaskRow>, StoreError> {
        sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM scaffolder_tasks WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await
            .and_then(|r| r.map(|r| task(&r)).transpose())
            .map_err(failed("reading a task"))
    }

    /// The newest tasks first, optionally only one person's or one status.
    pub async fn list(
        &self,
        created_by: Option<&str>,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<TaskRow>, i64), StoreError> {
        let filter = "($1 IS NULL OR created_by = $1) AND ($2 IS NULL OR status = $2)";
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM scaffolder_tasks WHERE {filter} \
             ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
        ))
        .bind(created_by)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.store.pool())
        .await
        .and_then(|rows| rows.iter().map(task).collect::<Result<Vec<_>, _>>())
        .map_err(failed("listing tasks"))?;
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM scaffolder_tasks WHERE {filter}"))
            .bind(created_by)
            .bind(status)
            .fetch_one(self.store.pool())
            .await
            .and_then(|r| r.try_get(0))
            .map_err(failed("counting tasks"))?;
        Ok((rows, total))
    }

    /// Claims the oldest open task, or one whose worker stopped renewing its claim (a replica
    /// that died), for `worker` until `until` (ms).
    pub async fn claim(&self, worker: &str, until: i64) -> Result<Option<TaskRow>, StoreError> {
        let now = now_ms();
        let lock = if self.store.postgres {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE scaffolder_tasks SET status = 'processing', claimed_by = $1, claim_until = $2, \
                    last_heartbeat_at = $3, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM scaffolder_tasks \
                         WHERE status = 'open' OR (status = 'processing' AND claim_until < $3) \
                         ORDER BY created_at LIMIT 1 {lock}) \
               AND (status = 'open' OR (status = 'processing' AND claim_until < $3)) \
             RETURNING {TASK_COLUMNS}"
        );
        let _write = self.store.writing().await;
        sqlx::query(&sql)
            .bind(worker)
            .bind(until)
            .bind(now)
            .fetch_optional(self.store.pool())
            .await
            .and_then(|r| r.map(|r| task(&r)).transpose())
            .map_err(failed("claiming a task"))
    }

    /// Renews a claim. `None` when the claim was lost; otherwise whether cancelling was asked.
    pub async fn heartbeat(&self, id: &str, worker: &str, until: i64) -> Result<Option<bool>, StoreError> {
        let _write = self.store.writing().await;
        sqlx::query(
            "UPDATE scaffolder_tasks SET claim_until = $1, last_heartbeat_at = $2 \
             WHERE id = $3 AND claimed_by = $4 AND status = 'processing' RETURNING CAST(cancel_requested AS BIGINT)",
        )
        .bind(until)
        .bind(now_ms())
        .bind(id)
        .bind(worker)
        .fetch_optional(self.store.pool())
        .await
        .and_then(|r| r.map(|r| r.try_get::<i64, _>(0)).transpose())
        .map(|r| r.map(|c| c != 0))
        .map_err(failed("renewing a task's claim"))
    }

    /// Appends events (type, body) to a task's log in order.
    pub async fn append(&self, task_id: &str, events: &[(&str, Value)]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let _write = self.store.writing().await;
        let mut tx = self
            .store
            .pool()
            .begin()
            .await
            .map_err(failed("appending task events"))?;
        let now = now_ms();
        for (event_type, body) in events {
            sqlx::query(
                "INSERT INTO scaffolder_task_events (task_id, event_type, body, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(task_id)
            .bind(*event_type)
            .bind(body.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(failed("appending task events"))?;
        }
        tx.commit().await.map_err(failed("appending task events"))
    }

    /// Events after `after` (an event id; 0 for all), oldest first, at most `limit`.
    pub async fn events(&self, task_id: &str, after: i64, limit: i64) -> Result<Vec<EventRow>, StoreError> {
        sqlx::query(
            "SELECT id, task_id, event_type, body, created_at FROM scaffolder_task_events \
             WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(task_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await
        .and_then(|rows| rows.iter().map(event).collect())
        .map_err(failed("reading task events"))
    }

    /// Ends a task the worker holds: its final status, output and closing event, in one transaction.
    pub async fn finish(
        &self,
        id: &str,
        worker: &str,
        status: &str,
        output: Option<&Value>,
        closing: (&str, Value),
    ) -> Result<bool, StoreError> {
        let _write = self.store.writing().await;
        let mut tx = self.store.pool().begin().await.map_err(failed("finishing a task"))?;
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE scaffolder_tasks SET status = $1, output = $2, finished_at = $3, claimed_by = NULL, claim_until = NULL \
             WHERE id = $4 AND claimed_by = $5",
        )
        .bind(status)
        .bind(output.map(Value::to_string))
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(failed("finishing a task"))?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO scaffolder_task_events (task_id, event_type, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(closing.0)
        .bind(closing.1.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("finishing a task"))?;
        tx.commit().await.map_err(failed("finishing a task"))?;
        Ok(true)
    }

    /// Asks for a task to stop. An open task is cancelled at once (with its event); a running one
    /// is flagged for its worker. Returns the status after the request, `None` if no such task.
    pub async fn request_cancel(&self, id: &str) -> Result<Option<String>, StoreError> {
        let _write = self.store.writing().await;
        let mut tx = self.store.pool().begin().await.map_err(failed("cancelling a task"))?;
        let now = now_ms();
        let opened = sqlx::query(
            "UPDATE scaffolder_tasks SET status = 'cancelled', finished_at = $1 WHERE id = $2 AND status = 'open'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(failed("cancelling a task"))?;
        if opened.rows_affected() == 1 {
            sqlx::query("INSERT INTO scaffolder_task_events (task_id, event_type, body, created_at) VALUES ($1, 'cancelled', $2, $3)")
                .bind(id)
                .bind(serde_json::json!({"message": "Cancelled before it started"}).to_string())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(failed("cancelling a task"))?;
        } else {
            sqlx::query("UPDATE scaffolder_tasks SET cancel_requested = 1 WHERE id = $1 AND status = 'processing'")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(failed("cancelling a task"))?;
        }
        let status: Option<String> = sqlx::query("SELECT status FROM scaffolder_tasks WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .and_then(|r| r.map(|r| r.try_get(0)).transpose())
            .map_err(failed("cancelling a task"))?;
        tx.commit().await.map_err(failed("cancelling a task"))?;
        Ok(status)
    }
}
