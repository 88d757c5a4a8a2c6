//! Cairn's software catalog. `model` is the Backstage entity format (compiles to wasm); with the
//! `backend` feature come reading files, processing documents, storing and ingesting.

pub mod model;
pub mod time;

#[cfg(feature = "backend")]
pub mod lint;

#[cfg(feature = "backend")]
pub mod hex;
#[cfg(feature = "backend")]
pub mod ingest;
#[cfg(feature = "backend")]
pub mod process;
#[cfg(feature = "backend")]
pub mod read;
#[cfg(feature = "backend")]
pub mod scheduler;
#[cfg(feature = "backend")]
pub mod service;
#[cfg(feature = "backend")]
pub mod store;
