//! Server functions: thin adapters between pages and what the server provides through context.

pub mod access;
pub mod admin;
pub mod catalog;
pub mod cost;
pub mod delivery;
pub mod deployments;
pub mod features;
pub mod reliability;
pub mod scaffolder;
pub mod status;
