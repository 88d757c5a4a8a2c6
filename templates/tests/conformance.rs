//! Conformance with Backstage's scaffolder on the real templates of `../shared/samples/templates`:
//! every template Backstage accepts loads, and what Cairn cannot run is named exactly; the ones
//! Cairn supports are dry-run with values made from their forms.
//!
//! The figures (how many load, are fully supported, dry-run; the most frequent missing actions and
//! fields) are printed: `cargo test -p templates --features backend --test conformance -- --nocapture`.
//! With `CAIRN_CONFORMANCE_JSON=path` they are also written there as JSON (for `bench/`).
#![cfg(feature = "backend")]

#[path = "conformance/dry_runs.rs"]
mod dry_runs;
#[path = "conformance/report.rs"]
mod report;
#[path = "conformance/sample_values.rs"]
mod sample_values;
#[path = "../../catalog/tests/support/samples.rs"]
mod samples_dir;

use std::collections::BTreeMap;
use std::path::PathBuf;

use catalog::read::{ReadLimits, read_documents};
use serde_json::Value;
use templates::actions::Registry;
use templates::model::{ModelError, Template, support};

/// One template document Backstage accepts, as Cairn reads it.
pub struct Sample {
    pub file: String,
    pub entity: Value,
    pub expected_ref: String,
    /// `$yaml`/`$text`/`$json` placeholders whose files are not among the samples.
    pub placeholders: bool,
    pub template: Result<Template, ModelError>,
    pub problems: Vec<ModelError>,
}

fn templates_dir() -> PathBuf {
    // The shared helper finds `…/samples/catalog` (or `CAIRN_SAMPLES_DIR`); templates are beside it.
    let catalog = samples_dir::samples();
    catalog.parent().expect("samples folder").join("templates")
}

fn accepted_samples() -> Vec<Sample> {
    let dir = templates_dir();
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).expect("expected.jsonl");
    let mut files: BTreeMap<String, Vec<Option<Value>>> = BTreeMap::new();
    let ids = Registry::builtin().ids();
    let mut samples = Vec::new();
    for line in expected.lines() {
        let want: Value = serde_json::from_str(line).expect("json line");
        let Some(expected_ref) = want["entity_ref"].as_str().filter(|r| r.starts_with("template:")) else {
            continue;
        };
        if want["ok"] != Value::Bool(true) {
            continue;
        }
        let file = want["file"].as_str().expect("file").to_string();
        let documents = files.entry(file.clone()).or_insert_with(|| {
            let bytes = std::fs::read(dir.join(&file)).expect("readable sample");
            let documents = read_documents(&bytes, &ReadLimits::default()).expect("a YAML file");
            documents.into_iter().map(|d| d.value.ok().flatten()).collect()
        });
        let index = want["document"].as_u64().expect("document") as usize;
        let entity = documents[index]
            .clone()
            .unwrap_or_else(|| panic!("{file} #{index}: Backstage read it, Cairn's reader did not"));
        let template = Template::from_entity(&entity);
        let problems = template.as_ref().map(|t| support::check(t, &ids)).unwrap_or_default();
        samples.push(Sample {
            placeholders: has_placeholder(&entity, 0),
            file,
            entity,
            expected_ref: expected_ref.to_string(),
            template,
            problems,
        });
    }
    samples
}

fn has_placeholder(value: &Value, depth: usize) -> bool {
    match value {
        _ if depth > 64 => false,
        Value::Object(map) => {
            ["$yaml", "$json", "$text"].iter().any(|p| map.contains_key(*p))
                || map.values().any(|v| has_placeholder(v, depth + 1))
        }
        Value::Array(items) => items.iter().any(|v| has_placeholder(v, depth + 1)),
        _ => false,
    }
}

/// The value a problem's dotted field names in the entity (`spec.parameters.0.properties.a.b`,
/// where a field's name may itself contain dots; a single parameters mapping is page `0`).
fn at<'a>(value: &'a Value, segments: &[&str]) -> Option<&'a Value> {
    let Some(first) = segments.first() else {
        return Some(value);
    };
    match value {
        Value::Array(items) => at(items.get(first.parse::<usize>().ok()?)?, &segments[1..]),
        Value::Object(map) => (1..=segments.len())
            .find_map(|n| map.get(&segments[..n].join(".")).and_then(|v| at(v, &segments[n..])))
            .or_else(|| (*first == "0").then(|| at(value, &segments[1..])).flatten()),
        _ => None,
    }
}

#[test]
fn every_accepted_template_loads_and_names_what_cairn_lacks() {
    let samples = accepted_samples();
    let ids = Registry::builtin().ids();
    let mut failures = Vec::new();
    for s in &samples {
        let name = format!("{} ({})", s.file, s.expected_ref);
        match &s.template {
            Ok(t) if t.entity_ref != s.expected_ref => failures.push(format!("{name}: read as {}", t.entity_ref)),
            Ok(_) => {}
            // A step that is only a placeholder has no `action` until the catalog resolves it.
            Err(e)
                if s.placeholders && at(&s.entity, &field_parent(&e.field)).is_some_and(|v| has_placeholder(v, 0)) => {}
            Err(e) => failures.push(format!("{name}: does not load: {e}")),
        }
        for problem in &s.problems {
            let segments: Vec<&str> = problem.field.split('.').collect();
            if at(&s.entity, &segments).is_none() {
                failures.push(format!("{name}: problem names a field that is not there: {problem}"));
            }
            if problem.message.trim().is_empty() {
                failures.push(format!("{name}: problem without a message at {}", problem.field));
            }
            if let Some(action) = at(&s.entity, &segments)
                .and_then(Value::as_str)
                .filter(|_| problem.field.ends_with(".action"))
                && ids.contains(&action)
            {
                failures.push(format!(
                    "{name}: `{action}` is reported missing but the registry has it"
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for problem in &s.problems {
            if !seen.insert(problem.to_string()) {
                failures.push(format!("{name}: reported twice: {problem}"));
            }
        }
        if let Ok(t) = &s.template {
            let missing_actions = t.steps.iter().filter(|st| !ids.contains(&st.action.as_str())).count();
            let reported = s.problems.iter().filter(|p| p.field.ends_with(".action")).count();
            if missing_actions != reported {
                failures.push(format!(
                    "{name}: {missing_actions} steps use missing actions, {reported} reported"
                ));
            }
        }
    }
    let unfilled = forms_sample_values_do_not_fill(&samples);
    let unrendered = steps_that_do_not_render(&samples);
    let outcomes = dry_runs::dry_run_supported(&samples);
    report::print(&samples, &ids, &outcomes, &unfilled, &unrendered);
    assert!(samples.len() >= 100, "only {} accepted templates found", samples.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let refused: Vec<String> = outcomes
        .iter()
        .filter(|o| o.category == dry_runs::Category::Unsupported)
        .map(|o| format!("{}: {}", o.file, o.error.as_deref().unwrap_or_default()))
        .collect();
    assert!(
        refused.is_empty(),
        "the runner refuses templates the support check accepts:\n{}",
        refused.join("\n")
    );
}

fn field_parent(field: &str) -> Vec<&str> {
    let mut segments: Vec<&str> = field.split('.').collect();
    segments.pop();
    segments
}

/// Templates (loaded, with well-formed forms) whose forms refuse the values made from them: each
/// a sign of a validation or sample-values gap, printed with the report.
fn forms_sample_values_do_not_fill(samples: &[Sample]) -> Vec<String> {
    samples
        .iter()
        .filter_map(|s| Some((s, s.template.as_ref().ok()?)))
        .filter(|(_, t)| templates::model::schema::check_schema(&t.pages).is_empty())
        .filter_map(|(s, t)| {
            let values = sample_values::sample_values(&t.pages);
            let errors = templates::model::schema::validate(&t.pages, &values);
            let shown: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.path, e.message)).collect();
            (!errors.is_empty()).then(|| format!("{}: {}", s.file, shown.join("; ")))
        })
        .collect()
}

/// Steps (of every loaded template, supported or not) whose `input`, `if` or `each` the renderer
/// refuses with values made from the form: gaps of the templating, printed with the report.
/// Earlier steps have not run, so `steps.*.output` is undefined here: an expression that does
/// arithmetic on one fails here and may not in a real run.
fn steps_that_do_not_render(samples: &[Sample]) -> Vec<String> {
    let renderer = templates::render::Renderer::new(templates::workspace::Limits::default().render_fuel);
    let mut refused = Vec::new();
    for (s, t) in samples.iter().filter_map(|s| Some((s, s.template.as_ref().ok()?))) {
        let context = serde_json::json!({
            "parameters": sample_values::sample_values(&t.pages),
            "steps": {},
            "user": {"ref": "user:default/someone", "entity": {"metadata": {"name": "someone"}}},
            "context": {"task": {"id": "conformance"}, "isDryRun": true},
            "each": {"key": "0", "value": "example"},
        });
        for (i, step) in t.steps.iter().enumerate() {
            let parts = [
                ("input", Some(Value::Object(step.input.clone()))),
                ("if", step.condition.clone()),
                ("each", step.each.clone()),
            ];
            for (key, part) in parts.iter().filter_map(|(k, p)| Some((k, p.as_ref()?))) {
                if let Err(e) = renderer.value(part, &context) {
                    refused.push(format!("{}: spec.steps.{i}.{key}: {e}", s.file));
                }
            }
        }
    }
    refused
}
