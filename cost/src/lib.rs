//! What services and teams cost (issue 17), the pure part: no HTTP, no database, no clock, so it
//! compiles to wasm and pages can share its types.
//!
//! - `model`: money in micro-units of the configured currency, quantities with their units, and
//!   `Figure`, every cost as quantity × hours × rate with where the rate came from;
//! - `prices`: OpenCost's on-prem defaults, overridden per cluster and per node pool;
//! - `allocation`: a cluster's nodes, pods and volumes over a window → per-container costs
//!   (max(request, usage) × hours × rate), rolled up by any key;
//! - `idle` and `shared`: idle capacity as its own line or shared out, shared namespaces split over
//!   the rest, both by exact splits so the total never moves;
//! - `report`: the three together for one cluster, conserved: allocations + idle + shared +
//!   unmounted volumes = what the nodes and volumes cost;
//! - `focus`: FOCUS 1.x cost and usage files (cloud bills), bounded, bad rows reported;
//! - `api`: the Kubecost-shaped `/allocation` response, its `window` parameter, and sets of
//!   lines from aggregated reads; `export`: the same as CSV;
//! - `estimate`: before a service exists, what its Helm chart's values will request per month
//!   (requests × replicas × rates), for the scaffolder's preview;
//! - `settings`: the `cost:` section (sampling, retention, prices);
//! - `view`: what the pages show (an entity's days and rollouts, rows of a team or the
//!   organisation), built from aggregated reads.
//!
//! With the `store` feature (the server side; it depends on `deployments` and `catalog`):
//! `sample` (a watched cluster at one moment → per-container samples), `store` (the history's
//! SQL: samples rolled up into hourly and daily rows, written once per cluster and interval; the
//! reads, priced), `usage` (usage from Prometheus for the clusters configured so) and `sampler`
//! (the background loop).

pub mod allocation;
pub mod api;
pub mod estimate;
pub mod export;
pub mod focus;
pub mod idle;
pub mod model;
pub mod prices;
pub mod report;
pub mod settings;
pub mod shared;
pub mod view;

#[cfg(feature = "store")]
pub mod sample;
#[cfg(feature = "store")]
pub mod sampler;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod usage;

#[cfg(test)]
mod generate;
#[cfg(test)]
mod golden;
