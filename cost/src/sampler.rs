//! The sampler: a background loop that, at the end of every interval (aligned to the clock, so
//! replicas agree on it), samples every watched cluster and writes the sample as that interval,
//! once however many replicas run (`store::Store::write_sample` claims it), with usage from the
//! metrics API or, for the clusters `cost.prometheus` names, from Prometheus (`usage`). A cluster
//! not fully listed yet, or unreachable, is not sampled: what it holds would not be the truth.
//! Retention runs at every hour's first interval, by the replica that wrote it.

use std::sync::Arc;
use std::time::Duration;

use deployments::Deployments;
use tokio::sync::watch;

use crate::sample::{self, Skip};
use crate::settings::CostSettings;
use crate::store::Store;
use crate::usage::PrometheusUsage;

const HOUR_MS: i64 = 3_600_000;

/// Runs until `stopped` turns true. `writer` names this replica in the claims it writes.
pub async fn run(
    deployments: Arc<Deployments>,
    store: Arc<Store>,
    settings: CostSettings,
    prometheus: PrometheusUsage,
    writer: String,
    mut stopped: watch::Receiver<bool>,
) {
    let interval_ms = i64::try_from(settings.interval.as_millis()).unwrap_or(60_000).max(1);
    loop {
        let now = now_ms();
        let end = (now.div_euclid(interval_ms) + 1) * interval_ms;
        let wait = Duration::from_millis(u64::try_from(end - now).unwrap_or(0));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
        let start = end - interval_ms;
        let mut claimed_any = false;
        for mut resources in deployments.resources() {
            let meter = prometheus.measure(&mut resources, end / 1000).await;
            let sample = match sample::sample_measured_by(&resources, meter) {
                Ok(sample) => sample,
                Err(Skip::NotListed) => {
                    tracing::debug!(cluster = %resources.cluster, "cost: not sampled, the cluster is not listed yet");
                    continue;
                }
                Err(Skip::Stale(since)) => {
                    tracing::debug!(cluster = %resources.cluster, since, "cost: not sampled, the cluster is unreachable");
                    continue;
                }
            };
            match store
                .write_sample(&sample, start, interval_ms / 1000, &writer, now_ms())
                .await
            {
                Ok(written) => claimed_any |= written.claimed,
                // This interval is lost for this cluster unless another replica writes it.
                Err(error) => tracing::warn!(cluster = %sample.cluster, %error, "cost: writing a sample failed"),
            }
        }
        if claimed_any && start.rem_euclid(HOUR_MS) == 0 {
            match store.prune(&settings.retention, now_ms()).await {
                Ok(0) => {}
                Ok(rows) => tracing::debug!(rows, "cost: rows past their retention deleted"),
                Err(error) => tracing::warn!(%error, "cost: deleting rows past their retention failed"),
            }
        }
    }
}

fn now_ms() -> i64 {
    catalog::store::now_ms()
}
