//! Running `git`: no terminal, prompts or system configuration, a timeout, tokens through the
//! environment only, the reading policy applied before any command reaches a remote, and
//! failures told to callers in a few safe sentences (the detail goes to the server log).

use std::path::Path;
use std::process::Stdio;

use base64::Engine;

use super::GitSettings;
use crate::ingest::{IngestError, RemoteFailure};

/// Subcommands that reach the repository's server.
const NETWORK: [&str; 5] = ["ls-remote", "fetch", "push", "clone", "pull"];

/// Runs `git -C dir args…` for the catalog's checkouts and other writers of repositories (the
/// scaffolder's publish actions), with `env` added: no terminal, prompts or system
/// configuration, killed at the settings' timeout, the token for `repo`'s host passed through
/// the environment only (scoped to that host). A command that reaches `repo` runs only when the
/// reading policy allows its host and addresses; over http(s) it connects to the addresses
/// vetted and follows no redirect. Errors name `repo` (without credentials) and a kind, never a
/// path, a command line or Git's own words. Returns standard output.
pub async fn run_git(
    settings: &GitSettings,
    repo: &str,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<String, IngestError> {
    let subcommand = args.first().copied().unwrap_or_default();
    let mut command = tokio::process::Command::new("git");
    if NETWORK.contains(&subcommand) {
        for option in vet_remote(settings, repo).await? {
            command.arg("-c").arg(option);
        }
    }
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .envs(env.iter().copied())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_ALLOW_PROTOCOL", "https:http:ssh:file")
        .env(
            "GIT_SSH_COMMAND",
            "ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15",
        )
        // Killing `git` at the timeout leaves its HTTP helper behind; this makes the helper give
        // up by itself on a server that stalls, a little after the timeout has said why.
        .env("GIT_HTTP_LOW_SPEED_LIMIT", "1")
        .env("GIT_HTTP_LOW_SPEED_TIME", (settings.timeout.as_secs() + 5).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let token = host_of(repo).and_then(|host| settings.credentials.iter().find(|c| c.host == host));
    if let Some(credential) = token {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{}", credential.token));
        command
            .env("GIT_CONFIG_COUNT", "1")
            .env(
                "GIT_CONFIG_KEY_0",
                // Scoped to the host and scheme the location names: a redirect elsewhere never carries it.
                format!("http.{}://{}/.extraHeader", scheme_of(repo), credential.host),
            )
            .env("GIT_CONFIG_VALUE_0", format!("Authorization: Basic {basic}"));
    }
    let child = command.spawn().map_err(|e| {
        tracing::warn!(error = %e, "cannot run git");
        IngestError::Read("cannot run git (is it installed?)".into())
    })?;
    let output = match tokio::time::timeout(settings.timeout, child.wait_with_output()).await {
        Err(_) => {
            let detail = format!("stopped after {} s", settings.timeout.as_secs());
            return Err(failure(repo, subcommand, RemoteFailure::Unreachable, &detail));
        }
        Ok(Err(e)) => return Err(failure(repo, subcommand, RemoteFailure::Failed, &e.to_string())),
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if let Some(credential) = token {
            detail = detail.replace(&credential.token, "***");
        }
        detail.truncate(1000);
        let kind = if NETWORK.contains(&subcommand) {
            classify(&detail)
        } else {
            RemoteFailure::Failed
        };
        return Err(failure(repo, subcommand, kind, &detail));
    }
    Ok(String::from_utf8_lossy(&output.stdout).to_string())
}

/// The policy's verdict on a remote `repo`, and the `-c` options that hold Git to it: over
/// http(s), the addresses vetted (`http.curloptResolve`, so a second lookup cannot answer
/// differently) and no redirects (a redirect's target cannot be vetted in advance). Over ssh the
/// host and its addresses are checked, but ssh resolves the name again itself. `file://` has its
/// own rule (`allow_file`, checked when the target was parsed).
async fn vet_remote(settings: &GitSettings, repo: &str) -> Result<Vec<String>, IngestError> {
    let scheme = repo.split_once("://").map(|(s, _)| s);
    if scheme == Some("file") {
        return Ok(Vec::new());
    }
    let resolved = settings.reading.check_repository(repo).await.map_err(|refused| {
        let kind = match refused {
            outbound::Refused::Unreachable(_) => RemoteFailure::Unreachable,
            _ => RemoteFailure::NotAllowed,
        };
        tracing::warn!(repo = %outbound::without_credentials(repo), %refused, "git: remote refused by the reading policy");
        IngestError::Remote {
            kind,
            message: refused.to_string(),
        }
    })?;
    if !matches!(scheme, Some("http" | "https")) {
        return Ok(Vec::new());
    }
    let mut options = vec!["http.followRedirects=false".to_string()];
    options.extend(resolved.curl_resolve().map(|pin| format!("http.curloptResolve={pin}")));
    Ok(options)
}

/// What Git's complaint amounts to, in the kinds callers may be told apart. Everything about
/// connecting is one kind: nothing listening, refused, unknown host, no answer, a TLS handshake
/// with something that is no web server.
fn classify(stderr: &str) -> RemoteFailure {
    let text = stderr.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if any(&["returned error: 30"]) {
        RemoteFailure::Redirected
    } else if any(&[
        "failed to connect",
        "couldn't connect",
        "could not connect",
        "could not resolve",
        "connection refused",
        "connection reset",
        "connection timed out",
        "timed out",
        "no route to host",
        "network is unreachable",
        "ssh: connect to host",
        "empty reply",
        "recv failure",
        "send failure",
        "ssl",
        "tls",
        "gnutls",
        "unexpected disconnect",
        "early eof",
        "rpc failed",
        "connection closed",
    ]) {
        RemoteFailure::Unreachable
    } else if any(&[
        "returned error: 401",
        "returned error: 403",
        "returned error: 404",
        "authentication failed",
        "terminal prompts disabled",
        "could not read username",
        "could not read password",
        "repository not found",
        "not found",
        "does not appear to be a git repository",
        "permission denied",
        "host key verification failed",
        "access denied",
    ]) {
        RemoteFailure::NotReadable
    } else {
        RemoteFailure::Failed
    }
}

/// The caller's message for a failure of `git <subcommand>` on `repo`; the detail is logged
/// (with the request's span, so with its id) and kept out of the message.
fn failure(repo: &str, subcommand: &str, kind: RemoteFailure, detail: &str) -> IngestError {
    let shown = outbound::without_credentials(repo);
    // `rev-parse --verify --quiet` fails silently where there is nothing yet: not worth a warning.
    if !detail.is_empty() {
        tracing::warn!(repo = %shown, git = subcommand, ?kind, detail, "git failed");
    }
    let message = match kind {
        _ if repo.is_empty() || !NETWORK.contains(&subcommand) => {
            format!(
                "Git could not prepare Cairn's copy of {}",
                if repo.is_empty() { "the repository" } else { &shown }
            )
        }
        RemoteFailure::Unreachable => outbound::Refused::Unreachable(shown).to_string(),
        RemoteFailure::NotReadable => format!("{shown} was not found, or is not readable with Cairn's credentials"),
        RemoteFailure::Redirected => {
            format!("{shown} answered with a redirect, which Cairn does not follow: register the URL it redirects to")
        }
        RemoteFailure::NotAllowed | RemoteFailure::Failed if subcommand == "push" => {
            format!("Git could not push to {shown}")
        }
        RemoteFailure::NotAllowed | RemoteFailure::Failed => format!("Git could not read {shown}"),
    };
    IngestError::Remote { kind, message }
}

pub(super) fn scheme_of(repo: &str) -> &str {
    repo.split_once("://").map_or("https", |(s, _)| s)
}

pub(super) fn host_of(repo: &str) -> Option<&str> {
    let rest = repo.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    Some(authority.rsplit('@').next().unwrap_or(authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_one_kind() {
        for stderr in [
            "fatal: unable to access 'http://127.0.0.2:9/acme/shop/': Failed to connect to 127.0.0.2 port 9 after 0 ms: Couldn't connect to server",
            "fatal: unable to access 'https://nonexistent.invalid/acme/shop/': Could not resolve host: nonexistent.invalid",
            "fatal: unable to access 'https://10.0.0.1/x/': Connection timed out after 30001 milliseconds",
            "fatal: unable to access 'https://127.0.0.1:22/x/': OpenSSL SSL_connect: SSL_ERROR_SYSCALL",
            "ssh: connect to host 10.0.0.1 port 22: Connection refused\nfatal: Could not read from remote repository.",
        ] {
            assert_eq!(classify(stderr), RemoteFailure::Unreachable, "{stderr}");
        }
        assert_eq!(
            classify("fatal: unable to access 'http://h/x/': The requested URL returned error: 301"),
            RemoteFailure::Redirected
        );
        for stderr in [
            "fatal: unable to access 'http://h/x/': The requested URL returned error: 404",
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
            "remote: Repository not found.\nfatal: repository 'https://github.com/a/b/' not found",
            "fatal: '/srv/x' does not appear to be a git repository",
        ] {
            assert_eq!(classify(stderr), RemoteFailure::NotReadable, "{stderr}");
        }
    }

    #[test]
    fn messages_carry_no_detail_paths_or_commands() {
        let detail =
            "fatal: unable to access 'http://127.0.0.2:9/acme/shop/': Failed to connect to 127.0.0.2 port 9 after 0 ms";
        let message = failure(
            "http://u:secret@127.0.0.2:9/acme/shop",
            "ls-remote",
            classify(detail),
            detail,
        )
        .to_string();
        assert_eq!(
            message,
            "http://127.0.0.2:9/acme/shop could not be reached, or did not answer in time"
        );
        let local = failure(
            "",
            "checkout",
            RemoteFailure::Failed,
            "error: /tmp/x/git-cache/abc: bad",
        )
        .to_string();
        assert!(!local.contains("/tmp") && !local.contains("git checkout"), "{local}");
        let push = failure("https://github.com/a/b", "push", RemoteFailure::Failed, "! [rejected]").to_string();
        assert_eq!(push, "Git could not push to https://github.com/a/b");
    }
}
