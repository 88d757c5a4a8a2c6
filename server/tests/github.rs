//! GitHub discovery and org sync end to end, over SQLite and PostgreSQL: a local GitHub API
//! (real response shapes, pagination, tokens) lists the organisation; the repositories it points
//! at are real Git repositories served by `git http-backend`; signed webhooks announce changes.

mod common;

#[path = "../../catalog/tests/support/github_api.rs"]
mod github_api;

use std::time::Duration;

use catalog::ingest::github::{GithubAuth, GithubIntegration, GithubSettings};
use catalog::service::Secret;
use common::git::{GitHttpServer, commit_all, component, init_repo, sign, write};
use common::{TestDb, TestServer, eventually};
use github_api::GithubApi;
use serde_json::{Value, json};

const API_TOKEN: &str = "api-t0ken";
const GIT_TOKEN: &str = "git-t0ken";
const HOOK_SECRET: &str = "hook-s3cret";

async fn status_of(server: &TestServer, path: &str) -> u16 {
    server.get(path).await.status().as_u16()
}

/// A GitHub organisation: repositories on a Git server, described by the API server.
struct Org {
    work: tempfile::TempDir,
    git: GitHttpServer,
    api: GithubApi,
}

impl Org {
    async fn start() -> Org {
        Org::start_accepting(|t| t == GIT_TOKEN).await
    }

    /// An organisation whose Git server lets in the tokens `accept` approves.
    async fn start_accepting(accept: impl Fn(&str) -> bool + Send + Sync + 'static) -> Org {
        let work = tempfile::tempdir().expect("tempdir");
        let git = GitHttpServer::start_accepting(work.path().join("served"), accept).await;
        let api = GithubApi::start().await;
        {
            let mut state = api.state();
            state.token = Some(API_TOKEN.into());
            state.html_base = Some(format!("http://{}", git.addr));
            state.add_org("acme");
        }
        Org { work, git, api }
    }

    fn host(&self) -> String {
        self.git.addr.to_string()
    }

    /// A repository with a component (or with no catalog file when `component_name` is None).
    fn add_repo(&self, name: &str, component_name: Option<&str>) {
        let repo = self.work.path().join("served/acme").join(name);
        init_repo(&repo);
        write(&repo, "README.md", "# hi\n");
        if let Some(c) = component_name {
            write(&repo, "catalog-info.yaml", &component(c, "found by discovery"));
        }
        commit_all(&repo, "first");
        let mut state = self.api.state();
        let r = state.add_repo("acme", name);
        if let Some(c) = component_name {
            r.file("main", "catalog-info.yaml", &component(c, "found by discovery"));
        }
    }

    async fn hook(&self, server: &TestServer, event: &str, payload: Value) -> Value {
        let body = payload.to_string();
        let response = server
            .client
            .post(server.url("/api/webhooks/github"))
            .header("x-github-event", event)
            .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
            .header("x-hub-signature-256", sign(HOOK_SECRET, body.as_bytes()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("deliver");
        assert_eq!(response.status().as_u16(), 202);
        response.json().await.expect("json")
    }

    fn repository_payload(&self, action: &str, name: &str) -> Value {
        let html = format!("http://{}/acme/{name}", self.host());
        json!({
            "action": action,
            "repository": {"name": name, "full_name": format!("acme/{name}"), "html_url": html,
                "clone_url": format!("{html}.git"), "default_branch": "main",
                "owner": {"login": "acme", "type": "Organization"}},
            "organization": {"login": "acme"},
            "sender": {"login": "octocat", "html_url": format!("http://{}/octocat", self.host())},
        })
    }
}

on_both_databases! {
    async fn discovery_and_org_sync_follow_the_organisation(db: TestDb) {
        let org = Org::start().await;
        org.add_repo("svc-a", Some("svc-a"));
        org.add_repo("svc-b", Some("svc-b"));
        org.add_repo("docs", None);
        org.add_repo("old", Some("old"));
        {
            let mut state = org.api.state();
            state.repo("acme", "old").archived = true;
            state.add_user(Some("acme"), "alice", Some("Alice Liddell"), Some("alice@acme.example"));
            state.add_user(Some("acme"), "bob", None, None);
            state.add_team("acme", "platform", "Platform", None, &["alice"]);
            state.add_team("acme", "infra", "Infrastructure", Some("platform"), &["bob"]);
        }
        let host = org.host();
        let discovery = format!("http://{host}/acme/*/blob/-/catalog-info.yaml");
        let mut config = db.config();
        config.catalog.allowed_location_types = vec!["url".into()];
        config.catalog.locations = vec![
            ("github-discovery".into(), discovery.clone()),
            ("github-org".into(), format!("http://{host}/acme")),
            // An organisation GitHub does not know: its error is reported, nothing else suffers.
            ("github-org".into(), format!("http://{host}/nobody")),
        ];
        config.catalog.github = vec![GithubIntegration {
            host: host.clone(),
            settings: GithubSettings {
                api_base_url: org.api.url.clone(),
                auth: GithubAuth::Token(Secret(API_TOKEN.into())),
                ..GithubSettings::default()
            },
        }];
        config.catalog.git.credentials = vec![catalog::ingest::git::Credential { host: host.clone(), token: GIT_TOKEN.into() }];
        config.catalog.git.cache_dir = org.work.path().join("cache");
        common::read_from(&mut config, org.git.addr);
        config.catalog.github_webhook_secret = Some(Secret(HOOK_SECRET.into()));
        let server = TestServer::start_with(config).await;

        // Discovery registers one location per repository with the file; the workers read them.
        for name in ["svc-a", "svc-b"] {
            eventually(Duration::from_secs(30), name, || async {
                (status_of(&server, &format!("/api/catalog/entities/by-name/component/default/{name}")).await == 200).then_some(())
            }).await;
        }
        assert_eq!(status_of(&server, "/api/catalog/entities/by-name/component/default/old").await, 404, "archived");
        let (_, svc_a) = (200, server.get("/api/catalog/entities/by-name/component/default/svc-a").await.json::<Value>().await.expect("json"));
        assert_eq!(
            svc_a["metadata"]["annotations"]["backstage.io/managed-by-origin-location"],
            format!("url:http://{host}/acme/svc-a/blob/main/catalog-info.yaml")
        );

        // Org sync: teams as Groups (hierarchy, members), members as Users (e-mail where visible).
        let alice: Value = eventually(Duration::from_secs(30), "alice", || async {
            let r = server.get("/api/catalog/entities/by-name/user/default/alice").await;
            if r.status() == 200 { r.json().await.ok() } else { None }
        }).await;
        assert_eq!(alice["spec"]["profile"]["email"], "alice@acme.example");
        assert_eq!(alice["spec"]["memberOf"], json!(["platform"]));
        let bob: Value = server.get("/api/catalog/entities/by-name/user/default/bob").await.json().await.expect("json");
        assert_eq!(bob["spec"]["profile"].get("email"), None, "a hidden e-mail stays hidden");
        let infra: Value = server.get("/api/catalog/entities/by-name/group/default/infra").await.json().await.expect("json");
        assert_eq!(infra["spec"]["parent"], "platform");
        let relations = infra["relations"].to_string();
        assert!(relations.contains("group:default/platform") && relations.contains("user:default/bob"), "{relations}");

        let (_, list) = (200, server.get("/api/catalog/locations").await.json::<Value>().await.expect("json"));
        let nobody = list.as_array().expect("list").iter()
            .find(|l| l["data"]["target"] == format!("http://{host}/nobody")).expect("listed").clone();
        let nobody = eventually(Duration::from_secs(20), "the unknown org's error", || {
            let server = &server;
            let target = nobody["data"]["target"].clone();
            async move {
                let list: Value = server.get("/api/catalog/locations").await.json().await.ok()?;
                list.as_array()?.iter().find(|l| l["data"]["target"] == target && l["status"]["lastError"].is_string()).cloned()
            }
        }).await;
        let error = nobody["status"]["lastError"].as_str().unwrap_or_default();
        assert!(error.contains("nobody") && error.contains("404"), "{error}");
        assert!(!error.contains(API_TOKEN), "no token in errors");

        // A new repository: the webhook makes discovery find it within seconds.
        org.add_repo("svc-c", Some("svc-c"));
        let reply = org.hook(&server, "repository", org.repository_payload("created", "svc-c")).await;
        assert!(reply["locations"].as_u64() >= Some(1), "{reply}");
        eventually(Duration::from_secs(15), "svc-c after its webhook", || async {
            (status_of(&server, "/api/catalog/entities/by-name/component/default/svc-c").await == 200).then_some(())
        }).await;

        // Archived and deleted repositories leave, with their entities.
        org.api.state().repo("acme", "svc-a").archived = true;
        org.hook(&server, "repository", org.repository_payload("archived", "svc-a")).await;
        org.api.state().repo("acme", "svc-b").deleted = true;
        org.hook(&server, "repository", org.repository_payload("deleted", "svc-b")).await;
        eventually(Duration::from_secs(15), "svc-a and svc-b to leave", || async {
            let a = status_of(&server, "/api/catalog/entities/by-name/component/default/svc-a").await;
            let b = status_of(&server, "/api/catalog/entities/by-name/component/default/svc-b").await;
            (a == 404 && b == 404).then_some(())
        }).await;
        let locations: Value = server.get("/api/catalog/locations").await.json().await.expect("json");
        let targets: Vec<&str> = locations.as_array().expect("list").iter().filter_map(|l| l["data"]["target"].as_str()).collect();
        assert!(targets.contains(&format!("http://{host}/acme/svc-c/blob/main/catalog-info.yaml").as_str()), "{targets:?}");
        assert!(!targets.iter().any(|t| t.contains("/svc-a/") || t.contains("/svc-b/")), "{targets:?}");

        // A membership event: the org sync reads the organisation again.
        org.api.state().add_user(Some("acme"), "carol", Some("Carol"), None);
        org.api.state().add_team("acme", "web", "Web", None, &["carol"]);
        let reply = org.hook(&server, "membership", json!({
            "action": "added", "scope": "team", "member": {"login": "carol"}, "team": {"slug": "web"},
            "organization": {"login": "acme"}, "sender": {"login": "octocat", "html_url": format!("http://{host}/octocat")},
        })).await;
        assert_eq!(reply["locations"], 1, "{reply}");
        let carol: Value = eventually(Duration::from_secs(15), "carol", || async {
            let r = server.get("/api/catalog/entities/by-name/user/default/carol").await;
            if r.status() == 200 { r.json().await.ok() } else { None }
        }).await;
        assert_eq!(carol["spec"]["memberOf"], json!(["web"]));
        server.stop().await;
    }
}

on_both_databases! {
    async fn a_github_app_discovers_and_fetches_with_its_installation_token(db: TestDb) {
        // Only tokens the App's installation minted open the Git server.
        let org = Org::start_accepting(|t| t.starts_with("ghs_installation77x")).await;
        org.add_repo("svc-app", Some("svc-app"));
        org.api.state().app = Some(github_api::App { id: 4242, installations: [("acme".to_string(), 77)].into(), minted: Vec::new() });
        let host = org.host();
        let mut config = db.config();
        config.catalog.locations = vec![("github-discovery".into(), format!("http://{host}/acme/*/blob/-/catalog-info.yaml"))];
        config.catalog.github = vec![GithubIntegration {
            host: host.clone(),
            settings: GithubSettings {
                api_base_url: org.api.url.clone(),
                auth: GithubAuth::App { app_id: 4242, private_key_pem: Secret(github_api::TEST_APP_KEY.into()) },
                ..GithubSettings::default()
            },
        }];
        config.catalog.git.cache_dir = org.work.path().join("cache");
        common::read_from(&mut config, org.git.addr);
        config.catalog.github_webhook_secret = Some(Secret(HOOK_SECRET.into()));
        let server = TestServer::start_with(config).await;
        eventually(Duration::from_secs(30), "svc-app, fetched with the installation's token", || async {
            (status_of(&server, "/api/catalog/entities/by-name/component/default/svc-app").await == 200).then_some(())
        }).await;
        let minted = org.api.state().app.as_ref().map_or(0, |a| a.minted.len());
        assert!(minted >= 2, "one token for discovery, one for git: {minted}");

        // The App is installed on one more repository: its installation event brings it in.
        org.add_repo("svc-new", Some("svc-new"));
        let reply = org.hook(&server, "installation_repositories", json!({
            "action": "added",
            "installation": {"id": 77, "account": {"login": "acme"}, "html_url": format!("http://{host}/organizations/acme/settings/installations/77")},
            "repositories_added": [{"name": "svc-new", "full_name": "acme/svc-new"}],
            "sender": {"login": "octocat", "html_url": format!("http://{host}/octocat")},
        })).await;
        assert_eq!(reply["locations"], 1, "{reply}");
        eventually(Duration::from_secs(15), "svc-new after the installation event", || async {
            (status_of(&server, "/api/catalog/entities/by-name/component/default/svc-new").await == 200).then_some(())
        }).await;
        server.stop().await;
    }
}

/// Timing, not a test: `./x bench github` runs it in release and prints the figures.
/// Discovery of an organisation of 2 000 repositories (1 800 with a catalog file) through the
/// local GitHub API: listing, contents checks and registering a location for each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_discovery_of_two_thousand_repositories() {
    for (name, db) in [
        ("sqlite", TestDb::sqlite().await),
        ("postgres", TestDb::postgres().await),
    ] {
        let api = GithubApi::start().await;
        {
            let mut state = api.state();
            state.token = Some(API_TOKEN.into());
            // Nothing listens here: the discovered locations fail fast, the discovery is what is timed.
            state.html_base = Some("http://127.0.0.1:9".into());
            state.add_org("acme");
            for i in 0..2000 {
                let repo = state.add_repo("acme", &format!("svc-{i:04}"));
                if i % 10 != 0 {
                    repo.file("main", "catalog-info.yaml", &component(&format!("svc-{i:04}"), "x"));
                }
            }
        }
        let target = "http://127.0.0.1:9/acme/*/blob/-/catalog-info.yaml".to_string();
        let cache = tempfile::tempdir().expect("tempdir");
        let mut config = db.config();
        config.catalog.git.cache_dir = cache.path().to_path_buf();
        config.catalog.workers = 1;
        config.catalog.locations = vec![("github-discovery".into(), target.clone())];
        config.catalog.github = vec![GithubIntegration {
            host: "127.0.0.1:9".into(),
            settings: GithubSettings {
                api_base_url: api.url.clone(),
                auth: GithubAuth::Token(Secret(API_TOKEN.into())),
                ..GithubSettings::default()
            },
        }];
        let started = std::time::Instant::now();
        let server = TestServer::start_with(config).await;
        let store = server.state().catalog.store.clone();
        let status = eventually(Duration::from_secs(300), "the discovery", || async {
            let statuses = store.location_statuses().await.ok()?;
            statuses
                .into_iter()
                .find(|s| s.location.target == target && s.last_success_at.is_some())
        })
        .await;
        let first = started.elapsed();
        let locations = store.locations().await.expect("locations").len() - 1;
        let requests = api.state().requests;
        // Again, as after a webhook: nothing new, so nothing is registered.
        let id = status.location.id.clone();
        let again_started = std::time::Instant::now();
        server
            .state()
            .catalog
            .request_refresh(std::slice::from_ref(&status.location))
            .await
            .expect("request");
        eventually(Duration::from_secs(300), "the second discovery", || async {
            let statuses = store.location_statuses().await.ok()?;
            statuses
                .into_iter()
                .find(|s| s.location.id == id && s.last_success_at > status.last_success_at)
        })
        .await;
        println!(
            "{name}: 2000 repositories, first discovery (registering {locations} locations): {:.2} s, {requests} API requests",
            first.as_secs_f64()
        );
        println!(
            "{name}: discovery again (nothing new): {:.2} s",
            again_started.elapsed().as_secs_f64()
        );
        server.stop().await;
    }
}
