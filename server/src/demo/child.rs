//! The demo's helpers run as child processes of the portal (testkit's `kube-api`,
//! `prometheus-fixture`): started with their standard input piped, so they end when it closes
//! (when the portal ends, even killed), and read for the `listening on http://127.0.0.1:PORT`
//! line that says where they serve.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Starts `command args…` and waits up to `timeout` for its address. `what` names it in errors
/// (the setting, and how to build it).
pub async fn start(command: &Path, args: &[&str], what: &str, timeout: Duration) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(command)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("{what}: cannot start {}", command.display()))?;
    let stdout = child.stdout.take().context("the child's output")?;
    let mut first = String::new();
    let mut lines = BufReader::new(stdout);
    tokio::time::timeout(timeout, lines.read_line(&mut first))
        .await
        .with_context(|| format!("{what}: did not say where it listens within {} s", timeout.as_secs()))??;
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .filter(|url| url.starts_with("http://127.0.0.1:"))
        .with_context(|| format!("{what}: unexpected first line {first:?}"))?
        .to_owned();
    Ok((child, url))
}
