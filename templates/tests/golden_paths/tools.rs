//! The outside tools the golden paths are checked with, found where `./x setup` installs them,
//! and commands run with a time limit and their output kept for the failure message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository's root (the workspace holding `templates/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("templates/ has a parent")
        .to_path_buf()
}

/// The golden paths' directory.
pub fn golden_paths() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden-paths")
}

/// A golden path's template file: the services share `services/` (their skeletons and the shared
/// one beside them), the module has its own folder.
pub fn template_file(template: &str) -> PathBuf {
    match template {
        "terraform-module" => golden_paths().join(template).join("template.yaml"),
        service => golden_paths().join("services").join(format!("{service}.yaml")),
    }
}

/// `tools/bin/helm`, extracted by `./x setup`; its absence fails the test.
pub fn helm() -> PathBuf {
    installed(repo_root().join("tools/bin/helm"), "helm")
}

/// `tools/cargo/bin/action-validator`, installed by `./x setup`; its absence fails the test.
pub fn action_validator() -> PathBuf {
    installed(repo_root().join("tools/cargo/bin/action-validator"), "action-validator")
}

fn installed(path: PathBuf, name: &str) -> PathBuf {
    assert!(
        path.is_file(),
        "{name} is missing at {}: run `./x setup` to install it",
        path.display()
    );
    path
}

/// A command's result, with what it printed.
pub struct Ran {
    pub output: Output,
}

impl Ran {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn printed(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }
}

/// Runs `command`, killing it after `limit`; `None` when it could not start at all.
pub fn run(command: &mut Command, limit: Duration) -> Option<Ran> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    // Drain the pipes while waiting so a chatty command cannot block on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{command:?} ran longer than {limit:?} and was stopped");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let join =
        |h: Option<std::thread::JoinHandle<Vec<u8>>>| h.map(|h| h.join().unwrap_or_default()).unwrap_or_default();
    let output = Output {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    };
    Some(Ran { output })
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Runs `command` and fails the test, with its output, unless it succeeds.
pub fn succeed(command: &mut Command, limit: Duration, what: &str) -> Ran {
    let shown = format!("{command:?}");
    let ran = run(command, limit).unwrap_or_else(|| panic!("{what}: cannot start {shown}"));
    assert!(ran.output.status.success(), "{what} failed: {shown}\n{}", ran.printed());
    ran
}
