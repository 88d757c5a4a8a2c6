//! Delivery performance (DORA): each entity's production deployments (from the rollout history of
//! production clusters and from CI), incidents and the deployments they are linked to, and the
//! metrics computed from them.
//!
//! `model`, `metrics`, `buckets`, `bands` (DORA's tiers per report year) and `export` (tables as
//! CSV and JSON) are pure (compile to wasm, pages share them). With the
//! `backend` feature:
//! - `store`: every SQL statement of this crate (its tables, and read-only reads of the rollout
//!   history and the catalog's ownership);
//! - `report`: what `POST /api/dora/deployments` and `POST /api/incidents` accept, checked;
//! - `alertmanager`: Alertmanager's webhook (payload version 4) as incidents;
//! - `pagerduty`: PagerDuty's v3 webhooks (signature, incident events) as incidents;
//! - `service`: `Delivery`, what the server's handlers call.
//!
//! It depends on `catalog` (entities, ownership, the store's pool and write gate) and
//! `deployments` (the rollout history, the workload mapping).

pub mod bands;
pub mod buckets;
pub mod changes;
pub mod export;
pub mod metrics;
pub mod model;

#[cfg(feature = "backend")]
pub mod alertmanager;
#[cfg(feature = "backend")]
mod error;
#[cfg(feature = "backend")]
pub mod git;
#[cfg(feature = "backend")]
pub mod pagerduty;
#[cfg(feature = "backend")]
pub mod pulls;
#[cfg(feature = "backend")]
pub mod report;
#[cfg(feature = "backend")]
mod service;
#[cfg(feature = "backend")]
pub mod store;

#[cfg(feature = "backend")]
pub use error::DeliveryError;
#[cfg(feature = "backend")]
pub use service::{
    Delivery, DeliverySettings, DeploymentStatusApplied, Environment, MAX_INCIDENTS, MetricsQuery, PagerDutyApplied,
    Scope, Suspect, SuspectReason, Suspects,
};
