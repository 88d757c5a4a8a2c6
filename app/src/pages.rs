//! One module per route.

pub mod catalog_list;
pub mod entity;
pub mod home;
pub mod locations;
pub mod not_found;
pub mod register;
pub mod status;
