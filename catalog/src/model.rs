//! The entity model: Backstage's descriptor format, references, validation and relations.
//! Plain serde: it compiles to wasm too, so pages can use the same types.

pub mod entity;
pub mod entity_ref;
pub mod filter;
pub mod relation;
pub mod validate;

pub use entity::{Entity, Link, Metadata, Relation};
pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, RefError};
pub use filter::{Filter, FilterError};
pub use relation::{RelationEdge, relations_of, reverse_of, sort_reference_lists};
pub use validate::{EntityError, check_envelope, validate_entity};
