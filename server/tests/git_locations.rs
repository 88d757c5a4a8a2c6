//! Git locations against real repositories made with `git`, over SQLite and PostgreSQL:
//! registration, nested Location targets, changes, deletions, unchanged commits not re-read,
//! and a repository that cannot be fetched keeping its last good entities.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TestDb, TestServer};
use serde_json::{Value, json};

const ROOT: &str = "apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: shop
spec:
  targets: [./services/cart.yaml, ./services/pay.yaml]
";

fn component(name: &str, description: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: {description}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
    )
}

fn git(dir: &Path, args: &[&str]) {
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

fn commit_all(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "--quiet", "-m", message]);
}

fn write(repo: &Path, file: &str, text: &str) {
    let path = repo.join(file);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

async fn entity(server: &TestServer, name: &str) -> (u16, Value) {
    let response = server
        .get(&format!("/api/catalog/entities/by-name/component/default/{name}"))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn a_repository_is_followed_commit_by_commit(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("shop");
        std::fs::create_dir_all(&repo).expect("mkdir");
        git(&repo, &["init", "--quiet", "--initial-branch", "main"]);
        write(&repo, "catalog-info.yaml", ROOT);
        write(&repo, "services/cart.yaml", &component("cart", "Holds the basket"));
        write(&repo, "services/pay.yaml", &component("pay", "Takes the money"));
        commit_all(&repo, "first");

        let mut config = db.config();
        config.catalog.allowed_location_types = vec!["git".into(), "file".into()];
        config.catalog.git.cache_dir = work.path().join("cache");
        let server = TestServer::start_with(config).await;
        let target = format!("file://{}?ref=main", repo.display());
        let created = server.client.post(server.url("/api/catalog/locations"))
            .json(&json!({"type": "git", "target": target})).send().await.expect("post");
        assert_eq!(created.status().as_u16(), 201);
        let created: Value = created.json().await.expect("json");
        assert_eq!(created["entityCount"], 3, "the Location and the two components it points at: {created}");

        let (status, cart) = entity(&server, "cart").await;
        assert_eq!(status, 200);
        let annotations = &cart["metadata"]["annotations"];
        assert_eq!(annotations["backstage.io/managed-by-location"], format!("git:file://{}#main/services/cart.yaml", repo.display()));
        assert_eq!(annotations["backstage.io/managed-by-origin-location"], format!("git:{target}"));
        assert!(!annotations.to_string().contains("cache"), "the local checkout never shows: {annotations}");

        let catalog = &server.state().catalog;
        let location = catalog.store.locations().await.expect("locations").into_iter().find(|l| l.location_type == "git").expect("registered");

        // A change, a deletion and an unchanged commit.
        write(&repo, "services/cart.yaml", &component("cart", "Holds the trolley"));
        std::fs::remove_file(repo.join("services/pay.yaml")).expect("rm");
        write(&repo, "catalog-info.yaml", &ROOT.replace(", ./services/pay.yaml", ""));
        commit_all(&repo, "second");
        let summary = catalog.refresh(&location).await.expect("refresh");
        assert_eq!((summary.updated, summary.removed, summary.source_unchanged), (2, 1, false), "{summary:?}");
        assert_eq!(entity(&server, "cart").await.1["metadata"]["description"], "Holds the trolley");
        assert_eq!(entity(&server, "pay").await.0, 404);
        let again = catalog.refresh(&location).await.expect("refresh");
        assert!(again.source_unchanged, "the same commit is not read again: {again:?}");
        assert_eq!(again.entities, 2);

        // The repository disappears: the refresh fails, says why, and keeps what it had.
        std::fs::rename(&repo, work.path().join("moved")).expect("mv");
        let failed = catalog.refresh(&location).await;
        assert!(failed.is_err());
        assert_eq!(entity(&server, "cart").await.0, 200, "last good entities stay");
        let statuses = catalog.store.location_statuses().await.expect("statuses");
        let status = statuses.iter().find(|s| s.location.id == location.id).expect("status");
        let error = status.last_error.clone().unwrap_or_default();
        assert!(error.contains("git fetch") && error.contains("shop"), "the error says what failed: {error}");
        server.stop().await;
    }

    async fn bad_git_targets_are_refused_with_the_reason(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let mut config = db.config();
        config.catalog.allowed_location_types = vec!["git".into(), "url".into()];
        config.catalog.git.cache_dir = work.path().join("cache");
        let server = TestServer::start_with(config).await;
        for (kind, target, why) in [
            ("git", "ext::sh", "https, ssh or file"),
            ("git", "ext::sh -c id", "spaces"),
            ("git", "file:///etc", "only where file locations are"),
            ("url", "https://github.com/acme", "blob/main/catalog-info.yaml"),
            ("git", "https://example.com/r?ref=--upload-pack=x", "branch or tag"),
        ] {
            let response = server.client.post(server.url("/api/catalog/locations"))
                .json(&json!({"type": kind, "target": target})).send().await.expect("post");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            assert_eq!(status, 400, "{target}: {body}");
            assert!(body.to_string().contains(why), "{target}: {body}");
        }
        server.stop().await;
    }
}
