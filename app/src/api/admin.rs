//! Admin pages' server functions: API tokens (create, shown once; list; revoke), people's
//! sessions (list; revoke) and the audit log. The server provides the backend (its own tables).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A token as listed (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A token just created: its secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub name: String,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_ref: String,
    pub sessions: i64,
    pub expires_at: i64,
}

#[cfg(feature = "ssr")]
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What the server provides for these pages. Errors are messages for people.
#[cfg(feature = "ssr")]
pub trait AdminBackend: Send + Sync {
    fn tokens(&self) -> BoxFuture<'_, Result<Vec<TokenInfo>, String>>;
    fn create_token<'a>(
        &'a self,
        actor: &'a str,
        name: &'a str,
        scopes: &'a [String],
        expires_in_days: Option<u32>,
    ) -> BoxFuture<'a, Result<CreatedToken, String>>;
    fn revoke_token<'a>(&'a self, actor: &'a str, id: &'a str) -> BoxFuture<'a, Result<String, String>>;
    fn sessions(&self) -> BoxFuture<'_, Result<Vec<SessionInfo>, String>>;
    fn revoke_sessions<'a>(&'a self, actor: &'a str, user_ref: &'a str) -> BoxFuture<'a, Result<u64, String>>;
    fn audit(&self, before: Option<i64>) -> BoxFuture<'_, Result<Vec<AuditEntry>, String>>;
}

#[cfg(feature = "ssr")]
fn backend() -> Result<std::sync::Arc<dyn AdminBackend>, ServerFnError> {
    use_context::<std::sync::Arc<dyn AdminBackend>>()
        .ok_or_else(|| ServerFnError::new("administration is not available"))
}

#[cfg(feature = "ssr")]
fn admin() -> Result<access::Principal, ServerFnError> {
    super::access::require(access::Permission::Admin, &[])
}

#[server(prefix = "/_server")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, ServerFnError> {
    admin()?;
    backend()?.tokens().await.map_err(ServerFnError::new)
}

/// `scopes` comma-separated; `expires_in_days` empty for never.
#[server(prefix = "/_server")]
pub async fn create_token(
    name: String,
    scopes: Vec<String>,
    expires_in_days: String,
) -> Result<CreatedToken, ServerFnError> {
    let principal = admin()?;
    let expires = match expires_in_days.trim() {
        "" => None,
        days => Some(
            days.parse::<u32>()
                .map_err(|_| ServerFnError::new("Expires in: a number of days, or empty for never"))?,
        ),
    };
    backend()?
        .create_token(&principal.actor(), &name, &scopes, expires)
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/_server")]
pub async fn revoke_token(id: String) -> Result<String, ServerFnError> {
    let principal = admin()?;
    backend()?
        .revoke_token(&principal.actor(), &id)
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/_server")]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, ServerFnError> {
    admin()?;
    backend()?.sessions().await.map_err(ServerFnError::new)
}

#[server(prefix = "/_server")]
pub async fn revoke_sessions(user_ref: String) -> Result<u64, ServerFnError> {
    let principal = admin()?;
    backend()?
        .revoke_sessions(&principal.actor(), &user_ref)
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/_server")]
pub async fn load_audit(before: Option<i64>) -> Result<Vec<AuditEntry>, ServerFnError> {
    admin()?;
    backend()?.audit(before).await.map_err(ServerFnError::new)
}
