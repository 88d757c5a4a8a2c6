//! The slow part: each generated service built and tested with its own toolchain, as its CI
//! would. Rust offline against the local registry cache, built in target/golden-rust so reruns are
//! incremental; Python (its environment kept in target/golden-python while the requirements stay
//! the same) and Node only when their registries answer, skipped with the reason printed otherwise.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::tools::{repo_root, run, succeed};
use super::variants::services;

/// The generated service's directory after a dry run of its first variant.
async fn generated(template: &'static str) -> (tempfile::TempDir, std::path::PathBuf) {
    let service = services(template).remove(0);
    let (temp, dir, report) = super::generate(template, service.values()).await;
    assert!(
        dir.join("Dockerfile").is_file(),
        "{template}: nothing generated: {report:?}"
    );
    (temp, dir)
}

#[tokio::test]
async fn language_rust_service_builds_and_its_tests_pass() {
    let (_temp, dir) = generated("rust-service").await;
    let target = repo_root().join("target/golden-rust");
    let cargo = |args: &[&str]| {
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command.current_dir(&dir).args(args).env("CARGO_TARGET_DIR", &target);
        command
    };
    let started = Instant::now();
    let test = succeed(
        &mut cargo(&["test", "--offline"]),
        Duration::from_secs(900),
        "cargo test --offline",
    );
    assert!(
        test.stdout().contains("test result: ok. 3 passed"),
        "{}",
        test.printed()
    );
    let tested = started.elapsed();
    // The generated CI's lint job; rustfmt and clippy are rustup components a toolchain may lack.
    for (tool, args) in [
        ("rustfmt", &["fmt", "--check"][..]),
        (
            "clippy",
            &["clippy", "--offline", "--all-targets", "--", "-D", "warnings"][..],
        ),
    ] {
        let installed = run(&mut cargo(&[args[0], "--version"]), Duration::from_secs(30));
        if installed.is_some_and(|r| r.output.status.success()) {
            succeed(
                &mut cargo(args),
                Duration::from_secs(900),
                &format!("cargo {}", args.join(" ")),
            );
        } else {
            eprintln!("SKIPPED cargo {}: {tool} is not installed for this toolchain", args[0]);
        }
    }
    eprintln!(
        "rust-service: test {tested:.1?}, fmt and clippy {:.1?}",
        started.elapsed() - tested
    );
}

/// Whether a registry answers at all, so a failed install can be told from a broken project.
fn registry_answers(command: &mut Command) -> bool {
    run(command, Duration::from_secs(60)).is_some_and(|r| r.output.status.success())
}

#[tokio::test]
async fn language_python_service_tests_pass() {
    let (_temp, dir) = generated("python-service").await;
    let started = Instant::now();
    // The environment is kept in target/ while the requirements stay the same: reruns skip pip.
    let venv = repo_root().join("target/golden-python/venv");
    let stamp = venv.join("cairn-requirements");
    let requirements = ["requirements.txt", "requirements-dev.txt"]
        .map(|f| std::fs::read_to_string(dir.join(f)).expect("a requirements file"))
        .join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(requirements.as_str()) {
        let _ = std::fs::remove_dir_all(&venv);
        succeed(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            Duration::from_secs(120),
            "python3 -m venv",
        );
        let pip = venv.join("bin/pip");
        let mut install = Command::new(&pip);
        install.current_dir(&dir).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "requirements-dev.txt",
        ]);
        let installed = run(&mut install, Duration::from_secs(600)).expect("run pip");
        if !installed.output.status.success() {
            let mut probe = Command::new(&pip);
            probe
                .args(["download", "--no-deps", "--quiet", "--dest"])
                .arg(dir.join(".probe"))
                .arg("pytest");
            assert!(
                !registry_answers(&mut probe),
                "pip install failed though PyPI answers:\n{}",
                installed.printed()
            );
            eprintln!(
                "SKIPPED python-service tests: PyPI does not answer:\n{}",
                installed.printed()
            );
            return;
        }
        std::fs::write(&stamp, &requirements).expect("write the stamp");
    }
    let bin = |name: &str| venv.join("bin").join(name);
    let in_dir = |program: &Path, args: &[&str]| {
        let mut command = Command::new(program);
        command.current_dir(&dir).args(args);
        command
    };
    let limit = Duration::from_secs(120);
    succeed(&mut in_dir(&bin("ruff"), &["check", "."]), limit, "ruff check");
    succeed(
        &mut in_dir(&bin("ruff"), &["format", "--check", "."]),
        limit,
        "ruff format --check",
    );
    let tests = succeed(&mut in_dir(&bin("python"), &["-m", "pytest"]), limit, "pytest");
    assert!(tests.stdout().contains("3 passed"), "{}", tests.printed());
    eprintln!(
        "python-service: venv, install, ruff and pytest in {:.1?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn language_node_service_tests_pass() {
    let (_temp, dir) = generated("node-service").await;
    let started = Instant::now();
    let npm = |args: &[&str]| {
        let mut command = Command::new("npm");
        command.current_dir(&dir).args(args);
        command
    };
    let installed = run(&mut npm(&["ci", "--no-audit", "--no-fund"]), Duration::from_secs(600)).expect("run npm");
    if !installed.output.status.success() {
        let answers = registry_answers(&mut npm(&["view", "typescript", "version"]));
        assert!(
            !answers,
            "npm ci failed though the npm registry answers:\n{}",
            installed.printed()
        );
        eprintln!(
            "SKIPPED node-service tests: the npm registry does not answer:\n{}",
            installed.printed()
        );
        return;
    }
    let limit = Duration::from_secs(180);
    succeed(&mut npm(&["run", "lint"]), limit, "npm run lint");
    let tests = succeed(&mut npm(&["test"]), limit, "npm test");
    assert!(
        tests.stdout().contains("# pass 3") && tests.stdout().contains("# fail 0"),
        "{}",
        tests.printed()
    );
    succeed(&mut npm(&["run", "build"]), limit, "npm run build");
    assert!(dir.join("dist/main.js").is_file(), "npm run build writes dist/main.js");
    eprintln!(
        "node-service: npm ci, lint, test and build in {:.1?}",
        started.elapsed()
    );
}
