//! The refresh loop as the platform team sees it: workers that keep going when one source hangs,
//! failures retried with back-off and reported (API, metrics), orphans kept for their grace
//! period, and claims that keep replicas from refreshing one location twice.

mod common;

use std::time::Duration;

use common::{TestDb, TestServer, eventually};
use serde_json::{Value, json};

async fn json(server: &TestServer, path: &str) -> (u16, Value) {
    let response = server.get(path).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn component(name: &str, description: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: {description}\n\
         spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
    )
}

/// A Git server that accepts connections and never answers: the worst kind of source.
struct HangingServer {
    addr: std::net::SocketAddr,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl HangingServer {
    async fn start() -> HangingServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(stream);
            }
        });
        HangingServer { addr, accepted, task }
    }
}

/// A server that answers every request with something that is not Git at all.
async fn garbage_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let app =
        axum::Router::new().fallback(|| async { ([("content-type", "text/html")], "<html>garbage \u{0}\u{1}</html>") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (
        addr,
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") }),
    )
}

impl Drop for HangingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

on_both_databases! {
    async fn hanging_and_garbage_sources_hold_one_worker_each_and_back_off(db: TestDb) {
        let hang = HangingServer::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("catalog-info.yaml");
        std::fs::write(&file, component("alpha", "first")).expect("write");
        let hanging = format!("http://{}/acme/hang.git", hang.addr);
        let (garbage_addr, garbage_task) = garbage_server().await;
        let garbage = format!("http://{garbage_addr}/acme/junk.git");
        let mut config = db.config();
        config.catalog.locations = vec![
            ("file".into(), file.display().to_string()),
            ("git".into(), hanging.clone()),
            ("git".into(), garbage.clone()),
        ];
        config.catalog.processing_interval = Duration::from_secs(1);
        config.catalog.workers = 2;
        config.catalog.git.timeout = Duration::from_secs(2);
        config.catalog.git.cache_dir = dir.path().join("cache");
        config.catalog.retry_initial = Duration::from_millis(200);
        common::read_from(&mut config, hang.addr);
        common::read_from(&mut config, garbage_addr);
        let server = TestServer::start_with(config).await;

        eventually(Duration::from_secs(10), "the file location's entity", || async {
            (json(&server, "/api/catalog/entities/by-name/component/default/alpha").await.0 == 200).then_some(())
        }).await;
        // The hanging source is being fetched (or retried) all along; the file's changes still flow.
        std::fs::write(&file, component("alpha", "second")).expect("write");
        eventually(Duration::from_secs(10), "the file's change", || async {
            let (_, alpha) = json(&server, "/api/catalog/entities/by-name/component/default/alpha").await;
            (alpha["metadata"]["description"] == "second").then_some(())
        }).await;
        assert!(hang.accepted.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the hanging server was asked");

        // It fails with the reason, again and again (backing off), and is reported as such.
        let entry = eventually(Duration::from_secs(30), "two failures of the hanging source", || async {
            let (_, list) = json(&server, "/api/catalog/locations").await;
            list.as_array()?.iter().find(|l| l["data"]["target"] == hanging.as_str() && l["status"]["failures"].as_i64() >= Some(2)).cloned()
        }).await;
        let error = entry["status"]["lastError"].as_str().expect("the error is reported");
        // A timeout reads like any other failure to connect: nothing says something listens there.
        assert!(error.contains("hang.git could not be reached, or did not answer in time"), "{error}");
        assert_eq!(entry["status"]["lastSuccessAt"], Value::Null);

        let junk = eventually(Duration::from_secs(30), "the garbage server's error", || async {
            let (_, list) = json(&server, "/api/catalog/locations").await;
            list.as_array()?.iter().find(|l| l["data"]["target"] == garbage.as_str() && l["status"]["lastError"].is_string()).cloned()
        }).await;
        let error = junk["status"]["lastError"].as_str().unwrap_or_default();
        assert!(error.contains("junk.git advertised no branches or tags at all"), "says what failed where: {error}");
        garbage_task.abort();

        let metrics = server.get("/metrics").await.text().await.expect("metrics");
        assert!(metrics.contains(&format!("cairn_catalog_location_up{{type=\"git\",target=\"{hanging}\"}} 0")), "{metrics}");
        assert!(metrics.contains(&format!("cairn_catalog_location_up{{type=\"file\",target=\"{}\"}} 1", file.display())), "{metrics}");
        assert!(metrics.contains(&format!("cairn_catalog_location_entities{{type=\"file\",target=\"{}\"}} 1", file.display())), "{metrics}");
        server.stop().await;
    }

    async fn orphans_are_marked_then_removed_after_their_grace_period(db: TestDb) {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("catalog-info.yaml");
        std::fs::write(&file, format!("{}---\n{}", component("kept", "k"), component("moved", "m"))).expect("write");
        let mut config = db.config();
        config.catalog.allowed_location_types = vec!["file".into()];
        config.catalog.locations = vec![("file".into(), file.display().to_string())];
        config.catalog.orphans = cairn_server::config::OrphanPolicy::GracePeriod(Duration::from_secs(2));
        let server = TestServer::start_with(config).await;
        let by_name = "/api/catalog/entities/by-name/component/default/moved";
        eventually(Duration::from_secs(10), "the entities", || async { (json(&server, by_name).await.0 == 200).then_some(()) }).await;

        // `moved` leaves the file: an orphan, still there and marked, for its grace period.
        std::fs::write(&file, component("kept", "k")).expect("write");
        let refresh = server.client.post(server.url("/api/catalog/refresh"))
            .json(&json!({"entityRef": "component:default/kept"})).send().await.expect("post");
        assert_eq!(refresh.status().as_u16(), 200);
        let (status, moved) = json(&server, by_name).await;
        assert_eq!(status, 200, "an orphan stays for its grace period");
        assert_eq!(moved["metadata"]["annotations"]["backstage.io/orphan"], "true", "{moved}");
        let page = server.get("/catalog/default/component/moved").await.text().await.expect("page");
        assert!(page.contains("data-testid=\"orphan\""), "the entity page says it is an orphan");
        let list = server.get("/catalog?q=moved").await.text().await.expect("page");
        assert!(list.contains(">orphan</span>"), "the catalog list marks it too");

        // Its descriptor appears in another location: that location takes it over at once.
        let other = tempfile::tempdir().expect("tempdir");
        let other_file = other.path().join("catalog-info.yaml");
        std::fs::write(&other_file, component("moved", "now elsewhere")).expect("write");
        let created = server.client.post(server.url("/api/catalog/locations"))
            .json(&json!({"type": "file", "target": other_file.display().to_string()})).send().await.expect("post");
        assert_eq!(created.status().as_u16(), 201);
        let created: Value = created.json().await.expect("json");
        assert_eq!(created["entityCount"], 1, "no conflict with an orphan: {created}");
        let (_, moved) = json(&server, by_name).await;
        assert_eq!(moved["metadata"]["description"], "now elsewhere");
        assert_eq!(moved["metadata"]["annotations"].get("backstage.io/orphan"), None);

        // Unregistered, that location's entity becomes nobody's; a second orphan, in the first
        // location, goes after its grace period.
        std::fs::write(&file, "").expect("write");
        let refresh = server.client.post(server.url("/api/catalog/refresh"))
            .json(&json!({"entityRef": "component:default/kept"})).send().await.expect("post");
        assert_eq!(refresh.status().as_u16(), 200);
        assert_eq!(json(&server, "/api/catalog/entities/by-name/component/default/kept").await.1["metadata"]["annotations"]["backstage.io/orphan"], "true");
        eventually(Duration::from_secs(10), "the orphan's removal", || async {
            (json(&server, "/api/catalog/entities/by-name/component/default/kept").await.0 == 404).then_some(())
        }).await;
        assert_eq!(json(&server, by_name).await.0, 200, "what another location provides stays");
        server.stop().await;
    }

    async fn a_claimed_location_is_refreshed_by_one_worker_at_a_time(db: TestDb) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = db.config();
        config.catalog.locations = (0..8)
            .map(|i| {
                let file = dir.path().join(format!("c{i}.yaml"));
                std::fs::write(&file, component(&format!("c{i}"), "x")).expect("write");
                ("file".to_string(), file.display().to_string())
            })
            .collect();
        config.catalog.workers = 1;
        config.catalog.processing_interval = Duration::from_secs(3600);
        let database = config.database.clone();
        let server = TestServer::start_with(config).await;
        let statuses = server.state().catalog.store.clone();
        eventually(Duration::from_secs(20), "every location read once", || async {
            let statuses = statuses.location_statuses().await.ok()?;
            let done = statuses.iter().filter(|s| s.last_success_at.is_some() && s.next_refresh_at > cairn_now());
            (done.count() == 8).then_some(())
        }).await;
        server.stop().await;
        // The replicas' side of it, with no worker of the server's in the way.
        let db = cairn_server::db::Db::connect(&database).await.expect("connect");
        let store = catalog::store::Store::new(db.pool().clone(), db.dialect() == cairn_server::db::Dialect::Postgres);
        let locations = store.locations().await.expect("locations");
        let until = cairn_now() + 60_000;
        assert_eq!(store.claim_due("replica-a", until).await.expect("claim"), None, "nothing is due for an hour");
        store.request_refresh(&[locations[3].id.clone()]).await.expect("request");
        // Eight workers race for it at once: exactly one wins.
        let mut racers = tokio::task::JoinSet::new();
        for i in 0..8 {
            let store = store.clone();
            racers.spawn(async move { store.claim_due(&format!("replica-{i}"), until).await.expect("claim") });
        }
        let won: Vec<_> = racers.join_all().await.into_iter().flatten().collect();
        assert_eq!(won.len(), 1, "{won:?}");
        assert_eq!(won[0].id, locations[3].id);
        assert!(!store.claim(&locations[3].id, "replica-b", until).await.expect("claim"), "held by the winner");

        // A replica that dies mid-refresh leaves its claim to expire; then another takes over.
        store.request_refresh(&[locations[5].id.clone()]).await.expect("request");
        let dying = store.claim_due("replica-dying", cairn_now() + 300).await.expect("claim");
        assert_eq!(dying.map(|l| l.id), Some(locations[5].id.clone()));
        assert!(
            !store.claim(&locations[5].id, "replica-dying", until).await.expect("claim"),
            "not even the holder's own process may start it twice"
        );
        assert_eq!(store.claim_due("replica-alive", until).await.expect("claim"), None, "claimed, not expired yet");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let taken = store.claim_due("replica-alive", until).await.expect("claim");
        assert_eq!(taken.map(|l| l.id), Some(locations[5].id.clone()), "the expired claim is taken over");
        db.close().await;
    }
}

fn cairn_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A replica killed (SIGKILL) in the middle of a large refresh: nothing of it is visible, and
/// another replica takes the location over once the claim expires and reads it whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_refresh_loses_nothing() {
    let db = TestDb::postgres().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog_dir = dir.path().join("catalog");
    std::fs::create_dir_all(&catalog_dir).expect("mkdir");
    const FILES: usize = 20;
    const PER_FILE: usize = 500;
    for f in 0..FILES {
        let docs: Vec<String> = (0..PER_FILE)
            .map(|i| component(&format!("svc-{f}-{i}"), "generated"))
            .collect();
        let sub = catalog_dir.join(format!("s{f}"));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join("catalog-info.yaml"), docs.join("---\n")).expect("write");
    }
    let config_file = dir.path().join("cairn.yaml");
    std::fs::write(
        &config_file,
        format!(
            "catalog:\n  processingInterval: {{ hours: 1 }}\n  locations:\n    - type: file\n      target: {}\n  \
             processing:\n    claimLease: {{ seconds: 1 }}\nscaffolder:\n  builtinTemplates: false\n",
            catalog_dir.display()
        ),
    )
    .expect("write");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", db.url(), "--config"])
        .arg(&config_file)
        .arg("--site-root")
        .arg(common::site_root())
        .env_remove("CAIRN_CONFIG")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn cairn");

    let observer = eventually(Duration::from_secs(30), "the replica's database", || async {
        let db = cairn_server::db::Db::connect(&cairn_server::config::DatabaseConfig {
            url: db.url().to_string(),
        })
        .await
        .ok()?;
        catalog::store::Store::new(db.pool().clone(), true)
            .location_statuses()
            .await
            .ok()
            .map(|_| db)
    })
    .await;
    let store = catalog::store::Store::new(observer.pool().clone(), true);
    eventually(Duration::from_secs(30), "the replica to start refreshing", || async {
        let statuses = store.location_statuses().await.ok()?;
        statuses.first().is_some_and(|s| s.refreshing).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill")
            .success()
    );
    child.wait().expect("reaped");
    let status = store.location_statuses().await.expect("statuses").remove(0);
    assert_eq!(
        (status.last_success_at, status.entity_count),
        (None, 0),
        "killed before it finished: {status:?}"
    );
    assert_eq!(
        entity_total(&observer).await,
        0,
        "nothing of the unfinished refresh is visible"
    );

    // Another replica, started after: it waits for the dead one's claim to expire, then reads it all.
    let mut config = db.config();
    config.catalog.locations = vec![("file".into(), catalog_dir.display().to_string())];
    config.catalog.claim_lease = Duration::from_secs(1);
    config.catalog.processing_interval = Duration::from_secs(3600);
    let server = TestServer::start_with(config).await;
    let done = eventually(Duration::from_secs(120), "the other replica's refresh", || async {
        let status = store.location_statuses().await.ok()?.remove(0);
        status.last_success_at.map(|_| status)
    })
    .await;
    assert_eq!(done.entity_count as usize, FILES * PER_FILE, "{done:?}");
    assert_eq!(entity_total(&observer).await, FILES * PER_FILE);
    server.stop().await;
    observer.close().await;
}

async fn entity_total(db: &cairn_server::db::Db) -> usize {
    use sqlx::Row;
    let row = sqlx::query("SELECT COUNT(*) FROM entities")
        .fetch_one(db.pool())
        .await
        .expect("count");
    row.try_get::<i64, _>(0).expect("count") as usize
}
