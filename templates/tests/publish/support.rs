//! What the publish tests share: a workspace with files, an `ActionContext` over it with the
//! services a test configures, the events the action sent, and `git` to look at the result.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use templates::actions::{ActionContext, ActionError, Registry, Services};
use templates::model::Template;
use templates::render::Renderer;
use templates::runner::RunEvent;
use templates::workspace::{Limits, Workspace};

/// A temporary directory with a workspace in it, and whatever else a test puts there.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("workspace")).expect("mkdir");
        Fixture { dir }
    }

    pub fn workspace(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Writes a file into the workspace.
    pub fn file(&self, path: &str, contents: &str) -> &Fixture {
        let full = self.workspace().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, contents).expect("write");
        self
    }

    /// An empty bare repository `name.git` (branch `main`).
    pub fn bare(&self, name: &str) -> PathBuf {
        let repo = self.dir.path().join(format!("remotes/{name}.git"));
        std::fs::create_dir_all(&repo).expect("mkdir");
        git(&repo, &["init", "--quiet", "--bare", "--initial-branch", "main"]);
        repo
    }

    /// A clone of `url` (a fresh directory each time).
    pub fn clone(&self, url: &str) -> PathBuf {
        let target = self.dir.path().join(format!("clone-{}", uuid_like()));
        git(
            self.dir.path(),
            &["clone", "--quiet", url, target.to_str().expect("utf-8")],
        );
        target
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Runs `git -C dir args…` and returns its standard output; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// What an action did: its result, its log lines and the side effects it recorded.
pub struct Outcome {
    pub result: Result<Map<String, Value>, ActionError>,
    pub logs: Vec<String>,
    pub side_effects: Vec<String>,
}

impl Outcome {
    pub fn output(&self) -> &Map<String, Value> {
        match &self.result {
            Ok(output) => output,
            Err(e) => panic!("the action failed: {e}\nlogs: {:?}", self.logs),
        }
    }

    pub fn error(&self) -> String {
        match &self.result {
            Ok(output) => panic!("the action succeeded: {output:?}"),
            Err(e) => e.to_string(),
        }
    }
}

/// Runs the built-in action `id` with `input` over the fixture's workspace.
pub async fn run(fx: &Fixture, services: Services, id: &str, input: Value, dry_run: bool) -> Outcome {
    let entity = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": {"name": "publish-test"}, "spec": {"steps": []},
    });
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
    let ctx = ActionContext {
        task_id: "publish-test".into(),
        step_id: "publish".into(),
        workspace: Workspace::new(fx.workspace(), Limits::default()),
        template: Arc::new(Template::from_entity(&entity).expect("template")),
        renderer: Renderer::new(1_000_000),
        dry_run,
        user: Some("user:default/jane".into()),
        services: Arc::new(services),
        events,
        cancel,
    };
    let registry = Registry::builtin();
    let action = registry.get(id).expect("a built-in action");
    let Value::Object(input) = input else {
        panic!("the input must be a mapping")
    };
    let result = action.run(&ctx, input).await;
    drop(ctx);
    let (mut logs, mut side_effects) = (Vec::new(), Vec::new());
    while let Some(event) = received.recv().await {
        match event {
            RunEvent::Log { message, .. } => logs.push(message),
            RunEvent::SideEffect { description, .. } => side_effects.push(description),
            _ => {}
        }
    }
    Outcome {
        result,
        logs,
        side_effects,
    }
}
