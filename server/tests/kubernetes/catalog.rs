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

        // Two more unclaimed workloads: one named like a Component people described (the demo's
        // cart-service), one new. Only the new one is written: the file never fights another location.
        for (name, app) in [("cart-legacy", "cart-service"), ("promo-engine", "promo-engine")] {
            let mut deployment = api.get("deployments.apps", "fulfilment", "label-printer").expect("label-printer");
            deployment["metadata"]["name"] = name.into();
            deployment["metadata"]["uid"] = format!("00000000-0000-4000-8000-{:012}", name.len()).into();
            deployment["metadata"]["labels"]["app.kubernetes.io/name"] = app.into();
            api.apply(deployment);
        }
        eventually(Duration::from_secs(40), "promo-engine in the catalog", || async {
            (portal.server.get("/api/catalog/entities/by-name/component/default/promo-engine").await.status() == 200).then_some(())
        })
        .await;
        let locations = portal.json("/api/catalog/locations").await;
        let clusters_file = locations
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["data"]["target"].as_str().is_some_and(|t| t.ends_with("kubernetes/clusters.yaml")))
            .expect("the clusters' location");
        assert_eq!(clusters_file["status"]["problemCount"], 0, "{clusters_file:#}");
        let cart = portal.json("/api/catalog/entities/by-name/component/default/cart-service").await;
        assert!(cart["metadata"]["annotations"]["cairn.dev/discovered-from"].is_null(), "{cart:#}");
        portal.server.stop().await;
    }
}
