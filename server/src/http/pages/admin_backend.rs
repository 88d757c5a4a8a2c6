//! The admin pages' backend (`app::api::admin::AdminBackend`) over the server's access tables:
//! the same token creation and audit records as the `/api/auth` endpoints.

use std::sync::Arc;

use app::api::admin::{AdminBackend, AuditEntry, BoxFuture, CreatedToken, SessionInfo, TokenInfo};

use crate::auth::Auth;
use crate::auth::tokens::TokenError;

pub struct Admin(pub Arc<Auth>);

fn logged(err: impl std::fmt::Display) -> String {
    tracing::error!(error = %err, "admin page failure");
    "the request failed; the error has been logged".into()
}

impl AdminBackend for Admin {
    fn tokens(&self) -> BoxFuture<'_, Result<Vec<TokenInfo>, String>> {
        Box::pin(async move {
            let rows = self.0.store.list_tokens().await.map_err(logged)?;
            Ok(rows
                .into_iter()
                .map(|t| TokenInfo {
                    id: t.id,
                    name: t.name,
                    scopes: t.scopes,
                    created_by: t.created_by,
                    created_at: t.created_at,
                    expires_at: t.expires_at,
                    last_used_at: t.last_used_at,
                    revoked_at: t.revoked_at,
                })
                .collect())
        })
    }

    fn create_token<'a>(
        &'a self,
        actor: &'a str,
        name: &'a str,
        scopes: &'a [String],
        expires_in_days: Option<u32>,
    ) -> BoxFuture<'a, Result<CreatedToken, String>> {
        Box::pin(async move {
            let created = self.0.create_token(actor, None, name, scopes, expires_in_days).await;
            match created {
                Ok(token) => Ok(CreatedToken {
                    name: name.trim().to_string(),
                    secret: token.secret,
                }),
                Err(TokenError::Invalid(message)) => Err(message),
                Err(TokenError::Store(err)) => Err(logged(err)),
            }
        })
    }

    fn revoke_token<'a>(&'a self, actor: &'a str, id: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            self.0
                .revoke_token(actor, None, id)
                .await
                .map_err(logged)?
                .ok_or_else(|| "there is no live token with that id (it may be revoked already)".to_string())
        })
    }

    fn sessions(&self) -> BoxFuture<'_, Result<Vec<SessionInfo>, String>> {
        Box::pin(async move {
            let rows = self.0.store.active_sessions().await.map_err(logged)?;
            Ok(rows
                .into_iter()
                .map(|(user_ref, sessions, expires_at)| SessionInfo {
                    user_ref,
                    sessions,
                    expires_at,
                })
                .collect())
        })
    }

    fn revoke_sessions<'a>(&'a self, actor: &'a str, user_ref: &'a str) -> BoxFuture<'a, Result<u64, String>> {
        Box::pin(async move { self.0.revoke_sessions(actor, None, user_ref).await.map_err(logged) })
    }

    fn audit(&self, before: Option<i64>) -> BoxFuture<'_, Result<Vec<AuditEntry>, String>> {
        Box::pin(async move {
            let rows = self.0.store.audit_events(before, None, 200).await.map_err(logged)?;
            Ok(rows
                .into_iter()
                .map(|r| AuditEntry {
                    id: r.id,
                    at: r.at,
                    actor: r.actor,
                    action: r.action,
                    target: r.target,
                    outcome: r.outcome,
                    detail: r.detail,
                })
                .collect())
        })
    }
}
