//! Test harness: a real `cairn` server on a free port over a real database, SQLite in a temp dir or
//! a PostgreSQL database created for the test and dropped afterwards.

#![allow(dead_code, reason = "each test binary uses a different part of the harness")]

pub mod alertmanager;
pub mod git;
pub mod oidc;

use std::path::PathBuf;

use cairn_server::{
    Server,
    config::{Config, DatabaseConfig},
    telemetry::LogFormat,
};

/// Server used by PostgreSQL tests unless `CAIRN_TEST_POSTGRES_URL` names another.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs one async test body against both databases, as two separate `#[tokio::test]`s.
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($db:ident: TestDb) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn run($db: TestDb) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run(TestDb::sqlite().await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run(TestDb::postgres().await).await
                }
            }
        )*
    };
}

/// A database that exists only for one test.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("cairn.db").display().to_string();
        TestDb::Sqlite { _dir: dir, url }
    }

    /// Creates a fresh database. Panics, loudly, when no PostgreSQL server answers: the suite must
    /// not pass while silently skipping half its coverage.
    pub async fn postgres() -> TestDb {
        let admin_url = std::env::var("CAIRN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string());
        let name = format!("cairn_test_{}", uuid::Uuid::new_v4().simple());
        let admin = admin_connection(&admin_url).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("CREATE DATABASE");
        admin.close().await;
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        TestDb::Postgres { admin_url, name, url }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }

    /// A configuration for a server on a free loopback port over this database.
    pub fn config(&self) -> Config {
        Config {
            bind: "127.0.0.1:0".parse().expect("addr"),
            database: DatabaseConfig {
                url: self.url().to_string(),
            },
            site_root: site_root(),
            log_format: LogFormat::Text,
            app_title: "Cairn".into(),
            base_url: "http://127.0.0.1".into(),
            catalog: cairn_server::config::CatalogConfig {
                // Never the default ./data of the working directory (the source tree).
                git: catalog::ingest::git::GitSettings {
                    cache_dir: std::env::temp_dir().join(format!("cairn-test-git-{}", uuid::Uuid::new_v4().simple())),
                    ..Default::default()
                },
                ..Default::default()
            },
            scaffolder: templates::service::ScaffolderConfig {
                work_dir: std::env::temp_dir().join(format!("cairn-test-tasks-{}", uuid::Uuid::new_v4().simple())),
                ..Default::default()
            },
            builtin_templates: false,
            auth: Default::default(),
            kubernetes: Vec::new(),
            dora: Default::default(),
            demo: None,
            prometheus: Default::default(),
            slo: Default::default(),
            cost: Default::default(),
        }
    }
}

/// Lets the server read from a test's local server at `addr`: its host and port allowed, and
/// private networks (it is on loopback), as a development config would say.
pub fn read_from(config: &mut Config, addr: std::net::SocketAddr) {
    let reading = &mut config.catalog.git.reading;
    reading.allow.push(outbound::AllowRule::host(addr.to_string()));
    reading.allow_private_networks = true;
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres { admin_url, name, .. } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs outside any runtime we could block on; a short-lived one does the cleanup.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let admin = admin_connection(&admin_url).await;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(_))) {
            eprintln!("warning: could not drop test database {}", self_name(self));
        }
    }
}

fn self_name(db: &TestDb) -> &str {
    match db {
        TestDb::Postgres { name, .. } => name,
        TestDb::Sqlite { url, .. } => url,
    }
}

async fn admin_connection(url: &str) -> sqlx::PgPool {
    match sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(url)
        .await
    {
        Ok(pool) => pool,
        Err(err) => panic!(
            "\n\n*** PostgreSQL is not reachable at {url}: {err}\n*** The integration suite runs every storage test on PostgreSQL too; start it \
             (see README, 'Running the tests') or set CAIRN_TEST_POSTGRES_URL.\n"
        ),
    }
}

/// The site built by `cargo xtask build-site` (the README's test command builds it first).
pub fn site_root() -> PathBuf {
    let root = std::env::var("CAIRN_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
    assert!(
        root.join("manifest.json").is_file(),
        "the built site is missing at {}: run `cargo xtask build-site` first (./x test does)",
        root.display()
    );
    root
}

/// A running server and a client for it.
pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    pub client: reqwest::Client,
}

impl TestServer {
    pub async fn start(db: &TestDb) -> TestServer {
        TestServer::start_with(db.config()).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        TestServer::try_start_with(config).await.expect("server starts")
    }

    /// [`TestServer::start_with`], for a caller that can try again (a port chosen in advance may
    /// be taken by someone else before the server binds it).
    pub async fn try_start_with(config: Config) -> anyhow::Result<TestServer> {
        let server = Server::start(&config).await?;
        let base = format!("http://{}", server.addr);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Ok(TestServer {
            server: Some(server),
            base,
            client,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("clean stop");
        }
    }

    pub fn state(&self) -> &cairn_server::state::AppState {
        &self.server.as_ref().expect("running").state
    }
}

/// Polls `check` every 100 ms until it returns `Some`, or panics with `what` after `limit`: for
/// what background workers do.
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    limit: std::time::Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(std::time::Instant::now() < deadline, "waited {limit:?} for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
