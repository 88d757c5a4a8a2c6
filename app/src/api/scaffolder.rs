//! The scaffolder for pages: the template gallery, one template's form, picker options from the
//! catalog, dry runs, creating a task, a task with its events, and cancelling it.

#[cfg(feature = "ssr")]
mod picker_query;
mod task;
mod types;
#[cfg(feature = "ssr")]
mod views;

use leptos::prelude::*;

pub use task::*;
pub use types::*;

/// Largest JSON text of form values accepted from a page.
pub const MAX_VALUES_BYTES: usize = 64 * 1024;

#[cfg(feature = "ssr")]
fn service() -> Result<std::sync::Arc<templates::service::Scaffolder>, ServerFnError> {
    use_context::<std::sync::Arc<templates::service::Scaffolder>>()
        .ok_or_else(|| ServerFnError::new("the scaffolder is not available"))
}

#[cfg(feature = "ssr")]
use super::access::{audit, require, require_entity};
#[cfg(feature = "ssr")]
use access::Permission;

#[cfg(feature = "ssr")]
fn catalog_store() -> Result<catalog::store::Store, ServerFnError> {
    use_context::<std::sync::Arc<catalog::service::Catalog>>()
        .map(|c| c.store.clone())
        .ok_or_else(|| ServerFnError::new("the catalog is not available"))
}

/// `permission` on a task, whose owner is the person who started it.
#[cfg(feature = "ssr")]
async fn require_task(
    scaffolder: &templates::service::Scaffolder,
    permission: Permission,
    id: &str,
) -> Result<(), ServerFnError> {
    let task = scaffolder.task(id).await.map_err(internal)?;
    let owners: Vec<String> = task.and_then(|t| t.created_by).into_iter().collect();
    require(permission, &owners).map(|_| ())
}

/// Logs an internal failure once and gives the page a message without internals.
#[cfg(feature = "ssr")]
fn internal(err: impl std::fmt::Display) -> ServerFnError {
    tracing::error!(error = %err, "scaffolder page failure");
    ServerFnError::new("the scaffolder could not answer; the error has been logged")
}

/// Every template in the catalog, by title, with its problems (also those it cannot read).
#[server(prefix = "/_server")]
pub async fn list_templates() -> Result<Vec<TemplateCard>, ServerFnError> {
    require(Permission::CatalogRead, &[])?;
    let scaffolder = service()?;
    let summaries = scaffolder.templates().await.map_err(internal)?;
    let mut cards: Vec<TemplateCard> = summaries.into_iter().map(views::card).collect();
    cards.extend(views::unreadable_cards(&scaffolder).await.map_err(internal)?);
    cards.sort_by_key(|c| c.title.to_lowercase());
    Ok(cards)
}

/// One template for its form; `None` when the catalog has no such template.
#[server(prefix = "/_server")]
pub async fn load_template(namespace: String, name: String) -> Result<Option<TemplateForm>, ServerFnError> {
    require(Permission::CatalogRead, &[])?;
    let found = service()?.template(&namespace, &name).await.map_err(views::failure)?;
    Ok(found.map(|(template, _, problems)| TemplateForm {
        template,
        problems: problems.iter().map(ToString::to_string).collect(),
    }))
}

/// Entities a picker offers: `kinds` comma-separated (empty: any kind), `catalog_filter` the
/// picker's `catalogFilter` as JSON (empty: none).
#[server(prefix = "/_server")]
pub async fn picker_options(kinds: String, catalog_filter: String) -> Result<Vec<PickerOption>, ServerFnError> {
    require(Permission::CatalogRead, &[])?;
    let filter = picker_query::picker_filter(&kinds, &catalog_filter).map_err(ServerFnError::new)?;
    let scaffolder = service()?;
    picker_query::picker_options(&scaffolder, filter)
        .await
        .map_err(internal)
}

/// Checks the values and stores a task for a worker; the field errors when they do not fit.
#[server(prefix = "/_server")]
pub async fn create_task(template_ref: String, values: String) -> Result<CreateOutcome, ServerFnError> {
    use templates::service::ScaffolderError;
    let template_entity = catalog::model::EntityRef::parse(&template_ref, Some("template"), "default")
        .map_err(|e| ServerFnError::new(format!("templateRef: {e}")))?
        .to_string();
    let principal = require_entity(&catalog_store()?, Permission::TemplateRun, &template_entity).await?;
    let values = views::parse_values(&values).map_err(ServerFnError::new)?;
    match service()?
        .create_task(&template_ref, values, principal.user_ref())
        .await
    {
        Ok(id) => {
            audit(&principal, "template-run", template_entity, Some(format!("task {id}"))).await;
            Ok(CreateOutcome::Created(id))
        }
        Err(ScaffolderError::Invalid(errors)) => Ok(CreateOutcome::Invalid(errors)),
        Err(other) => Err(views::failure(other)),
    }
}

/// Runs the template with nothing published and returns every file it would generate.
#[server(prefix = "/_server")]
pub async fn dry_run(namespace: String, name: String, values: String) -> Result<DryRunOutcome, ServerFnError> {
    let template_entity = catalog::model::EntityRef::new("template", &namespace, &name).to_string();
    require_entity(&catalog_store()?, Permission::TemplateRun, &template_entity).await?;
    let values = views::parse_values(&values).map_err(ServerFnError::new)?;
    let scaffolder = service()?;
    // The cost settings' prices where cost allocation is there, else OpenCost's defaults.
    let prices = use_context::<super::cost::CostProvider>()
        .map(|cost| cost.prices())
        .unwrap_or_default();
    views::dry_run(&scaffolder, &namespace, &name, values, &prices).await
}

/// A task with its events so far; `None` when there is no such task.
#[server(prefix = "/_server")]
pub async fn load_task(id: String) -> Result<Option<TaskView>, ServerFnError> {
    let scaffolder = service()?;
    require_task(&scaffolder, Permission::TaskRead, &id).await?;
    views::task(&scaffolder, &id).await.map_err(internal)
}

/// Asks a running task to stop; returns its status after the request.
#[server(prefix = "/_server")]
pub async fn cancel_task(id: String) -> Result<String, ServerFnError> {
    let scaffolder = service()?;
    require_task(&scaffolder, Permission::TaskCancel, &id).await?;
    scaffolder.cancel(&id).await.map_err(views::failure)
}
