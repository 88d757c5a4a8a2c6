//! tower-sessions' store over Cairn's own database, so any replica serves any request and a
//! restart signs nobody out. The signed-in person is copied into a column so an admin can end
//! all of someone's sessions.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::store::AuthStore;

/// Key of the signed-in person in a session's data (see `sign_in::SignedIn`).
pub const SIGNED_IN_KEY: &str = "signedIn";

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    store: AuthStore,
}

impl DbSessionStore {
    pub fn new(store: AuthStore) -> DbSessionStore {
        DbSessionStore { store }
    }

    async fn write(&self, record: &Record, only_new: bool) -> session_store::Result<bool> {
        let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let user_ref = record
            .data
            .get(SIGNED_IN_KEY)
            .and_then(|s| s.get("subject"))
            .and_then(|s| s.get("user_ref"))
            .and_then(|u| u.as_str())
            .map(str::to_lowercase);
        let expires = (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64;
        self.store
            .save_session(&record.id.to_string(), &data, user_ref.as_deref(), expires, only_new)
            .await
            .map_err(|e| session_store::Error::Backend(e.to_string()))
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id until it is one nobody has (128 random bits: a retry is already unheard of).
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, false).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = self
            .store
            .load_session(&id.to_string())
            .await
            .map_err(|e| session_store::Error::Backend(e.to_string()))?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.expires_at_ms) * 1_000_000)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&id.to_string())
            .await
            .map_err(|e| session_store::Error::Backend(e.to_string()))
    }
}
