//! Registration cannot probe the network: `url` and `git` targets on hosts not allowed, on
//! loopback or private addresses (unless allowed) and on cloud metadata addresses (never) are
//! refused, and no reply says whether anything listens, where the server keeps its files or
//! what it ran.

mod common;

use common::git::{GitHttpServer, commit_all, component, init_repo, write};
use common::{TestDb, TestServer};
use serde_json::{Value, json};

/// Words that would tell a caller about the network or the server's insides.
const LEAKS: [&str; 10] = [
    "Failed to connect",
    "Connection refused",
    "Couldn't connect",
    "port",
    "/tmp",
    "git-cache",
    "git ls-remote",
    "git fetch",
    "fatal:",
    "after 0 ms",
];

fn config(db: &TestDb, work: &std::path::Path, allow: &[&str], private: bool) -> cairn_server::config::Config {
    let mut config = db.config();
    config.catalog.allowed_location_types = vec!["url".into(), "git".into()];
    config.catalog.git.cache_dir = work.join("cache");
    let reading = &mut config.catalog.git.reading;
    reading
        .allow
        .extend(allow.iter().map(|h| outbound::AllowRule::host(*h)));
    reading.allow_private_networks = private;
    config
}

/// Registers (or previews) a target and expects a refusal; returns its message and request id.
async fn refused(server: &TestServer, kind: &str, target: &str, dry_run: bool) -> (String, String) {
    let path = if dry_run {
        "/api/catalog/locations?dryRun=true"
    } else {
        "/api/catalog/locations"
    };
    let response = server
        .client
        .post(server.url(path))
        .json(&json!({"type": kind, "target": target}))
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 400, "{kind} {target}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_string();
    for leak in LEAKS {
        assert!(!message.contains(leak), "{kind} {target}: `{leak}` in {message}");
    }
    (message, id)
}

async fn nothing_registered(server: &TestServer) {
    let locations: Value = server.get("/api/catalog/locations").await.json().await.expect("json");
    assert_eq!(locations, json!([]), "a refused location is not kept");
}

on_both_databases! {
    async fn hosts_not_allowed_are_refused_and_say_what_to_configure(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let server = TestServer::start_with(config(&db, work.path(), &[], true)).await;
        for (kind, target) in [
            ("url", "https://example.com/acme/shop/blob/main/catalog-info.yaml"),
            ("git", "https://example.com/acme/shop.git?ref=main"),
            ("git", "git@example.com:acme/shop.git"),
            ("url", "http://127.0.0.2:9/acme/shop/blob/main/catalog-info.yaml"),
            ("git", "http://127.0.0.2:9/acme/shop"),
        ] {
            let (message, _) = refused(&server, kind, target, false).await;
            assert!(message.contains("is not an allowed host") && message.contains("backend.reading.allow"), "{message}");
        }
        nothing_registered(&server).await;
        server.stop().await;
    }

    async fn loopback_and_private_addresses_need_allow_private_networks(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let allow = ["127.0.0.2:9", "10.1.2.3", "192.168.7.7:8080", "localhost:9"];
        let server = TestServer::start_with(config(&db, work.path(), &allow, false)).await;
        for (kind, target, dry_run) in [
            ("url", "http://127.0.0.2:9/acme/shop/blob/main/catalog-info.yaml", false),
            ("git", "http://127.0.0.2:9/acme/shop?ref=main", false),
            ("url", "https://10.1.2.3/acme/shop/blob/main/catalog-info.yaml", false),
            ("git", "http://192.168.7.7:8080/acme/shop", true),
            // A name is judged by what it resolves to.
            ("url", "http://localhost:9/acme/shop/blob/main/catalog-info.yaml", false),
            ("git", "ssh://git@localhost:9/acme/shop.git", false),
        ] {
            let (message, _) = refused(&server, kind, target, dry_run).await;
            assert!(message.contains("private or loopback address") && message.contains("allowPrivateNetworks"), "{message}");
        }
        nothing_registered(&server).await;
        server.stop().await;
    }

    async fn metadata_addresses_are_refused_whatever_the_config_says(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let allow = ["169.254.169.254", "[fd00:ec2::254]"];
        let server = TestServer::start_with(config(&db, work.path(), &allow, true)).await;
        for (kind, target) in [
            ("url", "http://169.254.169.254/latest/meta-data/blob/main/iam"),
            ("git", "http://169.254.169.254/latest/meta-data"),
            ("git", "http://[fd00:ec2::254]/latest/meta-data"),
        ] {
            let (message, _) = refused(&server, kind, target, false).await;
            assert!(message.contains("cloud metadata address"), "{message}");
        }
        nothing_registered(&server).await;
        server.stop().await;
    }

    async fn unreachable_targets_read_the_same_and_name_the_request(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        // A port where nothing listens, and one that takes connections and says nothing HTTP.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let silent_addr = silent.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((socket, _)) = silent.accept().await {
                drop(socket);
            }
        });
        let silent_host = silent_addr.to_string();
        let allow = ["127.0.0.2:9", silent_host.as_str()];
        let server = TestServer::start_with(config(&db, work.path(), &allow, true)).await;
        let mut messages = Vec::new();
        for (kind, target) in [
            ("url", "http://127.0.0.2:9/acme/shop/blob/main/catalog-info.yaml".to_string()),
            ("git", "http://127.0.0.2:9/acme/shop".to_string()),
            ("url", format!("http://{silent_host}/acme/shop/blob/main/catalog-info.yaml")),
        ] {
            let (message, id) = refused(&server, kind, &target, false).await;
            assert!(!id.is_empty() && message.contains(&format!("request id {id}")), "{message}");
            messages.push(message.replace(&id, "ID").replace(&silent_host, "HOST").replace("127.0.0.2:9", "HOST"));
        }
        assert!(messages[0].contains("could not be reached"), "{}", messages[0]);
        assert_eq!(messages[0], messages[2], "nothing listening and something listening read the same");
        nothing_registered(&server).await;
        server.stop().await;
    }

    async fn redirects_are_not_followed(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let redirecting = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = redirecting.local_addr().expect("addr");
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = redirecting.accept().await {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let reply = "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        let host = addr.to_string();
        let server = TestServer::start_with(config(&db, work.path(), &[host.as_str()], true)).await;
        let (message, _) = refused(&server, "url", &format!("http://{host}/acme/shop/blob/main/catalog-info.yaml"), false).await;
        assert!(message.contains("redirect") && message.contains("register the URL it redirects to"), "{message}");
        assert!(!message.contains("169.254"), "{message}");
        server.stop().await;
    }

    async fn an_allowed_local_git_server_is_still_read(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("served/acme/shop");
        init_repo(&repo);
        write(&repo, "catalog-info.yaml", &component("storefront", "Sells things"));
        commit_all(&repo, "first");
        let http = GitHttpServer::start(work.path().join("served"), "t0ken").await;
        let host = http.addr.to_string();
        let mut config = config(&db, work.path(), &[host.as_str()], true);
        config.catalog.git.credentials = vec![catalog::ingest::git::Credential { host: host.clone(), token: "t0ken".into() }];
        let server = TestServer::start_with(config).await;
        let response = server.client.post(server.url("/api/catalog/locations"))
            .json(&json!({"type": "url", "target": format!("http://{host}/acme/shop/blob/main/catalog-info.yaml")}))
            .send().await.expect("post");
        assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap_or_default());
        let response = server.client.post(server.url("/api/catalog/locations"))
            .json(&json!({"type": "git", "target": format!("http://{host}/acme/shop?ref=main")}))
            .send().await.expect("post");
        assert!(response.status().as_u16() < 500, "{}", response.text().await.unwrap_or_default());
        let found = server.get("/api/catalog/entities/by-name/component/default/storefront").await;
        assert_eq!(found.status().as_u16(), 200);
        // A file the repository lacks is named by its URL, not by the server's copy of it.
        let missing = format!("http://{host}/acme/shop/blob/main/missing/catalog-info.yaml");
        let (message, _) = refused(&server, "url", &missing, false).await;
        assert!(message.contains(&missing), "{message}");
        server.stop().await;
    }
}
