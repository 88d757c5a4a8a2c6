//! The built-in golden paths (`templates/golden-paths/`), dry-run in every variant and checked by
//! the real tools: helm (lint and template with each environment's values), action-validator,
//! an HCL parser, `cairn validate`'s library; the generated services' own tests run in
//! `languages.rs` (the slow part: `cargo test -p templates --test golden_paths language_`).
#![cfg(feature = "backend")]

#[path = "golden_paths/chart.rs"]
mod chart;
#[path = "golden_paths/from_git.rs"]
mod from_git;
#[path = "golden_paths/generated.rs"]
mod generated;
#[path = "golden_paths/languages.rs"]
mod languages;
#[path = "golden_paths/terraform.rs"]
mod terraform;
#[path = "golden_paths/tools.rs"]
mod tools;
#[path = "golden_paths/variants.rs"]
mod variants;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Map, Value};
use templates::dry_run::{DryRunReport, dry_run_file};

use variants::Service;

/// Dry-runs `template` (a golden path's name) with `values` into a new directory.
async fn generate(template: &str, values: Map<String, Value>) -> (tempfile::TempDir, PathBuf, DryRunReport) {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let out = temp.path().join("out");
    let file = tools::template_file(template);
    // The wizard would accept these answers.
    let pages = templates::dry_run::read_template(&file)
        .expect("the template loads")
        .pages;
    let refused = templates::model::schema::validate(&pages, &values);
    assert!(
        refused.is_empty(),
        "{template}: the form refuses {values:?}: {refused:?}"
    );
    let report = dry_run_file(&file, values, &out)
        .await
        .unwrap_or_else(|e| panic!("{template}: the dry run cannot start: {e}"));
    (temp, out, report)
}

/// The dry run finished, and its output links to the repository and the catalog entity.
fn finished(report: &DryRunReport, label: &str, entity: &str) {
    assert_eq!(
        report.error, None,
        "{label}: the dry run failed; log:\n{:#?}",
        report.log
    );
    let links = report
        .output
        .get("links")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let find = |title: &str| links.iter().find(|l| l["title"] == title).cloned().unwrap_or_default();
    assert!(
        find("Repository")["url"].as_str().is_some_and(|u| !u.is_empty()),
        "{label}: {links:?}"
    );
    assert_eq!(find("Open in catalog")["entityRef"], entity, "{label}: {links:?}");
}

async fn check_service(template: &'static str, sources: &[&str]) {
    let started = Instant::now();
    for service in variants::services(template) {
        let label = service.label();
        let (_temp, dir, report) = generate(template, service.values()).await;
        let files = generated::files(&dir);
        for expected in sources.iter().chain(SERVICE_FILES) {
            assert!(
                files.iter().any(|f| f == expected),
                "{label}: {expected} is missing from {files:?} ({:?})",
                report.error
            );
        }
        let database_tf = files.iter().any(|f| f == "terraform/database.tf");
        assert_eq!(database_tf, service.database, "{label}: terraform/database.tf");
        generated::fully_rendered(&dir);
        generated::dockerfile(&dir);
        chart::check(&dir, &service);
        workflow(&generated::workflows(&dir), &label, service.gate);
        service_terraform(&terraform::check(&dir.join("terraform")), &service);
        service_catalog(&dir, &service);
        let codeowners = std::fs::read_to_string(dir.join("CODEOWNERS")).expect("CODEOWNERS");
        assert!(codeowners.contains("* @Acme/payments\n"), "{label}: {codeowners}");
        finished(&report, &label, "component:default/payments-api");
    }
    eprintln!(
        "{template}: 6 variants generated and checked in {:.1?}",
        started.elapsed()
    );
}

/// What every service repository holds besides its sources.
const SERVICE_FILES: &[&str] = &[
    "Dockerfile",
    "README.md",
    "CODEOWNERS",
    "catalog-info.yaml",
    ".github/workflows/ci.yaml",
    "chart/Chart.yaml",
    "chart/values.yaml",
    "chart/values-staging.yaml",
    "chart/values-production.yaml",
    "terraform/versions.tf",
    "terraform/variables.tf",
    "terraform/outputs.tf",
    "terraform/main.tf",
];

/// Lint and test on pull requests, the chart and Terraform checked by the shared `checks.yaml`;
/// on main the shared `deploy.yaml`, called once they pass: an image tagged with the SHA,
/// staging, then production behind its environment.
fn workflow(workflows: &[(String, Value)], label: &str, gate: bool) {
    let named = |name: &str| {
        workflows
            .iter()
            .find(|(file, _)| file == name)
            .map(|(_, workflow)| workflow)
            .unwrap_or_else(|| panic!("{label}: no .github/workflows/{name}"))
    };
    let ci = named("ci.yaml");
    assert!(
        ci["on"]["pull_request"].is_null() && ci["on"].get("pull_request").is_some(),
        "{label}: {ci}"
    );
    assert_eq!(ci["on"]["push"]["branches"][0], "main", "{label}");
    let jobs = &ci["jobs"];
    for job in ["lint", "test"] {
        assert!(jobs.get(job).is_some(), "{label}: job {job}");
    }
    assert_eq!(jobs["checks"]["uses"], "./.github/workflows/checks.yaml", "{label}");
    assert_eq!(jobs["deploy"]["uses"], "./.github/workflows/deploy.yaml", "{label}");
    assert_eq!(
        jobs["deploy"]["needs"],
        serde_json::json!(["lint", "test", "checks"]),
        "{label}"
    );
    assert_eq!(jobs["deploy"]["permissions"]["packages"], "write", "{label}");
    let checks = named("checks.yaml").to_string();
    for command in [
        "helm lint chart --values chart/values-production.yaml",
        "terraform -chdir=terraform validate",
    ] {
        assert!(checks.contains(command), "{label}: {command} in {checks}");
    }
    let deploy = named("deploy.yaml");
    assert!(deploy["on"].get("workflow_call").is_some(), "{label}: {deploy}");
    let jobs = &deploy["jobs"];
    for job in ["image", "deploy-staging", "deploy-production"] {
        assert!(jobs.get(job).is_some(), "{label}: job {job}");
    }
    let image = jobs["image"].to_string();
    assert!(
        image.contains("${{ github.sha }}") && image.contains("refs/heads/main"),
        "{label}: {image}"
    );
    assert!(
        deploy["env"]["IMAGE"]
            .as_str()
            .is_some_and(|i| i.starts_with("ghcr.io/acme/")),
        "{label}"
    );
    assert_eq!(jobs["deploy-staging"]["needs"], "image", "{label}");
    assert_eq!(jobs["deploy-production"]["needs"], "deploy-staging", "{label}");
    assert_eq!(
        jobs["deploy-production"]["environment"]["name"], "production",
        "{label}"
    );
    assert!(
        jobs["deploy-production"].to_string().contains("values-production.yaml"),
        "{label}"
    );
    // The error-budget gate (on by default) runs before anything reaches production; a
    // template author who turns it off gets no gate at all.
    let first = jobs["deploy-production"]["steps"][0].to_string();
    if gate {
        assert!(
            first.contains("/api/slo/gate") && first.contains("vars.CAIRN_URL"),
            "{label}: the gate comes first: {first}"
        );
    } else {
        let production = jobs["deploy-production"].to_string();
        assert!(
            !production.contains("/api/slo/gate"),
            "{label}: a gate though it is off: {production}"
        );
    }
}

fn service_terraform(blocks: &[String], service: &Service) {
    let has = |b: &str| blocks.iter().any(|x| x == b);
    let (backend, database) = match service.cloud {
        "gcp" => (
            "versions.tf: terraform/backend gcs",
            "database.tf: resource google_sql_database_instance main",
        ),
        _ => (
            "versions.tf: terraform/backend s3",
            "database.tf: resource aws_db_instance main",
        ),
    };
    assert!(has(backend), "{}: {backend} in {blocks:?}", service.label());
    assert_eq!(
        has(database),
        service.database,
        "{}: {database} in {blocks:?}",
        service.label()
    );
}

fn service_catalog(dir: &Path, service: &Service) {
    let mut entities = generated::catalog_entities(dir);
    entities.sort();
    let mut expected = vec!["component:default/payments-api".to_string()];
    if service.database {
        expected.push("resource:default/payments-api-database".into());
    }
    assert_eq!(entities, expected, "{}", service.label());
    let text = std::fs::read_to_string(dir.join("catalog-info.yaml")).expect("catalog file");
    for expected in [
        "github.com/project-slug: Acme/payments-api",
        "backstage.io/kubernetes-id: payments-api",
    ] {
        assert!(text.contains(expected), "{}: {expected}\n{text}", service.label());
    }
    assert_eq!(
        text.contains("system: system:default/checkout"),
        service.system,
        "{}",
        service.label()
    );
    assert_eq!(text.contains("dependsOn:"), service.database, "{}", service.label());
}

#[tokio::test]
async fn rust_service_variants() {
    check_service("rust-service", &["Cargo.toml", "src/main.rs"]).await;
}

#[tokio::test]
async fn python_service_variants() {
    check_service(
        "python-service",
        &[
            "pyproject.toml",
            "requirements.txt",
            "app/main.py",
            "tests/test_main.py",
        ],
    )
    .await;
}

#[tokio::test]
async fn node_service_variants() {
    check_service(
        "node-service",
        &[
            "package.json",
            "package-lock.json",
            "src/server.ts",
            "test/server.test.ts",
        ],
    )
    .await;
}

#[tokio::test]
async fn terraform_module_variants() {
    for (provider, versioning) in [("aws", true), ("gcp", false), ("aws", false), ("gcp", true)] {
        let label = format!("terraform-module [{provider}, versioning {versioning}]");
        let (_temp, dir, report) = generate("terraform-module", variants::module_values(provider, versioning)).await;
        let files = generated::files(&dir);
        for expected in [
            "main.tf",
            "variables.tf",
            "outputs.tf",
            "versions.tf",
            "examples/basic/main.tf",
            "README.md",
        ] {
            assert!(
                files.iter().any(|f| f == expected),
                "{label}: {expected} missing from {files:?} ({:?})",
                report.error
            );
        }
        generated::fully_rendered(&dir);
        let workflows = generated::workflows(&dir);
        assert!(workflows[0].1.to_string().contains("terraform fmt -check"), "{label}");
        let blocks = terraform::check(&dir);
        let bucket = if provider == "gcp" {
            "resource google_storage_bucket this"
        } else {
            "resource aws_s3_bucket this"
        };
        assert!(
            blocks.iter().any(|b| b == &format!("main.tf: {bucket}")),
            "{label}: {blocks:?}"
        );
        assert!(
            blocks
                .iter()
                .any(|b| b == "examples/basic/main.tf: module storage_bucket"),
            "{label}: {blocks:?}"
        );
        assert!(
            !blocks.iter().any(|b| b.contains("backend")),
            "{label}: a module has no backend"
        );
        let variables = std::fs::read_to_string(dir.join("variables.tf")).expect("variables.tf");
        assert!(
            variables.contains(&format!("default     = {versioning}")),
            "{label}:\n{variables}"
        );
        assert_eq!(
            generated::catalog_entities(&dir),
            ["component:default/storage-bucket"],
            "{label}"
        );
        finished(&report, &label, "component:default/storage-bucket");
    }
}

/// The location lists the four templates; each loads, with a valid schema and only actions Cairn has.
#[test]
fn the_location_lists_four_templates_cairn_can_run() {
    let root = tools::golden_paths();
    let location = root.join("catalog-info.yaml");
    let limits = catalog::read::ReadLimits::default();
    let verdicts = catalog::lint::lint_file(&location, &root, "catalog-info.yaml", &limits).expect("lint");
    assert!(verdicts.iter().all(|v| v.ok), "{verdicts:?}");
    let text = std::fs::read_to_string(&location).expect("the location");
    let registry = templates::actions::Registry::builtin();
    let ids = registry.ids();
    for name in ["rust-service", "python-service", "node-service", "terraform-module"] {
        let file = tools::template_file(name);
        let listed = file
            .strip_prefix(&root)
            .expect("under golden-paths/")
            .display()
            .to_string();
        assert!(text.contains(&format!("- ./{listed}")), "{name} is not listed");
        let verdicts = catalog::lint::lint_file(&file, &root, name, &limits).expect("lint");
        assert!(verdicts.iter().all(|v| v.ok), "{name}: {verdicts:?}");
        let template = templates::dry_run::read_template(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(template.name, name);
        assert_eq!(template.pages.len(), 3, "{name}: three pages");
        let schema = templates::model::schema::check_schema(&template.pages);
        assert!(schema.is_empty(), "{name}: {schema:?}");
        let missing = templates::model::support::check(&template, &ids);
        assert!(missing.is_empty(), "{name} needs what Cairn lacks: {missing:?}");
    }
}

/// Every service template fetches its own skeleton and the shared one (chart, Terraform, catalog
/// file, CODEOWNERS, the checks and deploy workflows) with the same values; no copy of a shared
/// file is left in a language's skeleton, where it would shadow the shared one.
#[test]
fn service_templates_fetch_the_shared_skeleton() {
    let services = tools::golden_paths().join("services");
    let shared_files = generated::files(&services.join("shared"));
    for expected in [
        "CODEOWNERS",
        "catalog-info.yaml",
        "chart/Chart.yaml",
        "terraform/main.tf",
        ".github/workflows/checks.yaml",
        ".github/workflows/deploy.yaml",
    ] {
        assert!(
            shared_files.iter().any(|f| f == expected),
            "shared: {expected} in {shared_files:?}"
        );
    }
    for (template, skeleton) in [
        ("rust-service", "rust"),
        ("python-service", "python"),
        ("node-service", "node"),
    ] {
        let file = tools::template_file(template);
        let parsed = templates::dry_run::read_template(&file).unwrap_or_else(|e| panic!("{template}: {e}"));
        let fetches: Vec<&Map<String, Value>> = parsed
            .steps
            .iter()
            .filter(|s| s.action == "fetch:template")
            .map(|s| &s.input)
            .collect();
        let urls: Vec<&str> = fetches.iter().filter_map(|i| i["url"].as_str()).collect();
        assert_eq!(urls, [format!("./{skeleton}").as_str(), "./shared"], "{template}");
        assert_eq!(
            fetches[0]["values"], fetches[1]["values"],
            "{template}: the same values"
        );
        assert!(
            fetches.iter().all(|i| i.get("targetPath").is_none()),
            "{template}: both at the root"
        );
        for own in generated::files(&services.join(skeleton)) {
            assert!(
                !shared_files.contains(&own) && !own.starts_with("chart/") && !own.starts_with("terraform/"),
                "{template}: {skeleton}/{own} belongs to the shared skeleton"
            );
        }
    }
}

/// The form refuses what would generate a broken service, each answer named.
#[test]
fn the_service_forms_refuse_bad_answers() {
    for template in ["rust-service", "python-service", "node-service"] {
        let file = tools::template_file(template);
        let pages = templates::dry_run::read_template(&file)
            .expect("the template loads")
            .pages;
        let mut values = variants::services(template)[0].values();
        for (field, bad) in [
            ("name", serde_json::json!("Payments_API")),
            ("ingressHost", serde_json::json!("not a host")),
            ("port", serde_json::json!(80)),
            ("strategy", serde_json::json!("big-bang")),
        ] {
            values.insert(field.into(), bad);
        }
        let refused: Vec<String> = templates::model::schema::validate(&pages, &values)
            .into_iter()
            .map(|e| e.path)
            .collect();
        for field in ["name", "ingressHost", "port", "strategy"] {
            assert!(
                refused.iter().any(|p| p == field),
                "{template}: {field} accepted ({refused:?})"
            );
        }
        values.remove("repoUrl");
        let refused = templates::model::schema::validate(&pages, &values);
        assert!(
            refused.iter().any(|e| e.path == "repoUrl"),
            "{template}: repoUrl is required"
        );
    }
}

/// Nunjucks' built-in filters (Backstage renders with Nunjucks) and Backstage's own.
const NUNJUCKS_FILTERS: &[&str] = &[
    "abs",
    "batch",
    "capitalize",
    "center",
    "default",
    "d",
    "dictsort",
    "dump",
    "escape",
    "e",
    "first",
    "float",
    "forceescape",
    "groupby",
    "indent",
    "int",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "nl2br",
    "random",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "trim",
    "truncate",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
    "parseRepoUrl",
    "parseEntityRef",
    "pick",
    "projectSlug",
];

/// The golden paths stay runnable by Backstage too: every filter they use exists in Nunjucks
/// (minijinja has more, such as `max`, that Backstage would refuse).
#[test]
fn the_golden_paths_use_only_filters_nunjucks_has() {
    let tag = regex::Regex::new(r"(?s)\$\{\{(.*?)\}\}|\{%(.*?)%\}").expect("pattern");
    let filter = regex::Regex::new(r"\|\s*([A-Za-z_]\w*)").expect("pattern");
    let raw = regex::Regex::new(r"(?s)\{% raw %\}.*?\{% endraw %\}").expect("pattern");
    let root = tools::golden_paths();
    let mut checked = 0;
    for file in generated::files(&root) {
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else {
            continue;
        };
        // GitHub's expressions inside `{% raw %}` are not ours.
        let ours = raw.replace_all(&text, "");
        for found in tag.captures_iter(&ours) {
            let body = found.get(1).or_else(|| found.get(2)).map_or("", |m| m.as_str());
            for name in filter.captures_iter(body) {
                checked += 1;
                assert!(
                    NUNJUCKS_FILTERS.contains(&&name[1]),
                    "{file}: the filter `{}` is not in Nunjucks",
                    &name[1]
                );
            }
        }
    }
    assert!(checked > 20, "only {checked} filters found");
}
