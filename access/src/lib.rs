//! Who is asking and what they may do: the principal a request acts as, the permissions the
//! portal checks, and the policy that decides them from the catalog's ownership.
//!
//! Pure data and rules (compiles to wasm): the server decides, the pages use the same rules only to
//! hide what a person cannot do.

mod policy;
mod principal;

pub use policy::{Decision, Permission, Policy, PolicyError, Rule};
pub use principal::{Principal, Scope, Subject};
