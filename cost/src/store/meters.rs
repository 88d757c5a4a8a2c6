//! What measured usage (`cost_usage_sources`, migration 0018): the metrics API, Prometheus, or
//! nothing (requests alone), added to per cluster, hour and day as samples are written.

use sqlx::Row;

use super::{Store, StoreError, query_error};
use crate::store::Grain;
use crate::view::Meter;

impl Store {
    /// The meters that measured usage in `clusters` over `[from_ms, to_ms)` (buckets of `grain`
    /// starting then), in order.
    pub async fn meters(
        &self,
        clusters: &[String],
        grain: Grain,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Meter>, StoreError> {
        if clusters.is_empty() {
            return Ok(Vec::new());
        }
        let grain = grain.code();
        let places: Vec<String> = (0..clusters.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT DISTINCT source FROM cost_usage_sources WHERE grain = {grain} AND start_ms >= $1 AND start_ms < $2 \
             AND cluster IN ({})",
            places.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(from_ms).bind(to_ms);
        for cluster in clusters {
            query = query.bind(cluster);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .map_err(query_error("reading what measured usage"))?;
        let mut meters: Vec<Meter> = rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .filter_map(|s| Meter::parse(&s))
            .collect();
        meters.sort();
        meters.dedup();
        Ok(meters)
    }
}
