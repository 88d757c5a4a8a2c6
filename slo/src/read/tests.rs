use super::*;
use crate::model::{Budgeting, CalendarUnit, Comparison, Format, Indicator, Numerator, QueryForm, Window};
use crate::promql::bucket_queries;

fn read(name: &str, text: &str) -> SloFile {
    read_file(name, text.as_bytes(), &ReadLimits::default()).expect("readable")
}

fn find<'a>(file: &'a SloFile, id: &str) -> &'a Slo {
    file.slos
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", file.slos.iter().map(|s| &s.id).collect::<Vec<_>>()))
}

#[test]
fn openslo_named_and_inline_parts_resolve() {
    let file = read("openslo.yaml", include_str!("../../tests/fixtures/openslo.yaml"));
    assert_eq!(file.problems, vec![]);
    assert_eq!(file.slos.len(), 4, "one SLO per objective");
    let checkout = find(&file, "checkout/checkout-availability");
    assert_eq!(checkout.format, Format::OpenSlo);
    assert_eq!(checkout.objective, 0.999);
    assert_eq!(checkout.window, Window::Rolling { seconds: 28 * 86_400 });
    assert_eq!(
        checkout.entity.as_ref().expect("test data").to_string(),
        "component:default/checkout"
    );
    assert_eq!(checkout.data_source.as_deref(), Some("prometheus-main"));
    assert_eq!(checkout.labels["tier"], "1,critical");
    assert_eq!(checkout.display_name.as_deref(), Some("Available"));
    let origin = checkout.origin.as_ref().expect("test data");
    assert_eq!((origin.document, origin.line), (4, 80), "the objective's line");
    let q = bucket_queries(&checkout.indicator, 60);
    assert_eq!(q.numerator, Numerator::Good);
    assert_eq!(
        q.events,
        "sum(increase(http_requests_total{service=\"checkout\",code!~\"5..\"}[5m]))"
    );
    assert_eq!(q.total, "sum(increase(http_requests_total{service=\"checkout\"}[5m]))");
    let condition = &checkout.alerting.conditions[0];
    assert_eq!(
        (
            condition.severity.as_str(),
            condition.threshold,
            condition.lookback_seconds,
            condition.alert_after_seconds
        ),
        ("page", 14.4, 3_600, 300)
    );

    let ledger = find(&file, "ledger/ledger-writes");
    assert_eq!(
        ledger.entity.as_ref().expect("test data").to_string(),
        "component:default/ledger"
    );
    assert!((ledger.objective - 0.995).abs() < 1e-12);
    assert!(matches!(
        &ledger.window,
        Window::Calendar { unit: CalendarUnit::Month, count: 1, zone, .. } if zone == "Europe/Berlin"
    ));
    assert_eq!(
        ledger.budgeting,
        Budgeting::Timeslices {
            slice_seconds: 300,
            slice_target: 0.95
        }
    );
    assert!(matches!(
        ledger.indicator,
        Indicator::Ratio {
            numerator: Numerator::Bad,
            ..
        }
    ));
    assert_eq!(ledger.alerting.conditions[0].severity, "ticket");

    let fast = find(&file, "search/search-latency/fast");
    let bearable = find(&file, "search/search-latency/bearable");
    assert_eq!((fast.objective, bearable.objective), (0.9, 0.99));
    match &fast.indicator {
        Indicator::Threshold { op, threshold, query } => {
            assert_eq!((*op, *threshold, query.form), (Comparison::Lte, 0.3, QueryForm::Gauge));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        bucket_queries(&fast.indicator, 60)
            .events
            .ends_with(") <= 0.3)[5m:1m]))")
    );
}

#[test]
fn sloth_files_and_resources() {
    let file = read("sloth.yaml", include_str!("../../tests/fixtures/sloth.yaml"));
    assert_eq!(file.problems, vec![]);
    let requests = find(&file, "orders/requests-availability");
    assert_eq!(
        requests.window,
        Window::Rolling { seconds: 30 * 86_400 },
        "Sloth's default period"
    );
    assert_eq!(requests.labels["owner"], "team-orders");
    assert_eq!(requests.alerting.page_labels["severity"], "critical");
    assert_eq!(requests.alerting.page_labels["category"], "availability");
    assert_eq!(requests.origin.as_ref().expect("test data").line, 10);
    let q = bucket_queries(&requests.indicator, 60);
    assert_eq!(q.numerator, Numerator::Bad);
    assert_eq!(
        q.total,
        "sum(sum(rate(http_server_requests_seconds_count{job=\"orders\"}[5m]))) * 300"
    );
    let queue = find(&file, "orders/queue-processing");
    assert!(!queue.alerting.enabled);
    assert_eq!(queue.labels["category"], "processing");
    assert_eq!(
        bucket_queries(&queue.indicator, 60).events,
        "sum(sum(increase(orders_jobs_total{result=\"failed\"}[5m])))"
    );

    let file = read("k8s.yaml", include_str!("../../tests/fixtures/sloth-kubernetes.yaml"));
    assert_eq!(file.problems, vec![]);
    let grpc = find(&file, "inventory/grpc-availability");
    assert_eq!(grpc.format, Format::SlothKubernetes);
    assert_eq!(
        grpc.entity.as_ref().expect("test data").to_string(),
        "component:warehouse/inventory"
    );
    assert!((grpc.objective - 0.9995).abs() < 1e-12);
    assert_eq!(grpc.alerting.name.as_deref(), Some("InventoryGrpcErrors"));
}

#[test]
fn pyrra_indicators_and_a_catalog_entity_beside_them() {
    let file = read("pyrra.yaml", include_str!("../../tests/fixtures/pyrra.yaml"));
    assert_eq!(file.problems, vec![]);
    assert_eq!(file.other_documents, 1);
    let errors = find(&file, "edge/gateway-errors");
    assert_eq!(errors.service.as_deref(), Some("gateway"));
    assert_eq!(errors.window, Window::Rolling { seconds: 28 * 86_400 });
    assert_eq!(
        bucket_queries(&errors.indicator, 60).events,
        "sum(increase(gateway_requests_total{code=~\"5..\"}[5m]))"
    );
    let latency = find(&file, "edge/gateway-latency");
    assert!(matches!(
        latency.indicator,
        Indicator::Ratio {
            numerator: Numerator::Good,
            ..
        }
    ));
    let up = find(&file, "edge/gateway-up");
    assert!(!up.alerting.enabled);
    let q = bucket_queries(&up.indicator, 60);
    assert_eq!(
        (q.events.as_str(), q.total.as_str()),
        (
            "sum(sum_over_time(up{job=\"gateway\"}[5m]))",
            "sum(count_over_time(up{job=\"gateway\"}[5m]))"
        )
    );
}

#[test]
fn each_broken_document_is_located_and_the_good_one_read() {
    let file = read("broken.yaml", include_str!("../../tests/fixtures/broken.yaml"));
    assert_eq!(
        file.slos.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["default/billing-good"]
    );
    let found: Vec<(usize, Option<&str>)> = file.problems.iter().map(|p| (p.line, p.field.as_deref())).collect();
    assert_eq!(
        found,
        [
            (6, Some("slos.0.objective")),
            (18, Some("spec.window")),
            (32, Some("spec.indicatorRef")),
            (61, Some("spec.timeWindow.0.duration")),
            (74, Some("metadata.annotations.cairn.dev/entity")),
            (103, None),
        ]
    );
    let messages: Vec<String> = file.problems.iter().map(ToString::to_string).collect();
    assert!(
        messages[0].starts_with("broken.yaml:6: slos.0.objective: "),
        "{}",
        messages[0]
    );
    assert!(messages[2].contains("no SLI named `no-such-sli`"), "{}", messages[2]);
    assert!(messages[3].contains("did you mean 1M?"), "{}", messages[3]);
}

#[test]
fn whole_file_bounds_are_settings() {
    let limits = ReadLimits {
        max_file_bytes: 64,
        ..ReadLimits::default()
    };
    let text = include_str!("../../tests/fixtures/sloth.yaml");
    let problem = read_file("sloth.yaml", text.as_bytes(), &limits).expect_err("refused");
    assert!(problem.message.contains("64-byte limit"), "{problem}");
    let limits = ReadLimits {
        max_documents: 2,
        ..ReadLimits::default()
    };
    let text = include_str!("../../tests/fixtures/pyrra.yaml");
    assert!(read_file("pyrra.yaml", text.as_bytes(), &limits).is_err());
}
