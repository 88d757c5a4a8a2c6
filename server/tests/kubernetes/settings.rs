//! Cluster settings refused at start with the cluster's name, and the views closed to anonymous
//! callers when sign-in is required.

use cairn_server::auth::{AuthConfig, OidcConfig};
use cairn_server::cli::Cli;
use cairn_server::config::Config;
use deployments::ClusterSource;

use crate::common::oidc::{CLIENT_ID, CLIENT_SECRET, Provider, TestUser};
use crate::common::{TestDb, TestServer};
use crate::harness::*;

fn load(yaml: &str) -> Result<Config, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cairn.yaml");
    std::fs::write(&file, yaml).expect("write");
    let cli = Cli::try_parse_args([
        "cairn".as_ref(),
        "--config".as_ref(),
        file.as_os_str(),
        "serve".as_ref(),
    ])
    .expect("arguments");
    Config::load(&cli).map_err(|e| e.to_string())
}

#[test]
fn a_cluster_reached_two_ways_is_refused_naming_it() {
    let error = load(
        "kubernetes:\n  clusterLocatorMethods:\n    - type: config\n      clusters:\n        - name: prod-eu\n          url: https://k8s.example\n          inCluster: true\n",
    )
    .expect_err("refused");
    assert!(
        error.contains("cluster `prod-eu`") && error.contains("only one of"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_host_fails_the_start_naming_the_cluster() {
    let config = load(
        "kubernetes:\n  clusterLocatorMethods:\n    - type: config\n      clusters:\n        - name: prod-eu\n          url: http://k8s.example:6443\n          serviceAccountToken: secret\n",
    )
    .expect("the file is well-formed");
    assert!(
        matches!(&config.kubernetes[0].settings.source, ClusterSource::Url { api_url, .. } if api_url == "http://k8s.example:6443")
    );
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut test_config = crate::harness::config(&db, dir.path(), Vec::new());
    test_config.kubernetes = config.kubernetes;
    let error = match cairn_server::Server::start(&test_config).await {
        Ok(server) => {
            server.stop().await.expect("stop");
            panic!("a cluster reached over plain http to another host must not start");
        }
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("prod-eu") && error.contains("plain http"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_get_nothing_when_sign_in_is_required() {
    let db = TestDb::sqlite().await;
    let api = fixtures().await;
    let provider = Provider::start(TestUser::new("sub-maya", "maya@example.test", "Maya")).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(&db, dir.path(), vec![cluster("prod", &api)]);
    config.auth = AuthConfig {
        oidc: Some(OidcConfig {
            issuer: provider.issuer.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET.into()),
            scopes: vec!["openid".into(), "email".into()],
            redirect_url: "http://127.0.0.1/api/auth/oidc/callback".into(),
            post_logout_redirect_url: "http://127.0.0.1/".into(),
            claim: "email".into(),
            provider_logout: false,
        }),
        base_url: "http://127.0.0.1".into(),
        ..AuthConfig::default()
    };
    let server: TestServer = Portal::serve(config).await;
    for path in [
        "/api/kubernetes/stream?entity=component:default/checkout-service",
        "/api/kubernetes/stream",
        "/api/kubernetes/entities/component/default/checkout-service",
        "/api/kubernetes/workloads",
        "/api/kubernetes/rollouts?entity=component:default/checkout-service",
    ] {
        assert_eq!(server.get(path).await.status(), 401, "{path}");
    }
    let page = server
        .get("/catalog/default/component/checkout-service/deployments")
        .await;
    assert_eq!(page.status(), 303, "the page sends anonymous people to sign in");
    server.stop().await;
}
