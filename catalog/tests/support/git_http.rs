//! A Git server over HTTP for tests: `git http-backend` (the CGI program real servers run) behind
//! a small axum server that wants `Authorization: Basic x-access-token:<token>`, as GitHub does.
//! Fetches and pushes both work (pushes land in the bare repositories under the root).
//! Self-contained (axum, tokio) so any crate's tests can include it by `#[path]`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use tokio::io::AsyncWriteExt;

/// A running server; stops when dropped.
pub struct GitHttpServer {
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

type Accept = Arc<dyn Fn(&str) -> bool + Send + Sync>;

impl GitHttpServer {
    /// Serves the repositories under `root` to requests bearing `token`.
    pub async fn start(root: PathBuf, token: &'static str) -> GitHttpServer {
        GitHttpServer::start_accepting(root, move |t| t == token).await
    }

    /// A server that lets in any token `accept` approves (minted ones, say).
    pub async fn start_accepting(
        root: PathBuf,
        accept: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> GitHttpServer {
        let accept: Accept = Arc::new(accept);
        let handler = move |request: Request<Body>| {
            let (root, accept) = (root.clone(), accept.clone());
            async move { serve(root, accept, request).await }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        GitHttpServer { addr, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(root: PathBuf, accept: Accept, request: Request<Body>) -> Response<Body> {
    let headers = request.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let token = header("authorization")
        .strip_prefix("Basic ")
        .and_then(decode_base64)
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| pair.strip_prefix("x-access-token:").map(str::to_string));
    if !token.is_some_and(|t| accept(&t)) {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("www-authenticate", "Basic realm=\"git\"")
            .body(Body::empty())
            .expect("response");
    }
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let method = request.method().to_string();
    let body = axum::body::to_bytes(request.into_body(), 64 << 20).await.expect("body");
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        // An authenticated user: http-backend then accepts pushes (receive-pack) too.
        .env("REMOTE_USER", "x-access-token")
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", method)
        .env("CONTENT_TYPE", header("content-type"))
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("git http-backend");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&body).await.expect("write");
    drop(stdin);
    let output = child.wait_with_output().await.expect("cgi");
    cgi_response(&output.stdout)
}

/// A CGI program's output (headers, a blank line, the body) as an HTTP response.
fn cgi_response(stdout: &[u8]) -> Response<Body> {
    let split = stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| stdout.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
        .expect("CGI headers");
    let head = String::from_utf8_lossy(&stdout[..split.0]).to_string();
    let mut response = Response::builder();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("status") {
            let code: u16 = value.trim()[..3].parse().expect("status");
            response = response.status(code);
        } else {
            response = response.header(name.trim(), value.trim());
        }
    }
    response
        .body(Body::from(stdout[split.0 + split.1..].to_vec()))
        .expect("response")
}

/// Standard base64 (padding optional); `None` for anything else.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim().bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}
