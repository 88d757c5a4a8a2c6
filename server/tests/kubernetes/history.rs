//! The deployment history as the cluster's rollouts make it, on both databases: a rollout from
//! start to completion, a failure and its rollback, and no duplicates after restarts and relists.

use serde_json::Value;

use crate::common::TestDb;
use crate::harness::*;
use crate::on_both_databases;
use testkit::kube_api::scenarios::Outcome;

const CHECKOUT: &str = "component:default/checkout-service";
const ROLLOUTS: &str = "/api/kubernetes/rollouts?entity=component:default/checkout-service";
const IMAGE: &str = "registry.northwind.example/checkout/checkout-service";

/// `(revision, outcome)` of each record, newest first.
fn summary(records: &Value) -> Vec<(String, String)> {
    records
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["revision"].as_str().unwrap_or_default().into(),
                r["outcome"].as_str().unwrap_or_default().into(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

on_both_databases! {
    async fn a_new_image_is_a_rollout_started_then_completed(db: TestDb) {
        let api = fixtures().await;
        let portal = Portal::start(&db, &api).await;
        portal.json_until(ROLLOUTS, "the first sight of revision 7", |r| summary(r) == pairs(&[("7", "completed")])).await;
        let mut stream = portal.stream(Some(CHECKOUT)).await;
        stream.until("the snapshot", |u| u["type"] == "snapshot").await;

        api.roll_out("checkout", "checkout-service", &format!("{IMAGE}:2.15.0"), Outcome::Complete);
        let (done, _) = stream.until("revision 8 completed", |u| {
            u["type"] == "rollout" && u["revision"] == "8" && u["outcome"] == "completed"
        })
        .await;
        assert!(done["version"].as_str().is_some_and(|v| v.starts_with(&format!("checkout-service={IMAGE}:2.15.0@sha256:"))), "{done:#}");
        let records = portal.json_until(ROLLOUTS, "revision 8 completed", |r| summary(r)[0] == ("8".into(), "completed".into())).await;
        assert_eq!(summary(&records), pairs(&[("8", "completed"), ("7", "completed")]));
        assert!(records[0]["finishedMs"].as_i64() >= records[0]["startedMs"].as_i64());
        assert_eq!(records[0]["entity"], CHECKOUT);
        // Each type is watched on its own: the old pods' deletions may arrive after the Deployment's
        // completion.
        let view = portal
            .entity_until("checkout-service", "the old pods gone, the new ones running", |v| {
                let pods = workload(v, "checkout-service")?["pods"].as_array()?.clone();
                (pods.len() == 3 && pods.iter().all(|p| p["containers"][0]["digest"].is_string())).then(|| v.clone())
            })
            .await;
        let w = workload(&view, "checkout-service").expect("checkout");
        assert_eq!((w["revision"].as_str(), w["images"][0]["tag"].as_str()), (Some("8"), Some("2.15.0")));
        assert_eq!((w["replicas"]["updated"].as_u64(), w["replicas"]["ready"].as_u64()), (Some(3), Some(3)));
        let pods = w["pods"].as_array().expect("pods");
        assert_eq!(pods.len(), 3, "the old pods are gone: {w:#}");
        assert!(pods.iter().all(|p| p["containers"][0]["digest"].as_str().is_some()), "{w:#}");
        assert_eq!(view["history"], records, "the entity's view shows the same history");

        // The next one, caught half-way: started, not finished.
        api.roll_out("checkout", "checkout-service", &format!("{IMAGE}:2.16.0"), Outcome::Progressing);
        let (started, _) = stream.until("revision 9 started", |u| u["type"] == "rollout" && u["revision"] == "9").await;
        assert_eq!(started["outcome"], "in-progress");
        assert_eq!(started["finishedMs"], Value::Null);
        assert_eq!(started["version"], format!("checkout-service={IMAGE}:2.16.0"));
        let rolling = portal
            .entity_until("checkout-service", "revision 9 rolling", |v| {
                let w = workload(v, "checkout-service")?;
                (w["revision"] == "9").then(|| w.clone())
            })
            .await;
        assert_eq!(rolling["rollout"]["phase"], "Progressing");
        drop(stream);
        portal.server.stop().await;
    }

    async fn a_failed_rollout_and_its_rollback_are_both_recorded(db: TestDb) {
        let api = fixtures().await;
        let portal = Portal::start(&db, &api).await;
        portal.json_until(ROLLOUTS, "revision 7", |r| summary(r) == pairs(&[("7", "completed")])).await;

        api.roll_out("checkout", "checkout-service", &format!("{IMAGE}:2.15.0-broken"), Outcome::Failed);
        let failed = portal.json_until(ROLLOUTS, "revision 8 failed", |r| summary(r)[0] == ("8".into(), "failed".into())).await;
        assert!(failed[0]["message"].as_str().is_some_and(|m| m.contains("timed out progressing")), "{failed:#}");
        let view = portal.entity("checkout-service").await;
        let w = workload(&view, "checkout-service").expect("checkout");
        assert_eq!(w["rollout"]["phase"], "Failed");
        assert!(problem_kinds(w).contains(&"RolloutFailed".to_string()), "{w:#}");

        // `kubectl rollout undo`: the old template again, under a new revision.
        api.roll_out("checkout", "checkout-service", &format!("{IMAGE}:2.14.1"), Outcome::Complete);
        let records = portal
            .json_until(ROLLOUTS, "the rollback completed", |r| summary(r)[0] == ("9".into(), "completed".into()))
            .await;
        assert_eq!(summary(&records), pairs(&[("9", "completed"), ("8", "rolled-back"), ("7", "completed")]), "{records:#}");
        assert!(records[0]["version"].as_str().is_some_and(|v| v.starts_with(&format!("checkout-service={IMAGE}:2.14.1"))), "{records:#}");
        assert!(records[0]["message"].as_str().is_some_and(|m| m.contains("rollback to revision 7")), "{records:#}");
        assert!(records[1]["message"].as_str().is_some_and(|m| m.contains("timed out") || m.contains("rolled back")), "{records:#}");
        let page = portal.page("checkout-service").await;
        assert!(page.contains("data-outcome=\"rolled-back\""), "{page}");
        portal.server.stop().await;
    }

    async fn restarts_and_relists_record_nothing_twice(db: TestDb) {
        let api = fixtures().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let start = || Portal::serve(config(&db, dir.path(), vec![cluster("prod", &api)]));
        let server = start().await;
        let portal = Portal::of(server);
        api.roll_out("checkout", "checkout-service", &format!("{IMAGE}:2.15.0"), Outcome::Complete);
        let before = portal
            .json_until("/api/kubernetes/rollouts", "revision 8 completed and the rest", |r| {
                summary(r).contains(&("8".into(), "completed".into())) && r.as_array().is_some_and(|a| a.len() >= 6)
            })
            .await;
        portal.server.stop().await;

        let portal = Portal::of(start().await);
        portal.entity_until("checkout-service", "the view after the restart", |v| workload(v, "checkout-service").cloned()).await;
        let lists = api.lists("deployments.apps");
        api.compact();
        api.drop_connections();
        // A change after the relist: once it shows, the relisted state has been observed too.
        api.scale("checkout", "payments-service", 4);
        portal
            .entity_until("payments-service", "the scale after the relist", |v| {
                (workload(v, "payments-service")?["replicas"]["desired"] == 4).then_some(())
            })
            .await;
        assert!(api.lists("deployments.apps") > lists, "the watches listed again");
        let after = portal.json("/api/kubernetes/rollouts").await;
        let key = |r: &Value| (r["key"].to_string(), r["revision"].to_string());
        let mut keys: Vec<_> = after.as_array().expect("records").iter().map(key).collect();
        keys.sort();
        let count = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), count, "no rollout recorded twice:\n{after:#}");
        assert_eq!(summary(&after), summary(&before), "nothing new, nothing changed");
        portal.server.stop().await;
    }
}
