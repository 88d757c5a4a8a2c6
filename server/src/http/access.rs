//! Permission checks for handlers: the policy's decision as an API error, the owners of the
//! resource acted on, and audit records of what was done.

use access::{Decision, Permission, Principal};

use crate::auth::store::AuditEvent;
use crate::http::catalog::ApiError;
use crate::state::AppState;

/// Ok when `principal` may; else 401 (sign in) or 403 with the reason.
pub fn authorize(
    state: &AppState,
    principal: &Principal,
    permission: Permission,
    owners: &[String],
) -> Result<(), ApiError> {
    decision(state.auth.decide(principal, permission, owners))
}

fn decision(decision: Decision) -> Result<(), ApiError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::SignInRequired(reason) => Err(ApiError::Unauthorized(reason)),
        Decision::Deny(reason) => Err(ApiError::Forbidden(reason)),
    }
}

/// `permission` on one entity, judged by its owners.
pub async fn authorize_entity(
    state: &AppState,
    principal: &Principal,
    permission: Permission,
    entity_ref: &str,
) -> Result<(), ApiError> {
    if matches!(principal, Principal::Guest | Principal::Token { .. }) {
        return authorize(state, principal, permission, &[]);
    }
    let owners = state.catalog.store.owners_of(entity_ref).await?;
    authorize(state, principal, permission, &owners)
}

/// `permission` on a location: it acts on every entity the location provides, so the person
/// must be allowed on each (a location providing nothing yet is for admins).
pub async fn authorize_location(
    state: &AppState,
    principal: &Principal,
    permission: Permission,
    location_id: &str,
) -> Result<(), ApiError> {
    // Guests and tokens are judged without owners: no need to read them.
    let entities = if matches!(principal, Principal::Guest | Principal::Token { .. }) {
        Vec::new()
    } else {
        state.catalog.store.location_entity_owners(location_id).await?
    };
    decision(state.auth.config.policy.decide_all(principal, permission, &entities))
}

/// Records a security-relevant action done through the API.
pub async fn audit(state: &AppState, principal: &Principal, action: &str, target: &str, detail: Option<&str>) {
    state
        .auth
        .audit(AuditEvent {
            actor: &principal.actor(),
            action,
            target: Some(target),
            outcome: "allowed",
            detail,
            ip: None,
        })
        .await;
}

/// A scaffolder task's owner is the person who started it.
pub fn authorize_task(
    state: &AppState,
    principal: &Principal,
    permission: Permission,
    task: &templates::store::TaskRow,
) -> Result<(), ApiError> {
    let owners: Vec<String> = task.created_by.iter().cloned().collect();
    authorize(state, principal, permission, &owners)
}

/// Running a template, judged by the template's owners (with the default rule, anyone signed in).
pub async fn authorize_template(state: &AppState, principal: &Principal, template_ref: &str) -> Result<(), ApiError> {
    let entity_ref = catalog::model::EntityRef::parse(template_ref, Some("template"), "default")
        .map(|r| r.to_string())
        .map_err(|e| ApiError::Input(format!("templateRef: {e}")))?;
    authorize_entity(state, principal, Permission::TemplateRun, &entity_ref).await
}
