//! The demo cluster: the Northwind services as the catalog describes them, and a live script that
//! deploys, fails and rolls back, crash-loops and recovers, always leaving a consistent cluster.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use testkit::kube_api::KubeApi;
use testkit::kube_api::demo::{self, NORTHWIND, Script, Step};

/// Every `backstage.io/kubernetes-id` of the demo catalog's descriptors.
fn catalog_ids() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog/demo/northwind/components");
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("the demo catalog") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("readable");
        for line in text.lines() {
            if let Some(id) = line.trim().strip_prefix("backstage.io/kubernetes-id:") {
                ids.insert(id.trim().trim_matches(['"', '\'']).to_owned());
            }
        }
    }
    ids
}

fn deployment(api: &KubeApi, service: &demo::Service) -> Value {
    api.get("deployments.apps", service.namespace, service.name)
        .expect("deployment")
}

#[test]
fn the_demo_runs_every_northwind_service_the_catalog_maps_to_kubernetes() {
    let names: BTreeSet<String> = NORTHWIND.iter().map(|s| s.name.to_owned()).collect();
    assert_eq!(
        names,
        catalog_ids(),
        "testkit's NORTHWIND and the demo catalog disagree"
    );
}

#[tokio::test]
async fn the_demo_cluster_starts_ready_labelled_for_its_entities_and_on_the_wall_clock() {
    let api = KubeApi::start().await;
    let (run, revision) = demo::run_stamp(SystemTime::now());
    api.load_demo(&run, revision).expect("loads");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for service in NORTHWIND {
        let d = deployment(&api, service);
        assert_eq!(d["metadata"]["labels"]["backstage.io/kubernetes-id"], service.name);
        assert_eq!(d["status"]["readyReplicas"], service.replicas, "{}", service.name);
        assert_eq!(
            d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
            revision.to_string()
        );
        let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or_default();
        assert!(image.ends_with(&format!("-{run}")), "{image}");
        assert!(!api.list("pods", service.namespace).is_empty());
    }
    let pod = &api.list("pods", "commerce")[0];
    let created = pod["metadata"]["creationTimestamp"].as_str().unwrap_or_default();
    assert!(created.starts_with(&today), "{created} is not today ({today})");
    let hpas = NORTHWIND.iter().filter(|s| s.autoscaled).count();
    assert_eq!(
        api.all()
            .iter()
            .filter(|o| o["kind"] == "HorizontalPodAutoscaler")
            .count(),
        hpas
    );
}

#[test]
fn the_script_is_seeded_and_has_every_kind_of_episode() {
    let episodes = |seed| {
        let mut script = Script::new(seed, "run1");
        (0..60).map(|_| script.next_episode()).collect::<Vec<_>>()
    };
    assert_eq!(episodes(7), episodes(7));
    assert_ne!(episodes(7), episodes(8));
    let all = episodes(7);
    let has = |what: &str| all.iter().any(|e| e.summary.contains(what));
    for what in ["rolls out", "is rolled back", "crash-loops", "scales to"] {
        assert!(has(what), "no episode {what:?} in 60");
    }
}

#[tokio::test]
async fn every_step_of_the_script_plays_on_the_demo_cluster() {
    let api = KubeApi::start().await;
    api.load_demo("run1", 1).expect("loads");
    let mut script = Script::new(11, "run1");
    for _ in 0..40 {
        let episode = script.next_episode();
        let revisions = || {
            NORTHWIND
                .iter()
                .map(|s| {
                    let d = deployment(&api, s);
                    let revision = d["metadata"]["annotations"]["deployment.kubernetes.io/revision"].as_str();
                    revision.and_then(|r| r.parse::<u64>().ok()).expect("a revision")
                })
                .sum::<u64>()
        };
        let before = revisions();
        for step in &episode.steps {
            api.play_step(step)
                .unwrap_or_else(|e| panic!("{}: {step:?}: {e}", episode.summary));
        }
        let last = episode.steps.last().expect("steps");
        let service = match last {
            Step::RollOut { service, .. }
            | Step::Recover { service }
            | Step::CrashLoop { service, .. }
            | Step::Autoscale { service, .. } => service,
        };
        // A release is one revision however many steps it takes; its rollback is a second.
        let expected = if episode.summary.contains("rolled back") {
            2
        } else {
            u64::from(episode.summary.contains("rolls out"))
        };
        assert_eq!(revisions() - before, expected, "{}", episode.summary);
        // Each episode ends with the service healthy again.
        let d = deployment(&api, service);
        let want = d["spec"]["replicas"].as_u64().expect("replicas");
        assert_eq!(d["status"]["readyReplicas"], want, "{}", episode.summary);
        let progressing = d["status"]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == "Progressing").cloned());
        assert_eq!(
            progressing.map(|c| c["status"].clone()),
            Some("True".into()),
            "{}",
            episode.summary
        );
    }
}

#[tokio::test]
async fn the_live_script_changes_the_cluster_every_period() {
    let api = KubeApi::start().await;
    api.load_demo("run1", 1).expect("loads");
    let before = api.all();
    let playing = api.play(Script::new(3, "run1"), Duration::from_millis(60));
    let mut changed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if api.all() != before {
            changed = true;
            break;
        }
    }
    playing.abort();
    assert!(changed, "nothing happened within a second");
}
