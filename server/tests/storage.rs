//! Storage on both databases: migrations at start-up, readiness, and nothing lost across restarts.

mod common;

use common::{TestDb, TestServer};

/// How many migrations the binary carries (one file per migration and dialect).
fn migrations() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"))
        .expect("migrations")
        .count()
}

on_both_databases! {
    async fn migrations_are_idempotent_and_survive_restarts(db: TestDb) {
        let first = TestServer::start(&db).await;
        let installation = first.state().db.installation().await.expect("installation");
        first.stop().await;

        // A second start over the same database applies nothing new and keeps the installation.
        let second = TestServer::start(&db).await;
        let state = second.state().db.schema_state().await.expect("schema");
        assert_eq!(state.pending, 0);
        assert_eq!(state.applied_version, migrations() as i64);
        let again = second.state().db.installation().await.expect("installation");
        assert_eq!(again.id, installation.id, "the installation row persists");
        assert_eq!(again.created_at_ms, installation.created_at_ms);
        second.stop().await;
    }

    async fn readiness_fails_while_a_migration_is_missing(db: TestDb) {
        let server = TestServer::start(&db).await;
        sqlx::query("DELETE FROM _sqlx_migrations").execute(server.state().db.pool()).await.expect("delete");
        let response = server.get("/readyz").await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["reason"], format!("{} database migration(s) not applied", migrations()));
        // Liveness does not depend on the database.
        assert_eq!(server.get("/healthz").await.status(), 200);
        server.stop().await;
    }

    async fn readiness_fails_when_the_database_goes_away(db: TestDb) {
        let server = TestServer::start(&db).await;
        server.state().db.close().await;
        let response = server.get("/readyz").await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["reason"], "database unreachable");
        server.stop().await;
    }

    async fn a_page_whose_data_fails_shows_the_error_page_with_500(db: TestDb) {
        let server = TestServer::start(&db).await;
        server.state().db.close().await;
        let response = server.get("/status").await;
        assert_eq!(response.status(), 500);
        let html = response.text().await.expect("body");
        assert!(html.contains("Something went wrong"), "{html}");
        assert!(html.contains("the database could not be read"), "{html}");
        assert!(!html.contains("PoolClosed") && !html.contains("pool"), "no internal details: {html}");
        server.stop().await;
    }

    async fn concurrent_starts_agree_on_one_installation(db: TestDb) {
        let (a, b) = tokio::join!(TestServer::start(&db), TestServer::start(&db));
        let ia = a.state().db.installation().await.expect("a");
        let ib = b.state().db.installation().await.expect("b");
        assert_eq!(ia.id, ib.id);
        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test]
async fn sqlite_file_and_its_directory_are_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/deeper/cairn.db");
    let mut config = TestDb::sqlite().await.config();
    config.database.url = path.display().to_string();
    let server = TestServer::start_with(config).await;
    assert!(path.is_file(), "database file created at {}", path.display());
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_postgres_is_a_clear_start_up_error() {
    let mut config = TestDb::sqlite().await.config();
    // Port 1 on loopback: nothing listens there.
    config.database.url = "postgres://cairn:secret-password@127.0.0.1:1/cairn".into();
    let err = match cairn_server::Server::start(&config).await {
        Ok(_) => panic!("start-up must fail"),
        Err(err) => format!("{err:#}"),
    };
    assert!(
        err.contains("cannot connect to PostgreSQL at postgres://cairn:***@127.0.0.1:1/cairn"),
        "{err}"
    );
    assert!(!err.contains("secret-password"), "the password never appears: {err}");
}
