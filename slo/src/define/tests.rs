use serde_json::json;

use super::*;

fn read(documents: &[Value]) -> Definitions {
    let indexed: Vec<(usize, &Value)> = documents.iter().enumerate().collect();
    definitions(&indexed)
}

fn sloth(name: &str, objective: f64) -> Value {
    json!({
        "version": "prometheus/v1",
        "service": "svc",
        "slos": [{
            "name": name,
            "objective": objective,
            "sli": {"events": {"error_query": "errors_total", "total_query": "requests_total"}}
        }]
    })
}

#[test]
fn formats_are_told_apart_and_others_passed_over() {
    let component = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component"});
    let defs = read(&[sloth("a", 99.0), component]);
    assert_eq!((defs.slos.len(), defs.refused.len(), defs.other), (1, 0, 1));
    assert_eq!(
        format_of(&json!({"apiVersion": "pyrra.dev/v1alpha1"})).map(|f| f.0),
        Some(Format::Pyrra)
    );
    assert_eq!(
        format_of(&json!({"version": "prometheus/v1"})).map(|f| f.0),
        Some(Format::Sloth)
    );
}

#[test]
fn objectives_must_lie_strictly_between_0_and_100_percent() {
    for bad in [0.0, 100.0, 120.0, -1.0] {
        let defs = read(&[sloth("a", bad)]);
        assert_eq!(defs.refused[0].error.field, "slos.0.objective", "{bad}");
    }
    assert_eq!(read(&[sloth("a", 99.99)]).slos[0].slo.objective, 99.99 / 100.0);
}

#[test]
fn a_second_slo_with_the_same_id_is_refused() {
    let defs = read(&[sloth("a", 99.0), sloth("a", 99.5)]);
    assert_eq!(defs.slos.len(), 1);
    assert_eq!(defs.slos[0].slo.objective, 0.99);
    assert_eq!(defs.refused[0].document, 1);
    assert!(defs.refused[0].error.message.contains("svc/a"));
}

#[test]
fn openslo_versions_other_than_v1_are_named() {
    let defs = read(&[json!({"apiVersion": "openslo/v1alpha", "kind": "SLO", "metadata": {"name": "x"}})]);
    assert_eq!(defs.refused[0].error.field, "apiVersion");
    assert!(defs.refused[0].error.message.contains("openslo/v1"));
}

#[test]
fn results_serialise_to_plain_json() {
    let defs = read(&[sloth("a", 99.9)]);
    let value = serde_json::to_value(&defs.slos[0].slo).expect("test data");
    assert_eq!(value["window"], json!({"type": "rolling", "seconds": 2_592_000}));
    assert_eq!(value["budgeting"], json!({"method": "occurrences"}));
    assert_eq!(value["indicator"]["type"], "ratio");
    assert_eq!(value["indicator"]["numerator"], "bad");
    assert_eq!(value["format"], "sloth");
    let back: crate::model::Slo = serde_json::from_value(value).expect("test data");
    assert_eq!(back, defs.slos[0].slo);
}
