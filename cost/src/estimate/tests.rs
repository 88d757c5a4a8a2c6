//! The estimate: quantities as Kubernetes writes them, requests × replicas × rates per
//! environment, a known cluster's rates, generated charts found and read.

use serde_json::json;

use super::*;
use crate::model::RateSource;
use crate::prices::{ClusterPrices, RateOverrides};

fn file<'a>(path: &'a str, values: &'a Value) -> ValuesFile<'a> {
    ValuesFile { path, values }
}

#[test]
fn quantities_read_as_kubernetes_writes_them() {
    for (text, value) in [
        (json!("100m"), 0.1),
        (json!("128Mi"), 134_217_728.0),
        (json!("1G"), 1e9),
        (json!(2), 2.0),
        (json!("0.5"), 0.5),
        (json!("2e3"), 2000.0),
    ] {
        assert_eq!(quantity(&text), Some(value), "{text}");
    }
    assert_eq!(quantity(&json!("-1")), None);
    assert_eq!(quantity(&json!("lots")), None);
}

/// The shipped chart's shape: defaults, production's and staging's overrides.
#[test]
fn requests_times_replicas_times_rates_per_environment() {
    let base = json!({
        "replicaCount": 2,
        "resources": { "requests": { "cpu": "100m", "memory": "128Mi" }, "limits": { "cpu": "500m" } },
        "autoscaling": { "enabled": true, "minReplicas": 2, "maxReplicas": 8 },
    });
    let production = json!({
        "replicaCount": 3,
        "resources": { "requests": { "cpu": "250m", "memory": "256Mi" } },
        "autoscaling": { "maxReplicas": 12 },
    });
    let staging = json!({ "replicaCount": 1, "resources": { "requests": { "cpu": "50m", "memory": "64Mi" } },
        "autoscaling": { "maxReplicas": 1 } });
    let files = [
        file("chart/values.yaml", &base),
        file("chart/values-staging.yaml", &staging),
        file("chart/values-production.yaml", &production),
    ];
    let estimates = estimate(&["chart"], &files, None, &PriceSettings::default());
    assert_eq!(estimates.len(), 1);
    let e = &estimates[0];
    assert_eq!(e.cluster, None);
    let names: Vec<&str> = e.environments.iter().map(|e| e.environment.as_str()).collect();
    assert_eq!(names, ["production", "staging"]);
    let prod = &e.environments[0];
    assert_eq!((prod.replicas, prod.max_replicas), (3, Some(12)));
    assert_eq!(prod.files, ["chart/values.yaml", "chart/values-production.yaml"]);
    let cpu = &prod.figures[0];
    assert_eq!((cpu.resource, cpu.quantity, cpu.hours), (Resource::Cpu, 0.75, 730.0));
    assert_eq!(cpu.price.source, RateSource::Default);
    // 3 × 0.25 vCPU × 730 h × 0.031611 = 17.307 …; 3 × 0.25 GiB × 730 h × 0.004237 = 2.3197 …
    assert_eq!(cpu.cost, Money::from_units(0.75 * 730.0 * 0.031611));
    assert_eq!(prod.figures[1].quantity, 0.75);
    assert_eq!(
        prod.monthly,
        Money::from_units(0.75 * 730.0 * 0.031611) + Money::from_units(0.75 * 730.0 * 0.004237)
    );
    assert_eq!(prod.monthly.cents(), 1963);
    assert_eq!(prod.monthly_at_max.map(Money::cents), Some(7851));
    let staging = &e.environments[1];
    assert_eq!((staging.replicas, staging.max_replicas), (1, None));
    assert_eq!(e.monthly, prod.monthly + staging.monthly);
}

#[cfg(feature = "store")]
#[test]
fn generated_charts_are_found_and_their_yaml_read() {
    let files = [
        ("svc/chart/Chart.yaml", "apiVersion: v2\nname: svc\n"),
        (
            "svc/chart/values.yaml",
            "replicaCount: 2\nresources:\n  requests: { cpu: 500m, memory: 1Gi }\n",
        ),
        ("svc/chart/values-production.yaml", "replicaCount: 4\n"),
        ("svc/chart/templates/deployment.yaml", "kind: Deployment\n"),
        ("svc/values.yaml", "replicaCount: 100\n"),
        ("svc/chart/values-broken.yaml", "replicaCount: [\n"),
    ];
    let e = from_files(&files, None, &PriceSettings::default());
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].chart, "svc/chart");
    let names: Vec<&str> = e[0].environments.iter().map(|e| e.environment.as_str()).collect();
    assert_eq!(names, ["production"], "a values file that does not read is left out");
    let prod = &e[0].environments[0];
    assert_eq!(
        (prod.replicas, prod.figures[0].quantity, prod.figures[1].quantity),
        (4, 2.0, 4.0)
    );
}

#[test]
fn a_known_clusters_rates_apply_and_a_chart_without_environments_is_one() {
    let base = json!({ "resources": { "requests": { "cpu": 1, "nvidia.com/gpu": 1 } } });
    let mut prices = PriceSettings::default();
    prices.clusters.insert(
        "prod".into(),
        ClusterPrices {
            rates: RateOverrides {
                cpu: Some(0.02),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let files = [file("values.yaml", &base)];
    let e = &estimate(&[""], &files, Some("prod"), &prices)[0];
    let only = &e.environments[0];
    assert_eq!((only.environment.as_str(), only.replicas), ("default", 1));
    assert_eq!(only.figures.len(), 2, "CPU and GPU; no memory requested");
    assert_eq!(
        only.figures[0].price.source,
        RateSource::Cluster { cluster: "prod".into() }
    );
    assert_eq!(only.figures[0].cost, Money::from_units(730.0 * 0.02));
    assert_eq!(only.figures[1].cost, Money::from_units(730.0 * 0.95));
    assert!(
        estimate(&["chart"], &files, None, &prices).is_empty(),
        "no values.yaml in chart/"
    );
}
