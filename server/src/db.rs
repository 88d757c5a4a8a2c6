//! The database: SQLite (an embedded file, the default) or PostgreSQL, behind one `sqlx::Any` pool.
//! SQL is written once where the dialects agree; migrations are per dialect in `migrations/`.

mod schema;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use sqlx::{
    AnyPool, Executor,
    any::{AnyPoolOptions, install_default_drivers},
    migrate::Migrator,
};

use crate::config::DatabaseConfig;

pub use schema::SchemaState;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use postgres://…, sqlite://… or a file path")]
    UnsupportedUrl(String),
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("cannot lock {path} before migrating: {source}")]
    Lock { path: String, source: std::io::Error },
    #[error("cannot connect to {what} at {url}: {source}")]
    Connect {
        what: &'static str,
        url: String,
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed while {context}: {source}")]
    Query { context: &'static str, source: sqlx::Error },
}

/// Which SQL dialect the pool speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Name for people ("SQLite", "PostgreSQL").
    pub fn display_name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
        }
    }
}

/// The connection pool and its dialect. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
    /// The SQLite file, when there is one: migrations lock a file beside it (see `migrate`).
    sqlite_file: Option<PathBuf>,
}

impl Db {
    /// Opens the database, creating the SQLite file (and its directory) when needed.
    pub async fn connect(config: &DatabaseConfig) -> Result<Db, DbError> {
        install_default_drivers();
        let (dialect, url, sqlite_file) = normalize_url(&config.url)?;
        let redacted = redact_url(&url);
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match dialect {
            Dialect::Postgres => options.max_connections(16).connect(&url).await,
            Dialect::Sqlite => {
                // One writer at a time, and readers beyond a few only queue for the CPU.
                // WAL lets readers proceed during a write; busy_timeout waits instead of failing
                // when two writers meet; foreign keys are off by default in SQLite. A small page
                // cache per connection keeps memory low: the OS caches the file for all of them.
                options
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                                 PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;",
                            )
                            .await
                            .map(|_| ())
                        })
                    })
                    .connect(&url)
                    .await
            }
        }
        .map_err(|source| DbError::Connect {
            what: dialect.display_name(),
            url: redacted,
            source,
        })?;
        Ok(Db {
            pool,
            dialect,
            sqlite_file,
        })
    }

    /// Applies every migration not yet applied. Safe to run concurrently from several processes
    /// and again after a crash: sqlx takes an advisory lock on PostgreSQL, but has none for SQLite,
    /// where two processes starting together would both try the same migration, so an exclusive
    /// lock on `<file>.migrate-lock` serialises them.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let _guard = match &self.sqlite_file {
            Some(file) => Some(lock_file(PathBuf::from(format!("{}.migrate-lock", file.display()))).await?),
            None => None,
        };
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// The pool, for the stores that own SQL.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn migrator(&self) -> &'static Migrator {
        match self.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// Takes an exclusive lock on `path` (created if needed), released when the file is dropped.
async fn lock_file(path: PathBuf) -> Result<std::fs::File, DbError> {
    let shown = path.display().to_string();
    let lock = move || -> std::io::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    };
    tokio::task::spawn_blocking(lock)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r)
        .map_err(|source| DbError::Lock { path: shown, source })
}

/// Accepts `postgres://`, `postgresql://`, `sqlite:` URLs and plain file paths.
fn normalize_url(url: &str) -> Result<(Dialect, String, Option<PathBuf>), DbError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Dialect::Postgres, url.to_string(), None));
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") {
        return Err(DbError::UnsupportedUrl(redact_url(url)));
    } else {
        url
    };
    let (file, query) = path.split_once('?').unwrap_or((path, ""));
    if file != ":memory:" {
        if let Some(dir) = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
    }
    let query = if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        query.to_string()
    };
    // Validate early so a bad option is reported as such rather than as a connection failure.
    sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{file}?{query}"))
        .map_err(|_| DbError::UnsupportedUrl(url.to_string()))?;
    let sqlite_file = (file != ":memory:").then(|| PathBuf::from(file));
    Ok((Dialect::Sqlite, format!("sqlite://{file}?{query}"), sqlite_file))
}

/// The URL with any password replaced, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((auth, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => format!("{scheme}://{auth}@{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_redacted_urls() {
        assert_eq!(
            redact_url("postgres://cairn:hunter2@db:5432/cairn"),
            "postgres://cairn:***@db:5432/cairn"
        );
        assert_eq!(redact_url("postgres://cairn@db/cairn"), "postgres://cairn@db/cairn");
        assert_eq!(redact_url("./data/cairn.db"), "./data/cairn.db");
    }

    #[test]
    fn database_urls_pick_their_dialect() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/cairn.db");
        let (dialect, url, file) = normalize_url(path.to_str().expect("utf-8")).expect("path");
        assert_eq!(file.as_deref(), Some(path.as_path()));
        assert_eq!(dialect, Dialect::Sqlite);
        assert!(url.ends_with("nested/cairn.db?mode=rwc"), "{url}");
        assert!(path.parent().expect("parent").is_dir(), "directory created");
        assert_eq!(normalize_url("postgresql://h/db").expect("pg").0, Dialect::Postgres);
        assert!(matches!(normalize_url("mysql://h/db"), Err(DbError::UnsupportedUrl(_))));
    }
}
