use super::*;
use crate::read::read_file;
use catalog::read::{ReadLimits, read_documents};

fn openslo() -> Vec<Slo> {
    let text = include_str!("../../tests/fixtures/openslo.yaml");
    read_file("openslo.yaml", text.as_bytes(), &ReadLimits::default())
        .expect("readable")
        .slos
}

#[test]
fn every_openslo_definition_gets_sloth_named_rules_that_read_back_as_yaml() {
    let slos = openslo();
    assert!(!slos.is_empty());
    let text = rules_file(&slos);
    for name in [
        "slo:sli_error:ratio_rate5m",
        "slo:sli_error:ratio_rate3d",
        "slo:sli_bad:increase5m",
        "slo:objective:ratio",
        "slo:period_error_budget_remaining:ratio",
        "sloth_slo_info",
        "sloth_severity",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
    let docs = read_documents(text.as_bytes(), &ReadLimits::default()).expect("YAML");
    let value = docs[0].value.as_ref().expect("parsed").as_ref().expect("a document");
    let groups = value["groups"].as_array().expect("groups");
    assert_eq!(
        groups.len(),
        slos.iter()
            .map(|s| if s.alerting.enabled { 3 } else { 2 })
            .sum::<usize>()
    );
}

#[test]
fn page_alerts_use_the_workbook_windows_and_factors() {
    let slo = &openslo()[0];
    let text = rules_file(std::slice::from_ref(slo));
    let budget = 1.0 - slo.objective;
    assert!(text.contains(&format!("slo:sli_error:ratio_rate5m{{")), "{text}");
    assert!(text.contains(&format!("(14.4 * {budget})")), "{text}");
    assert!(text.contains(&format!("(6 * {budget})")), "{text}");
}

#[test]
fn only_formats_without_a_generator_get_rules() {
    let text = include_str!("../../tests/fixtures/sloth.yaml");
    let sloth = read_file("sloth.yaml", text.as_bytes(), &ReadLimits::default()).expect("readable");
    assert!(needs_rules(&sloth.slos[0]).is_err());
    assert!(needs_rules(&openslo()[0]).is_ok());
}

#[test]
fn names_from_definitions_cannot_change_the_document() {
    let mut slo = openslo()[0].clone();
    slo.name = "x\"\n  - evil: 1".into();
    slo.labels.insert("team\nx".into(), "v".into());
    let text = rules_file(&[slo]);
    let docs = read_documents(text.as_bytes(), &ReadLimits::default()).expect("YAML");
    let value = docs[0].value.as_ref().expect("parsed").as_ref().expect("a document");
    assert!(value.get("evil").is_none());
    assert!(!text.contains("team\nx"));
}
