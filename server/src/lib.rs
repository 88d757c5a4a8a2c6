//! The `cairn` server: configuration, storage, background work and HTTP (API and rendered pages).

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod metrics;
pub mod site;
pub mod slo_rules;
pub mod state;
pub mod telemetry;
pub mod template_dry_run;
pub mod validate;

mod run;

pub use run::{Server, serve};
