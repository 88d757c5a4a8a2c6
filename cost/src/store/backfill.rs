//! A past for a simulated cluster (the demo): its first sampled interval copied back over whole
//! UTC days before today, as if it had run that way (daily rows; hourly rows for the last
//! `hourly_days`), usage varying a little from day to day. Written once: not when the cluster
//! already has a daily row before today.

use sqlx::Row;

use super::{Store, StoreError, query_error};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

impl Store {
    /// Backfills `cluster` over `days` days before today from its first sample. `Ok(None)`: no
    /// sample yet; `Ok(Some(false))`: it has a past already; `Ok(Some(true))`: written.
    pub async fn backfill_from_first_sample(
        &self,
        cluster: &str,
        days: i64,
        hourly_days: i64,
        now_ms: i64,
    ) -> Result<Option<bool>, StoreError> {
        let today = now_ms - now_ms.rem_euclid(DAY_MS);
        let first =
            sqlx::query("SELECT start_ms, seconds FROM cost_intervals WHERE cluster = $1 ORDER BY start_ms LIMIT 1")
                .bind(cluster)
                .fetch_optional(self.pool())
                .await
                .map_err(query_error("finding a cluster's first sample"))?;
        let Some(first) = first else {
            return Ok(None);
        };
        let (start, seconds): (i64, i64) = (
            first.try_get(0).map_err(query_error("reading a sample"))?,
            first.try_get(1).map_err(query_error("reading a sample"))?,
        );
        let has_past = sqlx::query(
            "SELECT 1 FROM cost_allocation_usage u JOIN cost_allocations a ON a.id = u.allocation \
             WHERE u.grain = 2 AND u.start_ms < $1 AND a.cluster = $2 LIMIT 1",
        )
        .bind(today)
        .bind(cluster)
        .fetch_optional(self.pool())
        .await
        .map_err(query_error("looking for a cluster's past"))?
        .is_some();
        if has_past || seconds <= 0 {
            return Ok(Some(false));
        }
        for d in 1..=days {
            let day = today - d * DAY_MS;
            // Usage 90–110% of the first sample's, by day.
            let percent = 90 + (d * 37) % 21;
            self.copy_sample(cluster, (start, seconds), 2, day, DAY_MS, percent)
                .await?;
            if d <= hourly_days {
                self.copy_sample(cluster, (start, seconds), 1, day, HOUR_MS, percent)
                    .await?;
            }
        }
        Ok(Some(true))
    }

    /// The sample `(start, seconds)` as rows of `grain` for the buckets of `step` in the day
    /// starting at `day`, usage scaled by `percent`.
    async fn copy_sample(
        &self,
        cluster: &str,
        (start, seconds): (i64, i64),
        grain: i64,
        day: i64,
        step: i64,
        percent: i64,
    ) -> Result<(), StoreError> {
        let (from, to) = (day, day + DAY_MS);
        let k = step / 1000 / seconds;
        let buckets = format!(
            "WITH RECURSIVE b(start_ms) AS (SELECT CAST({from} AS BIGINT) UNION ALL \
             SELECT start_ms + {step} FROM b WHERE start_ms + {step} < {to})"
        );
        let usage = |column: &str| format!("u.{column} * {k} * {percent} / 100");
        let allocated = |request: &str, used: &str| {
            format!(
                "CASE WHEN {u} > u.{request} * {k} THEN {u} ELSE u.{request} * {k} END",
                u = usage(used)
            )
        };
        let _turn = self.catalog.writing().await;
        let statements = [
            format!(
                "{buckets} INSERT INTO cost_allocation_usage (grain, start_ms, allocation, seconds, usage_seconds, \
                   cpu_request, cpu_usage, cpu_allocated, memory_request, memory_usage, memory_allocated, gpu) \
                 SELECT {grain}, b.start_ms, u.allocation, u.seconds * {k}, u.usage_seconds * {k}, u.cpu_request * {k}, \
                   {cpu_usage}, {cpu_allocated}, u.memory_request * {k}, {memory_usage}, {memory_allocated}, u.gpu * {k} \
                 FROM b CROSS JOIN cost_allocation_usage u JOIN cost_allocations a ON a.id = u.allocation \
                 WHERE u.grain = 0 AND u.start_ms = $1 AND a.cluster = $2",
                cpu_usage = usage("cpu_usage"),
                cpu_allocated = allocated("cpu_request", "cpu_usage"),
                memory_usage = usage("memory_usage"),
                memory_allocated = allocated("memory_request", "memory_usage"),
            ),
            format!(
                "{buckets} INSERT INTO cost_node_usage (grain, start_ms, node, seconds, cpu, memory, gpu) \
                 SELECT {grain}, b.start_ms, u.node, u.seconds * {k}, u.cpu * {k}, u.memory * {k}, u.gpu * {k} \
                 FROM b CROSS JOIN cost_node_usage u JOIN cost_nodes n ON n.id = u.node \
                 WHERE u.grain = 0 AND u.start_ms = $1 AND n.cluster = $2"
            ),
            format!(
                "{buckets} INSERT INTO cost_volume_usage (grain, start_ms, volume, allocation, seconds, bytes) \
                 SELECT {grain}, b.start_ms, u.volume, u.allocation, u.seconds * {k}, u.bytes * {k} \
                 FROM b CROSS JOIN cost_volume_usage u JOIN cost_volumes v ON v.id = u.volume \
                 WHERE u.grain = 0 AND u.start_ms = $1 AND v.cluster = $2"
            ),
        ];
        for sql in statements {
            sqlx::query(&sql)
                .bind(start)
                .bind(cluster)
                .execute(self.pool())
                .await
                .map_err(query_error("backfilling a simulated cluster"))?;
        }
        Ok(())
    }
}
