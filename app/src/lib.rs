//! Cairn's user interface: pages and components rendered on the server (`ssr`) and hydrated in the browser (`hydrate`).

// Deeply nested views produce deeply nested types; the default limit is too low for them.
#![recursion_limit = "256"]

pub mod api;
mod components;
mod pages;
mod root;
mod safe;
mod shell;
mod theme;

pub use root::App;
pub use shell::{SiteAssets, shell};
