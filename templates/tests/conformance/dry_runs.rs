//! Dry runs of the templates the support check accepts, each alone in a temporary folder (the
//! samples hold only the template files: a `./skeleton` they fetch is reported as a missing
//! source, never counted as a success), with values made from the form.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use templates::actions::{Registry, Services};
use templates::runner::{self, Run};
use templates::workspace::{Limits, Workspace};

use super::Sample;
use super::sample_values::sample_values;

/// How a dry run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Every step ran (or was skipped as a dry run skips publishing).
    DryRuns,
    /// A fetch names files beside the template that the samples do not include.
    MissingSource,
    /// A fetch names another repository; tests do not reach the network.
    RemoteSource,
    /// The values made from the form were refused by the form itself.
    ValuesRefused,
    /// The runner refused the template although the support check accepted it.
    Unsupported,
    /// Anything else: a rendering or action error worth reading.
    Failed,
}

/// One template's dry run.
pub struct Outcome {
    pub file: String,
    pub category: Category,
    pub error: Option<String>,
    pub files: usize,
}

/// Dry-runs every sample that loads with no problems.
pub fn dry_run_supported(samples: &[Sample]) -> Vec<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let registry = Registry::builtin();
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let mut services = Services::default();
    services.git.cache_dir = scratch.path().join("git-cache");
    services.git.timeout = Duration::from_secs(10);
    let services = Arc::new(services);
    samples
        .iter()
        .enumerate()
        .filter(|(_, s)| s.problems.is_empty() && !s.placeholders)
        .filter_map(|(i, s)| Some((i, s, s.template.as_ref().ok()?)))
        .map(|(i, sample, template)| {
            let outcome = |category, error, files| Outcome {
                file: sample.file.clone(),
                category,
                error,
                files,
            };
            if let Some(url) = remote_fetch(template) {
                return outcome(Category::RemoteSource, Some(url), 0);
            }
            let dir = scratch.path().join(i.to_string());
            let source = dir.join("source");
            std::fs::create_dir_all(&source).expect("a source folder");
            let yaml = source.join("template.yaml");
            std::fs::write(&yaml, serde_json::to_vec(&sample.entity).expect("json")).expect("written");
            let mut template = template.clone();
            template.base_url = Some(yaml.display().to_string());
            let values = sample_values(&template.pages);
            let limits = Limits {
                max_duration: Duration::from_secs(60),
                ..Limits::default()
            };
            let out = dir.join("out");
            std::fs::create_dir_all(&out).expect("a workspace folder");
            let workspace = Workspace::new(out, limits);
            let (events, _log) = tokio::sync::mpsc::unbounded_channel();
            let (_cancel, cancelled) = tokio::sync::watch::channel(false);
            let run = Run {
                task_id: format!("conformance-{i}"),
                template: Arc::new(template),
                values,
                user: None,
                dry_run: true,
                workspace: workspace.clone(),
            };
            let result = runtime.block_on(runner::run(run, &registry, services.clone(), events, cancelled));
            let files = workspace.files().map_or(0, |f| f.len());
            match result {
                Ok(_) => outcome(Category::DryRuns, None, files),
                Err(e) => {
                    let error = e.to_string();
                    outcome(categorize(&error), Some(error), files)
                }
            }
        })
        .collect()
}

/// The first fetch step whose `url` names another repository, before any rendering.
fn remote_fetch(template: &templates::model::Template) -> Option<String> {
    template
        .steps
        .iter()
        .filter(|s| s.action.starts_with("fetch:"))
        .filter_map(|s| s.input.get("url").and_then(Value::as_str))
        .find(|url| url.contains("://") && !url.starts_with("file:"))
        .map(str::to_string)
}

fn categorize(error: &str) -> Category {
    let fetch = error.contains("(fetch:");
    if fetch
        && ["does not exist", "cannot be read", "leaves the template's source"]
            .iter()
            .any(|m| error.contains(m))
    {
        Category::MissingSource
    } else if fetch && error.contains("://") {
        Category::RemoteSource
    } else if error.starts_with("the values do not fit") {
        Category::ValuesRefused
    } else if error.starts_with("the template cannot run in Cairn") {
        Category::Unsupported
    } else {
        Category::Failed
    }
}
