//! The only ways a string from outside (catalog files, templates, clusters, webhooks, Git) reaches
//! the document in a context Leptos' renderer does not escape by itself.
//!
//! Leptos escapes element text and attribute values. Two contexts it leaves to us:
//! - the document's `<title>`: leptos_meta 0.8 writes a title's text between the tags as is, so
//!   every page title goes through [`title`] (a source test keeps `leptos_meta::Title` here);
//! - the *meaning* of a URL in `href`/`src`: an escaped `javascript:` link is still a script, so
//!   every address from outside becomes an `href` only through [`href`].
//!
//! `server/tests/hostile_strings.rs` and `end2end/tests/hostile.spec.ts` render a corpus of hostile
//! strings through every route and fail if anything gets through.

pub mod href;
pub mod title;

pub use href::href;
