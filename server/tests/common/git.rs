//! Real Git repositories for tests: made with `git`, and served over HTTP by `git http-backend`.

use std::path::Path;
use std::process::Command;

pub fn component(name: &str, description: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: {description}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
    )
}

pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

pub fn init_repo(repo: &Path) {
    std::fs::create_dir_all(repo).expect("mkdir");
    git(repo, &["init", "--quiet", "--initial-branch", "main"]);
}

pub fn commit_all(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "--quiet", "-m", message]);
}

pub fn write(repo: &Path, file: &str, text: &str) {
    let path = repo.join(file);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A Git server over HTTP: `git http-backend` (the CGI program real servers run) behind a small
/// axum server that wants `Authorization: Basic x-access-token:<token>`, as GitHub does.
pub struct GitHttpServer {
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl GitHttpServer {
    pub async fn start(root: std::path::PathBuf, token: &'static str) -> GitHttpServer {
        GitHttpServer::start_accepting(root, move |t| t == token).await
    }

    /// A server that lets in any token `accept` approves (minted ones, say).
    pub async fn start_accepting(
        root: std::path::PathBuf,
        accept: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> GitHttpServer {
        use axum::body::Body;
        use axum::http::{Request, Response, StatusCode};
        use base64::Engine;
        use tokio::io::AsyncWriteExt;

        let accept = std::sync::Arc::new(accept);
        let handler = move |request: Request<Body>| {
            let root = root.clone();
            let accept = accept.clone();
            async move {
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
                    .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|pair| pair.strip_prefix("x-access-token:").map(str::to_string));
                if !token.is_some_and(|t| accept(&t)) {
                    return Response::builder()
                        .status(StatusCode::UNAUTHORIZED)
                        .header("www-authenticate", "Basic realm=\"git\"")
                        .body(Body::empty())
                        .expect("response");
                }
                let (content_type, encoding, protocol) = (
                    header("content-type"),
                    header("content-encoding"),
                    header("git-protocol"),
                );
                let path = request.uri().path().to_string();
                let query = request.uri().query().unwrap_or_default().to_string();
                let method = request.method().to_string();
                let body = axum::body::to_bytes(request.into_body(), 64 << 20).await.expect("body");
                let mut child = tokio::process::Command::new("git")
                    .arg("http-backend")
                    .env("GIT_PROJECT_ROOT", &root)
                    .env("GIT_HTTP_EXPORT_ALL", "1")
                    .env("PATH_INFO", path)
                    .env("QUERY_STRING", query)
                    .env("REQUEST_METHOD", method)
                    .env("CONTENT_TYPE", content_type)
                    .env("HTTP_CONTENT_ENCODING", encoding)
                    .env("GIT_PROTOCOL", protocol)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .expect("git http-backend");
                let mut stdin = child.stdin.take().expect("stdin");
                stdin.write_all(&body).await.expect("write");
                drop(stdin);
                let output = child.wait_with_output().await.expect("cgi");
                let split = output
                    .stdout
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map(|i| (i, 4))
                    .or_else(|| output.stdout.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
                    .expect("CGI headers");
                let head = String::from_utf8_lossy(&output.stdout[..split.0]).to_string();
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
                    .body(Body::from(output.stdout[split.0 + split.1..].to_vec()))
                    .expect("response")
            }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        GitHttpServer { addr, task }
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// GitHub's `X-Hub-Signature-256` of a webhook body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}
