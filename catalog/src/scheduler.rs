//! The refresh loop: a bounded pool of workers, each claiming the location that has been due
//! longest (in the database, so replicas share the work) and refreshing it. A slow or failing
//! source occupies one worker, never the others; a failing one is retried with exponential
//! back-off and keeps its last good entities meanwhile. Beside the workers, housekeeping removes
//! orphans whose grace period is over.

use std::sync::Arc;
use std::time::Duration;

use crate::service::{Catalog, OrphanPolicy};
use crate::store::now_ms;

/// How often an idle worker looks for due locations on its own (a request made in this process
/// wakes it at once; one made on another replica is seen within this).
const POLL: Duration = Duration::from_secs(1);

/// How often expired orphans are looked for.
const HOUSEKEEPING: Duration = Duration::from_secs(60);

/// Registers configured locations, then runs the workers and housekeeping until shutdown.
/// In-flight refreshes are abandoned at shutdown (rolled back, so nothing half-written stays)
/// and their claims released, so the next start or another replica does them again at once.
pub async fn run_refresh_loop(catalog: Arc<Catalog>, shutdown: tokio::sync::watch::Receiver<bool>) {
    if let Err(err) = catalog.sync_config_locations().await {
        tracing::error!(error = %err, "could not register the configured locations");
    }
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..catalog.config.workers.max(1) {
        tasks.spawn(until_shutdown(shutdown.clone(), worker(catalog.clone())));
    }
    tasks.spawn(until_shutdown(shutdown.clone(), housekeeping(catalog.clone())));
    while tasks.join_next().await.is_some() {}
    if let Err(err) = catalog.store.release_all(catalog.worker_name()).await {
        tracing::warn!(error = %err, "could not release this process's claims; they expire by themselves");
    }
}

async fn until_shutdown(mut shutdown: tokio::sync::watch::Receiver<bool>, work: impl Future<Output = ()>) {
    tokio::select! {
        () = work => {}
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
}

/// Claims and refreshes due locations, one at a time, for ever.
async fn worker(catalog: Arc<Catalog>) {
    loop {
        // Registered before claiming, so a request made while claiming is not missed.
        let woken = catalog.wake.notified();
        let until = now_ms() + catalog.config.claim_lease.as_millis() as i64;
        match catalog.store.claim_due(catalog.worker_name(), until).await {
            Ok(Some(location)) => {
                // The outcome is logged and recorded with the location.
                let _ = catalog.refresh_claimed(&location).await;
                continue;
            }
            Ok(None) => {}
            Err(err) => tracing::error!(error = %err, "looking for due locations failed"),
        }
        tokio::select! {
            () = woken => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Removes orphans whose grace period is over.
async fn housekeeping(catalog: Arc<Catalog>) {
    let OrphanPolicy::GracePeriod(grace) = catalog.config.orphans else {
        return std::future::pending().await;
    };
    let every = HOUSEKEEPING.min(grace.max(Duration::from_millis(100)));
    loop {
        let before = now_ms() - grace.as_millis() as i64;
        match catalog.store.purge_orphans(before).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "orphans removed after their grace period"),
            Err(err) => tracing::error!(error = %err, "removing orphans failed"),
        }
        tokio::time::sleep(every).await;
    }
}
