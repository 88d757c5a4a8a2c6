//! Every SQL statement of sign-in and access: sessions, API tokens and the audit log. Writers
//! queue on the catalog store's write gate (SQLite has one writer).

use catalog::store::{Store, now_ms};
use serde::Serialize;
use sqlx::Row;

use super::AuthError;

fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> AuthError {
    move |source| AuthError::Store { context, source }
}

/// Entries a cache holds before it starts afresh.
const READ_CACHE_MAX: usize = 10_000;

/// Recently read rows by key, each trusted for `ttl`. Every signed-in request would otherwise cost
/// a database read; the price is that a revocation made on another replica takes up to `ttl` to
/// reach this one (on this replica it is immediate).
struct ReadCache<T> {
    ttl: std::time::Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (T, std::time::Instant)>>,
}

impl<T: Clone> ReadCache<T> {
    fn new(ttl: std::time::Duration) -> Self {
        ReadCache {
            ttl,
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (T, std::time::Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &str) -> Option<T> {
        self.lock()
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    fn put(&self, key: &str, value: T) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= READ_CACHE_MAX {
            entries.clear();
        }
        entries.insert(key.to_string(), (value, std::time::Instant::now()));
    }

    fn remove_where(&self, forget: impl Fn(&str, &T) -> bool) {
        self.lock().retain(|k, (v, _)| !forget(k, v));
    }
}

/// A stored session record.
#[derive(Clone)]
pub struct SessionRow {
    pub data: String,
    pub expires_at_ms: i64,
    pub user_ref: Option<String>,
}

/// An API token as listed to admins (never its secret).
#[derive(Clone, Debug, Serialize)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

/// One line of the audit log.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// An audit event to record.
#[derive(Clone, Debug, Default)]
pub struct AuditEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// Sign-in and access tables, over the catalog's pool and write gate.
#[derive(Clone)]
pub struct AuthStore {
    store: Store,
    sessions: std::sync::Arc<ReadCache<SessionRow>>,
    tokens: std::sync::Arc<ReadCache<TokenRow>>,
}

impl std::fmt::Debug for AuthStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthStore").finish_non_exhaustive()
    }
}

impl AuthStore {
    pub fn new(store: Store, read_cache_ttl: std::time::Duration) -> AuthStore {
        AuthStore {
            store,
            sessions: std::sync::Arc::new(ReadCache::new(read_cache_ttl)),
            tokens: std::sync::Arc::new(ReadCache::new(read_cache_ttl)),
        }
    }

    // Sessions.

    pub async fn load_session(&self, id: &str) -> Result<Option<SessionRow>, AuthError> {
        if let Some(row) = self.sessions.get(id).filter(|r| r.expires_at_ms > now_ms()) {
            return Ok(Some(row));
        }
        let row = sqlx::query("SELECT data, expires_at, user_ref FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now_ms())
            .fetch_optional(self.store.pool())
            .await
            .map_err(query_error("loading a session"))?;
        let row = row
            .map(|r| {
                Ok(SessionRow {
                    data: r.try_get(0)?,
                    expires_at_ms: r.try_get(1)?,
                    user_ref: r.try_get(2)?,
                })
            })
            .transpose()
            .map_err(query_error("loading a session"))?;
        if let Some(row) = &row {
            self.sessions.put(id, row.clone());
        }
        Ok(row)
    }

    /// Inserts or replaces a session; `only_new` refuses to overwrite (an id collision).
    pub async fn save_session(
        &self,
        id: &str,
        data: &str,
        user_ref: Option<&str>,
        expires_at_ms: i64,
        only_new: bool,
    ) -> Result<bool, AuthError> {
        self.sessions.remove_where(|k, _| k == id);
        let _write = self.store.writing().await;
        let sql = if only_new {
            "INSERT INTO sessions (id, data, user_ref, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING"
        } else {
            "INSERT INTO sessions (id, data, user_ref, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, user_ref = excluded.user_ref, expires_at = excluded.expires_at"
        };
        let done = sqlx::query(sql)
            .bind(id)
            .bind(data)
            .bind(user_ref)
            .bind(expires_at_ms)
            .execute(self.store.pool())
            .await
            .map_err(query_error("saving a session"))?;
        self.sessions.remove_where(|k, _| k == id);
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), AuthError> {
        self.sessions.remove_where(|k, _| k == id);
        let _write = self.store.writing().await;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await
            .map_err(query_error("deleting a session"))?;
        self.sessions.remove_where(|k, _| k == id);
        Ok(())
    }

    /// Ends every session of a person (an admin revoking access). Returns how many there were.
    pub async fn revoke_sessions_of(&self, user_ref: &str) -> Result<u64, AuthError> {
        let user = user_ref.to_lowercase();
        self.sessions
            .remove_where(|_, r| r.user_ref.as_deref() == Some(user.as_str()));
        let _write = self.store.writing().await;
        let done = sqlx::query("DELETE FROM sessions WHERE user_ref = $1")
            .bind(user_ref.to_lowercase())
            .execute(self.store.pool())
            .await
            .map_err(query_error("revoking sessions"))?;
        // Again: a request may have read a row back between the first forgetting and the delete.
        self.sessions
            .remove_where(|_, r| r.user_ref.as_deref() == Some(user.as_str()));
        Ok(done.rows_affected())
    }

    /// Signed-in people with live sessions: `(user_ref, sessions, latest expiry)`.
    pub async fn active_sessions(&self) -> Result<Vec<(String, i64, i64)>, AuthError> {
        sqlx::query(
            "SELECT user_ref, COUNT(*), MAX(expires_at) FROM sessions WHERE user_ref IS NOT NULL AND expires_at > $1 \
             GROUP BY user_ref ORDER BY user_ref LIMIT 1000",
        )
        .bind(now_ms())
        .fetch_all(self.store.pool())
        .await
        .map_err(query_error("listing sessions"))?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(query_error("listing sessions"))
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64, AuthError> {
        let _write = self.store.writing().await;
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(self.store.pool())
            .await
            .map_err(query_error("deleting expired sessions"))?;
        Ok(done.rows_affected())
    }

    // API tokens.

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_token(
        &self,
        id: &str,
        name: &str,
        hash: &str,
        scopes: &[String],
        created_by: &str,
        expires_at: Option<i64>,
    ) -> Result<(), AuthError> {
        let _write = self.store.writing().await;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, scopes, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(name)
        .bind(hash)
        .bind(serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into()))
        .bind(created_by)
        .bind(now_ms())
        .bind(expires_at)
        .execute(self.store.pool())
        .await
        .map_err(query_error("creating a token"))?;
        Ok(())
    }

    /// The live token with this hash: not revoked, not expired.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>, AuthError> {
        let now = now_ms();
        if let Some(row) = self.tokens.get(hash).filter(|t| t.expires_at.is_none_or(|e| e > now)) {
            return Ok(Some(row));
        }
        let row = sqlx::query(&format!(
            "{TOKEN_COLUMNS} WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        ))
        .bind(hash)
        .bind(now_ms())
        .fetch_optional(self.store.pool())
        .await
        .map_err(query_error("checking a token"))?;
        let row = row
            .as_ref()
            .map(token_row)
            .transpose()
            .map_err(query_error("checking a token"))?;
        if let Some(row) = &row {
            self.tokens.put(hash, row.clone());
        }
        Ok(row)
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenRow>, AuthError> {
        sqlx::query(&format!("{TOKEN_COLUMNS} ORDER BY created_at DESC, id LIMIT 1000"))
            .fetch_all(self.store.pool())
            .await
            .map_err(query_error("listing tokens"))?
            .iter()
            .map(token_row)
            .collect::<Result<_, _>>()
            .map_err(query_error("listing tokens"))
    }

    /// Revokes a live token; false when there is none by that id (or it was already revoked).
    pub async fn revoke_token(&self, id: &str, by: &str) -> Result<Option<String>, AuthError> {
        self.tokens.remove_where(|_, t| t.id == id);
        let _write = self.store.writing().await;
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL RETURNING name",
        )
        .bind(now_ms())
        .bind(by)
        .bind(id)
        .fetch_optional(self.store.pool())
        .await
        .map_err(query_error("revoking a token"))?;
        self.tokens.remove_where(|_, t| t.id == id);
        row.map(|r| r.try_get(0))
            .transpose()
            .map_err(query_error("revoking a token"))
    }

    /// Records a use, at most once a minute per token (a write per request would cost more than
    /// the check itself).
    pub async fn touch_token(&self, id: &str, last_used_at: Option<i64>) -> Result<(), AuthError> {
        let now = now_ms();
        if last_used_at.is_some_and(|t| now - t < 60_000) {
            return Ok(());
        }
        let _write = self.store.writing().await;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.store.pool())
            .await
            .map_err(query_error("recording a token's use"))?;
        Ok(())
    }

    // Audit log.

    pub async fn record(&self, event: AuditEvent<'_>) -> Result<(), AuthError> {
        let _write = self.store.writing().await;
        sqlx::query(
            "INSERT INTO audit_events (at, actor, action, target, outcome, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now_ms())
        .bind(event.actor)
        .bind(event.action)
        .bind(event.target)
        .bind(event.outcome)
        .bind(event.detail.map(|d| d.chars().take(2000).collect::<String>()))
        .bind(event.ip)
        .execute(self.store.pool())
        .await
        .map_err(query_error("recording an audit event"))?;
        Ok(())
    }

    /// The newest audit events, optionally before an id (paging) and of one action.
    pub async fn audit_events(
        &self,
        before: Option<i64>,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, AuditError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, outcome, detail, ip FROM audit_events \
             WHERE ($1 IS NULL OR id < $1) AND ($2 IS NULL OR action = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(before)
        .bind(action)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.store.pool())
        .await
        .map_err(query_error("reading the audit log"))?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    outcome: r.try_get(5)?,
                    detail: r.try_get(6)?,
                    ip: r.try_get(7)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(query_error("reading the audit log"))
    }
}

type AuditError = AuthError;

const TOKEN_COLUMNS: &str =
    "SELECT id, name, scopes, created_by, created_at, expires_at, last_used_at, revoked_at, revoked_by FROM api_tokens";

fn token_row(r: &sqlx::any::AnyRow) -> Result<TokenRow, sqlx::Error> {
    let scopes: String = r.try_get(2)?;
    Ok(TokenRow {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        created_by: r.try_get(3)?,
        created_at: r.try_get(4)?,
        expires_at: r.try_get(5)?,
        last_used_at: r.try_get(6)?,
        revoked_at: r.try_get(7)?,
        revoked_by: r.try_get(8)?,
    })
}
