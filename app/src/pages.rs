//! One module per route.

pub mod admin_audit;
pub mod admin_tokens;
pub mod catalog_list;
pub mod cost;
pub mod create;
pub mod delivery;
pub mod deployments;
pub mod entity;
pub mod entity_cost;
pub mod entity_delivery;
pub mod entity_deployments;
pub mod entity_reliability;
pub mod home;
pub mod locations;
pub mod not_found;
pub mod register;
pub mod reliability;
pub mod signin;
pub mod status;
pub mod task;
pub mod template_form;
