//! What admins do, the same from the `/api/auth` endpoints and from the admin pages: create and
//! revoke API tokens, end a person's sessions, each recorded in the audit log.

use access::Scope;

use super::store::AuditEvent;
use super::tokens::{self, NewToken, TokenError};
use super::{Auth, AuthError};

impl Auth {
    /// Creates a token with `scopes` (their names) for `actor`; the secret is in the result only.
    pub async fn create_token(
        &self,
        actor: &str,
        ip: Option<&str>,
        name: &str,
        scopes: &[String],
        expires_in_days: Option<u32>,
    ) -> Result<NewToken, TokenError> {
        let parsed = scopes
            .iter()
            .map(|s| {
                Scope::parse(s).ok_or_else(|| {
                    TokenError::Invalid(format!(
                        "scopes: unknown scope `{s}` (use catalog:read, catalog:write or events:write)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let token = tokens::create(&self.store, name, &parsed, actor, expires_in_days).await?;
        self.audit(AuditEvent {
            actor,
            action: "token-created",
            target: Some(&format!("token:{}", name.trim())),
            outcome: "allowed",
            detail: Some(&format!("scopes {}", scopes.join(", "))),
            ip,
        })
        .await;
        Ok(token)
    }

    /// Revokes a live token; its name, or None when there is no live token with that id.
    pub async fn revoke_token(&self, actor: &str, ip: Option<&str>, id: &str) -> Result<Option<String>, AuthError> {
        let name = self.store.revoke_token(id, actor).await?;
        if let Some(name) = &name {
            self.audit(AuditEvent {
                actor,
                action: "token-revoked",
                target: Some(&format!("token:{name}")),
                outcome: "allowed",
                detail: None,
                ip,
            })
            .await;
        }
        Ok(name)
    }

    /// Ends every session of `user_ref`; how many there were.
    pub async fn revoke_sessions(&self, actor: &str, ip: Option<&str>, user_ref: &str) -> Result<u64, AuthError> {
        let count = self.store.revoke_sessions_of(user_ref).await?;
        self.audit(AuditEvent {
            actor,
            action: "sessions-revoked",
            target: Some(user_ref),
            outcome: "allowed",
            detail: Some(&format!("{count} sessions")),
            ip,
        })
        .await;
        Ok(count)
    }
}
