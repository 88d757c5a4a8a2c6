//! Hostile and ordinary templates through the real runner, over real directories: every way out
//! of the workspace, endless loops, huge outputs and malformed expressions are refused with a
//! message naming what and where; an ordinary skeleton comes out as Backstage would make it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use templates::actions::{Registry, Services};
use templates::model::Template;
use templates::runner::{self, Run, RunEvent, RunOutput};
use templates::workspace::{Limits, Workspace};

/// A template directory (template.yaml and its skeleton) and a workspace beside it.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("template")).unwrap();
        std::fs::create_dir_all(dir.path().join("workspace")).unwrap();
        Fixture { dir }
    }

    fn template_dir(&self) -> PathBuf {
        self.dir.path().join("template")
    }

    fn workspace_dir(&self) -> PathBuf {
        self.dir.path().join("workspace")
    }

    /// Writes a skeleton file next to the template.
    fn file(&self, path: &str, contents: &[u8]) -> &Fixture {
        let full = self.template_dir().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, contents).unwrap();
        self
    }

    /// Runs a template whose `spec.steps` are `steps` (YAML) with `values`.
    async fn run(&self, steps: &str, values: Value, limits: Limits) -> (Result<RunOutput, String>, Vec<String>) {
        let yaml = format!(
            "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: hostile\n  annotations:\n    \
             backstage.io/managed-by-origin-location: file:{}/template.yaml\nspec:\n  steps:\n{steps}",
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

    fn output(&self, path: &str) -> String {
        std::fs::read_to_string(self.workspace_dir().join(path)).unwrap()
    }
}

async fn run_template(
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

fn fetch_step(input: &str) -> String {
    format!("    - id: fetch\n      action: fetch:template\n      input:\n{input}")
}

async fn refused(fixture: &Fixture, steps: &str, values: Value, limits: Limits) -> String {
    let (result, _) = fixture.run(steps, values, limits).await;
    result.expect_err("the template must be refused")
}

/// Files anywhere under `dir`, to check nothing was written outside the workspace.
fn all_files(dir: &Path) -> Vec<String> {
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

#[tokio::test]
async fn target_path_cannot_leave_the_workspace() {
    let fx = Fixture::new();
    fx.file("skeleton/a.txt", b"a");
    for (target, why) in [
        ("../../escape", "`..` leads out of it"),
        ("/tmp/escape", "it is an absolute path"),
    ] {
        let steps = fetch_step(&format!("        url: ./skeleton\n        targetPath: {target}\n"));
        let err = refused(&fx, &steps, json!({}), Limits::default()).await;
        assert!(
            err.contains("step `fetch` (fetch:template): input `targetPath`"),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
    }
    assert!(!fx.dir.path().parent().unwrap().join("escape").exists());
}

#[tokio::test]
async fn rendered_file_names_cannot_leave_the_workspace() {
    let fx = Fixture::new();
    fx.file("skeleton/${{ values.name }}.txt", b"owned");
    let steps = fetch_step("        url: ./skeleton\n        values:\n          name: ${{ parameters.name }}\n");
    let err = refused(&fx, &steps, json!({"name": "../../x"}), Limits::default()).await;
    assert!(
        err.contains("skeleton entry `${{ values.name }}.txt` would be written to `../../x.txt`"),
        "{err}"
    );
    assert!(err.contains("`..` leads out of it"), "{err}");
    // A name rendering to an absolute path is skipped, as Backstage skips it.
    let (result, log) = fx.run(&steps, json!({"name": "/etc/cairn"}), Limits::default()).await;
    result.unwrap();
    assert!(
        log.iter().any(|l| l.contains("Skipping ${{ values.name }}.txt")),
        "{log:?}"
    );
    let before: Vec<String> = all_files(fx.dir.path());
    assert_eq!(
        before,
        [
            fx.template_dir()
                .join("skeleton/${{ values.name }}.txt")
                .display()
                .to_string(),
            fx.template_dir().join("template.yaml").display().to_string()
        ]
    );
}

#[tokio::test]
async fn skeleton_urls_cannot_leave_the_template() {
    let fx = Fixture::new();
    for (url, why) in [
        ("../../../etc", "`..` leads out of it"),
        ("/etc", "it is an absolute path"),
    ] {
        let err = refused(
            &fx,
            &fetch_step(&format!("        url: {url}\n")),
            json!({}),
            Limits::default(),
        )
        .await;
        assert!(
            err.contains(&format!("input `url`: `{url}` leaves the template's source: {why}")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn symlinks_in_skeletons_are_refused() {
    let fx = Fixture::new();
    fx.file("skeleton/ok.txt", b"ok");
    std::os::unix::fs::symlink("/etc/passwd", fx.template_dir().join("skeleton/passwd")).unwrap();
    let err = refused(
        &fx,
        &fetch_step("        url: ./skeleton\n"),
        json!({}),
        Limits::default(),
    )
    .await;
    assert!(
        err.contains("the skeleton cannot be read: `passwd`: it is a symbolic link, which is never followed"),
        "{err}"
    );
    assert!(!fx.workspace_dir().join("passwd").exists());
    // The skeleton directory itself being a link is refused too.
    std::os::unix::fs::symlink("/etc", fx.template_dir().join("etc-link")).unwrap();
    let err = refused(
        &fx,
        &fetch_step("        url: ./etc-link\n"),
        json!({}),
        Limits::default(),
    )
    .await;
    assert!(err.contains("it goes through a symbolic link"), "{err}");
}

#[tokio::test]
async fn huge_outputs_are_stopped() {
    let fx = Fixture::new();
    fx.file(
        "skeleton/big.txt",
        b"{% for i in range(10000) %}{% for j in range(10000) %}0123456789{% endfor %}{% endfor %}",
    );
    let limits = Limits {
        max_file_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let err = refused(&fx, &fetch_step("        url: ./skeleton\n"), json!({}), limits).await;
    assert!(
        err.contains("skeleton file `big.txt`: the rendered text is larger than the limit of 1048576 bytes"),
        "{err}"
    );
    // Many files each within the limit, together over the workspace's.
    let fx = Fixture::new();
    for i in 0..5 {
        fx.file(&format!("skeleton/f{i}.txt"), &[b'x'; 1000]);
    }
    let limits = Limits {
        max_total_bytes: 3500,
        ..Limits::default()
    };
    let err = refused(&fx, &fetch_step("        url: ./skeleton\n"), json!({}), limits).await;
    assert!(
        err.contains("skeleton file `f3.txt`: the workspace would hold more than its limit of 3500 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn endless_loops_are_stopped() {
    let fx = Fixture::new();
    fx.file(
        "skeleton/loop.txt",
        b"line one\n{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    );
    let started = std::time::Instant::now();
    let err = refused(
        &fx,
        &fetch_step("        url: ./skeleton\n"),
        json!({}),
        Limits::default(),
    )
    .await;
    assert!(
        err.contains("skeleton file `loop.txt`: line 2: the template needs more than 5000000 evaluation steps"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 30, "took {:?}", started.elapsed());
    let fx = Fixture::new();
    fx.file(
        "skeleton/macro.txt",
        b"{% macro f(n) %}${{ f(n + 1) }}{% endmacro %}${{ f(0) }}",
    );
    let err = refused(
        &fx,
        &fetch_step("        url: ./skeleton\n"),
        json!({}),
        Limits::default(),
    )
    .await;
    assert!(err.contains("skeleton file `macro.txt`: line 1: "), "{err}");
    assert!(err.contains("recursion"), "{err}");
}

#[tokio::test]
async fn malformed_expressions_name_the_file_and_line() {
    let fx = Fixture::new();
    fx.file("skeleton/src/app.py", b"import os\n\nname = '${{ values.name | }}'\n");
    let err = refused(
        &fx,
        &fetch_step("        url: ./skeleton\n"),
        json!({}),
        Limits::default(),
    )
    .await;
    assert!(
        err.contains("skeleton file `src/app.py`: line 3: syntax error"),
        "{err}"
    );
    let fx = Fixture::new();
    fx.file("skeleton/${{ values.name ) }}.txt", b"x");
    let err = refused(
        &fx,
        &fetch_step("        url: ./skeleton\n"),
        json!({}),
        Limits::default(),
    )
    .await;
    assert!(
        err.contains("the name of skeleton entry `${{ values.name ) }}.txt`: line 1: syntax error"),
        "{err}"
    );
    // In a step's input: the field is named.
    let steps = "    - id: log\n      action: debug:log\n      input:\n        message: ${{ parameters.name | }}\n";
    let err = refused(&fx, steps, json!({}), Limits::default()).await;
    assert!(
        err.contains("spec.steps.0.input: message: line 1: syntax error"),
        "{err}"
    );
}

#[tokio::test]
async fn cookiecutter_templates_are_refused_clearly() {
    let fx = Fixture::new();
    fx.file("skeleton/a.txt", b"{{ cookiecutter.name }}");
    let steps = fetch_step("        url: ./skeleton\n        cookiecutterCompat: true\n");
    let err = refused(&fx, &steps, json!({}), Limits::default()).await;
    assert!(
        err.contains("input `cookiecutterCompat`: cookiecutter (Jinja2) templates are not supported"),
        "{err}"
    );
}

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 0x0d, b'$', b'{', b'{',
];

#[tokio::test]
async fn renders_a_skeleton_like_backstage() {
    let fx = Fixture::new();
    fx.file(
        "skeleton/${{ values.name }}/README.md",
        b"# ${{ values.name | title }}\nOwner: ${{ values.owner }}\n",
    )
    .file("skeleton/logo.png", PNG)
    .file("skeleton/run.sh", b"#!/bin/sh\necho ${{ values.name }}\n")
    .file("skeleton/static/${{ values.name }}.yaml", b"run: ${{ github.sha }}\n")
    .file("skeleton/.github/workflows/ci.yaml", b"sha: ${{ github.sha }}\n")
    .file("skeleton/${{ 'optional.txt' if values.withOptional }}", b"optional\n");
    let script = fx.template_dir().join("skeleton/run.sh");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let steps = "    - id: fetch\n      action: fetch:template\n      input:\n        url: ./skeleton\n        targetPath: out\n        \
                 copyWithoutTemplating:\n          - static/**\n          - .github/workflows/*\n        values:\n          \
                 name: ${{ parameters.name }}\n          owner: ${{ parameters.owner | parseEntityRef | pick('name') }}\n          \
                 withOptional: false\n    - id: log\n      action: debug:log\n      input:\n        message: done\n        \
                 listWorkspace: with-filenames\n";
    let (result, log) = fx
        .run(
            steps,
            json!({"name": "checkout", "owner": "group:default/payments"}),
            Limits::default(),
        )
        .await;
    result.unwrap();
    assert_eq!(fx.output("out/checkout/README.md"), "# Checkout\nOwner: payments\n");
    assert_eq!(std::fs::read(fx.workspace_dir().join("out/logo.png")).unwrap(), PNG);
    assert_eq!(fx.output("out/run.sh"), "#!/bin/sh\necho checkout\n");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(fx.workspace_dir().join("out/run.sh"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o111, 0o111, "{mode:o}");
    assert_eq!(fx.output("out/static/checkout.yaml"), "run: ${{ github.sha }}\n");
    assert_eq!(fx.output("out/.github/workflows/ci.yaml"), "sha: ${{ github.sha }}\n");
    assert!(!fx.workspace_dir().join("out/optional.txt").exists());
    let listing = log.iter().find(|l| l.starts_with("Workspace:")).unwrap();
    assert!(
        listing.contains("  - out/checkout/README.md") && listing.contains("  - out/logo.png"),
        "{listing}"
    );
}

#[tokio::test]
async fn template_file_extension_renders_only_those_files() {
    let fx = Fixture::new();
    fx.file("skeleton/main.go.njk", b"package ${{ values.name }}\n")
        .file("skeleton/Makefile", b"build: ${{ values.name }}\n")
        .file("skeleton/${{ values.name }}.txt", b"plain ${{ values.name }}\n");
    let steps = fetch_step(
        "        url: ./skeleton\n        templateFileExtension: true\n        values:\n          name: svc\n",
    );
    let (result, _) = fx.run(&steps, json!({}), Limits::default()).await;
    result.unwrap();
    assert_eq!(fx.output("main.go"), "package svc\n");
    assert_eq!(fx.output("Makefile"), "build: ${{ values.name }}\n");
    assert_eq!(fx.output("svc.txt"), "plain ${{ values.name }}\n");
    let steps = fetch_step(
        "        url: ./skeleton\n        templateFileExtension: true\n        copyWithoutTemplating: ['*.txt']\n",
    );
    let err = refused(&fx, &steps, json!({}), Limits::default()).await;
    assert!(
        err.contains("input `templateFileExtension`: cannot be combined with copyWithoutTemplating"),
        "{err}"
    );
}

#[tokio::test]
async fn files_are_kept_unless_replaced_and_fs_actions_stay_inside() {
    let fx = Fixture::new();
    fx.file("one/a.txt", b"first ${{ values.n }}")
        .file("two/a.txt", b"second ${{ values.n }}");
    let steps = "    - id: one\n      action: fetch:template\n      input: {url: ./one, values: {n: 1}}\n    \
                 - id: two\n      action: fetch:template\n      input: {url: ./two, values: {n: 2}}\n    \
                 - id: mv\n      action: fs:rename\n      input: {files: [{from: a.txt, to: docs/b.txt}]}\n    \
                 - id: plain\n      action: fetch:plain:file\n      input: {url: ./two/a.txt, targetPath: raw/a.txt}\n    \
                 - id: rm\n      action: fs:delete\n      input: {files: ['raw/*']}\n";
    let (result, _) = fx.run(steps, json!({}), Limits::default()).await;
    result.unwrap();
    assert_eq!(fx.output("docs/b.txt"), "first 1");
    assert!(!fx.workspace_dir().join("raw/a.txt").exists() && fx.workspace_dir().join("raw").exists());
    for steps in [
        "    - id: rm\n      action: fs:delete\n      input: {files: ['../workspace']}\n",
        "    - id: mv\n      action: fs:rename\n      input: {files: [{from: docs/b.txt, to: ../../b.txt}]}\n",
    ] {
        let err = refused(&fx, steps, json!({}), Limits::default()).await;
        assert!(err.contains("`..` leads out of it"), "{err}");
    }
    assert_eq!(fx.output("docs/b.txt"), "first 1");
}

/// A template in a Git repository fetches its skeleton from the same repository.
#[tokio::test]
async fn skeletons_next_to_a_template_in_git() {
    let fx = Fixture::new();
    let repo = fx.dir.path().join("repo");
    std::fs::create_dir_all(repo.join("templates/svc/skeleton")).unwrap();
    std::fs::write(
        repo.join("templates/svc/skeleton/hello.txt"),
        "hello ${{ values.who }}\n",
    )
    .unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "--quiet", "--initial-branch=main"]);
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e",
        "commit",
        "--quiet",
        "-m",
        "skeleton",
    ]);
    let base = format!("file://{}?ref=main&path=templates/svc/template.yaml", repo.display());
    let entity = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": {"name": "git", "annotations": {"backstage.io/managed-by-origin-location": format!("url:{base}")}},
        "spec": {"steps": [{"id": "fetch", "action": "fetch:template",
            "input": {"url": "./skeleton", "values": {"who": "git"}}}]},
    });
    let template = Template::from_entity(&entity).unwrap();
    let mut services = Services::default();
    services.git.allow_file = true;
    services.git.cache_dir = fx.dir.path().join("cache");
    let workspace = Workspace::new(fx.workspace_dir(), Limits::default());
    let (result, _) = run_template(template.clone(), json!({}), workspace.clone(), services.clone()).await;
    result.unwrap();
    assert_eq!(fx.output("hello.txt"), "hello git\n");
    // Climbing out of the repository is refused before anything is fetched.
    let mut escaping = template;
    escaping.steps[0].input.insert("url".into(), json!("../../../../etc"));
    let (result, _) = run_template(escaping, json!({}), workspace, services).await;
    let err = result.unwrap_err();
    assert!(
        err.contains("leaves the template's source: `..` leads out of it"),
        "{err}"
    );
}
