//! Ingestion: read a registered location, process every document, and replace what the location
//! provides in the store. Local files now; Git and GitHub sources join through the same path.

pub mod files;

use crate::store::{LocationRow, RefreshSummary, Store, StoreError};

/// Location types this version can read.
pub const READABLE_TYPES: [&str; 1] = ["file"];

/// Why a location could not be refreshed at all (its entities are kept).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Read(String),
    #[error("location type `{0}` cannot be read by this version of Cairn (supported: file)")]
    UnsupportedType(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refreshes one location: reads it (off the async threads), then writes the result atomically.
/// A location that cannot be read keeps its entities and records the error.
pub async fn refresh_location(
    store: &Store,
    location: &LocationRow,
    limits: files::Limits,
) -> Result<RefreshSummary, IngestError> {
    let started = crate::store::now_ms();
    let read = match location.location_type.as_str() {
        "file" => {
            let target = location.target.clone();
            tokio::task::spawn_blocking(move || files::read_location(&target, &limits))
                .await
                .map_err(|e| IngestError::Read(format!("reading stopped unexpectedly: {e}")))?
        }
        other => Err(IngestError::UnsupportedType(other.to_string())),
    };
    match read {
        Ok(candidates) => {
            let read_ms = crate::store::now_ms() - started;
            let mut summary = store.apply_refresh(&location.id, candidates, started).await?;
            summary.read_ms = read_ms as u64;
            summary.write_ms = (crate::store::now_ms() - started - read_ms) as u64;
            Ok(summary)
        }
        Err(err) => {
            store
                .record_refresh_failure(&location.id, started, &err.to_string())
                .await?;
            Err(err)
        }
    }
}
