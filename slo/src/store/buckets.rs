//! `slo_buckets`: each SLO's 5-minute good/total counts, written by an idempotent upsert keyed
//! by (SLO, bucket start), read back as `budget::Buckets`.

use super::{Store, StoreError, query_error};
use crate::budget::Buckets;
use crate::budget::buckets::Count;
use crate::promql::BUCKET_SECONDS;

/// Rows per insert statement (four parameters each, under SQLite's 32 766).
const ROWS_PER_STATEMENT: usize = 1_000;

impl Store {
    /// Writes the buckets with data of `fetched` and moves the SLO's sync mark to its end, in one
    /// transaction, as long as `worker` still holds the claim.
    pub async fn store_buckets(
        &self,
        id: &str,
        worker: &str,
        fetched: &Buckets,
        oldest_sample: Option<i64>,
    ) -> Result<bool, StoreError> {
        let context = "storing an SLO's buckets";
        let _turn = self.writing().await;
        let mut tx = self.pool().begin().await.map_err(query_error(context))?;
        let moved = sqlx::query(
            "UPDATE slo_definitions SET synced_to = $1, oldest_sample = COALESCE($2, oldest_sample) \
             WHERE id = $3 AND claimed_by = $4",
        )
        .bind(fetched.end())
        .bind(oldest_sample)
        .bind(id)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(query_error(context))?;
        if moved.rows_affected() != 1 {
            // The claim lapsed and another replica took over: it writes these buckets itself.
            return Ok(false);
        }
        let rows: Vec<(i64, Count)> = fetched
            .counts()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (fetched.start() + i as i64 * fetched.step(), c)))
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO slo_buckets (slo, start, good, total) VALUES {} \
                 ON CONFLICT (slo, start) DO UPDATE SET good = excluded.good, total = excluded.total",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (start, count) in chunk {
                query = query.bind(id).bind(*start).bind(count.good).bind(count.total);
            }
            query.execute(&mut *tx).await.map_err(query_error(context))?;
        }
        tx.commit().await.map_err(query_error(context))?;
        Ok(true)
    }

    /// The buckets of `id` over `[from, to)` (whole steps), `None` where none is stored. The rows
    /// come packed by the database into one string (`start good total` joined by `,`): drivers
    /// hand rows over one by one, some microseconds each, and a 30-day window is 8 640 rows.
    pub async fn buckets(&self, id: &str, from: i64, to: i64) -> Result<Buckets, StoreError> {
        let context = "reading an SLO's buckets";
        let from = from.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
        let to = to.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
        let steps = ((to - from) / BUCKET_SECONDS).max(0) as usize;
        let packed: Option<String> = sqlx::query_scalar(
            "SELECT string_agg(CAST(start AS TEXT) || ' ' || CAST(good AS TEXT) || ' ' || CAST(total AS TEXT), ',') \
             FROM slo_buckets WHERE slo = $1 AND start >= $2 AND start < $3",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await
        .map_err(query_error(context))?;
        let mut counts = vec![None; steps];
        for row in packed
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|r| !r.is_empty())
        {
            let (start, good, total) =
                unpack(row).ok_or_else(|| StoreError::Corrupt(format!("SLO {id}: bucket `{row}`")))?;
            if let Some(slot) = usize::try_from((start - from) / BUCKET_SECONDS)
                .ok()
                .and_then(|i| counts.get_mut(i))
            {
                *slot = Some(Count { good, total });
            }
        }
        Buckets::new(from, BUCKET_SECONDS, counts).map_err(|e| StoreError::Corrupt(format!("SLO {id}: {e}")))
    }

    /// Deletes buckets that started before `before` (the retention); how many.
    pub async fn delete_buckets_before(&self, before: i64) -> Result<u64, StoreError> {
        let context = "deleting old SLO buckets";
        let _turn = self.writing().await;
        let done = sqlx::query("DELETE FROM slo_buckets WHERE start < $1")
            .bind(before)
            .execute(self.pool())
            .await
            .map_err(query_error(context))?;
        Ok(done.rows_affected())
    }
}

/// `start good total` as the database wrote them (numbers only: no separator can occur inside).
fn unpack(row: &str) -> Option<(i64, f64, f64)> {
    let mut parts = row.split(' ');
    let start = parts.next()?.parse().ok()?;
    let good = parts.next()?.parse().ok()?;
    let total = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((start, good, total))
}
