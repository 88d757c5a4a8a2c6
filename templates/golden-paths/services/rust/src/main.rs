//! ${{ values.name }}: ${{ values.description }}

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::header;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// The port the service listens on unless `PORT` says otherwise.
const DEFAULT_PORT: u16 = ${{ values.port }};

/// When the process started, for `process_start_time_seconds`.
static STARTED: LazyLock<SystemTime> = LazyLock::new(SystemTime::now);

/// Every route of the service.
fn app() -> Router {
    LazyLock::force(&STARTED);
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
}

/// Liveness and readiness: the process answers.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Prometheus' text format; the chart's pod annotations tell Prometheus to scrape it.
async fn metrics() -> ([(header::HeaderName, &'static str); 1], String) {
    let started = STARTED
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let body = format!(
        "# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n\
         # TYPE process_start_time_seconds gauge\n\
         process_start_time_seconds {started}\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(DEFAULT_PORT);
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(port);
    }
    let addr = SocketAddr::from(([0, 0, 0, 0], port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("${{ values.name }} listening on {addr}");
    axum::serve(listener, app())
        .with_graceful_shutdown(shutdown())
        .await
}

/// The container's `HEALTHCHECK`: the runtime image has no curl, so the binary asks itself.
fn healthcheck(port: u16) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    match response.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        status => Err(std::io::Error::other(format!(
            "/health answered {status:?}"
        ))),
    }
}

/// Resolves on Ctrl-C or on the SIGTERM Kubernetes sends before stopping a pod.
async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn health_answers_ok() {
        let request = Request::get("/health").body(Body::empty()).unwrap();
        let response = super::app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], br#"{"status":"ok"}"#);
    }

    #[tokio::test]
    async fn metrics_are_in_prometheus_format() {
        let request = Request::get("/metrics").body(Body::empty()).unwrap();
        let response = super::app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = to_bytes(response.into_body(), 4096).await.unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text.contains("\nprocess_start_time_seconds "), "{text}");
    }

    #[tokio::test]
    async fn unknown_paths_are_not_found() {
        let request = Request::get("/nope").body(Body::empty()).unwrap();
        let response = super::app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
