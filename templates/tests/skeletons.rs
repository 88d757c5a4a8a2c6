//! Ordinary skeletons through the real runner, as Backstage would make them: binary files copied
//! untouched, templated names, `copyWithoutTemplating`, `templateFileExtension`, existing files
//! kept, fs actions, and skeletons fetched from the template's Git repository.

#[path = "support/fixture.rs"]
mod fixture;

use fixture::{Fixture, fetch_step, refused, run_template};
use serde_json::json;
use templates::actions::Services;
use templates::model::Template;
use templates::workspace::{Limits, Workspace};

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
    // As the catalog names a file it read from a `git` location.
    let base = format!("git:file://{}#main/templates/svc/template.yaml", repo.display());
    let entity = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": {"name": "git", "annotations": {"backstage.io/managed-by-location": base}},
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

/// A dry run fetches and renders too (local work), and its preview lists every file with the text
/// of text files; debug:log shows contents and the other inputs, typed.
#[tokio::test]
async fn dry_runs_fetch_and_preview_the_files() {
    let fx = Fixture::new();
    fx.file("skeleton/app/${{ values.name }}.txt", b"hello ${{ values.name }}\n")
        .file("skeleton/logo.png", PNG);
    let yaml = format!(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: preview\n  annotations:\n    \
         backstage.io/managed-by-location: file:{}/template.yaml\nspec:\n  parameters:\n    properties:\n      \
         name: {{type: string}}\n      tags: {{type: array, items: {{type: string}}}}\n  steps:\n    - id: fetch\n      \
         action: fetch:template\n      input:\n        url: ./skeleton\n        values:\n          name: ${{{{ parameters.name }}}}\n    \
         - id: log\n      action: debug:log\n      input:\n        listWorkspace: with-contents\n        \
         tags: ${{{{ parameters.tags }}}}\n",
        fx.template_dir().display()
    );
    let entity: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    let template = Template::from_entity(&entity).unwrap();
    let values = json!({"name": "svc", "tags": ["a", "b"]});
    let report = templates::dry_run::dry_run(
        template,
        values.as_object().unwrap(),
        &templates::actions::Registry::builtin(),
        std::sync::Arc::new(Services::default()),
        &fx.workspace_dir(),
        Limits::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.error, None);
    let files: Vec<(&str, Option<&str>)> = report
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_deref()))
        .collect();
    assert_eq!(files, [("app/svc.txt", Some("hello svc\n")), ("logo.png", None)]);
    assert_eq!(report.files[1].size, PNG.len() as u64);
    let log = serde_json::to_string(&report.log).unwrap();
    assert!(log.contains("  - app/svc.txt:\\n      hello svc"), "{log}");
    assert!(
        log.contains("logo.png (15 bytes, binary or too large to show)"),
        "{log}"
    );
    assert!(log.contains("tags: [\\n  \\\"a\\\",\\n  \\\"b\\\"\\n]"), "{log}");
}
