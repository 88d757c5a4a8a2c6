//! Inputs the publish actions hand to `git`, checked first: remote URLs (a scheme allow-list, no
//! `ext::` transports, no options, no credentials in the URL), branch names, author identities.

use super::super::ActionError;

/// Longest remote URL, branch name, author name or e-mail accepted.
const MAX_URL: usize = 2048;
const MAX_NAME: usize = 200;

/// A remote `git` may push to: `https://`, `http://`, `ssh://`, scp-like `user@host:path`, and
/// `file://` only when `allow_file` (where file locations are allowed too).
pub(crate) fn remote_url(field: &str, url: &str, allow_file: bool) -> Result<(), ActionError> {
    let bad = |why: &str| ActionError::input(field, format!("`{url}` is not a Git remote Cairn pushes to: {why}"));
    if url.is_empty() || url.len() > MAX_URL {
        return Err(bad("empty or longer than 2048 characters"));
    }
    if url.starts_with('-') {
        return Err(bad("it starts with `-`, as an option would"));
    }
    if url.contains("::") {
        return Err(bad("`<transport>::` remotes (such as ext::) run programs"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it has spaces or control characters"));
    }
    match url.split_once("://") {
        Some(("https" | "http" | "ssh", rest)) => authority(rest).map_err(|why| bad(&why)),
        Some(("file", rest)) if allow_file => {
            if rest.starts_with('/') {
                Ok(())
            } else {
                Err(bad("a file:// remote needs an absolute path (file:///srv/repo.git)"))
            }
        }
        Some(("file", _)) => Err(bad(
            "file:// remotes are allowed only where file locations are (catalog.allowedLocationTypes)",
        )),
        Some((scheme, _)) => Err(bad(&format!(
            "the scheme `{scheme}` is not one of https, http, ssh (or file where allowed)"
        ))),
        None => scp_like(url).map_err(|why| bad(&why)),
    }
}

/// An http(s) remote must be on a host the configuration has a token for (`integrations.*`):
/// the server pushes nowhere else on request, so a template cannot make it reach any address.
/// (`ssh` remotes use the server's own keys, which an administrator installed for their hosts.)
pub(crate) fn configured_host(
    field: &str,
    url: &str,
    credentials: &[catalog::ingest::git::Credential],
) -> Result<(), ActionError> {
    let Some(("http" | "https", rest)) = url.split_once("://") else {
        return Ok(());
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if credentials.iter().any(|c| c.host.eq_ignore_ascii_case(host)) {
        Ok(())
    } else {
        Err(ActionError::input(
            field,
            format!(
                "Cairn publishes only to hosts configured under `integrations` (with a token); `{host}` is not one"
            ),
        ))
    }
}

/// `[user@]host[:port]/path` after the scheme: a host, a path, and no password in the URL.
fn authority(rest: &str) -> Result<(), String> {
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = match authority.rsplit_once('@') {
        Some((user, _)) if user.contains(':') => {
            return Err("credentials do not belong in the URL: configure a token for the host".into());
        }
        Some((_, host)) => host,
        None => authority,
    };
    if host.is_empty() || host.starts_with('-') {
        return Err("it names no host".into());
    }
    if path.is_empty() {
        return Err("it names no repository path".into());
    }
    Ok(())
}

/// `git@host:org/repo.git`, as ssh remotes are often written.
fn scp_like(url: &str) -> Result<(), String> {
    let Some((user_host, path)) = url.split_once(':') else {
        return Err("expected an https, ssh or file:// URL (or git@host:org/repo.git)".into());
    };
    let Some((user, host)) = user_host.split_once('@') else {
        return Err("expected an https, ssh or file:// URL (or git@host:org/repo.git)".into());
    };
    if user.is_empty() || host.is_empty() || host.starts_with('-') || path.is_empty() || path.starts_with('-') {
        return Err("an scp-like remote is user@host:path".into());
    }
    Ok(())
}

/// A branch name `git` takes as a branch and nothing else (Git's own ref rules, narrowed).
pub(crate) fn branch(field: &str, name: &str) -> Result<(), ActionError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.split('/').any(|part| part.starts_with('.'))
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._/-+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ActionError::input(
            field,
            format!(
                "`{name}` is not a branch name Cairn accepts (letters, digits, `._/-+`, no `..`, not starting with `-`)"
            ),
        ))
    }
}

/// Who commits: a name without `<>` or control characters, an e-mail without spaces.
pub(crate) fn author(name: &str, email: &str) -> Result<(), ActionError> {
    let clean =
        |s: &str| !s.is_empty() && s.len() <= MAX_NAME && !s.chars().any(|c| c.is_control() || c == '<' || c == '>');
    if !clean(name) {
        return Err(ActionError::input(
            "gitAuthorName",
            "must be 1 to 200 characters without `<`, `>` or control characters",
        ));
    }
    if !clean(email) || email.contains(char::is_whitespace) {
        return Err(ActionError::input(
            "gitAuthorEmail",
            "must be an e-mail address of at most 200 characters",
        ));
    }
    Ok(())
}

/// A commit message: some text, at most 64 KiB, no NUL.
pub(crate) fn message(field: &str, text: &str) -> Result<(), ActionError> {
    if text.trim().is_empty() || text.len() > 64 * 1024 || text.contains('\0') {
        return Err(ActionError::input(field, "must be some text of at most 64 KiB"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_remotes_must_be_configured_hosts() {
        let token = vec![catalog::ingest::git::Credential {
            host: "git.acme.dev:8443".into(),
            token: "t".into(),
        }];
        assert!(configured_host("repoUrl", "https://git.acme.dev:8443/a/b.git", &token).is_ok());
        let err = configured_host("repoUrl", "http://169.254.169.254/latest", &token).unwrap_err();
        assert!(err.to_string().contains("`169.254.169.254` is not one"), "{err}");
        assert!(configured_host("repoUrl", "file:///srv/a.git", &[]).is_ok());
        assert!(configured_host("repoUrl", "git@github.com:a/b.git", &[]).is_ok());
    }

    #[test]
    fn ordinary_remotes_pass() {
        for url in [
            "https://gitlab.example.com/group/sub/app.git",
            "http://127.0.0.1:8080/x.git",
            "ssh://git@gitea.local:2222/org/app.git",
            "git@bitbucket.org:team/app.git",
        ] {
            assert!(remote_url("repoUrl", url, false).is_ok(), "{url}");
        }
        assert!(remote_url("repoUrl", "file:///srv/git/app.git", true).is_ok());
    }

    #[test]
    fn remotes_that_could_run_anything_are_refused() {
        for url in [
            "ext::sh -c touch% /tmp/pwned",
            "ext::sh",
            "--upload-pack=touch /tmp/x",
            "-oProxyCommand=x",
            "fd::17",
            "https://user:secret@host/x.git",
            "https://-oops/x.git",
            "https://host",
            "ftp://host/x.git",
            "file:///srv/app.git",
            "git@-oProxyCommand=x:a",
            "relative/path",
            "https://host/x.git\n",
        ] {
            assert!(remote_url("repoUrl", url, false).is_err(), "{url}");
        }
        let err = remote_url("repoUrl", "file:///srv/app.git", false).unwrap_err();
        assert!(
            err.to_string().contains("allowed only where file locations are"),
            "{err}"
        );
        assert!(remote_url("repoUrl", "file://relative", true).is_err());
    }

    #[test]
    fn branch_names_follow_git_rules() {
        for ok in ["main", "release/1.2", "feature/add-ci", "v1+build"] {
            assert!(branch("b", ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "-f", "a..b", "a/", "x.lock", ".hidden", "a/.b", "a b", "a@{1}", "a:b", "a~1",
        ] {
            assert!(branch("b", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn authors_and_messages_are_bounded() {
        assert!(author("Cairn", "scaffolder@cairn.invalid").is_ok());
        assert!(author("Evil <x@y>", "a@b").is_err());
        assert!(author("ok", "a b@c").is_err());
        assert!(message("m", "initial commit").is_ok());
        assert!(message("m", "  ").is_err());
        assert!(message("m", "a\0b").is_err());
    }
}
