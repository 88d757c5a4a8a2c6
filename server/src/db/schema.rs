//! The schema's own bookkeeping: which migrations are applied, and the installation row.

use sqlx::Row;

use super::{Db, DbError};

/// What `/readyz` and the status page report about the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaState {
    /// Highest migration version applied (0 when none).
    pub applied_version: i64,
    /// Migrations this binary knows that the database has not applied.
    pub pending: u64,
}

/// This database's installation: created at first start.
#[derive(Clone, Debug)]
pub struct Installation {
    pub id: String,
    pub created_at_ms: i64,
}

impl Db {
    /// Round trip to the database.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(|source| DbError::Query {
                context: "checking the connection",
                source,
            })
    }

    /// Compares the migrations applied in the database with those compiled into this binary.
    pub async fn schema_state(&self) -> Result<SchemaState, DbError> {
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(self.pool())
            .await;
        let applied: Vec<i64> = match rows {
            Ok(rows) => rows
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<Result<_, _>>()
                .map_err(|source| DbError::Query {
                    context: "reading applied migrations",
                    source,
                })?,
            // No bookkeeping table yet: nothing is applied.
            Err(sqlx::Error::Database(e)) if is_missing_table(e.message()) => Vec::new(),
            Err(source) => {
                return Err(DbError::Query {
                    context: "reading applied migrations",
                    source,
                });
            }
        };
        let pending = self.migrator().iter().filter(|m| !applied.contains(&m.version)).count() as u64;
        Ok(SchemaState {
            applied_version: applied.iter().copied().max().unwrap_or(0),
            pending,
        })
    }

    /// Returns this database's installation, creating it on first call. Replicas starting together
    /// agree: the insert is a no-op when another process won the race.
    pub async fn installation(&self) -> Result<Installation, DbError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        sqlx::query(
            "INSERT INTO installation (singleton, id, created_at) VALUES (1, $1, $2) ON CONFLICT (singleton) DO NOTHING",
        )
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(|source| DbError::Query { context: "recording the installation", source })?;
        let row = sqlx::query("SELECT id, created_at FROM installation WHERE singleton = 1")
            .fetch_one(self.pool())
            .await
            .map_err(|source| DbError::Query {
                context: "reading the installation",
                source,
            })?;
        let read = |source| DbError::Query {
            context: "reading the installation",
            source,
        };
        Ok(Installation {
            id: row.try_get(0).map_err(read)?,
            created_at_ms: row.try_get(1).map_err(read)?,
        })
    }
}

fn is_missing_table(message: &str) -> bool {
    // SQLite: "no such table"; PostgreSQL: `relation "…" does not exist`.
    message.contains("no such table") || message.contains("does not exist")
}
