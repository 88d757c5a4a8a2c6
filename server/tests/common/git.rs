//! Real Git repositories for tests: made with `git`, and served over HTTP by `git http-backend`
//! (`catalog/tests/support/git_http.rs`).

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

/// A Git server over HTTP (`git http-backend` behind a token check), shared with other crates'
/// tests.
#[path = "../../../catalog/tests/support/git_http.rs"]
mod git_http;

#[allow(unused_imports, reason = "used by some test binaries only")]
pub use git_http::GitHttpServer;

/// GitHub's `X-Hub-Signature-256` of a webhook body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}
