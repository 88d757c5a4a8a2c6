//! Golden-path templates in Backstage's scaffolder format (`scaffolder.backstage.io/v1beta3`).
//!
//! `model` (the template entity and its parameter schema; compiles to wasm so the wizard validates
//! as you type) is always here. With the `backend` feature come `render` (the `${{ }}` templating),
//! `workspace` (the sandbox a task writes into), `actions` (one file per action), `runner` (a
//! template's steps in order), `store` (every SQL statement of tasks), `worker` (tasks claimed
//! from the database and run) and `dry_run`.

pub mod model;

#[cfg(feature = "backend")]
pub mod actions;
#[cfg(feature = "backend")]
pub mod builtin;
#[cfg(feature = "backend")]
pub mod dry_run;
#[cfg(feature = "backend")]
pub mod render;
#[cfg(feature = "backend")]
pub mod runner;
#[cfg(feature = "backend")]
pub mod service;
#[cfg(feature = "backend")]
pub mod store;
#[cfg(feature = "backend")]
pub mod worker;
#[cfg(feature = "backend")]
pub mod workspace;
