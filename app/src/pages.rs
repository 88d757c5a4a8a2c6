//! One module per route.

pub mod catalog_list;
pub mod create;
pub mod entity;
pub mod home;
pub mod locations;
pub mod not_found;
pub mod register;
pub mod status;
pub mod task;
pub mod template_form;
