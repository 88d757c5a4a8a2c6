//! The publish actions against real remotes: bare repositories (file://) and a Git smart-HTTP
//! server with a token (`git http-backend`) for `publish:git`; the local GitHub API with created
//! repositories served over HTTP for `publish:github` and its pull requests (`publish/github.rs`).
//! Files are checked in clones; hostile remotes, wrong tokens and dry runs push nothing.
#![cfg(feature = "backend")]

#[path = "../../catalog/tests/support/git_http.rs"]
mod git_http;
#[path = "publish/github.rs"]
mod github;
#[path = "../../catalog/tests/support/github_api.rs"]
mod github_api;
#[path = "publish/support.rs"]
mod support;

use catalog::ingest::git::{Credential, GitSettings};
use serde_json::json;
use support::{Fixture, git, run};
use templates::actions::Services;

/// The hosts tokens are given for are the tests' local Git servers: allowed, on loopback.
fn services(allow_file: bool, credentials: Vec<Credential>) -> Services {
    let reading = outbound::ReadingPolicy {
        allow_private_networks: true,
        ..outbound::ReadingPolicy::default()
    };
    Services {
        git: GitSettings {
            allow_file,
            reading: reading.with_hosts(credentials.iter().map(|c| c.host.clone())),
            credentials,
            ..GitSettings::default()
        },
        ..Services::default()
    }
}

fn skeleton(fx: &Fixture) {
    fx.file("README.md", "# payments\n")
        .file("catalog-info.yaml", "kind: Component\nmetadata:\n  name: payments\n")
        .file("src/main.rs", "fn main() {}\n")
        .file("app/Dockerfile", "FROM scratch\n");
}

#[tokio::test]
async fn a_workspace_becomes_the_first_commit_of_a_bare_repository() {
    let fx = Fixture::new();
    skeleton(&fx);
    let remote = fx.bare("payments");
    let url = format!("file://{}", remote.display());
    let input = json!({"repoUrl": url, "gitCommitMessage": "Create payments", "gitAuthorName": "Jane Doe", "gitAuthorEmail": "jane@example.com"});
    let outcome = run(&fx, services(true, vec![]), "publish:git", input, false).await;
    let output = outcome.output();
    let commit = output["commitHash"].as_str().expect("commitHash");
    assert_eq!(git(&remote, &["rev-parse", "refs/heads/main"]).trim(), commit);
    assert_eq!(output["remoteUrl"], url.as_str());
    assert_eq!(output["repoContentsUrl"], format!("{url}?ref=main"));
    assert_eq!(outcome.side_effects, [format!("pushed {commit} to {url}")]);
    let clone = fx.clone(&url);
    assert_eq!(
        std::fs::read_to_string(clone.join("src/main.rs")).unwrap(),
        "fn main() {}\n"
    );
    assert_eq!(
        std::fs::read_to_string(clone.join("app/Dockerfile")).unwrap(),
        "FROM scratch\n"
    );
    let log = git(&clone, &["log", "--format=%an <%ae>|%s"]);
    assert_eq!(log.trim(), "Jane Doe <jane@example.com>|Create payments");
    assert_eq!(git(&clone, &["ls-files"]).lines().count(), 4);
    // The contents URL is a `git` location the catalog reads.
    let target = format!("{}&path=catalog-info.yaml", output["repoContentsUrl"].as_str().unwrap());
    let parsed = catalog::ingest::git::parse_target(
        "git",
        &target,
        &GitSettings {
            allow_file: true,
            ..GitSettings::default()
        },
    )
    .expect("a git location");
    assert_eq!(
        (parsed.repo.as_str(), parsed.reference.as_deref(), parsed.path.as_str()),
        (url.as_str(), Some("main"), "catalog-info.yaml")
    );
    // Nothing of the commit was left in the workspace.
    assert!(!fx.workspace().join(".git").exists());
}

#[tokio::test]
async fn a_branch_with_commits_is_refused_unless_forced() {
    let fx = Fixture::new();
    skeleton(&fx);
    let remote = fx.bare("taken");
    let url = format!("file://{}", remote.display());
    let first = run(
        &fx,
        services(true, vec![]),
        "publish:git",
        json!({"repoUrl": url}),
        false,
    )
    .await;
    let first_commit = first.output()["commitHash"].as_str().unwrap().to_string();
    fx.file("README.md", "# changed\n");
    let again = run(
        &fx,
        services(true, vec![]),
        "publish:git",
        json!({"repoUrl": url}),
        false,
    )
    .await;
    let err = again.error();
    assert!(err.contains("the repository already has a main branch"), "{err}");
    assert!(again.side_effects.is_empty());
    assert_eq!(git(&remote, &["rev-parse", "main"]).trim(), first_commit);
    let forced = run(
        &fx,
        services(true, vec![]),
        "publish:git",
        json!({"repoUrl": url, "force": true}),
        false,
    )
    .await;
    let forced_commit = forced.output()["commitHash"].as_str().unwrap();
    assert_eq!(git(&remote, &["rev-parse", "main"]).trim(), forced_commit);
    assert_eq!(git(&remote, &["show", "main:README.md"]), "# changed\n");
}

#[tokio::test]
async fn source_path_and_branch_choose_what_goes_where() {
    let fx = Fixture::new();
    skeleton(&fx);
    let remote = fx.bare("app-only");
    let url = format!("file://{}", remote.display());
    let input = json!({"repoUrl": url, "sourcePath": "app", "defaultBranch": "trunk"});
    let outcome = run(&fx, services(true, vec![]), "publish:git", input, false).await;
    assert_eq!(outcome.output()["repoContentsUrl"], format!("{url}?ref=trunk"));
    assert_eq!(
        git(&remote, &["ls-tree", "--name-only", "-r", "trunk"]).trim(),
        "Dockerfile"
    );
    let missing = run(
        &fx,
        services(true, vec![]),
        "publish:git",
        json!({"repoUrl": url, "sourcePath": "nowhere", "force": true}),
        false,
    )
    .await;
    assert!(
        missing
            .error()
            .contains("input `sourcePath`: `nowhere` is not a directory of the workspace"),
        "{}",
        missing.error()
    );
    let escape = run(
        &fx,
        services(true, vec![]),
        "publish:git",
        json!({"repoUrl": url, "sourcePath": "../..", "force": true}),
        false,
    )
    .await;
    assert!(escape.error().contains("outside the workspace"), "{}", escape.error());
}

#[tokio::test]
async fn pushes_over_http_carry_the_hosts_token_and_a_wrong_one_is_named() {
    let fx = Fixture::new();
    skeleton(&fx);
    let served = fx.dir.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let remote = served.join("svc.git");
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "--quiet", "--bare", "--initial-branch", "main"]);
    let server = git_http::GitHttpServer::start(served, "s3cret-token").await;
    let url = format!("{}/svc.git", server.url());
    let host = server.addr.to_string();
    let wrong = vec![Credential {
        host: host.clone(),
        token: "wrong-token".into(),
    }];
    let refused = run(
        &fx,
        services(false, wrong),
        "publish:git",
        json!({"repoUrl": url}),
        false,
    )
    .await;
    let err = refused.error();
    assert!(
        err.contains(&format!(
            "the remote refused the credentials: check the token configured for {host}"
        )),
        "{err}"
    );
    assert!(!err.contains("wrong-token"), "{err}");
    assert!(refused.side_effects.is_empty());
    let right = vec![Credential {
        host,
        token: "s3cret-token".into(),
    }];
    let outcome = run(
        &fx,
        services(false, right),
        "publish:git",
        json!({"repoUrl": url}),
        false,
    )
    .await;
    let commit = outcome.output()["commitHash"].as_str().unwrap();
    assert_eq!(git(&remote, &["rev-parse", "main"]).trim(), commit);
    assert_eq!(git(&remote, &["show", "main:README.md"]), "# payments\n");
    assert!(outcome.logs.iter().all(|l| !l.contains("s3cret-token")));
}

#[tokio::test]
async fn a_dry_run_computes_the_commit_and_pushes_nothing() {
    let fx = Fixture::new();
    skeleton(&fx);
    let remote = fx.bare("dry");
    let url = format!("file://{}", remote.display());
    let outcome = run(
        &fx,
        services(true, vec![]),
        "publish:git",
        json!({"repoUrl": url}),
        true,
    )
    .await;
    let output = outcome.output();
    assert_eq!(output["commitHash"].as_str().unwrap().len(), 40);
    assert!(
        outcome
            .logs
            .iter()
            .any(|l| l.contains("Dry run: would push 4 files as commit")),
        "{:?}",
        outcome.logs
    );
    assert!(outcome.side_effects.is_empty());
    assert_eq!(git(&remote, &["for-each-ref"]), "", "nothing was pushed");
}

#[tokio::test]
async fn remotes_the_reading_policy_refuses_are_never_reached() {
    let fx = Fixture::new();
    skeleton(&fx);
    // Tokens for the hosts (publishing needs one), but the policy decides what is reached.
    let credentials: Vec<Credential> = ["example.com", "127.0.0.2:9"]
        .iter()
        .map(|h| Credential {
            host: h.to_string(),
            token: "t0ken".into(),
        })
        .collect();
    let with = |reading| Services {
        git: GitSettings {
            credentials: credentials.clone(),
            reading,
            ..GitSettings::default()
        },
        ..Services::default()
    };
    let strict = with(outbound::ReadingPolicy::default());
    let listed = |allow_private_networks| outbound::ReadingPolicy {
        allow: vec![outbound::AllowRule::host("127.0.0.2:9")],
        allow_private_networks,
    };
    let (private, open) = (with(listed(false)), with(listed(true)));
    for (services, url, why) in [
        (&strict, "https://example.com/acme/x.git", "is not an allowed host"),
        (&strict, "http://127.0.0.2:9/acme/x.git", "is not an allowed host"),
        (&private, "http://127.0.0.2:9/acme/x.git", "private or loopback address"),
        (&open, "http://127.0.0.2:9/acme/x.git", "could not be reached"),
    ] {
        let outcome = run(&fx, services.clone(), "publish:git", json!({"repoUrl": url}), false).await;
        let err = outcome.error();
        assert!(err.contains(why), "{url}: {err}");
        for leak in ["Failed to connect", "port", "/tmp", "git push", "fatal:"] {
            assert!(!err.contains(leak), "{url}: `{leak}` in {err}");
        }
        assert!(outcome.side_effects.is_empty(), "{url}");
    }
}

#[tokio::test]
async fn hostile_remotes_are_refused_before_git_runs() {
    let fx = Fixture::new();
    skeleton(&fx);
    let marker = fx.dir.path().join("pwned");
    let ext = format!("ext::sh -c touch% {}", marker.display());
    let cases = [
        (ext.as_str(), "run programs"),
        ("ext::sh", "run programs"),
        ("--upload-pack=touch /tmp/cairn-pwned", "starts with `-`"),
        ("-oProxyCommand=touch /tmp/cairn-pwned", "starts with `-`"),
        (
            "https://user:password@example.com/x.git",
            "credentials do not belong in the URL",
        ),
        ("ftp://example.com/x.git", "the scheme `ftp`"),
        (
            "file:///tmp/somewhere.git",
            "file:// remotes are allowed only where file locations are",
        ),
    ];
    for (url, why) in cases {
        let outcome = run(
            &fx,
            services(false, vec![]),
            "publish:git",
            json!({"repoUrl": url}),
            false,
        )
        .await;
        let err = outcome.error();
        assert!(err.starts_with("input `repoUrl`"), "{url}: {err}");
        assert!(err.contains(why), "{url}: {err}");
    }
    assert!(!marker.exists());
    let branch = run(
        &fx,
        services(true, vec![]),
        "publish:git",
        json!({"repoUrl": "file:///tmp/x.git", "defaultBranch": "--force"}),
        false,
    )
    .await;
    assert!(
        branch.error().starts_with("input `defaultBranch`"),
        "{}",
        branch.error()
    );
}
