//! The Kubernetes tests' harness: a Cairn server over the Northwind demo catalog watching local
//! Kubernetes APIs (`testkit::kube_api`) loaded with the fixtures, and a reader of its live stream.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cairn_server::config::Config;
use catalog::service::Secret;
use deployments::entities::ClusterEntity;
use deployments::{ClusterConfig, ClusterSettings, ClusterSource, ServerTrust};
use serde_json::Value;
use testkit::kube_api::KubeApi;

use crate::common::{TestDb, TestServer};

/// The bearer token the local APIs demand.
pub const TOKEN: &str = "cairn-test-service-account";
/// Generous: the machine is shared and loaded; nothing here asserts a duration.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A cluster as `cairn.yaml` would configure it: by URL and token.
pub fn cluster(name: &str, api: &KubeApi) -> ClusterConfig {
    ClusterConfig {
        settings: ClusterSettings {
            name: name.into(),
            source: ClusterSource::Url {
                api_url: api.url.clone(),
                token: Some(Secret(TOKEN.into())),
                trust: ServerTrust::SystemRoots,
            },
        },
        entity: ClusterEntity {
            name: name.into(),
            owner: Some("group:default/platform-engineering".into()),
            endpoint: api.url.clone(),
        },
    }
}

/// A local API holding every fixture, demanding the token.
pub async fn fixtures() -> KubeApi {
    let api = KubeApi::with_fixtures().await;
    api.state().token = Some(TOKEN.into());
    api
}

fn demo_catalog() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../catalog/demo/northwind/catalog-info.yaml")
        .display()
        .to_string()
}

/// A configuration over the demo catalog watching `clusters`, its files under `dir` (the clusters'
/// catalog file goes beside the scaffolder's work dir, so tests must not share it).
pub fn config(db: &TestDb, dir: &Path, clusters: Vec<ClusterConfig>) -> Config {
    let mut config = db.config();
    config.catalog.locations = vec![("file".into(), demo_catalog())];
    config.catalog.allowed_location_types = vec!["file".into()];
    config.scaffolder.work_dir = dir.join("scaffolder");
    config.kubernetes = clusters;
    config
}

/// A running portal with its catalog read and its workloads mapped to the catalog's entities.
pub struct Portal {
    pub server: TestServer,
    /// Where the server's files live, when the portal made the place itself.
    _dir: Option<tempfile::TempDir>,
}

impl Portal {
    /// A portal over `db` watching one cluster `prod` served by `api`.
    pub async fn start(db: &TestDb, api: &KubeApi) -> Portal {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Self::serve(config(db, dir.path(), vec![cluster("prod", api)])).await;
        Portal {
            server,
            _dir: Some(dir),
        }
    }

    /// A portal around a server started with [`Self::serve`], its files wherever its config says.
    pub fn of(server: TestServer) -> Portal {
        Portal { server, _dir: None }
    }

    /// Starts a server on `config`, reads the catalog once and maps workloads to it.
    pub async fn serve(config: Config) -> TestServer {
        let server = TestServer::start_with(config).await;
        let state = server.state();
        state.catalog.sync_config_locations().await.expect("sync");
        state.catalog.refresh_all().await.expect("refresh");
        state
            .deployments
            .as_ref()
            .expect("clusters configured")
            .reload_entities()
            .await
            .expect("entities mapped");
        server
    }

    pub async fn json(&self, path: &str) -> Value {
        let response = self.server.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// `GET /api/kubernetes/entities/component/default/<name>`.
    pub async fn entity(&self, component: &str) -> Value {
        self.json(&format!("/api/kubernetes/entities/component/default/{component}"))
            .await
    }

    /// The server-rendered Deployments tab of a component.
    pub async fn page(&self, component: &str) -> String {
        let path = format!("/catalog/default/component/{component}/deployments");
        let response = self.server.get(&path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.expect("HTML")
    }

    /// Polls a component's view until `check` finds what it wants in it.
    pub async fn entity_until<T>(&self, component: &str, what: &str, mut check: impl FnMut(&Value) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let view = self.entity(component).await;
            if let Some(found) = check(&view) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what}; last view:\n{view:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until `path`'s JSON satisfies `check`.
    pub async fn json_until(&self, path: &str, what: &str, mut check: impl FnMut(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let response = self.server.get(path).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if status == 200 && check(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what}; last answer {status}:\n{body:#}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Opens the live stream (`/api/kubernetes/stream?entity=…`).
    pub async fn stream(&self, entity: Option<&str>) -> Events {
        let path = match entity {
            Some(e) => format!("/api/kubernetes/stream?entity={e}"),
            None => "/api/kubernetes/stream".into(),
        };
        let response = self.server.get(&path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok());
        assert_eq!(kind, Some("text/event-stream"));
        Events {
            response,
            buffer: String::new(),
        }
    }
}

/// The workload named `name` in an entity's view.
pub fn workload<'a>(view: &'a Value, name: &str) -> Option<&'a Value> {
    view["workloads"].as_array()?.iter().find(|w| w["key"]["name"] == name)
}

/// The kinds of a workload's problems (`CrashLooping`, `ImagePull`…).
pub fn problem_kinds(workload: &Value) -> Vec<String> {
    workload["problems"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["kind"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// A server-sent event stream read a chunk at a time.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    /// The next `update` message's JSON, or `None` when the stream ends or `limit` passes first.
    pub async fn next(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            // One event ends at a blank line; comments (keep-alives) carry no data.
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = Some(name.trim().to_string());
                    } else if let Some(part) = line.strip_prefix("data:") {
                        data.push_str(part.strip_prefix(' ').unwrap_or(part));
                    }
                }
                if data.is_empty() {
                    continue;
                }
                assert_eq!(event.as_deref(), Some("update"), "every message is an update: {block}");
                return Some(serde_json::from_str(&data).expect("an update is JSON"));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?;
            let chunk = chunk.expect("the stream reads")?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads updates until one satisfies `check`; every update read on the way is returned too.
    pub async fn until(&mut self, what: &str, mut check: impl FnMut(&Value) -> bool) -> (Value, Vec<Value>) {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(update) = self.next(left).await else {
                panic!("waited {PATIENCE:?} for {what}; the stream sent:\n{}", summary(&seen));
            };
            if check(&update) {
                return (update, seen);
            }
            seen.push(update);
        }
    }
}

/// Each update's type and what it is about, one a line, for failure messages.
pub fn summary(updates: &[Value]) -> String {
    updates
        .iter()
        .map(|u| {
            let about = u["key"]["name"]
                .as_str()
                .or(u["workload"]["name"].as_str())
                .or(u["name"].as_str())
                .unwrap_or_default();
            format!("{} {about}", u["type"].as_str().unwrap_or("?"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
