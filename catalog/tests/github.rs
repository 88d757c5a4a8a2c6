//! The GitHub source against a local GitHub API: discovery, rate limits, credentials, org sync.
#![cfg(feature = "backend")]

#[path = "support/github_api.rs"]
mod github_api;

use std::time::{Duration, Instant};

use catalog::ingest::github::{DiscoveredRepo, DiscoveryFilter, GithubAuth, GithubClient, GithubSettings};
use catalog::service::Secret;
use github_api::{Fault, GithubApi};
use serde_json::Value;

const TOKEN: &str = "ghp_test_token";

async fn api_with_token() -> GithubApi {
    let api = GithubApi::start().await;
    api.state().token = Some(TOKEN.into());
    api
}

fn settings(api: &GithubApi) -> GithubSettings {
    GithubSettings {
        api_base_url: api.url.clone(),
        auth: GithubAuth::Token(Secret(TOKEN.into())),
        max_wait: Duration::from_secs(10),
        concurrency: 8,
    }
}

fn client(api: &GithubApi) -> GithubClient {
    GithubClient::new(&settings(api)).expect("client")
}

fn paths(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| p.to_string()).collect()
}

fn names(found: &[DiscoveredRepo]) -> Vec<&str> {
    found.iter().map(|r| r.name.as_str()).collect()
}

/// `count` repositories `svc-000…` in `org`, each with a catalog file except every tenth.
fn seed(api: &GithubApi, org: &str, count: usize) {
    let mut s = api.state();
    s.add_org(org);
    for i in 0..count {
        let repo = s.add_repo(org, &format!("svc-{i:03}"));
        if i % 10 != 0 {
            repo.file("main", "catalog-info.yaml", "kind: Component");
        }
    }
}

#[tokio::test]
async fn discovery_reads_every_page() {
    let api = api_with_token().await;
    seed(&api, "acme", 250);
    let found = client(&api)
        .discover("acme", &paths(&["/catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(found.len(), 225, "every repository but each tenth has the file");
    assert_eq!(found[0].name, "svc-001");
    assert_eq!(found[224].name, "svc-249", "the last page was read");
    assert_eq!(
        found[0].catalog_urls,
        ["https://github.example/acme/svc-001/blob/main/catalog-info.yaml"]
    );
    assert_eq!(found[0].html_url, "https://github.example/acme/svc-001");
    assert_eq!(found[0].default_branch, "main");
    let s = api.state();
    assert_eq!(s.paths["/orgs/acme/repos"], 3, "three pages of 100");
    assert_eq!(s.requests, 3 + 250);
}

#[tokio::test]
async fn discovery_skips_archived_deleted_and_fileless_repositories_and_follows_renames() {
    let api = api_with_token().await;
    {
        let mut s = api.state();
        s.add_org("acme");
        s.add_repo("acme", "kept").file("main", "catalog-info.yaml", "x");
        s.add_repo("acme", "old-name").file("main", "catalog-info.yaml", "x");
        s.add_repo("acme", "archived")
            .file("main", "catalog-info.yaml", "x")
            .archived = true;
        s.add_repo("acme", "deleted")
            .file("main", "catalog-info.yaml", "x")
            .deleted = true;
        s.add_repo("acme", "no-file").file("main", "README.md", "x");
        s.add_repo("acme", "folder")
            .file("main", "catalog-info.yaml/inner.yaml", "x");
        s.add_repo("other", "elsewhere").file("main", "catalog-info.yaml", "x");
    }
    let client = client(&api);
    let catalog = paths(&["catalog-info.yaml"]);
    let found = client
        .discover("acme", &catalog, &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(names(&found), ["kept", "old-name"]);

    api.state().repo("acme", "old-name").name = "new-name".into();
    let found = client
        .discover("acme", &catalog, &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(names(&found), ["kept", "new-name"]);
    assert_eq!(
        found[1].catalog_urls,
        ["https://github.example/acme/new-name/blob/main/catalog-info.yaml"]
    );
}

#[tokio::test]
async fn discovery_with_several_paths_a_filter_and_a_branch() {
    let api = api_with_token().await;
    {
        let mut s = api.state();
        s.add_org("acme");
        s.add_repo("acme", "service-a")
            .file("main", "catalog-info.yaml", "x")
            .file("main", "services/catalog-info.yaml", "x")
            .file("release", "catalog-info.yaml", "x");
        s.add_repo("acme", "service-b")
            .file("main", "services/catalog-info.yaml", "x");
        s.add_repo("acme", "old-service-c")
            .file("main", "catalog-info.yaml", "x");
        s.add_repo("acme", "tool")
            .file("trunk", "catalog-info.yaml", "x")
            .default_branch = "trunk".into();
    }
    let client = client(&api);
    let both = paths(&["/catalog-info.yaml", "/services/catalog-info.yaml"]);
    let found = client
        .discover("acme", &both, &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(names(&found), ["old-service-c", "service-a", "service-b", "tool"]);
    assert_eq!(
        found[1].catalog_urls,
        [
            "https://github.example/acme/service-a/blob/main/catalog-info.yaml",
            "https://github.example/acme/service-a/blob/main/services/catalog-info.yaml",
        ]
    );
    assert_eq!(found[3].default_branch, "trunk");
    assert_eq!(
        found[3].catalog_urls,
        ["https://github.example/acme/tool/blob/trunk/catalog-info.yaml"]
    );

    let services = DiscoveryFilter {
        repository: Some("service-.*".into()),
        branch: None,
    };
    let found = client.discover("acme", &both, &services).await.expect("discover");
    assert_eq!(
        names(&found),
        ["service-a", "service-b"],
        "the filter matches whole names"
    );

    let release = DiscoveryFilter {
        repository: None,
        branch: Some("release".into()),
    };
    let found = client.discover("acme", &both, &release).await.expect("discover");
    assert_eq!(names(&found), ["service-a"]);
    assert_eq!(found[0].default_branch, "release");
    assert_eq!(
        found[0].catalog_urls,
        ["https://github.example/acme/service-a/blob/release/catalog-info.yaml"]
    );

    let bad = DiscoveryFilter {
        repository: Some("(".into()),
        branch: None,
    };
    let err = client.discover("acme", &both, &bad).await.expect_err("bad regex");
    assert!(err.to_string().contains("filters.repository"), "{err}");
}

#[tokio::test]
async fn discovery_falls_back_to_a_user() {
    let api = api_with_token().await;
    {
        let mut s = api.state();
        s.add_user(None, "jane", Some("Jane"), None);
        s.add_repo("jane", "dotfiles");
        s.add_repo("jane", "blog").file("main", "catalog-info.yaml", "x");
    }
    let found = client(&api)
        .discover("jane", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(names(&found), ["blog"]);
    assert_eq!(
        api.state().paths["/orgs/jane/repos"],
        1,
        "the organisation was asked first"
    );

    let err = client(&api)
        .discover("nobody", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect_err("no such owner");
    assert!(
        err.to_string().contains("no organisation or user named nobody"),
        "{err}"
    );
}

#[tokio::test]
async fn discovery_on_an_enterprise_path_follows_its_links() {
    let api = GithubApi::start_at("/api/v3").await;
    api.state().token = Some(TOKEN.into());
    seed(&api, "acme", 120);
    let found = client(&api)
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(found.len(), 108);
    assert_eq!(api.state().paths["/api/v3/orgs/acme/repos"], 2);
}

/// Discovery over two pages recovers from `n` faults, having waited at least `min_wait`.
async fn recovers_from(fault: Fault, n: usize, min_wait: Duration) {
    let api = api_with_token().await;
    seed(&api, "acme", 150);
    api.state().inject(fault, n);
    let started = Instant::now();
    let found = client(&api)
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
    let elapsed = started.elapsed();
    assert_eq!(found.len(), 135, "{fault:?}: complete result");
    let s = api.state();
    assert_eq!(s.faults_served, n, "{fault:?} was served");
    assert_eq!(s.requests, 2 + 150 + n, "{fault:?}: each failed request was sent again");
    assert!(elapsed >= min_wait, "{fault:?}: waited only {elapsed:?}");
}

#[tokio::test]
async fn secondary_rate_limit_waits_retry_after() {
    recovers_from(Fault::SecondaryRateLimit, 1, Duration::from_millis(950)).await;
}

#[tokio::test]
async fn primary_rate_limit_waits_until_reset() {
    recovers_from(Fault::PrimaryRateLimit, 1, Duration::from_millis(950)).await;
}

#[tokio::test]
async fn too_many_requests_waits_retry_after() {
    recovers_from(Fault::TooManyRequests, 1, Duration::from_millis(950)).await;
}

#[tokio::test]
async fn server_errors_are_retried_with_back_off() {
    // Back-off 0.5 s then 1 s.
    recovers_from(Fault::ServerError, 2, Duration::from_millis(1450)).await;
}

#[tokio::test]
async fn a_pause_for_a_rate_limit_counts_once_for_requests_in_flight() {
    // Eight contents checks limited at once wait one second together: within a two-second budget,
    // which eight separate waits would exceed.
    let api = api_with_token().await;
    seed(&api, "acme", 50);
    {
        let mut s = api.state();
        s.fault_path = Some("/contents/".into());
        s.inject(Fault::SecondaryRateLimit, 8);
    }
    let mut settings = settings(&api);
    settings.max_wait = Duration::from_secs(2);
    let started = Instant::now();
    let found = GithubClient::new(&settings)
        .expect("client")
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(found.len(), 45);
    assert_eq!(api.state().faults_served, 8);
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn requests_in_flight_are_bounded() {
    let api = api_with_token().await;
    seed(&api, "acme", 40);
    api.state().delay = Some(Duration::from_millis(20));
    let settings = GithubSettings {
        concurrency: 3,
        ..settings(&api)
    };
    let found = GithubClient::new(&settings)
        .expect("client")
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(found.len(), 36);
    assert_eq!(api.state().max_in_flight, 3, "three at once, never more");
}

/// Timing only: `cargo test -p catalog --features backend --release --test github -- --ignored`.
#[tokio::test]
#[ignore]
async fn discovery_of_two_thousand_repositories() {
    let api = api_with_token().await;
    seed(&api, "acme", 2000);
    let started = Instant::now();
    let found = client(&api)
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect("discover");
    println!(
        "2000 repositories, 20 pages + 2000 contents checks: {:?}",
        started.elapsed()
    );
    assert_eq!(found.len(), 1800);
}

#[tokio::test]
async fn waiting_longer_than_max_wait_is_an_error() {
    let api = api_with_token().await;
    seed(&api, "acme", 5);
    api.state().inject(Fault::SecondaryRateLimit, 1);
    let mut settings = settings(&api);
    settings.max_wait = Duration::from_millis(500);
    let started = Instant::now();
    let err = GithubClient::new(&settings)
        .expect("client")
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect_err("rate limited for longer than allowed");
    let message = err.to_string();
    assert!(message.contains("rate limit"), "{message}");
    assert!(message.contains("limited until 20"), "names when: {message}");
    assert!(message.contains("beyond the 500ms"), "{message}");
    assert!(message.contains("/orgs/acme/repos"), "{message}");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "gave up without waiting"
    );

    api.state().inject(Fault::ServerError, 10);
    let err = GithubClient::new(&settings)
        .expect("client")
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect_err("server errors for longer than allowed");
    assert!(err.to_string().contains("kept failing (HTTP 500)"), "{err}");
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_named() {
    let api = api_with_token().await;
    seed(&api, "acme", 3);
    let catalog = paths(&["catalog-info.yaml"]);
    let mut anonymous = settings(&api);
    anonymous.auth = GithubAuth::None;
    let err = GithubClient::new(&anonymous)
        .expect("client")
        .discover("acme", &catalog, &DiscoveryFilter::default())
        .await
        .expect_err("no token");
    let message = err.to_string();
    assert!(message.contains("401 Unauthorized"), "{message}");
    assert!(message.contains("Requires authentication"), "{message}");

    let mut wrong = settings(&api);
    wrong.auth = GithubAuth::Token(Secret("ghp_wrong_secret_value".into()));
    let err = GithubClient::new(&wrong)
        .expect("client")
        .org_entities("acme", "default")
        .await
        .expect_err("wrong token");
    let message = err.to_string();
    assert!(message.contains("401 Unauthorized: Bad credentials"), "{message}");
    assert!(!message.contains("ghp_wrong_secret_value"), "{message}");
    assert!(!format!("{wrong:?}").contains("ghp_wrong_secret_value"));
}

fn by_name<'a>(entities: &'a [Value], kind: &str, name: &str) -> &'a Value {
    entities
        .iter()
        .find(|e| e["kind"] == kind && e["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn seed_org(api: &GithubApi) {
    let mut s = api.state();
    s.add_org("acme");
    s.add_user(Some("acme"), "alice", Some("Alice Liddell"), Some("alice@example.com"));
    s.add_user(Some("acme"), "bob", Some("Bob"), None);
    s.add_user(Some("acme"), "carol", None, None);
    s.add_user(Some("acme"), "dave", Some("Dave"), Some("dave@example.com"));
    s.add_team("acme", "platform", "Platform", None, &["alice"]);
    s.add_team("acme", "infra", "Infrastructure", Some("platform"), &["bob", "carol"]);
    s.add_team("acme", "dbs", "Databases", Some("infra"), &["carol"]);
    s.add_team("acme", "web", "Web", None, &["bob"]);
}

#[tokio::test]
async fn org_sync_makes_groups_and_users() {
    let api = api_with_token().await;
    seed_org(&api);
    let entities = client(&api).org_entities("acme", "default").await.expect("org");
    assert_eq!(entities.len(), 8);
    for entity in &entities {
        catalog::model::check_envelope(entity).unwrap_or_else(|e| panic!("{entity}: {e:?}"));
        catalog::model::validate_entity(entity).unwrap_or_else(|e| panic!("{entity}: {e:?}"));
        assert_eq!(entity["apiVersion"], "backstage.io/v1alpha1");
        assert_eq!(entity["metadata"]["namespace"], "default");
    }

    let platform = by_name(&entities, "Group", "platform");
    assert_eq!(platform["spec"]["type"], "team");
    assert_eq!(platform["spec"]["profile"]["displayName"], "Platform");
    assert_eq!(platform["metadata"]["description"], "The Platform team");
    assert_eq!(
        platform["metadata"]["annotations"]["github.com/team-slug"],
        "acme/platform"
    );
    assert_eq!(platform["spec"]["children"], serde_json::json!(["infra"]));
    assert_eq!(platform["spec"]["members"], serde_json::json!(["alice"]));
    assert!(platform["spec"].get("parent").is_none());

    let infra = by_name(&entities, "Group", "infra");
    assert_eq!(infra["spec"]["parent"], "platform");
    assert_eq!(infra["spec"]["children"], serde_json::json!(["dbs"]));
    assert_eq!(infra["spec"]["members"], serde_json::json!(["bob"]), "carol is dbs's");
    let dbs = by_name(&entities, "Group", "dbs");
    assert_eq!(dbs["spec"]["children"], serde_json::json!([]));
    assert_eq!(dbs["spec"]["members"], serde_json::json!(["carol"]));

    let alice = by_name(&entities, "User", "alice");
    assert_eq!(alice["spec"]["profile"]["displayName"], "Alice Liddell");
    assert_eq!(alice["spec"]["profile"]["email"], "alice@example.com");
    assert!(
        alice["spec"]["profile"]["picture"]
            .as_str()
            .is_some_and(|p| p.starts_with("https://"))
    );
    assert_eq!(alice["metadata"]["annotations"]["github.com/user-login"], "alice");
    assert_eq!(alice["spec"]["memberOf"], serde_json::json!(["platform"]));
    let bob = by_name(&entities, "User", "bob");
    assert!(bob["spec"]["profile"].get("email").is_none(), "hidden e-mail");
    assert_eq!(bob["spec"]["memberOf"], serde_json::json!(["infra", "web"]));
    let carol = by_name(&entities, "User", "carol");
    assert!(carol["spec"]["profile"].get("displayName").is_none());
    let dave = by_name(&entities, "User", "dave");
    assert_eq!(dave["spec"]["memberOf"], serde_json::json!([]));
}

#[tokio::test]
async fn org_sync_reads_every_page_in_another_namespace() {
    let api = api_with_token().await;
    {
        let mut s = api.state();
        s.add_org("big");
        let logins: Vec<String> = (0..230).map(|i| format!("user-{i:03}")).collect();
        for login in &logins {
            s.add_user(Some("big"), login, None, None);
        }
        let refs: Vec<&str> = logins.iter().map(String::as_str).collect();
        for t in 0..105 {
            s.add_team(
                "big",
                &format!("team-{t:03}"),
                "T",
                None,
                if t == 0 { &refs } else { &[] },
            );
        }
    }
    let entities = client(&api).org_entities("big", "github").await.expect("org");
    assert_eq!(entities.len(), 105 + 230);
    assert!(entities.iter().all(|e| e["metadata"]["namespace"] == "github"));
    let team = by_name(&entities, "Group", "team-000");
    assert_eq!(team["spec"]["members"].as_array().map(Vec::len), Some(230));
    let user = by_name(&entities, "User", "user-229");
    assert_eq!(user["spec"]["memberOf"], serde_json::json!(["team-000"]));
    let s = api.state();
    assert_eq!(s.paths["/orgs/big/teams"], 2);
    assert_eq!(s.paths["/orgs/big/members"], 3);
    assert_eq!(s.paths["/orgs/big/teams/team-000/members"], 3);
}

#[tokio::test]
async fn org_sync_of_an_unknown_org_is_an_error() {
    let api = api_with_token().await;
    let err = client(&api)
        .org_entities("ghost", "default")
        .await
        .expect_err("unknown");
    assert!(err.to_string().contains("no organisation named ghost"), "{err}");
}

#[tokio::test]
async fn the_test_server_answers_in_octocrab_shapes() {
    let api = api_with_token().await;
    seed_org(&api);
    api.state()
        .add_repo("acme", "svc")
        .file("main", "catalog-info.yaml", "kind: Component\n");
    let crab = octocrab::Octocrab::builder()
        .base_uri(api.url.as_str())
        .expect("uri")
        .personal_token(TOKEN.to_string())
        .build()
        .expect("octocrab");
    let repos: Vec<octocrab::models::Repository> = crab.get("/orgs/acme/repos", None::<&()>).await.expect("repos");
    assert_eq!(repos[0].name, "svc");
    let content: octocrab::models::repos::Content = crab
        .get("/repos/acme/svc/contents/catalog-info.yaml?ref=main", None::<&()>)
        .await
        .expect("content");
    assert_eq!(content.decoded_content().as_deref(), Some("kind: Component\n"));
    let teams: Vec<octocrab::models::teams::Team> = crab.get("/orgs/acme/teams", None::<&()>).await.expect("teams");
    assert_eq!(teams.len(), 4);
    let members: Vec<octocrab::models::Author> = crab.get("/orgs/acme/members", None::<&()>).await.expect("members");
    assert_eq!(members.len(), 4);
    let profile: octocrab::models::UserProfile = crab.get("/users/alice", None::<&()>).await.expect("user");
    assert_eq!(profile.email.as_deref(), Some("alice@example.com"));
}

#[tokio::test]
async fn a_github_app_acts_through_its_installation() {
    let api = GithubApi::start().await;
    seed(&api, "acme", 12);
    seed_org(&api);
    api.state().app = Some(github_api::App {
        id: 4242,
        installations: [("acme".to_string(), 77)].into(),
        minted: Vec::new(),
    });
    let settings = GithubSettings {
        auth: GithubAuth::App {
            app_id: 4242,
            private_key_pem: Secret(github_api::TEST_APP_KEY.into()),
        },
        ..settings(&api)
    };
    assert!(!format!("{settings:?}").contains("PRIVATE KEY"));
    let client = GithubClient::new(&settings).expect("client");
    let found = client
        .discover("acme", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect("discover");
    assert_eq!(found.len(), 10);
    let entities = client.org_entities("acme", "default").await.expect("org");
    assert_eq!(entities.len(), 8);
    {
        let s = api.state();
        assert_eq!(
            s.paths["/orgs/acme/installation"], 1,
            "the installation is looked up once"
        );
        assert_eq!(
            s.paths["/app/installations/77/access_tokens"], 1,
            "one token serves both"
        );
    }

    let err = client
        .discover("elsewhere", &paths(&["catalog-info.yaml"]), &DiscoveryFilter::default())
        .await
        .expect_err("not installed");
    assert!(err.to_string().contains("not installed on elsewhere"), "{err}");

    let wrong = GithubSettings {
        auth: GithubAuth::App {
            app_id: 1,
            private_key_pem: Secret(github_api::TEST_APP_KEY.into()),
        },
        ..settings.clone()
    };
    let err = GithubClient::new(&wrong)
        .expect("client")
        .org_entities("acme", "default")
        .await
        .expect_err("another app");
    assert!(err.to_string().contains("401"), "{err}");

    let bad_key = GithubSettings {
        auth: GithubAuth::App {
            app_id: 4242,
            private_key_pem: Secret("not a key".into()),
        },
        ..settings
    };
    let err = GithubClient::new(&bad_key).err().expect("bad key");
    assert!(err.to_string().contains("PEM"), "{err}");
}
