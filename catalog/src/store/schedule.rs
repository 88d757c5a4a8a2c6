//! When locations are refreshed, and by whom: claims in the database, so that any number of
//! workers and replicas share the work, never refresh one location twice at a time, and pick up
//! what a replica that died was doing once its claim expires.

use sqlx::Row;

use super::locations::{COLUMNS, location};
use super::{LocationRow, Store, StoreError, now_ms, query_error};

/// How a claimed refresh ended, which decides when the location is due again.
#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    /// Due again at this time (ms); consecutive failures reset.
    Succeeded { next_at: i64 },
    /// Due again at this time (ms); one more consecutive failure.
    Failed { next_at: i64 },
}

impl Store {
    /// Claims the location that has been due longest (or whose refresh was requested) for
    /// `worker` until `until` (ms). PostgreSQL skips rows another replica is claiming this very
    /// moment; SQLite has a single writer, so the statement is atomic anyway.
    pub async fn claim_due(&self, worker: &str, until: i64) -> Result<Option<LocationRow>, StoreError> {
        let now = now_ms();
        let lock = if self.postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE locations SET claimed_by = $1, claim_until = $2 \
             WHERE id = (SELECT id FROM locations \
                         WHERE (next_refresh_at <= $3 OR requested_at IS NOT NULL) \
                           AND (claim_until IS NULL OR claim_until < $3) \
                         ORDER BY requested_at IS NULL, next_refresh_at LIMIT 1 {lock}) \
               AND (claim_until IS NULL OR claim_until < $3) \
             RETURNING {COLUMNS}"
        );
        let _write = self.writing().await;
        sqlx::query(&sql)
            .bind(worker)
            .bind(until)
            .bind(now)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("claiming a location"))?
            .map(|r| location(&r))
            .transpose()
            .map_err(query_error("claiming a location"))
    }

    /// Claims one location unless anyone holds it, this process's other workers included: the
    /// caller wants it refreshed now. False when it is being refreshed.
    pub async fn claim(&self, id: &str, worker: &str, until: i64) -> Result<bool, StoreError> {
        let _write = self.writing().await;
        let done = sqlx::query(
            "UPDATE locations SET claimed_by = $1, claim_until = $2 \
             WHERE id = $3 AND (claim_until IS NULL OR claim_until < $4)",
        )
        .bind(worker)
        .bind(until)
        .bind(id)
        .bind(now_ms())
        .execute(self.pool())
        .await
        .map_err(query_error("claiming a location"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends a claim while its refresh goes on. False when the claim was lost (it expired and
    /// another worker took the location): the refresh must stop.
    pub async fn renew_claim(&self, id: &str, worker: &str, until: i64) -> Result<bool, StoreError> {
        let _write = self.writing().await;
        let done = sqlx::query("UPDATE locations SET claim_until = $1 WHERE id = $2 AND claimed_by = $3")
            .bind(until)
            .bind(id)
            .bind(worker)
            .execute(self.pool())
            .await
            .map_err(query_error("renewing a claim"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a claim and schedules the next refresh. A refresh requested after this one started
    /// (`started`, ms) stays requested: the push it announces may not have been read.
    pub async fn release(&self, id: &str, worker: &str, started: i64, outcome: Outcome) -> Result<(), StoreError> {
        let (next_at, failures) = match outcome {
            Outcome::Succeeded { next_at } => (next_at, "0"),
            Outcome::Failed { next_at } => (next_at, "failures + 1"),
        };
        let _write = self.writing().await;
        sqlx::query(&format!(
            "UPDATE locations SET claimed_by = NULL, claim_until = NULL, next_refresh_at = $1, \
             failures = {failures}, \
             requested_at = CASE WHEN requested_at < $2 THEN NULL ELSE requested_at END \
             WHERE id = $3 AND claimed_by = $4"
        ))
        .bind(next_at)
        .bind(started)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await
        .map_err(query_error("releasing a claim"))?;
        Ok(())
    }

    /// Gives up every claim of `worker` (it is stopping), leaving those locations due.
    pub async fn release_all(&self, worker: &str) -> Result<(), StoreError> {
        let _write = self.writing().await;
        sqlx::query("UPDATE locations SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = $1")
            .bind(worker)
            .execute(self.pool())
            .await
            .map_err(query_error("releasing claims"))?;
        Ok(())
    }

    /// Asks for a refresh of these locations as soon as a worker is free (a push, a person).
    pub async fn request_refresh(&self, ids: &[String]) -> Result<(), StoreError> {
        let now = now_ms();
        let _write = self.writing().await;
        for id in ids {
            sqlx::query("UPDATE locations SET requested_at = COALESCE(requested_at, $1) WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await
                .map_err(query_error("requesting a refresh"))?;
        }
        Ok(())
    }

    /// Consecutive failures of a location's refreshes (for its back-off).
    pub async fn failures(&self, id: &str) -> Result<u32, StoreError> {
        let row = sqlx::query("SELECT failures FROM locations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(query_error("reading a location's failures"))?;
        Ok(row
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()
            .map_err(query_error("reading a location's failures"))?
            .unwrap_or(0) as u32)
    }
}
