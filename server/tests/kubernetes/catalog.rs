//! Clusters in the catalog: each a Resource, and a labelled workload nobody described a
//! discovered Component, on both databases.

use std::time::Duration;

use crate::common::{TestDb, eventually};
use crate::harness::*;
use crate::on_both_databases;

on_both_databases! {
    async fn the_cluster_and_an_undescribed_workload_join_the_catalog(db: TestDb) {
        let api = fixtures().await;
        let portal = Portal::start(&db, &api).await;
        let cluster = portal.json("/api/catalog/entities/by-name/resource/default/prod").await;
        assert_eq!(cluster["spec"]["type"], "kubernetes-cluster");
        assert_eq!(cluster["spec"]["owner"], "group:default/platform-engineering");

        // Written once the cluster has answered and settled, then read by the refresh loop.
        let path = "/api/catalog/entities/by-name/component/default/label-printer";
        let printer = eventually(Duration::from_secs(40), "label-printer in the catalog", || async {
            let response = portal.server.get(path).await;
            if response.status() != 200 {
                return None;
            }
            response.json::<serde_json::Value>().await.ok()
        })
        .await;
        assert!(printer["metadata"]["tags"].as_array().is_some_and(|t| t.contains(&"discovered".into())), "{printer:#}");
        assert_eq!(
            printer["metadata"]["annotations"]["cairn.dev/discovered-from"],
            "prod/fulfilment/Deployment/label-printer"
        );
        assert_eq!(printer["spec"]["owner"], "team-fulfilment");
        assert_eq!(printer["spec"]["system"], "order-fulfilment");

        // Now an entity claims it: its view shows the workload.
        portal.server.state().deployments.as_ref().expect("deployments").reload_entities().await.expect("reload");
        portal
            .entity_until("label-printer", "the discovered component's workload", |v| workload(v, "label-printer").cloned())
            .await;
        let catalog = portal.json("/api/catalog/entities?filter=kind=component").await;
        let discovered = catalog
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["metadata"]["annotations"]["cairn.dev/discovered-from"].is_string())
            .count();
        assert_eq!(discovered, 1, "workloads with a catalog entry are not discovered again");
        portal.server.stop().await;
    }
}
