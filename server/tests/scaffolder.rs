//! The scaffolder through its API, over SQLite and PostgreSQL, with real Git repositories: a
//! template registered in the catalog runs as a task (fetch, publish to a bare repository,
//! register), its events stream live, and the new service is in the catalog; values are checked
//! per field; tasks cancel; a task whose server died is re-run or visibly failed; dry runs.

mod common;

use std::path::Path;

use common::git::{git, write};
use common::{TestDb, TestServer, eventually};
use serde_json::{Value, json};

const TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: tiny-service
  title: Tiny service
  tags: [test]
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: Service
      required: [name, owner]
      properties:
        name:
          type: string
          pattern: '^[a-z][a-z0-9-]+$'
          maxLength: 30
        owner:
          type: string
          ui:field: OwnerPicker
    - title: Repository
      required: [remote]
      properties:
        remote:
          type: string
  steps:
    - id: fetch
      name: Fetch skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
          owner: ${{ parameters.owner }}
    - id: publish
      name: Publish
      action: publish:git
      input:
        repoUrl: ${{ parameters.remote }}
        defaultBranch: main
    - id: register
      name: Register
      action: catalog:register
      input:
        repoContentsUrl: ${{ steps.publish.output.repoContentsUrl }}
        catalogInfoPath: /catalog-info.yaml
  output:
    links:
      - title: Repository
        url: ${{ steps.publish.output.remoteUrl }}
      - title: Open in catalog
        entityRef: ${{ steps.register.output.entityRef }}
"#;

const SKELETON_CATALOG: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${{ values.name }}
  description: Made by a test
spec:
  type: service
  lifecycle: experimental
  owner: ${{ values.owner }}
";

/// A template that takes as long as its list: one log line per item.
const SLOW: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: slow
spec:
  owner: group:default/platform
  type: service
  parameters:
    properties:
      items: { type: array, items: { type: integer } }
  steps:
    - id: count
      action: debug:log
      each: ${{ parameters.items }}
      input:
        message: item ${{ each.value }}
"#;

/// A template folder with its skeleton; returns the template file.
fn template_dir(root: &Path) -> std::path::PathBuf {
    write(root, "template/slow.yaml", SLOW);
    write(root, "template/template.yaml", TEMPLATE);
    write(root, "template/skeleton/catalog-info.yaml", SKELETON_CATALOG);
    write(
        root,
        "template/skeleton/README.md",
        "# ${{ values.name }}\n\nOwned by ${{ values.owner }}.\n",
    );
    root.join("template/template.yaml")
}

fn bare_repo(root: &Path, name: &str) -> std::path::PathBuf {
    let repo = root.join(format!("remotes/{name}.git"));
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "--quiet", "--bare", "--initial-branch", "main"]);
    repo
}

/// A server whose catalog holds the test template, with `workers` task workers.
async fn server(db: &TestDb, root: &Path, workers: usize) -> TestServer {
    let template = template_dir(root);
    let mut config = db.config();
    config.catalog.allowed_location_types = vec!["url".into(), "git".into(), "file".into()];
    config.catalog.locations = vec![
        ("file".into(), template.display().to_string()),
        (
            "file".into(),
            template.with_file_name("slow.yaml").display().to_string(),
        ),
    ];
    config.catalog.git.cache_dir = root.join("git-cache");
    config.scaffolder.workers = workers;
    config.scaffolder.work_dir = root.join("tasks");
    let server = TestServer::start_with(config).await;
    eventually(
        std::time::Duration::from_secs(30),
        "the template in the catalog",
        || async {
            let r = server
                .get("/api/catalog/entities/by-name/template/default/tiny-service")
                .await;
            (r.status() == 200).then_some(())
        },
    )
    .await;
    server
}

async fn create_task(server: &TestServer, values: Value) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/scaffolder/v2/tasks"))
        .json(&json!({"templateRef": "template:default/tiny-service", "values": values}))
        .send()
        .await
        .expect("post")
}

/// A task no worker will run (the servers these tests start with no workers leave it open); its id.
async fn open_task(server: &TestServer) -> String {
    let created: Value = create_task(
        server,
        json!({"name": "billing", "owner": "group:default/team-a", "remote": "file:///nowhere.git"}),
    )
    .await
    .json()
    .await
    .expect("json");
    created["id"].as_str().expect("id").to_string()
}

/// Reads the event stream until the task's closing event; returns every (event, data).
async fn stream_to_end(server: &TestServer, id: &str) -> Vec<(String, Value)> {
    let mut response = server.get(&format!("/api/scaffolder/v2/tasks/{id}/eventstream")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = response.chunk().await.expect("chunk") {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("the stream ends with the task");
    text.split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_string(), serde_json::from_str(data).expect("json data")))
        })
        .collect()
}

on_both_databases! {
    async fn a_task_publishes_a_repository_and_registers_its_entity(db: TestDb) {
        let root = tempfile::tempdir().expect("tempdir");
        let remote = bare_repo(root.path(), "payments");
        let server = server(&db, root.path(), 1).await;
        let response = create_task(&server, json!({"name": "payments", "owner": "group:default/team-a", "remote": format!("file://{}", remote.display())})).await;
        let status = response.status();
        let created: Value = response.json().await.expect("json");
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("id").to_string();

        let events = stream_to_end(&server, &id).await;
        let (last, closing) = events.last().expect("events");
        assert_eq!(last, "completion", "{events:?}");
        assert_eq!(closing["body"]["status"], "completed", "{closing}");
        let finished: Vec<&str> = events.iter()
            .filter(|(_, e)| e["body"]["status"] == "completed" && e["body"]["stepId"].is_string())
            .map(|(_, e)| e["body"]["stepId"].as_str().unwrap_or_default()).collect();
        assert_eq!(finished, ["fetch", "publish", "register"]);
        assert!(events.iter().all(|(_, e)| e["taskId"] == id.as_str()));

        let task: Value = server.get(&format!("/api/scaffolder/v2/tasks/{id}")).await.json().await.expect("json");
        assert_eq!(task["status"], "completed");
        assert_eq!(task["output"]["links"][1]["entityRef"], "component:default/payments");
        assert_eq!(task["spec"]["templateInfo"]["entityRef"], "template:default/tiny-service");

        // The files really are in the remote.
        let clone = root.path().join("clone");
        git(root.path(), &["clone", "--quiet", &format!("file://{}", remote.display()), clone.to_str().expect("utf-8")]);
        let readme = std::fs::read_to_string(clone.join("README.md")).expect("README");
        assert_eq!(readme, "# payments\n\nOwned by group:default/team-a.\n");

        // And the service is in the catalog, owned as chosen.
        let entity: Value = server.get("/api/catalog/entities/by-name/component/default/payments").await.json().await.expect("json");
        assert_eq!(entity["spec"]["owner"], "group:default/team-a");
        let list: Value = server.get("/api/scaffolder/v2/tasks").await.json().await.expect("json");
        assert_eq!(list["totalTasks"], 1);
        server.stop().await;
    }

    async fn values_that_break_the_form_are_refused_per_field(db: TestDb) {
        let root = tempfile::tempdir().expect("tempdir");
        let server = server(&db, root.path(), 1).await;
        let response = create_task(&server, json!({"name": "Not Valid", "remote": "file:///nowhere.git"})).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.expect("json");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains("name") && message.contains("owner"), "{message}");
        let unknown = server.client.post(server.url("/api/scaffolder/v2/tasks"))
            .json(&json!({"templateRef": "template:default/nope", "values": {}})).send().await.expect("post");
        assert_eq!(unknown.status(), 404);
        let list: Value = server.get("/api/scaffolder/v2/tasks").await.json().await.expect("json");
        assert_eq!(list["totalTasks"], 0, "nothing stored for refused requests");
        server.stop().await;
    }

    async fn a_task_left_by_a_dead_server_is_rerun_or_failed_with_what_it_left(db: TestDb) {
        let root = tempfile::tempdir().expect("tempdir");
        let remote = bare_repo(root.path(), "orders");
        // A server without workers: tasks stay where they are put.
        let first = server(&db, root.path(), 0).await;
        let values = json!({"name": "orders", "owner": "group:default/team-a", "remote": format!("file://{}", remote.display())});
        let clean: Value = create_task(&first, values.clone()).await.json().await.expect("json");
        let dirty: Value = create_task(&first, values).await.json().await.expect("json");
        let (clean, dirty) = (clean["id"].as_str().expect("id").to_string(), dirty["id"].as_str().expect("id").to_string());
        // Both were being run by a worker that died (its claim lapsed); one had already pushed.
        let store = &first.state().scaffolder.store;
        let pool = first.state().db.pool().clone();
        for id in [&clean, &dirty] {
            sqlx::query("UPDATE scaffolder_tasks SET status = 'processing', claimed_by = 'dead', claim_until = 1, attempts = 1 WHERE id = $1")
                .bind(id.as_str()).execute(&pool).await.expect("update");
        }
        store.append(&dirty, &[("log", json!({"message": "pushed abc to somewhere", "stepId": "publish", "sideEffect": "pushed abc to file:///somewhere.git"}))]).await.expect("append");
        first.stop().await;

        let second = server(&db, root.path(), 1).await;
        let done = |id: String| {
            let server = &second;
            async move {
                let task: Value = server.get(&format!("/api/scaffolder/v2/tasks/{id}")).await.json().await.ok()?;
                (task["status"] != "processing" && task["status"] != "open").then_some(task)
            }
        };
        let rerun = eventually(std::time::Duration::from_secs(60), "the clean task re-run", || done(clean.clone())).await;
        assert_eq!(rerun["status"], "completed", "{rerun}");
        let events: Value = second.get(&format!("/api/scaffolder/v2/tasks/{clean}/events")).await.json().await.expect("json");
        assert!(events.as_array().expect("list").iter().any(|e| e["type"] == "recovered"), "{events}");
        let failed = eventually(std::time::Duration::from_secs(60), "the dirty task failed", || done(dirty.clone())).await;
        assert_eq!(failed["status"], "failed");
        let events: Value = second.get(&format!("/api/scaffolder/v2/tasks/{dirty}/events")).await.json().await.expect("json");
        let closing = events.as_array().expect("list").last().expect("closing").clone();
        let message = closing["body"]["message"].as_str().expect("message");
        assert!(message.contains("pushed abc to file:///somewhere.git"), "{message}");
        second.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_task_is_cancelled_and_its_stream_ends() {
    let db = TestDb::sqlite().await;
    let root = tempfile::tempdir().expect("tempdir");
    let server = server(&db, root.path(), 0).await;
    let id = &open_task(&server).await;
    let cancel = server
        .client
        .post(server.url(&format!("/api/scaffolder/v2/tasks/{id}/cancel")))
        .send()
        .await
        .expect("post");
    assert_eq!(cancel.json::<Value>().await.expect("json")["status"], "cancelled");
    let events = stream_to_end(&server, id).await;
    assert_eq!(events.last().map(|(e, _)| e.as_str()), Some("cancelled"));
    let missing = server
        .client
        .post(server.url("/api/scaffolder/v2/tasks/nope/cancel"))
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

/// A stream follows its task until the task ends, and a task waiting for a worker never ends while
/// none runs: stopping the server must not wait for that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stops_while_a_task_is_being_followed() {
    let db = TestDb::sqlite().await;
    let root = tempfile::tempdir().expect("tempdir");
    let server = server(&db, root.path(), 0).await;
    let id = &open_task(&server).await;
    let mut stream = server.get(&format!("/api/scaffolder/v2/tasks/{id}/eventstream")).await;
    assert_eq!(stream.status(), 200);
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(20), server.stop()).await;
    assert!(stopped.is_ok(), "a SIGTERM must not wait for the task's followers");
    let end = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the follower's stream ends with the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_task_stops_when_cancelled() {
    let db = TestDb::sqlite().await;
    let root = tempfile::tempdir().expect("tempdir");
    let server = server(&db, root.path(), 1).await;
    eventually(std::time::Duration::from_secs(30), "the slow template", || async {
        let r = server.get("/api/catalog/entities/by-name/template/default/slow").await;
        (r.status() == 200).then_some(())
    })
    .await;
    // Each item renders against the whole context, list included: long enough to cancel midway.
    let items: Vec<u32> = (0..50_000).collect();
    let created: Value = server
        .client
        .post(server.url("/api/scaffolder/v2/tasks"))
        .json(&json!({"templateRef": "template:default/slow", "values": {"items": items}}))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    eventually(std::time::Duration::from_secs(30), "the task running", || async {
        let events: Value = server
            .get(&format!("/api/scaffolder/v2/tasks/{id}/events"))
            .await
            .json()
            .await
            .ok()?;
        if events.as_array()?.iter().any(|e| e["type"] == "completion") {
            panic!("the task ended before it was cancelled: {events}");
        }
        (events.as_array()?.len() > 3).then_some(())
    })
    .await;
    let started = std::time::Instant::now();
    let cancel: Value = server
        .client
        .post(server.url(&format!("/api/scaffolder/v2/tasks/{id}/cancel")))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(
        cancel["status"], "processing",
        "a running task is flagged; its worker stops it"
    );
    let events = stream_to_end(&server, &id).await;
    assert_eq!(
        events.last().map(|(e, _)| e.as_str()),
        Some("cancelled"),
        "{:?}",
        events.last()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "stopped within a heartbeat or two, not at the end"
    );
    let task: Value = server
        .get(&format!("/api/scaffolder/v2/tasks/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(task["status"], "cancelled");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_actions_and_dry_run() {
    let db = TestDb::sqlite().await;
    let root = tempfile::tempdir().expect("tempdir");
    let remote = bare_repo(root.path(), "dry");
    let server = server(&db, root.path(), 1).await;
    let schema: Value = server
        .get("/api/scaffolder/v2/templates/default/template/tiny-service/parameter-schema")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(schema["title"], "Tiny service");
    assert_eq!(schema["steps"][1]["title"], "Repository");
    assert_eq!(
        schema["steps"][0]["schema"]["properties"]["owner"]["ui:field"],
        "OwnerPicker"
    );
    let actions: Value = server
        .get("/api/scaffolder/v2/actions")
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = actions
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    for id in [
        "fetch:template",
        "fetch:plain",
        "fs:rename",
        "fs:delete",
        "publish:git",
        "publish:github",
        "publish:github:pull-request",
        "catalog:register",
        "debug:log",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(actions[0]["schema"]["input"].is_object());

    // A dry run with the template's files in the body: files come back, nothing is pushed.
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let template: Value = server
        .get("/api/catalog/entities/by-name/template/default/tiny-service")
        .await
        .json()
        .await
        .expect("json");
    let body = json!({
        "template": template,
        "values": {"name": "dry", "owner": "group:default/team-a", "remote": format!("file://{}", remote.display())},
        "directoryContents": [
            {"path": "template.yaml", "base64Content": b64(TEMPLATE)},
            {"path": "skeleton/catalog-info.yaml", "base64Content": b64(SKELETON_CATALOG)},
        ],
    });
    let response = server
        .client
        .post(server.url("/api/scaffolder/v2/dry-run"))
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = response.status();
    let result: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "{result}");
    let files = result["directoryContents"].as_array().expect("files");
    assert_eq!(files.len(), 1);
    let catalog_info = base64::engine::general_purpose::STANDARD
        .decode(files[0]["base64Content"].as_str().expect("b64"))
        .expect("decode");
    assert!(String::from_utf8_lossy(&catalog_info).contains("name: dry"));
    assert_eq!(result["output"]["links"][1]["entityRef"], "component:default/dry");
    let heads = std::process::Command::new("git")
        .arg("-C")
        .arg(&remote)
        .args(["for-each-ref"])
        .output()
        .expect("git");
    assert!(heads.stdout.is_empty(), "a dry run pushes nothing");

    // A path escaping the template's folder is refused.
    let hostile = json!({"template": template, "values": {}, "directoryContents": [{"path": "../../evil", "base64Content": b64("x")}]});
    let response = server
        .client
        .post(server.url("/api/scaffolder/v2/dry-run"))
        .json(&hostile)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 400);
    server.stop().await;
}

/// The golden paths' chart, as the service templates fetch it.
const CHART: [(&str, &str); 4] = [
    (
        "skeleton/chart/Chart.yaml",
        include_str!("../../templates/golden-paths/services/shared/chart/Chart.yaml"),
    ),
    (
        "skeleton/chart/values.yaml",
        include_str!("../../templates/golden-paths/services/shared/chart/values.yaml"),
    ),
    (
        "skeleton/chart/values-production.yaml",
        include_str!("../../templates/golden-paths/services/shared/chart/values-production.yaml"),
    ),
    (
        "skeleton/chart/values-staging.yaml",
        include_str!("../../templates/golden-paths/services/shared/chart/values-staging.yaml"),
    ),
];

/// A dry run of a template generating the golden paths' chart answers, beside Backstage's
/// fields, what it will request per month: requests × replicas × 730 h × the rates of the
/// cluster named (a configured one: its own CPU rate; an unknown one: the defaults).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_estimates_what_the_chart_will_request() {
    use base64::Engine;
    let db = TestDb::sqlite().await;
    let root = tempfile::tempdir().expect("tempdir");
    let mut config = db.config();
    config.scaffolder.work_dir = root.path().join("tasks");
    config.cost.prices.clusters.insert(
        "prod".into(),
        cost::prices::ClusterPrices {
            rates: cost::prices::RateOverrides {
                cpu: Some(0.05),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let server = TestServer::start_with(config).await;
    let template = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": { "name": "charted", "title": "Charted" },
        "spec": {
            "owner": "group:default/platform", "type": "service",
            "parameters": [{ "title": "Service", "properties": { "name": { "type": "string" }, "replicas": { "type": "integer" } } }],
            "steps": [{
                "id": "fetch", "name": "Fetch the chart", "action": "fetch:template",
                "input": { "url": "./skeleton", "values": {
                    "name": "${{ parameters.name }}", "description": "Pays.", "replicas": "${{ parameters.replicas }}",
                    "strategy": "rolling", "port": 8080, "ingressHost": "", "database": false,
                    "destination": { "owner": "acme", "repo": "pay" },
                } },
            }],
        },
    });
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let contents: Vec<Value> = CHART
        .iter()
        .map(|(path, text)| json!({ "path": path, "base64Content": b64(text) }))
        .chain([json!({ "path": "template.yaml", "base64Content": b64("kind: Template\n") })])
        .collect();
    let estimate = |cluster: &'static str| {
        let body = json!({
            "template": template, "values": { "name": "pay", "replicas": 3, "cluster": cluster },
            "directoryContents": contents,
        });
        let server = &server;
        async move {
            let response = server
                .client
                .post(server.url("/api/scaffolder/v2/dry-run"))
                .json(&body)
                .send()
                .await
                .expect("post");
            let status = response.status();
            let result: Value = response.json().await.expect("json");
            assert_eq!(status, 200, "{result}");
            assert_eq!(result["directoryContents"].as_array().map(Vec::len), Some(4));
            result["costEstimates"].clone()
        }
    };
    let known = estimate("prod").await;
    assert_eq!(known.as_array().map(Vec::len), Some(1), "{known}");
    let chart = &known[0];
    assert_eq!(
        (chart["chart"].as_str(), chart["cluster"].as_str()),
        (Some("chart"), Some("prod"))
    );
    let environments: Vec<&str> = chart["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .filter_map(|e| e["environment"].as_str())
        .collect();
    assert_eq!(environments, ["production", "staging"]);
    // Production: 3 replicas × 250m and 256Mi, autoscaling up to 12.
    let production = &chart["environments"][0];
    assert_eq!(
        (production["replicas"].as_u64(), production["maxReplicas"].as_u64()),
        (Some(3), Some(12))
    );
    let cpu = &production["figures"][0];
    assert_eq!(
        (
            cpu["resource"].as_str(),
            cpu["quantity"].as_f64(),
            cpu["hours"].as_f64()
        ),
        (Some("cpu"), Some(0.75), Some(730.0))
    );
    assert_eq!(cpu["price"]["source"], json!({ "kind": "cluster", "cluster": "prod" }));
    assert_eq!(cpu["price"]["rate"]["amount"].as_f64(), Some(0.05));
    let memory = &production["figures"][1];
    assert_eq!(
        (memory["quantity"].as_f64(), memory["price"]["source"]["kind"].as_str()),
        (Some(0.75), Some("default"))
    );
    // Money is kept in micro-units: 0.75 × 730 × 0.05 + 0.75 × 730 × 0.004237.
    let micros = |units: f64| (units * 1e6).round() as i64;
    assert_eq!(
        production["monthly"].as_i64(),
        Some(micros(0.75 * 730.0 * 0.05) + micros(0.75 * 730.0 * 0.004237))
    );
    // Staging: one replica of 50m and 64Mi.
    let staging = &chart["environments"][1];
    assert_eq!(
        (staging["replicas"].as_u64(), staging["figures"][0]["quantity"].as_f64()),
        (Some(1), Some(0.05))
    );
    let unknown = estimate("elsewhere").await;
    assert_eq!(
        unknown[0]["environments"][0]["figures"][0]["price"]["source"]["kind"],
        "default"
    );
    assert_eq!(
        unknown[0]["environments"][0]["figures"][0]["price"]["rate"]["amount"].as_f64(),
        Some(0.031611)
    );
    server.stop().await;
}
