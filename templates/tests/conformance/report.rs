//! The conformance figures: printed as a table (run the test with `--nocapture`) and, when
//! `CAIRN_CONFORMANCE_JSON` names a file, written there as JSON for `bench/`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::Sample;
use super::dry_runs::{Category, Outcome};

/// How many templates need each missing thing (a template counts once per thing).
type Tally = BTreeMap<String, usize>;

fn tallies(samples: &[Sample]) -> (Tally, Tally, Tally) {
    let (mut actions, mut fields, mut other) = (Tally::new(), Tally::new(), Tally::new());
    for s in samples {
        let mut seen = BTreeSet::new();
        for p in &s.problems {
            let last = p.field.rsplit('.').next().unwrap_or_default();
            let (tally, key) = if last == "action" {
                (&mut actions, quoted(&p.message))
            } else if last == "ui:field" {
                (&mut fields, quoted(&p.message))
            } else if p.message.contains("secrets.") {
                (&mut other, "task secrets (secrets.*)".to_string())
            } else if p.field.contains(".input.") {
                (&mut other, format!("step input `{last}`: {}", p.message))
            } else if p.field.starts_with("spec.EXPERIMENTAL_") {
                (&mut other, "spec.EXPERIMENTAL_*".to_string())
            } else {
                (
                    &mut other,
                    format!("schema `{last}`: {}", p.message.split(" (").next().unwrap_or_default()),
                )
            };
            if seen.insert((tally as *const Tally, key.clone())) {
                *tally.entry(key).or_default() += 1;
            }
        }
    }
    (actions, fields, other)
}

/// For templates whose only problems are missing actions: how many lack each set of actions.
fn blocking_sets(samples: &[Sample]) -> Tally {
    let mut sets = Tally::new();
    for s in samples
        .iter()
        .filter(|s| !s.problems.is_empty() && s.problems.iter().all(|p| p.field.ends_with(".action")))
    {
        let set: BTreeSet<String> = s.problems.iter().map(|p| quoted(&p.message)).collect();
        *sets.entry(set.into_iter().collect::<Vec<_>>().join(" + ")).or_default() += 1;
    }
    sets
}

/// The first `…` quoted name of a message (the action or field extension).
fn quoted(message: &str) -> String {
    message.split('`').nth(1).unwrap_or(message).to_string()
}

fn top(tally: &Tally, n: usize) -> Vec<(String, usize)> {
    let mut list: Vec<(String, usize)> = tally.iter().map(|(k, v)| (k.clone(), *v)).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list.truncate(n);
    list
}

fn share(n: usize, of: usize) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{:.0}%", 100.0 * n as f64 / of as f64)
    }
}

/// Prints the figures and writes the JSON when asked.
pub fn print(samples: &[Sample], actions: &[&str], outcomes: &[Outcome], unfilled: &[String], unrendered: &[String]) {
    let total = samples.len();
    let loaded = samples.iter().filter(|s| s.template.is_ok()).count();
    let placeholders = samples.iter().filter(|s| s.placeholders).count();
    let supported = samples
        .iter()
        .filter(|s| s.template.is_ok() && s.problems.is_empty() && !s.placeholders)
        .count();
    // Supported by the load-time check, and every step renders with values made from the form.
    let supported_rendering = samples
        .iter()
        .filter(|s| s.template.is_ok() && s.problems.is_empty() && !s.placeholders)
        .filter(|s| !unrendered.iter().any(|line| line.starts_with(&format!("{}:", s.file))))
        .count();
    let only_actions = samples
        .iter()
        .filter(|s| !s.problems.is_empty() && s.problems.iter().all(|p| p.field.ends_with(".action")))
        .count();
    let (missing_actions, missing_fields, other) = tallies(samples);
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        *by_category.entry(format!("{:?}", o.category)).or_default() += 1;
    }
    let dry_runs = outcomes.iter().filter(|o| o.category == Category::DryRuns).count();
    eprintln!("\n== Scaffolder conformance: {total} templates Backstage accepts ==");
    eprintln!("Cairn's actions: {}", actions.join(", "));
    eprintln!("{:<58} {:>5} {:>6}", "", "count", "share");
    let rows = [
        ("load (Template::from_entity)", loaded),
        (
            "use $yaml/$text placeholders whose files are not in samples",
            placeholders,
        ),
        ("(a) fully supported (support::check empty)", supported),
        (
            "    of which every step renders with sample values",
            supported_rendering,
        ),
        ("blocked only by missing actions", only_actions),
        ("(b) dry-run through runner::run, nothing missing", dry_runs),
    ];
    for (label, n) in rows {
        eprintln!("{label:<58} {n:>5} {:>6}", share(n, total));
    }
    eprintln!(
        "forms the values made from them fill: {} of {loaded}",
        loaded - unfilled.len()
    );
    for line in unfilled {
        eprintln!("  refused: {line}");
    }
    let templates_unrendered: BTreeSet<&str> = unrendered.iter().filter_map(|l| l.split(':').next()).collect();
    eprintln!(
        "steps that render with those values: {} templates of {loaded} ({} step parts refused)",
        loaded - templates_unrendered.len(),
        unrendered.len()
    );
    for line in unrendered {
        eprintln!("  not rendered: {line}");
    }
    eprintln!("\nDry runs of the {} supported templates:", outcomes.len());
    for (category, n) in &by_category {
        eprintln!("  {category:<20} {n:>4}");
    }
    for o in outcomes.iter().filter(|o| o.category == Category::DryRuns) {
        eprintln!("  dry-runs: {} ({} files)", o.file, o.files);
    }
    for o in outcomes
        .iter()
        .filter(|o| matches!(o.category, Category::MissingSource | Category::RemoteSource))
    {
        let error = o.error.as_deref().unwrap_or_default();
        let cut = error.char_indices().nth(150).map_or(error.len(), |(i, _)| i);
        eprintln!("  {:?} {}: {}", o.category, o.file, &error[..cut]);
    }
    for o in outcomes
        .iter()
        .filter(|o| matches!(o.category, Category::Failed | Category::ValuesRefused))
    {
        eprintln!(
            "  {:?} {}: {}",
            o.category,
            o.file,
            o.error.as_deref().unwrap_or_default()
        );
    }
    eprintln!("\nTemplates blocked only by actions, by the actions they lack:");
    for (set, n) in top(&blocking_sets(samples), 12) {
        eprintln!("  {n:>4}  {set}");
    }
    for (title, tally) in [
        ("missing actions", &missing_actions),
        ("missing field extensions", &missing_fields),
        ("other gaps", &other),
    ] {
        eprintln!("\nMost frequent {title} (templates needing it):");
        for (name, n) in top(tally, 15) {
            eprintln!("  {n:>4}  {name}");
        }
    }
    if let Ok(path) = std::env::var("CAIRN_CONFORMANCE_JSON") {
        let figures = json!({
            "templates": total, "loaded": loaded, "placeholders": placeholders,
            "supported": supported, "supported_rendering": supported_rendering,
            "blocked_only_by_actions": only_actions, "dry_runs": dry_runs, "dry_run_outcomes": by_category,
            "forms_filled": loaded - unfilled.len(), "step_parts_not_rendered": unrendered.len(),
            "missing_actions": top(&missing_actions, 50), "missing_fields": top(&missing_fields, 50),
            "other": top(&other, 50),
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&figures).unwrap_or_default()).expect("figures written");
    }
}
