//! A template directory and a workspace beside it, run through the real runner.

#![allow(dead_code, reason = "each test binary uses a different part of the fixture")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use templates::actions::{Registry, Services};
use templates::model::Template;
use templates::runner::{self, Run, RunEvent, RunOutput};
use templates::workspace::{Limits, Workspace};

/// A template directory (template.yaml and its skeleton) and a workspace beside it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("template")).unwrap();
        std::fs::create_dir_all(dir.path().join("workspace")).unwrap();
        Fixture { dir }
    }

    pub fn template_dir(&self) -> PathBuf {
        self.dir.path().join("template")
    }

    pub fn workspace_dir(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Writes a skeleton file next to the template.
    pub fn file(&self, path: &str, contents: &[u8]) -> &Fixture {
        let full = self.template_dir().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, contents).unwrap();
        self
    }

    /// Runs a template whose `spec.steps` are `steps` (YAML) with `values`.
    pub async fn run(&self, steps: &str, values: Value, limits: Limits) -> (Result<RunOutput, String>, Vec<String>) {
        let yaml = format!(
            "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: hostile\n  annotations:\n    \
             backstage.io/managed-by-location: file:{}/template.yaml\nspec:\n  steps:\n{steps}",
            self.template_dir().display()
        );
        std::fs::write(self.template_dir().join("template.yaml"), &yaml).unwrap();
        let entity: Value = serde_saphyr::from_str(&yaml).unwrap();
        let template = Template::from_entity(&entity).unwrap();
        run_template(
            template,
            values,
            Workspace::new(self.workspace_dir(), limits),
            Services::default(),
        )
        .await
    }

    pub fn output(&self, path: &str) -> String {
        std::fs::read_to_string(self.workspace_dir().join(path)).unwrap()
    }
}

pub async fn run_template(
    template: Template,
    values: Value,
    workspace: Workspace,
    services: Services,
) -> (Result<RunOutput, String>, Vec<String>) {
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    let (_cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let Value::Object(values) = values else {
        panic!("values must be a mapping")
    };
    let run = Run {
        task_id: "test".into(),
        template: Arc::new(template),
        values,
        user: None,
        dry_run: false,
        workspace,
    };
    let result = runner::run(run, &Registry::builtin(), Arc::new(services), events_tx, cancel_rx).await;
    let mut log = Vec::new();
    while let Ok(event) = events_rx.try_recv() {
        if let RunEvent::Log { message, .. } = event {
            log.push(message);
        }
    }
    (result.map_err(|e| e.to_string()), log)
}

pub fn fetch_step(input: &str) -> String {
    format!("    - id: fetch\n      action: fetch:template\n      input:\n{input}")
}

pub async fn refused(fixture: &Fixture, steps: &str, values: Value, limits: Limits) -> String {
    let (result, _) = fixture.run(steps, values, limits).await;
    result.expect_err("the template must be refused")
}

/// Files anywhere under `dir`, to check nothing was written outside the workspace.
pub fn all_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out.sort();
    out
}
