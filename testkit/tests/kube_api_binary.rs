//! The `kube-api` binary as browser tests and benchmarks use it: started, its address read from
//! its first line, the cluster changed through `/_testkit/` and the change seen on a watch.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const TOKEN: &str = "bench-token";

/// The child is killed when dropped, whatever the test's outcome.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kube-api"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("kube-api starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Server { child, url }
}

fn fixtures() -> String {
    format!("{}/fixtures/kubernetes", env!("CARGO_MANIFEST_DIR"))
}

async fn get(server: &Server, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answer")
}

async fn control(server: &Server, action: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/_testkit/{action}", server.url))
        .json(&body)
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

/// Reads watch lines until one satisfies `wanted`.
async fn watch_until(response: &mut reqwest::Response, wanted: impl Fn(&Value) -> bool) -> Value {
    let mut buffer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                let event: Value = serde_json::from_slice(&line).expect("an event line");
                if wanted(&event) {
                    return event;
                }
            }
            let chunk = response.chunk().await.expect("stream").expect("the watch stays open");
            buffer.extend_from_slice(&chunk);
        }
    })
    .await
    .expect("the event in time")
}

#[tokio::test]
async fn an_object_applied_over_http_reaches_an_open_watch() {
    let server = start(&["--fixtures", &fixtures(), "--token", TOKEN]);
    let list: Value = get(&server, "/apis/apps/v1/namespaces/checkout/deployments")
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(list["kind"], "DeploymentList");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    let since = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("revision")
        .to_owned();
    let mut watch = get(
        &server,
        &format!("/apis/apps/v1/namespaces/checkout/deployments?watch=1&resourceVersion={since}"),
    )
    .await;

    let mut deployment = list["items"][1].clone();
    assert_eq!(deployment["metadata"]["name"], "checkout-service");
    deployment["apiVersion"] = "apps/v1".into();
    deployment["kind"] = "Deployment".into();
    deployment["spec"]["replicas"] = 6.into();
    let (status, answer) = control(&server, "apply", deployment).await;
    assert_eq!(status, 200, "{answer}");
    let revision = answer["resourceVersion"].as_str().expect("revision").to_owned();

    let event = watch_until(&mut watch, |e| e["type"] != "BOOKMARK").await;
    assert_eq!(event["type"], "MODIFIED");
    assert_eq!(event["object"]["spec"]["replicas"], 6);
    assert_eq!(event["object"]["metadata"]["resourceVersion"], revision.as_str());

    let (status, _) = control(
        &server,
        "delete",
        json!({ "type": "deployments.apps", "namespace": "checkout", "name": "checkout-service" }),
    )
    .await;
    assert_eq!(status, 200);
    let event = watch_until(&mut watch, |e| e["type"] != "BOOKMARK").await;
    assert_eq!(event["type"], "DELETED");

    let counters: Value = get(&server, "/_testkit/counters").await.json().await.expect("counters");
    assert_eq!(counters["lists"]["deployments.apps"], 1);
    assert_eq!(counters["watchRequests"]["deployments.apps"], 1);
    assert_eq!(counters["openWatches"]["deployments.apps"], 1);
    drop(watch);
}

#[tokio::test]
async fn controls_name_what_is_wrong_with_their_input() {
    let server = start(&["--token", TOKEN]);
    let (status, answer) = control(&server, "apply", json!({ "apiVersion": "v9", "kind": "Gadget" })).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"],
        "no resource type of apiVersion \"v9\" and kind \"Gadget\""
    );
    let (status, answer) = control(&server, "forbid", json!({ "type": "Pods" })).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("no resource type \"Pods\""))
    );

    // Forbidden, then allowed again; a removed CRD leaves discovery and answers 404.
    assert_eq!(control(&server, "forbid", json!({ "type": "pods" })).await.0, 200);
    assert_eq!(get(&server, "/api/v1/pods").await.status().as_u16(), 403);
    assert_eq!(control(&server, "allow", json!({ "type": "pods" })).await.0, 200);
    assert_eq!(get(&server, "/api/v1/pods").await.status().as_u16(), 200);
    for crd in ["applications.argoproj.io", "rollouts.argoproj.io"] {
        assert_eq!(
            control(&server, "remove-definition", json!({ "type": crd })).await.0,
            200
        );
    }
    assert_eq!(get(&server, "/apis/argoproj.io/v1alpha1").await.status().as_u16(), 404);
    let groups: Value = get(&server, "/apis").await.json().await.expect("groups");
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "apps",
            "networking.k8s.io",
            "autoscaling",
            "pyrra.dev",
            "metrics.k8s.io"
        ]
    );
}

#[tokio::test]
async fn scenarios_run_over_http() {
    let server = start(&["--fixtures", &fixtures(), "--token", TOKEN]);
    let (status, answer) = control(
        &server,
        "roll-out",
        json!({ "namespace": "checkout", "name": "cart-service", "image": "registry.northwind.example/checkout/cart-service:3.0.4", "outcome": "complete" }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let deployment: Value = get(
        &server,
        "/apis/apps/v1/namespaces/checkout/deployments?fieldSelector=metadata.name%3Dcart-service",
    )
    .await
    .json()
    .await
    .expect("list");
    let deployment = &deployment["items"][0];
    assert_eq!(deployment["metadata"]["resourceVersion"], answer["resourceVersion"]);
    assert_eq!(
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "6"
    );
    assert_eq!(deployment["status"]["readyReplicas"], 2);

    let (status, answer) = control(
        &server,
        "canary-step",
        json!({ "namespace": "inventory", "name": "inventory-service" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"], "the body needs a whole number \"step\"");
    let (status, answer) = control(
        &server,
        "roll-out",
        json!({ "namespace": "checkout", "name": "cart-service", "image": "x", "outcome": "soon" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"],
        "outcome \"soon\": expected progressing, complete or failed"
    );
}

#[tokio::test]
async fn a_synthetic_cluster_serves_deployments_times_pods() {
    let server = start(&["--synthetic", "3x40", "--namespace", "bench", "--token", TOKEN]);
    let pods: Value = get(
        &server,
        "/api/v1/namespaces/bench/pods?labelSelector=backstage.io%2Fkubernetes-id%3Dsynthetic-2",
    )
    .await
    .json()
    .await
    .expect("pods");
    let items = pods["items"].as_array().expect("items");
    assert_eq!(items.len(), 40);
    assert!(items.iter().all(|p| p["status"]["phase"] == "Running"));
    let deployments: Value = get(&server, "/apis/apps/v1/deployments")
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(deployments["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(deployments["items"][0]["status"]["readyReplicas"], 40);
}

#[test]
fn a_bad_argument_is_refused_with_the_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_kube-api"))
        .args(["--synthetic", "ten"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--synthetic ten: expected DEPLOYMENTSxPODS"),
        "{stderr}"
    );
}
