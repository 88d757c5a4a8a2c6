//! Keeping each SLO's buckets current: a replica claims an SLO that is due (one conditional
//! update, so one writer per SLO per interval across replicas), fetches the buckets since its
//! mark (the last two again, whose scrapes may have been late; on first sight the window, bounded
//! by `max_backfill`), and stores them with an idempotent upsert before moving the mark.

use super::{Slos, now_seconds};
use crate::budget::span_at;
use crate::prometheus::buckets::{Reuse, fetch};
use crate::promql::BUCKET_SECONDS;
use crate::store::{DefinitionRow, StoreError};

/// Burn rates reach 3 days back, whatever the window.
const BURN_REACH: i64 = 3 * 86_400;
/// Gauges are sampled every minute.
const SAMPLE_SECONDS: i64 = 60;

impl Slos {
    /// Syncs every SLO due at `now` that this replica can claim; how many were synced.
    pub async fn sync_round(&self, now: i64) -> Result<usize, StoreError> {
        let due = self.store.due(now, self.settings.max_per_round).await?;
        let mut synced = 0;
        // How far back each Prometheus holds data, asked once per round (not once per SLO).
        let mut oldest = OldestSamples::default();
        for row in due {
            let lease = self.settings.claim_lease.as_secs() as i64;
            if !self.store.claim(&row.id, &self.worker, now, now + lease).await? {
                continue;
            }
            let error = self.sync_one(&row, now, &mut oldest).await.err();
            if let Some(e) = &error {
                tracing::warn!(slo = %row.id, entity = %row.entity, error = %e, "fetching an SLO's buckets");
            } else {
                synced += 1;
            }
            let next = now_seconds() + self.settings.sync_interval.as_secs() as i64;
            self.store
                .release(&row.id, &self.worker, next, error.as_deref())
                .await?;
            // Lists read these figures instead of every SLO's buckets.
            if let Err(e) = self.refresh_figures(&row.id, now_seconds()).await {
                tracing::warn!(slo = %row.id, error = %e, "computing an SLO's figures");
            }
        }
        Ok(synced)
    }

    /// Fetches and stores one SLO's new buckets; the error as the SLO's page shows it.
    async fn sync_one(&self, row: &DefinitionRow, now: i64, oldest: &mut OldestSamples) -> Result<(), String> {
        let slo = Slos::parse(row).map_err(|e| e.to_string())?;
        let prometheus = self.sources.for_slo(&slo).ok_or_else(|| {
            "no Prometheus is configured for this SLO (prometheus.url, or prometheus.sources for its data source)"
                .to_string()
        })?;
        let settle = self.settings.settle.as_secs() as i64;
        let to = (now - settle).div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
        let span = span_at(&slo.window, now, BUCKET_SECONDS)?;
        let reach = (span.end - span.start).max(BURN_REACH);
        let earliest = to - reach.min(self.settings.max_backfill.as_secs() as i64);
        let from = match row.synced_to {
            Some(mark) => (mark - 2 * BUCKET_SECONDS).max(earliest),
            None => earliest,
        };
        if from >= to {
            return Ok(());
        }
        let fetched = fetch(prometheus, &slo, from, to, SAMPLE_SECONDS, Reuse::Probe)
            .await
            .map_err(|e| e.to_string())?;
        // What Cairn holds starts where its first sync began, or later if Prometheus holds less.
        let held_from = match (row.synced_to, row.oldest_sample) {
            (Some(_), Some(oldest)) => oldest,
            _ => from,
        };
        let prometheus_oldest = oldest.of(prometheus).await?;
        let oldest = prometheus_oldest.map_or(held_from, |o| o.max(held_from));
        self.store
            .store_buckets(&row.id, &self.worker, &fetched.buckets, Some(oldest))
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// Each Prometheus' oldest sample, by its address, asked at most once per sync round.
#[derive(Default)]
struct OldestSamples(std::collections::HashMap<String, Option<i64>>);

impl OldestSamples {
    async fn of(&mut self, prometheus: &crate::prometheus::Prometheus) -> Result<Option<i64>, String> {
        let key = prometheus.base().to_string();
        if let Some(known) = self.0.get(&key) {
            return Ok(*known);
        }
        let oldest = prometheus.oldest_sample().await.map_err(|e| e.to_string())?;
        self.0.insert(key, oldest);
        Ok(oldest)
    }
}
