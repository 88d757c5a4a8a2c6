//! The portal's own status, for the status page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the status page shows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusReport {
    pub version: String,
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    pub schema_version: i64,
    pub pending_migrations: u64,
    pub uptime_seconds: u64,
}

/// Supplied by the server as context; keeps this crate free of the server's storage code.
#[cfg(feature = "ssr")]
pub type StatusProvider = std::sync::Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<StatusReport, String>> + Send>> + Send + Sync,
>;

/// Reads the status from the server.
#[server(prefix = "/_server")]
pub async fn fetch_status() -> Result<StatusReport, ServerFnError> {
    let provider =
        use_context::<StatusProvider>().ok_or_else(|| ServerFnError::new("the server did not provide its status"))?;
    provider().await.map_err(ServerFnError::new)
}
