//! Ingestion: read a registered location, process every document, and replace what the location
//! provides in the store. Local files now; Git and GitHub sources join through the same path.

pub mod files;

use crate::store::{LocationRow, Prepared, RefreshSummary, Store, StoreError};

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

/// Refreshes one location. Reading and processing run on their own threads and hand over a few
/// files at a time to the writer, which adds them to one open transaction: the two overlap, and
/// memory stays bounded whatever the location's size. A location that cannot be read (or not
/// completely) keeps its entities and records the error; nothing of the partial read is kept.
pub async fn refresh_location(
    store: &Store,
    location: &LocationRow,
    limits: files::Limits,
) -> Result<RefreshSummary, IngestError> {
    let started = crate::store::now_ms();
    let outcome = match location.location_type.as_str() {
        "file" => read_and_write(store, location, limits, started).await,
        other => Err(IngestError::UnsupportedType(other.to_string())),
    };
    if let Err(err) = &outcome {
        store
            .record_refresh_failure(&location.id, started, &err.to_string())
            .await?;
    }
    outcome
}

async fn read_and_write(
    store: &Store,
    location: &LocationRow,
    limits: files::Limits,
    started: i64,
) -> Result<RefreshSummary, IngestError> {
    let limits = files::Limits {
        threads: limits.threads.saturating_sub(1).max(1),
        ..limits
    };
    let mut refresh = store.begin_refresh(&location.id).await?;
    let known = refresh.known();
    // Two batches in flight: the reader runs ahead of the writer, but not far.
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<Prepared>>(2);
    let target = location.target.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let begun = std::time::Instant::now();
        files::read_location(&target, &limits, &|c| known.prepare(c), &mut |batch| {
            sender.blocking_send(batch).is_ok()
        })
        .map(|()| begun.elapsed())
    });
    let mut writing = std::time::Duration::ZERO;
    let mut written = Ok(());
    while let Some(batch) = batches.recv().await {
        let begun = std::time::Instant::now();
        written = refresh.apply(batch).await;
        writing += begun.elapsed();
        if written.is_err() {
            break; // dropping the receiver stops the reader
        }
    }
    drop(batches);
    let read = reader
        .await
        .map_err(|e| IngestError::Read(format!("reading stopped unexpectedly: {e}")))
        .and_then(|r| r);
    let reading = match (written, read) {
        (Ok(()), Ok(reading)) => reading,
        (Err(e), _) => {
            let _ = refresh.abandon().await;
            return Err(e.into());
        }
        (_, Err(e)) => {
            let _ = refresh.abandon().await;
            return Err(e);
        }
    };
    let begun = std::time::Instant::now();
    let mut summary = refresh.finish(store, started).await?;
    summary.read_ms = reading.as_millis() as u64;
    summary.write_ms = (writing + begun.elapsed()).as_millis() as u64;
    Ok(summary)
}
