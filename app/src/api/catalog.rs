//! The catalog for pages: listing with filters and facets, one entity with everything its page
//! shows, the relations graph, registering locations, refresh and unregister.

mod types;
#[cfg(feature = "ssr")]
mod views;

use leptos::prelude::*;

pub use types::*;

#[cfg(feature = "ssr")]
use super::access::{audit, require, require_entity, require_location};
#[cfg(feature = "ssr")]
use access::Permission;

#[cfg(feature = "ssr")]
fn service() -> Result<std::sync::Arc<catalog::service::Catalog>, ServerFnError> {
    use_context::<std::sync::Arc<catalog::service::Catalog>>()
        .ok_or_else(|| ServerFnError::new("the catalog is not available"))
}

/// Logs an internal failure once and gives the page a message without internals.
#[cfg(feature = "ssr")]
fn internal(err: impl std::fmt::Display) -> ServerFnError {
    tracing::error!(error = %err, "catalog page failure");
    ServerFnError::new("the catalog could not be read; the error has been logged")
}

/// A location that could not be read, as a page says it: the message never carries the server's
/// paths or Git's output; where it leaves out what the log has, the request id joins the two
/// (as the REST API's replies do).
#[cfg(feature = "ssr")]
fn unreadable(err: catalog::ingest::IngestError) -> ServerFnError {
    let id = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get("x-request-id")?.to_str().ok().map(str::to_string))
        .unwrap_or_else(|| "-".into());
    ServerFnError::new(err.for_caller(&id))
}

/// One page of the catalog list, with kind counts and filter facets.
#[server(prefix = "/_server")]
pub async fn list_catalog(query: CatalogQuery) -> Result<CatalogPage, ServerFnError> {
    require(Permission::CatalogRead, &[])?;
    views::catalog_page(&service()?, query).await.map_err(internal)
}

/// Everything the entity page shows. `None` when there is no such entity.
#[server(prefix = "/_server")]
pub async fn load_entity(
    kind: String,
    namespace: String,
    name: String,
) -> Result<Option<EntityDetails>, ServerFnError> {
    require(Permission::CatalogRead, &[])?;
    let service = service()?;
    let mut details = views::entity_details(&service, &kind, &namespace, &name)
        .await
        .map_err(internal)?;
    if let Some(d) = details.as_mut() {
        d.owners = service.store.owners_of(&d.row.entity_ref).await.map_err(internal)?;
    }
    Ok(details)
}

/// The relations graph around an entity, laid out for SVG.
#[server(prefix = "/_server")]
pub async fn load_graph(entity_ref: String, depth: u8) -> Result<Graph, ServerFnError> {
    require(Permission::CatalogRead, &[])?;
    views::graph(&service()?, &entity_ref, depth.clamp(1, 3))
        .await
        .map_err(internal)
}

/// What registering a location would add.
#[server(prefix = "/_server")]
pub async fn preview_location(target: String) -> Result<LocationPreview, ServerFnError> {
    // A preview reads the target as registering would.
    require(Permission::LocationCreate, &[])?;
    let service = service()?;
    let (location_type, target) = views::split_target(&target);
    match service.preview(&location_type, &target).await {
        Ok(listing) => Ok(LocationPreview::new(location_type, target, listing)),
        Err(catalog::service::CatalogError::Invalid(m)) => Err(ServerFnError::new(m)),
        Err(catalog::service::CatalogError::Ingest(e)) => Err(unreadable(e)),
        Err(other) => Err(internal(other)),
    }
}

/// Registers a location and returns what it added.
#[server(prefix = "/_server")]
pub async fn import_location(target: String) -> Result<LocationPreview, ServerFnError> {
    let principal = require(Permission::LocationCreate, &[])?;
    let service = service()?;
    let (location_type, target) = views::split_target(&target);
    match service.register(&location_type, &target, false).await {
        Ok(r) => {
            audit(
                &principal,
                "location-registered",
                format!("{location_type}:{target}"),
                None,
            )
            .await;
            Ok(LocationPreview::new(location_type, target, r.listing))
        }
        Err(catalog::service::CatalogError::Invalid(m) | catalog::service::CatalogError::Conflict(m)) => {
            Err(ServerFnError::new(m))
        }
        Err(catalog::service::CatalogError::Ingest(e)) => Err(unreadable(e)),
        Err(other) => Err(internal(other)),
    }
}

/// Reads the entity's location again now.
#[server(prefix = "/_server")]
pub async fn refresh_entity(entity_ref: String) -> Result<String, ServerFnError> {
    let service = service()?;
    require_entity(&service.store, Permission::EntityRefresh, &entity_ref.to_lowercase()).await?;
    let location = views::location_of(&service, &entity_ref).await?;
    match service.refresh(&location).await {
        Ok(s) if s.source_unchanged => Ok("Refreshed: the source has not changed since it was last read.".into()),
        Ok(s) => Ok(format!(
            "Refreshed: {} added, {} updated, {} removed, {} no longer in the source (orphaned), {} unchanged.",
            s.added, s.updated, s.removed, s.orphaned, s.unchanged
        )),
        Err(e) => Err(ServerFnError::new(format!("The location could not be read: {e}"))),
    }
}

/// Unregisters the location that provides the entity (and so every entity only it provides).
#[server(prefix = "/_server")]
pub async fn unregister_location(entity_ref: String) -> Result<usize, ServerFnError> {
    let service = service()?;
    let location = views::location_of(&service, &entity_ref).await?;
    if location.origin == "config" {
        return Err(ServerFnError::new(format!(
            "{} comes from the configuration file; remove it there.",
            location.target
        )));
    }
    let principal = require_location(&service.store, Permission::LocationDelete, &location.id).await?;
    let count = service
        .store
        .entity_refs_of_location(&location.id)
        .await
        .map_err(internal)?
        .len();
    service.store.delete_location(&location.id).await.map_err(internal)?;
    let target = format!("{}:{}", location.location_type, location.target);
    audit(
        &principal,
        "location-unregistered",
        target,
        Some(format!("{count} entities")),
    )
    .await;
    Ok(count)
}

/// Every location with its refresh status, for the admin page.
#[server(prefix = "/_server")]
pub async fn list_locations() -> Result<LocationsReport, ServerFnError> {
    require(Permission::CatalogRead, &[])?;
    views::locations_report(&service()?).await.map_err(internal)
}

/// Asks for a location to be refreshed as soon as a worker is free.
#[server(prefix = "/_server")]
pub async fn request_location_refresh(id: String) -> Result<String, ServerFnError> {
    let service = service()?;
    let location = service
        .store
        .location(&id)
        .await
        .map_err(internal)?
        .ok_or_else(|| ServerFnError::new("There is no such location (it may have been unregistered)."))?;
    require_location(&service.store, Permission::EntityRefresh, &location.id).await?;
    service
        .request_refresh(std::slice::from_ref(&location))
        .await
        .map_err(internal)?;
    Ok(format!("A refresh of {} was requested.", location.target))
}
