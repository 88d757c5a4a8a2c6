//! Conformance with Backstage: every document of the real descriptor files in
//! `../shared/samples/catalog` gets Backstage's verdict (`ok`, `entity_ref`) and relations.

use catalog::lint::lint_file;
use catalog::read::ReadLimits;
use serde_json::Value;

#[path = "support/samples.rs"]
mod samples_dir;
use samples_dir::samples;

#[test]
fn every_sample_document_gets_backstages_verdict_and_relations() {
    let dir = samples();
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).expect("expected.jsonl");
    let mut mismatches = Vec::new();
    let mut lines = 0;
    let mut cache = std::collections::HashMap::new();
    for line in expected.lines() {
        let want: Value = serde_json::from_str(line).expect("json line");
        let file = want["file"].as_str().expect("file").to_string();
        let verdicts = cache.entry(file.clone()).or_insert_with(|| {
            lint_file(&dir.join(&file), &dir, &file, &ReadLimits::default()).expect("readable sample")
        });
        let index = want["document"].as_u64().expect("document") as usize;
        let Some(got) = verdicts.iter().find(|v| v.document == index) else {
            mismatches.push(format!("{file} #{index}: document missing"));
            continue;
        };
        lines += 1;
        if got.ok != want["ok"].as_bool().expect("ok") {
            mismatches.push(format!(
                "{file} #{index}: ok {} (error {:?}), Backstage {}",
                got.ok, got.error, want["ok"]
            ));
        }
        if got.entity_ref.as_deref() != want["entity_ref"].as_str() {
            mismatches.push(format!(
                "{file} #{index}: entity_ref {:?}, Backstage {}",
                got.entity_ref, want["entity_ref"]
            ));
        }
        let want_relations: Vec<(String, String)> = want["relations"]
            .as_array()
            .expect("relations")
            .iter()
            .map(|r| {
                (
                    r["type"].as_str().unwrap_or_default().to_string(),
                    r["target"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        if got.relations != want_relations {
            mismatches.push(format!(
                "{file} #{index}: relations {:?}, Backstage {:?}",
                got.relations, want_relations
            ));
        }
    }
    assert_eq!(lines, expected.lines().count());
    assert!(
        mismatches.is_empty(),
        "{} of {lines} documents differ from Backstage:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
