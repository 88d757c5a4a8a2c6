//! The deployment history on both databases: rollouts recorded from observed workloads (first
//! sight, completion, failure, rollback), once only across repeats, restarts and racing replicas.

mod common;

use cairn_server::config::DatabaseConfig;
use cairn_server::db::{Db, Dialect};
use common::TestDb;
use deployments::history::observe;
use deployments::model::{
    ContainerImage, Health, Replicas, RolloutOutcome, RolloutPhase, RolloutRecord, RolloutStatus, Workload,
    WorkloadKey, WorkloadKind,
};
use deployments::store::Store;

const ENTITY: &str = "component:default/checkout";
const NOW: i64 = 1_800_000_000_000;

/// A migrated store over the test database; each call is a new pool, like a restarted replica.
async fn open(db: &TestDb) -> Store {
    let db = Db::connect(&DatabaseConfig {
        url: db.url().to_string(),
    })
    .await
    .expect("connect");
    db.migrate().await.expect("migrate");
    Store::new(catalog::store::Store::new(
        db.pool().clone(),
        db.dialect() == Dialect::Postgres,
    ))
}

/// A Deployment `name` in cluster `prod`, namespace `shop`, at `revision` running `image`,
/// rolling out (1 of 3 updated) since `since`.
fn deployment(name: &str, revision: &str, since: i64, image: &str) -> Workload {
    Workload {
        key: WorkloadKey {
            cluster: "prod".into(),
            namespace: "shop".into(),
            kind: WorkloadKind::Deployment,
            name: name.into(),
        },
        entity: Some(ENTITY.into()),
        owner: Some("group:default/payments".into()),
        created_ms: Some(1_000),
        replicas: Replicas {
            desired: 3,
            updated: 1,
            ready: 3,
            available: 3,
        },
        revision: Some(revision.into()),
        revision_since_ms: Some(since),
        source_revision: None,
        images: vec![ContainerImage {
            container: "app".into(),
            image: image.into(),
            tag: image.rsplit_once(':').map(|(_, t)| t.to_string()),
            digest: None,
        }],
        rollout: RolloutStatus {
            phase: RolloutPhase::Progressing,
            message: None,
            since_ms: Some(since),
            strategy: Some("RollingUpdate".into()),
        },
        pods: vec![],
        autoscaler: None,
        events: vec![],
        argo_cd: None,
        argo_rollout: None,
        health: Health::Progressing,
        problems: vec![],
        stale_since_ms: None,
    }
}

/// `w` once every replica runs its revision, since `at`.
fn complete(mut w: Workload, at: i64) -> Workload {
    w.replicas = Replicas {
        desired: 3,
        updated: 3,
        ready: 3,
        available: 3,
    };
    w.rollout.phase = RolloutPhase::Complete;
    w.rollout.since_ms = Some(at);
    w.health = Health::Healthy;
    w
}

/// `w` past its progress deadline at `at`.
fn failed(mut w: Workload, at: i64, message: &str) -> Workload {
    w.rollout.phase = RolloutPhase::Failed;
    w.rollout.since_ms = Some(at);
    w.rollout.message = Some(message.into());
    w.health = Health::Degraded;
    w
}

fn summary(records: &[RolloutRecord]) -> Vec<(String, String, RolloutOutcome)> {
    records
        .iter()
        .map(|r| (r.key.name.clone(), r.revision.clone(), r.outcome))
        .collect()
}

const DEADLINE: &str = "ReplicaSet \"checkout-7d9c\" has timed out progressing.";

on_both_databases! {
    async fn first_sight_records_the_current_revision_as_the_cluster_tells_it(db: TestDb) {
        let store = open(&db).await;
        let running = complete(deployment("checkout", "4", 5_000, "ghcr.io/acme/checkout:1.4.2"), 6_000);
        let mut rolling = deployment("cart", "2", 7_000, "ghcr.io/acme/cart:2.0");
        rolling.entity = None;
        let mut unrevisioned = deployment("batch", "1", 0, "busybox");
        unrevisioned.revision = None;
        let mut stale = deployment("search", "9", 8_000, "search:1");
        stale.stale_since_ms = Some(NOW - 60_000);
        let created = observe(&store, &[running, rolling, unrevisioned, stale], NOW).await.expect("observe");
        assert_eq!(created.len(), 2, "{created:?}");
        let checkout = created.iter().find(|r| r.key.name == "checkout").expect("checkout");
        assert_eq!(checkout.revision, "4");
        assert_eq!(checkout.version, "app=ghcr.io/acme/checkout:1.4.2");
        assert_eq!(checkout.outcome, RolloutOutcome::Completed);
        assert_eq!((checkout.started_ms, checkout.finished_ms), (5_000, Some(6_000)));
        assert_eq!(checkout.entity.as_deref(), Some(ENTITY));
        let cart = created.iter().find(|r| r.key.name == "cart").expect("cart");
        assert_eq!((cart.outcome, cart.started_ms, cart.finished_ms), (RolloutOutcome::InProgress, 7_000, None));
        assert_eq!(cart.entity, None);
        assert_eq!(store.recent_rollouts(10).await.expect("recent").len(), 2, "nothing of the others");
    }

    async fn a_new_revision_is_a_rollout_from_start_to_completion(db: TestDb) {
        let store = open(&db).await;
        let v1 = complete(deployment("checkout", "1", 1_000, "checkout:1.0"), 2_000);
        observe(&store, std::slice::from_ref(&v1), NOW).await.expect("first sight");

        let mut v2 = deployment("checkout", "2", 10_000, "checkout:1.1");
        v2.images[0].digest = Some("sha256:aaaa".into());
        v2.source_revision = Some("9f2c1a7d3e4b".into());
        let started = observe(&store, std::slice::from_ref(&v2), NOW).await.expect("started");
        let commit: Option<String> = sqlx::query_scalar("SELECT commit_sha FROM deployment_rollouts WHERE revision = '2'")
            .fetch_one(store.pool())
            .await
            .expect("commit");
        assert_eq!(commit.as_deref(), Some("9f2c1a7d3e4b"), "the pod template's org.opencontainers.image.revision");
        assert_eq!(summary(&started), [("checkout".into(), "2".into(), RolloutOutcome::InProgress)]);
        assert_eq!((started[0].started_ms, started[0].finished_ms), (10_000, None));
        assert_eq!(started[0].version, "app=checkout:1.1", "no digest before the pods all run it");

        let done = observe(&store, &[complete(v2, 12_000)], NOW + 5).await.expect("completed");
        assert_eq!(summary(&done), [("checkout".into(), "2".into(), RolloutOutcome::Completed)]);
        assert_eq!((done[0].started_ms, done[0].finished_ms), (10_000, Some(12_000)));
        assert_eq!(done[0].version, "app=checkout:1.1@sha256:aaaa");

        let history = store.rollouts_of_workload(&v1.key, 10).await.expect("history");
        assert_eq!(
            summary(&history),
            [
                ("checkout".into(), "2".into(), RolloutOutcome::Completed),
                ("checkout".into(), "1".into(), RolloutOutcome::Completed),
            ]
        );
    }

    async fn a_failed_rollout_keeps_the_controllers_words(db: TestDb) {
        let store = open(&db).await;
        observe(&store, &[complete(deployment("checkout", "1", 1_000, "checkout:1.0"), 2_000)], NOW).await.expect("v1");
        let v2 = deployment("checkout", "2", 10_000, "checkout:1.1");
        observe(&store, std::slice::from_ref(&v2), NOW).await.expect("v2");
        let stuck = observe(&store, &[failed(v2.clone(), 610_000, DEADLINE)], NOW + 1).await.expect("failed");
        assert_eq!(summary(&stuck), [("checkout".into(), "2".into(), RolloutOutcome::Failed)]);
        assert_eq!(stuck[0].finished_ms, Some(610_000));
        assert_eq!(stuck[0].message.as_deref(), Some(DEADLINE));
        // A lagging view of the same revision (still progressing) does not undo the failure.
        assert!(observe(&store, &[v2], NOW + 2).await.expect("lagging").is_empty());
    }

    async fn a_rollout_replaced_before_it_finished_ends_when_the_next_began(db: TestDb) {
        let store = open(&db).await;
        observe(&store, &[deployment("checkout", "2", 10_000, "checkout:1.1")], NOW).await.expect("v2");
        let v3 = deployment("checkout", "3", 20_000, "checkout:1.2");
        let changed = observe(&store, std::slice::from_ref(&v3), NOW).await.expect("v3");
        assert_eq!(
            summary(&changed),
            [
                ("checkout".into(), "2".into(), RolloutOutcome::InProgress),
                ("checkout".into(), "3".into(), RolloutOutcome::InProgress),
            ]
        );
        assert_eq!(changed[0].finished_ms, Some(20_000));
        assert_eq!(changed[0].message.as_deref(), Some("replaced by revision 3 before it was seen to finish"));

        // Past its deadline, then the pods come up after all: it completed, its failure's words kept.
        observe(&store, &[failed(v3.clone(), 30_000, DEADLINE)], NOW).await.expect("failed");
        let recovered = observe(&store, &[complete(v3, 40_000)], NOW).await.expect("recovered");
        assert_eq!(summary(&recovered), [("checkout".into(), "3".into(), RolloutOutcome::Completed)]);
        assert_eq!(recovered[0].finished_ms, Some(40_000));
        assert_eq!(recovered[0].message.as_deref(), Some(DEADLINE));
    }

    async fn a_rollback_marks_the_rollout_it_replaces(db: TestDb) {
        let store = open(&db).await;
        let v1 = complete(deployment("checkout", "1", 1_000, "checkout:1.0"), 2_000);
        observe(&store, &[v1], NOW).await.expect("v1");
        let v2 = deployment("checkout", "2", 10_000, "checkout:1.1");
        observe(&store, std::slice::from_ref(&v2), NOW).await.expect("v2");
        observe(&store, &[failed(v2, 610_000, DEADLINE)], NOW).await.expect("v2 failed");

        // `kubectl rollout undo`: revision 3 runs revision 1's template, whose ReplicaSet is old.
        let v3 = deployment("checkout", "3", 1_000, "checkout:1.0");
        let changed = observe(&store, std::slice::from_ref(&v3), NOW + 10).await.expect("undo");
        assert_eq!(
            summary(&changed),
            [
                ("checkout".into(), "2".into(), RolloutOutcome::RolledBack),
                ("checkout".into(), "3".into(), RolloutOutcome::InProgress),
            ]
        );
        let (replaced, rollback) = (&changed[0], &changed[1]);
        assert_eq!(replaced.message.as_deref(), Some(DEADLINE), "the failure's words are kept");
        assert_eq!(replaced.finished_ms, Some(610_000), "it ended when it failed");
        assert_eq!(rollback.message.as_deref(), Some("rollback to revision 1"));
        assert_eq!(rollback.started_ms, NOW + 10, "not the reused ReplicaSet's creation");
        let done = observe(&store, &[complete(v3, NOW + 20_000)], NOW + 30_000).await.expect("restored");
        assert_eq!(summary(&done), [("checkout".into(), "3".into(), RolloutOutcome::Completed)]);

        // A completed rollout rolled back later is a change that failed too.
        observe(&store, &[complete(deployment("checkout", "4", NOW + 40_000, "checkout:1.2"), NOW + 50_000)], NOW + 60_000)
            .await
            .expect("v4");
        let undone = observe(&store, &[deployment("checkout", "5", 1_000, "checkout:1.0")], NOW + 70_000)
            .await
            .expect("undo again");
        assert_eq!(undone[0].outcome, RolloutOutcome::RolledBack);
        assert_eq!(undone[0].finished_ms, Some(NOW + 50_000), "when it completed");
        assert_eq!(undone[1].message.as_deref(), Some("rollback to revision 3"));
    }

    async fn observing_the_same_state_again_adds_nothing(db: TestDb) {
        let store = open(&db).await;
        let v1 = complete(deployment("checkout", "1", 1_000, "checkout:1.0"), 2_000);
        let v2 = failed(deployment("checkout", "2", 10_000, "checkout:1.1"), 20_000, DEADLINE);
        let other = deployment("cart", "7", 3_000, "cart:7");
        assert_eq!(observe(&store, &[v1, other.clone()], NOW).await.expect("first").len(), 2);
        assert_eq!(observe(&store, &[v2.clone(), other.clone()], NOW).await.expect("v2").len(), 1);
        for _ in 0..3 {
            assert!(observe(&store, &[v2.clone(), other.clone()], NOW + 1).await.expect("again").is_empty());
        }
        // The same workload twice in one call counts once.
        assert!(observe(&store, &[other.clone(), other], NOW + 2).await.expect("twice").is_empty());
        assert_eq!(store.recent_rollouts(100).await.expect("all").len(), 3);
    }

    async fn a_restarted_server_sees_the_same_history_and_adds_nothing(db: TestDb) {
        let before = open(&db).await;
        let v2 = deployment("checkout", "2", 10_000, "checkout:1.1");
        observe(&before, &[complete(deployment("checkout", "1", 1_000, "checkout:1.0"), 2_000)], NOW).await.expect("v1");
        observe(&before, std::slice::from_ref(&v2), NOW).await.expect("v2");
        let recorded = before.recent_rollouts(100).await.expect("history");
        before.pool().close().await;

        let after = open(&db).await;
        assert!(observe(&after, std::slice::from_ref(&v2), NOW + 60_000).await.expect("relist").is_empty());
        assert_eq!(after.recent_rollouts(100).await.expect("history"), recorded);
        // And it carries on where the other left off.
        let done = observe(&after, &[complete(v2, 15_000)], NOW + 60_000).await.expect("completed");
        assert_eq!(summary(&done), [("checkout".into(), "2".into(), RolloutOutcome::Completed)]);
    }

    async fn two_replicas_observing_at_once_record_each_change_once(db: TestDb) {
        let (a, b) = (open(&db).await, open(&db).await);
        let fleet = |revision: i64, done: bool| -> Vec<Workload> {
            (0..20)
                .map(|i| {
                    let w = deployment(&format!("svc-{i}"), &revision.to_string(), 1_000 * revision, &format!("svc:{revision}"));
                    if done { complete(w, 1_000 * revision + 500) } else { w }
                })
                .collect()
        };
        for (step, workloads) in [fleet(1, true), fleet(2, false), fleet(2, true), fleet(3, false)].iter().enumerate() {
            let (ra, rb) = tokio::join!(observe(&a, workloads, NOW), observe(&b, workloads, NOW));
            let (ra, rb) = (ra.expect("a"), rb.expect("b"));
            // Each workload's change is returned by exactly one of them.
            assert_eq!(ra.len() + rb.len(), 20, "step {step}: {ra:?} {rb:?}");
        }
        let all = a.recent_rollouts(500).await.expect("all");
        assert_eq!(all.len(), 60, "three rollouts of twenty workloads");
        let svc0 = a.rollouts_of_workload(&fleet(1, true)[0].key, 10).await.expect("svc-0");
        assert_eq!(
            summary(&svc0),
            [
                ("svc-0".into(), "3".into(), RolloutOutcome::InProgress),
                ("svc-0".into(), "2".into(), RolloutOutcome::Completed),
                ("svc-0".into(), "1".into(), RolloutOutcome::Completed),
            ]
        );
    }

    async fn a_statefulset_revision_coming_back_is_a_new_rollout(db: TestDb) {
        let store = open(&db).await;
        let sts = |revision: &str, image: &str| {
            let mut w = complete(deployment("ledger", revision, 1_000, image), 2_000);
            w.key.kind = WorkloadKind::StatefulSet;
            w.revision_since_ms = None;
            w
        };
        observe(&store, &[sts("ledger-6d5f8", "ledger:1")], NOW).await.expect("a");
        observe(&store, &[sts("ledger-9c7b2", "ledger:2")], NOW + 1_000).await.expect("b");
        let back = observe(&store, &[sts("ledger-6d5f8", "ledger:1")], NOW + 2_000).await.expect("a again");
        assert_eq!(
            summary(&back),
            [
                ("ledger".into(), "ledger-9c7b2".into(), RolloutOutcome::RolledBack),
                ("ledger".into(), "ledger-6d5f8".into(), RolloutOutcome::Completed),
            ]
        );
        assert_eq!(back[1].started_ms, NOW + 2_000);
        assert!(observe(&store, &[sts("ledger-6d5f8", "ledger:1")], NOW + 3_000).await.expect("same").is_empty());
        assert_eq!(store.recent_rollouts(10).await.expect("all").len(), 3);
    }

    async fn an_older_view_changes_nothing_but_a_recreated_object_starts_over(db: TestDb) {
        let store = open(&db).await;
        observe(&store, &[complete(deployment("checkout", "5", 50_000, "checkout:1.5"), 51_000)], NOW).await.expect("v5");
        // Another replica's watch, or a relist from the API server's cache, still at revision 4.
        let lagging = complete(deployment("checkout", "4", 40_000, "checkout:1.4"), 41_000);
        assert!(observe(&store, &[lagging], NOW + 1).await.expect("lagging").is_empty());
        // Deleted and created again: its revisions restart at 1.
        let mut recreated = deployment("checkout", "1", 90_000, "checkout:1.6");
        recreated.created_ms = Some(90_000);
        let fresh = observe(&store, std::slice::from_ref(&recreated), NOW + 2).await.expect("recreated");
        assert_eq!(summary(&fresh), [("checkout".into(), "1".into(), RolloutOutcome::InProgress)]);
        assert_eq!(fresh[0].started_ms, 90_000);
        // The old object seen late changes nothing either.
        let old = complete(deployment("checkout", "5", 50_000, "checkout:1.5"), 51_000);
        assert!(observe(&store, &[old], NOW + 3).await.expect("old object").is_empty());
        assert_eq!(store.recent_rollouts(10).await.expect("all").len(), 2);
    }

    async fn an_entitys_rollouts_across_clusters_newest_first(db: TestDb) {
        let store = open(&db).await;
        let mut staging = complete(deployment("checkout", "3", 30_000, "checkout:1.3"), 31_000);
        staging.key.cluster = "staging".into();
        let mut other = complete(deployment("cart", "1", 35_000, "cart:1"), 36_000);
        other.entity = Some("component:default/cart".into());
        let prod = complete(deployment("checkout", "8", 20_000, "checkout:1.2"), 21_000);
        observe(&store, &[prod.clone(), other], NOW).await.expect("prod");
        observe(&store, &[staging], NOW).await.expect("staging");
        observe(&store, &[deployment("checkout", "9", 40_000, "checkout:1.3")], NOW).await.expect("prod v9");

        let timeline = store.rollouts_of_entity(ENTITY, 10).await.expect("entity");
        let places: Vec<_> = timeline.iter().map(|r| (r.key.cluster.as_str(), r.revision.as_str(), r.started_ms)).collect();
        assert_eq!(places, [("prod", "9", 40_000), ("staging", "3", 30_000), ("prod", "8", 20_000)]);
        assert_eq!(store.rollouts_of_entity(ENTITY, 2).await.expect("limited").len(), 2);
        assert!(store.rollouts_of_entity("component:default/nothing", 10).await.expect("none").is_empty());
        let recent: Vec<_> = store.recent_rollouts(2).await.expect("recent").iter().map(|r| r.key.name.clone()).collect();
        assert_eq!(recent, ["checkout", "cart"]);

        // A workload mapped only later gets its entity on the record it is running.
        let mut unmapped = complete(deployment("orders", "1", 1_000, "orders:1"), 2_000);
        unmapped.entity = None;
        observe(&store, std::slice::from_ref(&unmapped), NOW).await.expect("unmapped");
        unmapped.entity = Some("component:default/orders".into());
        let mapped = observe(&store, &[unmapped], NOW).await.expect("mapped");
        assert_eq!(mapped[0].entity.as_deref(), Some("component:default/orders"));
        assert_eq!(store.rollouts_of_entity("component:default/orders", 10).await.expect("orders").len(), 1);
    }
}
