//! Service-level objectives and error budgets (issue 18), over Prometheus.
//!
//! Pure (compiles to wasm, no HTTP, database or clock; pages share the types):
//! - `model`: one model for every SLO, whatever format it was written in;
//! - `define`: OpenSLO v1, Sloth (`prometheus/v1`, `PrometheusServiceLevel`) and Pyrra
//!   (`ServiceLevelObjective`) documents read into it, each error naming its field;
//! - `belong`: which catalog entity an SLO belongs to (`cairn.dev/entity`, `cairn.dev/slo-files`,
//!   the service's name, the repository);
//! - `promql`: the 5-minute good/total bucket queries of an indicator;
//! - `budget`: the exact math over those buckets: event-weighted SLI, remaining budget, burn
//!   rates, multi-window multi-burn-rate alerts, time slices, calendar windows, burn-down series;
//! - `duration`: Prometheus' and OpenSLO's durations;
//! - `rules`: Prometheus recording and alerting rules (Sloth's names) for definitions without;
//! - `view`: what the API and pages show (summaries, one SLO whole, deploy markers).
//!
//! With the `backend` feature:
//! - `read`: SLO files (bounded, multi-document YAML, the catalog's reader) with file, line and
//!   field on every error;
//! - `prometheus`: the Prometheus HTTP API client (through `outbound`'s rule), bucket fetching,
//!   recording-rule reuse and the history Prometheus holds.

pub mod belong;
pub mod budget;
pub mod define;
pub mod duration;
pub mod model;
pub mod promql;
pub mod rules;
pub mod view;

#[cfg(feature = "backend")]
pub mod collect;
#[cfg(feature = "backend")]
pub mod prometheus;
#[cfg(feature = "backend")]
pub mod read;
#[cfg(feature = "backend")]
pub mod service;
#[cfg(feature = "backend")]
pub mod store;
