//! Git locations against real repositories made with `git`, over SQLite and PostgreSQL:
//! registration, nested Location targets, changes, deletions, unchanged commits not re-read,
//! and a repository that cannot be fetched keeping its last good entities.

mod common;

use common::git::{GitHttpServer, commit_all, component, init_repo, sign, write};
use common::{TestDb, TestServer};
use serde_json::{Value, json};

const ROOT: &str = "apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: shop
spec:
  targets: [./services/cart.yaml, ./services/pay.yaml]
";

async fn entity(server: &TestServer, name: &str) -> (u16, Value) {
    let response = server
        .get(&format!("/api/catalog/entities/by-name/component/default/{name}"))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn a_partial_refresh_keeps_what_other_files_provide_and_refuses_their_refs(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("services");
        init_repo(&repo);
        // Two components per file, and a broken document in a.yaml.
        write(&repo, "a/catalog-info.yaml", &format!("{}---\n{}---\nkind: Component\n", component("a1", "x"), component("a2", "x")));
        write(&repo, "b/catalog-info.yaml", &format!("{}---\n{}", component("b1", "x"), component("b2", "x")));
        commit_all(&repo, "first");
        let mut config = db.config();
        config.catalog.allowed_location_types = vec!["git".into(), "file".into()];
        config.catalog.git.cache_dir = work.path().join("cache");
        let server = TestServer::start_with(config).await;
        let target = format!("file://{}?ref=main", repo.display());
        let created = server.client.post(server.url("/api/catalog/locations"))
            .json(&json!({"type": "git", "target": target})).send().await.expect("post");
        assert_eq!(created.status().as_u16(), 201);
        let catalog = &server.state().catalog;
        let location = catalog.store.locations().await.expect("locations").into_iter().find(|l| l.location_type == "git").expect("registered");
        let problems = |catalog: &std::sync::Arc<catalog::service::Catalog>| {
            let catalog = catalog.clone();
            let id = location.id.clone();
            async move { catalog.store.location_problems(&id).await.expect("problems") }
        };
        assert_eq!(problems(catalog).await.len(), 1);

        // b.yaml changes and now also defines a1, which a.yaml provides.
        write(&repo, "b/catalog-info.yaml", &format!("{}---\n{}", component("b1", "changed"), component("a1", "impostor")));
        commit_all(&repo, "second");
        let summary = catalog.refresh(&location).await.expect("refresh");
        assert!(summary.partial, "{summary:?}");
        assert_eq!((summary.updated, summary.orphaned, summary.entities), (1, 1, 3), "{summary:?}");
        assert_eq!(entity(&server, "a1").await.1["metadata"]["description"], "x", "the first definition stays");
        assert_eq!(entity(&server, "b1").await.1["metadata"]["description"], "changed");
        let problems = problems(catalog).await;
        assert_eq!(problems.len(), 2, "a.yaml's problem stays, b.yaml's duplicate is reported: {problems:?}");
        assert!(problems.iter().any(|p| p.message.contains("component:default/a1 is defined more than once")), "{problems:?}");
        server.stop().await;
    }

    async fn a_repository_is_followed_commit_by_commit(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("shop");
        init_repo(&repo);
        write(&repo, "catalog-info.yaml", ROOT);
        write(&repo, "services/cart.yaml", &component("cart", "Holds the basket"));
        write(&repo, "services/pay.yaml", &component("pay", "Takes the money"));
        commit_all(&repo, "first");

        let mut config = db.config();
        config.catalog.allowed_location_types = vec!["git".into(), "file".into()];
        config.catalog.git.cache_dir = work.path().join("cache");
        config.catalog.orphans = cairn_server::config::OrphanPolicy::Delete;
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
        assert!(!summary.partial, "a changed Location file means reading everything again");
        let again = catalog.refresh(&location).await.expect("refresh");
        assert!(again.source_unchanged, "the same commit is not read again: {again:?}");
        assert_eq!(again.entities, 2);

        // Only a component's file changed: only it is read; the rest stays.
        write(&repo, "services/cart.yaml", &component("cart", "Holds the cart"));
        commit_all(&repo, "third");
        let partial = catalog.refresh(&location).await.expect("refresh");
        assert!(partial.partial, "{partial:?}");
        assert_eq!((partial.updated, partial.removed, partial.entities), (1, 0, 2), "{partial:?}");
        assert_eq!(entity(&server, "cart").await.1["metadata"]["description"], "Holds the cart");
        let shop = server.get("/api/catalog/entities/by-name/location/default/shop").await;
        assert_eq!(shop.status().as_u16(), 200, "entities of files not read stay");

        // A file no entity came from (it might be a $text target): everything is read again.
        write(&repo, "README.md", "# shop\n");
        commit_all(&repo, "fourth");
        let full = catalog.refresh(&location).await.expect("refresh");
        assert!(!full.partial && !full.source_unchanged, "{full:?}");
        assert_eq!((full.unchanged, full.entities), (2, 2), "{full:?}");

        // The repository disappears: the refresh fails, says why, and keeps what it had.
        std::fs::rename(&repo, work.path().join("moved")).expect("mv");
        let failed = catalog.refresh(&location).await;
        assert!(failed.is_err());
        assert_eq!(entity(&server, "cart").await.0, 200, "last good entities stay");
        let statuses = catalog.store.location_statuses().await.expect("statuses");
        let status = statuses.iter().find(|s| s.location.id == location.id).expect("status");
        let error = status.last_error.clone().unwrap_or_default();
        assert!(error.contains("shop") && error.contains("not found"), "the error says what failed: {error}");
        assert!(!error.contains("git ls-remote") && !error.contains("fatal"), "no command or Git's own words: {error}");
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

on_both_databases! {
    async fn blob_urls_are_fetched_over_http_with_the_hosts_token(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("served/acme/shop");
        init_repo(&repo);
        write(&repo, "catalog-info.yaml", &component("storefront", "Sells things"));
        write(&repo, "broken/catalog-info.yaml", "kind: Component\nmetadata: {name: [not, a, name]}\n");
        commit_all(&repo, "first");
        let server_root = work.path().join("served");
        let http = GitHttpServer::start(server_root, "s3cr3t-t0ken").await;
        let host = http.addr.to_string();

        let start = |token: &str| {
            let mut config = db.config();
            config.catalog.allowed_location_types = vec!["url".into()];
            config.catalog.git.cache_dir = work.path().join(format!("cache-{token}"));
            config.catalog.git.credentials = vec![catalog::ingest::git::Credential { host: host.clone(), token: token.into() }];
            common::read_from(&mut config, http.addr);
            config
        };
        // http:// here; the same code speaks https to GitHub.
        let blob = format!("http://{host}/acme/shop/blob/main/catalog-info.yaml");
        let tree = format!("http://{host}/acme/shop/tree/main");

        let wrong = TestServer::start_with(start("wrong-token")).await;
        let response = wrong.client.post(wrong.url("/api/catalog/locations"))
            .json(&json!({"type": "url", "target": blob})).send().await.expect("post");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert!(status >= 400, "{text}");
        assert!(!text.contains("wrong-token") && !text.contains("s3cr3t"), "no token in errors: {text}");
        wrong.stop().await;

        let server = TestServer::start_with(start("s3cr3t-t0ken")).await;
        let response = server.client.post(server.url("/api/catalog/locations"))
            .json(&json!({"type": "url", "target": blob})).send().await.expect("post");
        assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap_or_default());
        let (status, storefront) = entity(&server, "storefront").await;
        assert_eq!(status, 200);
        assert_eq!(storefront["metadata"]["annotations"]["backstage.io/managed-by-location"], format!("url:{blob}"));

        // A folder URL reads every catalog-info.yaml below it; the broken one is reported, the good one kept.
        let preview = server.client.post(server.url("/api/catalog/locations?dryRun=true"))
            .json(&json!({"type": "url", "target": tree})).send().await.expect("post");
        let preview: Value = preview.json().await.expect("json");
        assert_eq!(preview["entityCount"], 1, "{preview}");
        assert_eq!(preview["problemCount"], 1, "{preview}");
        assert!(preview["problems"][0].as_str().unwrap_or_default().contains(&format!("http://{host}/acme/shop/blob/main/broken/catalog-info.yaml")), "{preview}");
        server.stop().await;
    }
}

on_both_databases! {
    async fn a_signed_push_webhook_refreshes_the_repositorys_locations(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("served/acme/shop");
        init_repo(&repo);
        write(&repo, "catalog-info.yaml", &component("storefront", "Sells things"));
        commit_all(&repo, "first");
        let http = GitHttpServer::start(work.path().join("served"), "t0ken").await;
        let host = http.addr.to_string();
        let mut config = db.config();
        config.catalog.allowed_location_types = vec!["url".into()];
        config.catalog.git.cache_dir = work.path().join("cache");
        config.catalog.git.credentials = vec![catalog::ingest::git::Credential { host: host.clone(), token: "t0ken".into() }];
        common::read_from(&mut config, http.addr);
        config.catalog.github_webhook_secret = Some(catalog::service::Secret("hook-secret".into()));
        let server = TestServer::start_with(config).await;
        let blob = format!("http://{host}/acme/shop/blob/main/catalog-info.yaml");
        let created = server.client.post(server.url("/api/catalog/locations"))
            .json(&json!({"type": "url", "target": blob})).send().await.expect("post");
        assert_eq!(created.status().as_u16(), 201);

        write(&repo, "catalog-info.yaml", &component("storefront", "Sells everything"));
        commit_all(&repo, "second");
        // The shape GitHub sends (trimmed to the fields that matter and a few around them).
        let push = json!({
            "ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000", "after": "1111111111111111111111111111111111111111",
            "repository": {"id": 1, "name": "shop", "full_name": "acme/shop", "private": true,
                "html_url": format!("http://{host}/acme/shop"), "clone_url": format!("http://{host}/acme/shop.git"),
                "ssh_url": format!("git@{}:acme/shop.git", http.addr.ip()), "default_branch": "main"},
            "pusher": {"name": "jane", "email": "jane@example.com"}, "commits": [], "head_commit": null
        }).to_string();
        let deliver = |signature: Option<String>, event: &'static str, body: String| {
            let mut request = server.client.post(server.url("/api/webhooks/github"))
                .header("x-github-event", event)
                .header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
                .header("content-type", "application/json")
                .body(body);
            if let Some(s) = signature {
                request = request.header("x-hub-signature-256", s);
            }
            request.send()
        };
        assert_eq!(deliver(None, "push", push.clone()).await.expect("post").status().as_u16(), 401);
        assert_eq!(deliver(Some(sign("wrong", push.as_bytes())), "push", push.clone()).await.expect("post").status().as_u16(), 401);
        let tampered = push.replace("jane", "mallory");
        assert_eq!(deliver(Some(sign("hook-secret", push.as_bytes())), "push", tampered).await.expect("post").status().as_u16(), 401);
        let other_branch = push.replace("refs/heads/main", "refs/heads/feature");
        let response = deliver(Some(sign("hook-secret", other_branch.as_bytes())), "push", other_branch).await.expect("post");
        assert_eq!(response.json::<Value>().await.expect("json")["locations"], 0, "a branch nobody follows");

        let response = deliver(Some(sign("hook-secret", push.as_bytes())), "push", push.clone()).await.expect("post");
        assert_eq!(response.status().as_u16(), 202);
        assert_eq!(response.json::<Value>().await.expect("json")["locations"], 1);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if entity(&server, "storefront").await.1["metadata"]["description"] == "Sells everything" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the push was not reflected");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let ping = json!({"zen": "Keep it logically awesome.", "hook_id": 1}).to_string();
        assert_eq!(deliver(Some(sign("hook-secret", ping.as_bytes())), "ping", ping).await.expect("post").status().as_u16(), 200);
        server.stop().await;
    }
}

#[tokio::test]
async fn webhooks_are_refused_where_no_secret_is_configured() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db).await;
    let response = server
        .client
        .post(server.url("/api/webhooks/github"))
        .header("x-github-event", "push")
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 503);
    server.stop().await;
}
