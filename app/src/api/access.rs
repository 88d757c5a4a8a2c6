//! Who is looking and what they may do, for pages and server functions. The server decides every
//! action (server functions call `require*`); pages ask `Viewer::can` with the same policy only to
//! hide what a person cannot do.

#[cfg(feature = "ssr")]
use access::Decision;
use access::{Permission, Policy, Principal};
#[cfg(feature = "ssr")]
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the server provides through context: the policy and whether sign-in is configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSettings {
    pub policy: Policy,
    /// A provider is configured (else: guest mode).
    pub sign_in: bool,
}

/// The person (or guest) a page is rendered for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub principal: Principal,
    pub settings: AccessSettings,
}

impl Viewer {
    /// On the server from the request; in the browser from what the server rendered into
    /// `<body data-viewer>`, so both render the same thing without a request.
    pub fn current() -> Viewer {
        #[cfg(feature = "ssr")]
        {
            Viewer {
                principal: principal(),
                settings: use_context::<AccessSettings>().unwrap_or_default(),
            }
        }
        #[cfg(not(feature = "ssr"))]
        {
            leptos::prelude::document()
                .body()
                .and_then(|b| b.get_attribute("data-viewer"))
                .and_then(|v| serde_json::from_str(&v).ok())
                .unwrap_or(Viewer {
                    principal: Principal::Anonymous,
                    settings: AccessSettings::default(),
                })
        }
    }

    pub fn can(&self, permission: Permission, owners: &[String]) -> bool {
        self.settings
            .policy
            .decide(&self.principal, permission, owners)
            .allowed()
    }

    pub fn is_admin(&self) -> bool {
        self.can(Permission::Admin, &[])
    }

    pub fn guest(&self) -> bool {
        matches!(self.principal, Principal::Guest)
    }

    /// The signed-in person's name to show.
    pub fn display_name(&self) -> Option<&str> {
        match &self.principal {
            Principal::User(s) => Some(&s.display_name),
            _ => None,
        }
    }

    pub fn user_ref(&self) -> Option<&str> {
        self.principal.user_ref()
    }
}

/// The request's principal (the server's authentication layer put it in the request).
#[cfg(feature = "ssr")]
pub fn principal() -> Principal {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Principal>().cloned())
        .unwrap_or(Principal::Anonymous)
}

/// The principal, if it may; else an error with the policy's reason (and 401/403 on the response).
#[cfg(feature = "ssr")]
pub fn require(permission: Permission, owners: &[String]) -> Result<Principal, ServerFnError> {
    let principal = principal();
    let decision = settings().policy.decide(&principal, permission, owners);
    allowed(principal, decision)
}

#[cfg(feature = "ssr")]
fn settings() -> AccessSettings {
    use_context::<AccessSettings>().unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn allowed(principal: Principal, decision: Decision) -> Result<Principal, ServerFnError> {
    match decision {
        Decision::Allow => Ok(principal),
        Decision::SignInRequired(reason) => Err(denied(http::StatusCode::UNAUTHORIZED, reason)),
        Decision::Deny(reason) => Err(denied(http::StatusCode::FORBIDDEN, reason)),
    }
}

#[cfg(feature = "ssr")]
fn denied(status: http::StatusCode, reason: String) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(format!("Not allowed: {reason}."))
}

/// `permission` on one entity, judged by its owners.
#[cfg(feature = "ssr")]
pub async fn require_entity(
    store: &catalog::store::Store,
    permission: Permission,
    entity_ref: &str,
) -> Result<Principal, ServerFnError> {
    let owners = owners(store, entity_ref).await?;
    require(permission, &owners)
}

/// `permission` on a location: on every entity it provides (one providing nothing: admins).
#[cfg(feature = "ssr")]
pub async fn require_location(
    store: &catalog::store::Store,
    permission: Permission,
    location_id: &str,
) -> Result<Principal, ServerFnError> {
    let principal = principal();
    // Guests and tokens are judged without owners: no need to read them.
    let entities = if matches!(principal, Principal::Guest | Principal::Token { .. }) {
        Vec::new()
    } else {
        store.location_entity_owners(location_id).await.map_err(|e| {
            tracing::error!(error = %e, "reading a location's owners");
            ServerFnError::new("the location's owners could not be read; the error has been logged")
        })?
    };
    let decision = settings().policy.decide_all(&principal, permission, &entities);
    allowed(principal, decision)
}

#[cfg(feature = "ssr")]
async fn owners(store: &catalog::store::Store, entity_ref: &str) -> Result<Vec<String>, ServerFnError> {
    store.owners_of(entity_ref).await.map_err(|e| {
        tracing::error!(error = %e, "reading an entity's owners");
        ServerFnError::new("the entity's owners could not be read; the error has been logged")
    })
}

/// An audit record from a page's action.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    pub actor: String,
    pub action: &'static str,
    pub target: String,
    pub detail: Option<String>,
}

/// Records audit events; the server provides it (the audit log is the server's).
#[cfg(feature = "ssr")]
pub type AuditSink = std::sync::Arc<
    dyn Fn(AuditRecord) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync,
>;

/// Records that `principal` did `action` on `target`.
#[cfg(feature = "ssr")]
pub async fn audit(principal: &Principal, action: &'static str, target: String, detail: Option<String>) {
    if let Some(sink) = use_context::<AuditSink>() {
        sink(AuditRecord {
            actor: principal.actor(),
            action,
            target,
            detail,
        })
        .await;
    }
}
