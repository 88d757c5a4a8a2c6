//! The demo's cost history: once the simulated cluster's first interval is sampled, it is copied
//! back over the demo's days (`cost::store::Store::backfill_from_first_sample`), so the Cost
//! pages have a past to show; the banner says it is simulated, as everything of the demo.

use std::sync::Arc;
use std::time::Duration;

/// Waits (at most ten minutes) for the first sample of `cluster`, then backfills `days` days.
pub async fn backfill_cost(
    store: Arc<cost::store::Store>,
    cluster: String,
    days: u32,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    for _ in 0..120 {
        match store
            .backfill_from_first_sample(&cluster, i64::from(days), 31, catalog::store::now_ms())
            .await
        {
            Ok(None) => {}
            Ok(Some(written)) => {
                if written {
                    tracing::warn!(%cluster, days, "demo: a simulated cost history was written");
                }
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "demo: the cost history could not be written");
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stopped.changed() => return,
        }
    }
}
