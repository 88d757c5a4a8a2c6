//! The parts of the entity page.

pub mod about;
pub mod definition;
pub mod graph;
pub mod people;
pub mod relations;
