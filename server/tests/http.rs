//! The HTTP surface of a real server: probes, metrics, headers, compression, pages and assets.

mod common;

use common::{TestDb, TestServer};

on_both_databases! {
    async fn probes_report_live_and_ready(db: TestDb) {
        let server = TestServer::start(&db).await;
        let health = server.get("/healthz").await;
        assert_eq!(health.status(), 200);
        assert_eq!(health.text().await.expect("body"), "ok");

        let ready = server.get("/readyz").await;
        assert_eq!(ready.status(), 200);
        let body: serde_json::Value = ready.json().await.expect("json");
        assert_eq!(body["status"], "ready");
        let expected = if db.is_postgres() { "PostgreSQL" } else { "SQLite" };
        assert_eq!(body["database"], expected);
        server.stop().await;
    }

    async fn home_page_is_rendered_on_the_server(db: TestDb) {
        let server = TestServer::start(&db).await;
        let page = server.get("/").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("body");
        assert!(html.contains("<title>Cairn</title>"), "{html}");
        assert!(html.contains("data-testid=\"theme-switch\""), "theme switch rendered");
        assert!(html.contains("aria-current=\"page\""), "current page marked in the navigation");
        server.stop().await;
    }

    async fn status_page_reads_the_database(db: TestDb) {
        let server = TestServer::start(&db).await;
        let html = server.get("/status").await.text().await.expect("body");
        let expected = if db.is_postgres() { "PostgreSQL" } else { "SQLite" };
        assert!(html.contains(&format!("data-testid=\"database\">{expected}<")), "{html}");
        assert!(html.contains("up to date (version "), "{html}");
        server.stop().await;
    }
}

#[tokio::test]
async fn unknown_paths_get_the_not_found_page_with_404() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let response = server.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.expect("body");
    assert!(html.contains("Page not found"), "{html}");
    assert!(html.contains("<header"), "the 404 page keeps the app shell");
    server.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_given_one() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let generated = server.get("/healthz").await;
    let id = generated.headers()["x-request-id"].to_str().expect("ascii").to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let given = server
        .client
        .get(server.url("/healthz"))
        .header("x-request-id", "lb-1234")
        .send()
        .await
        .expect("req");
    assert_eq!(given.headers()["x-request-id"], "lb-1234");
    server.stop().await;
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_matching_their_scripts() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let response = server.get("/").await;
    let headers = response.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
    let csp = headers["content-security-policy"].to_str().expect("ascii").to_string();
    assert!(csp.contains("'wasm-unsafe-eval'"), "wasm must be allowed: {csp}");
    assert!(
        !csp.contains("'unsafe-inline'"),
        "inline scripts must need the nonce: {csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("nonce in CSP");

    let html = response.text().await.expect("body");
    let scripts = html.matches("<script").count();
    assert!(scripts >= 1, "the hydration script is present");
    assert_eq!(
        html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count(),
        1,
        "{html}"
    );
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every script has the nonce: {html}"
    );

    let second = server.get("/").await.headers()["content-security-policy"].clone();
    assert_ne!(second.to_str().expect("ascii"), csp, "a fresh nonce per response");
    server.stop().await;
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let response = server
        .client
        .get(server.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("req");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let bytes = response.bytes().await.expect("body");
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut html).expect("gzip");
    assert!(html.contains("<title>Cairn</title>"));
    server.stop().await;
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_served_precompressed() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let manifest = &server.state().site.manifest;
    let wasm = format!("/pkg/{}_bg.wasm", manifest.bundle);
    let response = server
        .client
        .get(server.url(&wasm))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("req");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["content-type"], "application/wasm");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    // Unread, the body would hold its connection open and graceful shutdown would wait for it.
    drop(response);

    let css = server.get(&format!("/{}", manifest.stylesheet)).await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/css")
    );

    let missing = server.get("/pkg/cairn-0000000000000000.js").await;
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_per_route_template() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    for _ in 0..3 {
        server.get("/healthz").await;
    }
    server.get("/some/unknown/path").await;
    let metrics = server.get("/metrics").await.text().await.expect("body");
    assert!(
        metrics.contains(r#"cairn_http_requests_total{route="/healthz",method="GET",status="200"} 3"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"cairn_http_request_duration_seconds_bucket{le="0.005",route="/healthz""#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="unmatched",method="GET",status="404""#),
        "raw paths never become labels"
    );
    assert!(!metrics.contains("/some/unknown/path"));
    assert!(metrics.contains(r#"cairn_build{version=""#), "{metrics}");
    server.stop().await;
}

#[tokio::test]
async fn register_appears_only_where_registering_can_work() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let html = server.get("/catalog").await.text().await.expect("body");
    assert!(
        html.contains("href=\"/catalog-import\""),
        "default allowedLocationTypes is [url], which this version reads"
    );
    server.stop().await;

    let mut config = db.config();
    config.catalog.allowed_location_types = vec!["gerrit".into()];
    let server = TestServer::start_with(config).await;
    let html = server.get("/catalog").await.text().await.expect("body");
    assert!(
        !html.contains("href=\"/catalog-import\""),
        "no allowed type can be read"
    );
    let page = server.get("/catalog-import").await.text().await.expect("body");
    assert!(
        page.contains("does not allow registering locations"),
        "the page says why"
    );
    server.stop().await;

    let mut config = db.config();
    config.catalog.allowed_location_types = vec!["file".into()];
    let server = TestServer::start_with(config).await;
    let html = server.get("/catalog").await.text().await.expect("body");
    assert!(html.contains("href=\"/catalog-import\""), "{html}");
    server.stop().await;
}
