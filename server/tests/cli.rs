//! The `cairn` binary as an operator uses it: help, configuration errors, and graceful shutdown.

mod common;
#[path = "../../catalog/tests/support/samples.rs"]
mod samples_dir;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

fn cairn() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    for var in [
        "CAIRN_CONFIG",
        "CAIRN_BIND",
        "DATABASE_URL",
        "CAIRN_LOG_FORMAT",
        "CAIRN_SITE_ROOT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn help_lists_the_commands_and_their_environment_variables() {
    let help = |args: &[&str]| {
        let out = cairn().args(args).output().expect("run");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let top = help(&["--help"]);
    for expected in ["serve", "migrate", "validate", "template", "--config", "CAIRN_CONFIG"] {
        assert!(top.contains(expected), "help mentions {expected}:\n{top}");
    }
    let serve = help(&["serve", "--help"]);
    for expected in ["--bind", "CAIRN_BIND", "--database-url", "DATABASE_URL", "--site-root"] {
        assert!(serve.contains(expected), "serve help mentions {expected}:\n{serve}");
    }
}

#[test]
fn an_unknown_config_key_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cairn.yaml");
    std::fs::write(&file, "app:\n  title: Acme\n  colour: blue\n").expect("write");
    let out = cairn().arg("--config").arg(&file).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("colour"), "{err}");
    assert!(
        err.contains("line 3") || err.contains(":3:") || err.contains(" 3 "),
        "{err}"
    );
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = cairn()
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url"])
        .arg(dir.path().join("cairn.db"))
        .arg("--site-root")
        .arg(common::site_root())
        .env("CAIRN_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let line = stdout.lines().next().expect("a line").expect("utf-8");
    assert!(line.starts_with("Cairn is running at http://127.0.0.1:"), "{line}");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "still running 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    let logs = std::io::read_to_string(child.stderr.take().expect("stderr")).expect("logs");
    let last: serde_json::Value =
        serde_json::from_str(logs.lines().last().expect("a log line")).expect("JSON logs with CAIRN_LOG_FORMAT=json");
    assert_eq!(
        last["fields"]["message"].as_str().or(last["message"].as_str()),
        Some("stopped"),
        "{logs}"
    );
}

mod validate {
    use super::cairn;
    use super::samples_dir::samples;

    /// `cairn validate --format json` on every real sample gives Backstage's `ok` and `entity_ref`.
    #[test]
    fn json_output_matches_backstage_on_every_sample_document() {
        let dir = samples();
        let expected = std::fs::read_to_string(dir.join("expected.jsonl")).expect("expected");
        let mut files: Vec<String> = expected
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("json")["file"]
                    .as_str()
                    .expect("file")
                    .to_string()
            })
            .collect();
        files.dedup();
        let out = cairn()
            .current_dir(&dir)
            .args(["validate", "--format", "json"])
            .args(&files)
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(1),
            "some samples are invalid, so the exit status is 1"
        );
        let got: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        let want: Vec<serde_json::Value> = expected
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(got.len(), want.len(), "one line per YAML document");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g["file"], &g["document"]), (&w["file"], &w["document"]));
            assert_eq!(g["ok"], w["ok"], "{g} vs Backstage {w}");
            assert_eq!(g["entity_ref"], w["entity_ref"], "{g} vs Backstage {w}");
            assert_eq!(
                g["error"].is_null(),
                w["ok"] == true,
                "an error exactly when invalid: {g}"
            );
            let keys: Vec<&String> = g.as_object().expect("object").keys().collect();
            // The order of Backstage's own verdict lines.
            assert_eq!(keys, ["file", "document", "ok", "entity_ref", "error"]);
        }
    }

    fn run(files: &[(&str, &[u8])], extra: &[&str]) -> (Option<i32>, String, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).expect("write");
        }
        let out = cairn()
            .current_dir(dir.path())
            .arg("validate")
            .args(extra)
            .args(files.iter().map(|(n, _)| *n))
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    const VALID: &[u8] = b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

    #[test]
    fn exit_status_says_valid_invalid_or_unreadable() {
        assert_eq!(run(&[("catalog-info.yaml", VALID)], &[]).0, Some(0));
        let invalid = b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  owner: team-a\n";
        let (code, out, _) = run(&[("catalog-info.yaml", VALID), ("b.yaml", invalid)], &[]);
        assert_eq!(code, Some(1));
        assert!(
            out.contains("b.yaml") && out.contains("`lifecycle` is missing"),
            "{out}"
        );
        assert!(out.contains("line 5"), "the line of spec: {out}");
        let out = cairn().args(["validate", "/no/such/path"]).output().expect("run");
        assert_eq!(out.status.code(), Some(2));
        let out = cairn()
            .args(["validate", "--format", "xml", "x"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    }

    #[test]
    fn hostile_input_becomes_errors_never_crashes_or_hangs() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (p, n) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            bomb.push_str(&format!(
                "{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            ));
        }
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let big = vec![b'#'; 2 * 1024 * 1024];
        let started = std::time::Instant::now();
        let (code, out, _) = run(
            &[
                ("bomb.yaml", bomb.as_bytes()),
                ("deep.yaml", deep.as_bytes()),
                ("big.yaml", &big),
                ("bin.yaml", b"\x00\x01\x02"),
                ("latin1.yaml", b"name: caf\xe9\n"),
            ],
            // 1 MiB, below the 2 MiB file: the default (16 MiB) would read it.
            &["--format", "json", "--max-file-size", "1048576"],
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "bounded time");
        assert_eq!(code, Some(2), "unreadable files exit 2: {out}");
        let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        let error_of = |file: &str| {
            lines
                .iter()
                .find(|l| l["file"] == file)
                .map(|l| l["error"].as_str().unwrap_or_default().to_string())
                .expect(file)
        };
        assert!(error_of("bomb.yaml").contains("aliases"), "{out}");
        assert!(!error_of("deep.yaml").is_empty());
        assert!(error_of("big.yaml").contains("limit"), "{out}");
        assert!(error_of("bin.yaml").contains("binary"), "{out}");
        assert!(error_of("latin1.yaml").contains("UTF-8"), "{out}");
        assert!(lines.iter().all(|l| l["ok"] == false));
    }

    #[test]
    fn directories_are_searched_for_catalog_info_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("svc/a")).expect("mkdir");
        std::fs::write(dir.path().join("svc/a/catalog-info.yaml"), VALID).expect("write");
        std::fs::write(dir.path().join("svc/other.yaml"), b"not: [valid").expect("write");
        let out = cairn()
            .args(["validate", "--format", "json"])
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.lines().count(), 1, "only catalog-info.yaml is picked up: {text}");
        assert!(text.contains("\"entity_ref\":\"component:default/svc\""), "{text}");
    }
}

#[test]
fn serve_is_the_default_command_and_config_goes_anywhere() {
    use cairn_server::cli::{Cli, Command};
    let parse = |args: &[&str]| Cli::try_parse_args(args.iter().copied()).map(|c| format!("{:?}", c.command()));
    for args in [
        &["cairn"][..],
        &["cairn", "--bind", "127.0.0.1:9"],
        &["cairn", "--config", "c.yaml", "serve", "--bind", "127.0.0.1:9"],
        &["cairn", "serve", "--config", "c.yaml"],
    ] {
        let command = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(command.starts_with("Serve("), "{args:?} → {command}");
    }
    assert!(matches!(
        Cli::try_parse_args(["cairn", "--config", "c.yaml", "migrate"])
            .expect("migrate")
            .command(),
        Command::Migrate(_)
    ));
    assert!(Cli::try_parse_args(["cairn", "--no-such-flag"]).is_err());
}

/// `cairn validate` on SLO files and `cairn slo rules`, whose output Debian's `promtool check
/// rules` must accept.
mod slo_files {
    use super::cairn;

    const OPENSLO: &str = include_str!("../../slo/tests/fixtures/openslo.yaml");
    const SLOTH: &str = include_str!("../../slo/tests/fixtures/sloth.yaml");
    const CATALOG: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  annotations:\n    cairn.dev/slo-files: slo/good.yaml, slo/bad.yaml, slo/missing.yaml\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

    #[test]
    fn validate_checks_slo_files_given_or_listed_by_an_entity() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("slo")).expect("mkdir");
        std::fs::write(dir.path().join("catalog-info.yaml"), CATALOG).expect("write");
        std::fs::write(dir.path().join("slo/good.yaml"), OPENSLO).expect("write");
        let bad = OPENSLO.replacen("targetPercent: 99.5", "targetPercent: 120", 1);
        assert_ne!(bad, OPENSLO, "the fixture has the target the test breaks");
        std::fs::write(dir.path().join("slo/bad.yaml"), &bad).expect("write");
        let line = bad
            .lines()
            .position(|l| l.contains("targetPercent: 120"))
            .expect("line")
            + 1;
        let out = cairn()
            .current_dir(dir.path())
            .args(["validate", "catalog-info.yaml"])
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("✓ catalog-info.yaml"), "{text}");
        assert!(text.contains("✓ slo/good.yaml:"), "{text}");
        assert!(text.contains(&format!("✗ slo/bad.yaml:{line} SLO file")), "{text}");
        assert!(text.contains("targetPercent"), "the field is named: {text}");
        assert!(text.contains("slo/missing.yaml"), "{text}");
        // An SLO file given itself is read as SLOs, not as a catalog file.
        let out = cairn()
            .current_dir(dir.path())
            .args(["validate", "--format", "json", "slo/good.yaml"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert!(
            !lines.is_empty() && lines.iter().all(|l| l["ok"] == true && l["slo"].is_string()),
            "{lines:?}"
        );
    }

    #[test]
    fn slo_rules_are_accepted_by_promtool() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("openslo.yaml"), OPENSLO).expect("write");
        std::fs::write(dir.path().join("sloth.yaml"), SLOTH).expect("write");
        let out = cairn()
            .current_dir(dir.path())
            .args(["slo", "rules", "openslo.yaml", "sloth.yaml", "--out", "rules.yaml"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("Sloth generates its rules"), "{stderr}");
        let rules = std::fs::read_to_string(dir.path().join("rules.yaml")).expect("rules");
        assert!(
            rules.contains("slo:sli_error:ratio_rate5m") && rules.contains("sloth_severity"),
            "{rules}"
        );
        let check = std::process::Command::new("promtool")
            .current_dir(dir.path())
            .args(["check", "rules", "rules.yaml"])
            .output()
            .expect("promtool (Debian's prometheus package; ./x setup installs it)");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        assert!(check.status.success(), "promtool refused the rules: {said}\n{rules}");
        assert!(said.contains("SUCCESS"), "{said}");
        // A broken file: located problems, nothing written.
        std::fs::write(
            dir.path().join("bad.yaml"),
            OPENSLO.replacen("targetPercent: 99.5", "targetPercent: 120", 1),
        )
        .expect("write");
        let out = cairn()
            .current_dir(dir.path())
            .args(["slo", "rules", "bad.yaml"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:"), "located");
    }
}
