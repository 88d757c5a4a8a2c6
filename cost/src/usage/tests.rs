//! Usage from Prometheus: the queries, the measurements read from their answers, which server
//! each cluster reads, and what a failing Prometheus leaves.

use super::*;

fn series(pod: &str, container: &str, value: f64) -> Series {
    Series {
        labels: [("namespace", "shop"), ("pod", pod), ("container", container)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        samples: vec![(1.0, value)],
    }
}

#[test]
fn queries_leave_out_pod_level_series_and_add_the_selector() {
    let (cpu, memory) = queries(r#"cluster="prod""#, 300);
    assert_eq!(
        cpu,
        r#"max by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{container!="", container!="POD", cluster="prod"}[300s]))"#
    );
    assert_eq!(
        memory,
        r#"max by (namespace, pod, container) (container_memory_working_set_bytes{container!="", container!="POD", cluster="prod"})"#
    );
    assert!(queries("", 60).0.contains(r#"{container!="", container!="POD"}[60s]"#));
}

#[test]
fn both_figures_make_a_measurement_to_the_nanocore() {
    let cpu = [
        series("web-1", "app", 1.4999999999999998),
        series("web-1", "sidecar", 0.25),
        series("cron-1", "app", f64::NAN),
    ];
    let memory = [series("web-1", "app", 536_870_912.0), series("cron-1", "app", 1.0)];
    let m = measurements(&cpu, &memory);
    assert_eq!(m.len(), 1, "sidecar has no memory, cron-1 no finite CPU: {m:?}");
    let web = m[&("shop".into(), "web-1".into(), "app".into())];
    assert_eq!(web.cpu_millis, 1500.0);
    assert_eq!(web.memory_bytes, 536_870_912.0);
}

/// A Prometheus that does not answer: the metrics API's figures stand where it answered;
/// otherwise usage is unknown with both reasons.
#[tokio::test]
async fn a_failing_prometheus_leaves_the_metrics_apis_figures_or_both_reasons() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let sources = Sources {
        global: Some(
            Prometheus::new(
                PrometheusSettings {
                    url,
                    private_network: true,
                    ..Default::default()
                },
                &Default::default(),
            )
            .expect("a client"),
        ),
        named: Default::default(),
    };
    let mut settings = CostSettings::default();
    settings
        .prometheus
        .clusters
        .insert("prod".into(), UsageQuery::default());
    let usage = PrometheusUsage::new(&settings, &sources, &Default::default()).expect("resolved");
    let measured = Measured {
        cpu_millis: 5.0,
        memory_bytes: 6.0,
    };
    let mut resources = ClusterResources {
        cluster: "prod".into(),
        pods: vec![deployments::resources::PodResources {
            namespace: "shop".into(),
            name: "web-1".into(),
            containers: vec![deployments::resources::ContainerResources {
                name: "app".into(),
                usage: Some(measured),
                ..Default::default()
            }],
            ..Default::default()
        }],
        usage: UsageState::Measured { at_ms: 1 },
        ..Default::default()
    };
    let before = resources.clone();
    assert_eq!(usage.measure(&mut resources, 60).await, Meter::MetricsApi);
    assert_eq!(resources, before, "the metrics API's figures stand");
    resources.usage = UsageState::Unknown {
        reason: "the metrics API (metrics.k8s.io/v1beta1) is not installed".into(),
    };
    usage.measure(&mut resources, 60).await;
    let UsageState::Unknown { reason } = &resources.usage else {
        panic!("unknown: {:?}", resources.usage)
    };
    assert!(reason.starts_with("Prometheus (prometheus.url): query `"), "{reason}");
    assert!(
        reason.ends_with("; the metrics API (metrics.k8s.io/v1beta1) is not installed"),
        "{reason}"
    );
    let mut elsewhere = ClusterResources {
        cluster: "lab".into(),
        ..before
    };
    assert_eq!(
        usage.measure(&mut elsewhere, 60).await,
        Meter::MetricsApi,
        "not a Prometheus cluster"
    );
}

#[test]
fn sources_resolve_by_name_cluster_or_global() {
    let client = |url: &str| {
        Prometheus::new(
            PrometheusSettings {
                url: url.into(),
                ..Default::default()
            },
            &Default::default(),
        )
        .expect("a client")
    };
    let sources = Sources {
        global: Some(client("https://global.example")),
        named: [("prod".to_string(), client("https://prod.example"))].into(),
    };
    let by = |cluster: &str, source: Option<&str>| {
        let query = UsageQuery {
            source: source.map(str::to_string),
            selector: String::new(),
        };
        resolve(cluster, &query, &sources).map(|(name, p)| (name, p.base().to_string()))
    };
    assert_eq!(
        by("prod", None),
        Ok(("prometheus.clusters.prod".into(), "https://prod.example/".into()))
    );
    assert_eq!(
        by("lab", None),
        Ok(("prometheus.url".into(), "https://global.example/".into()))
    );
    assert_eq!(by("prod", Some("default")).expect("global").0, "prometheus.url");
    assert_eq!(by("lab", Some("prod")).expect("named").0, "prometheus.clusters.prod");
    let missing = by("lab", Some("eu")).expect_err("no such source");
    assert!(missing.contains("prometheus.clusters has no `eu`"), "{missing}");
    let none = Sources::default();
    let query = UsageQuery::default();
    assert!(
        resolve("lab", &query, &none)
            .expect_err("nothing")
            .contains("prometheus.url is not set")
    );
}
