//! `publish:github` and `publish:github:pull-request` against the local GitHub API, whose created
//! repositories are bare repositories served by a smart-HTTP Git server with the same token.

use std::path::PathBuf;

use catalog::ingest::github::{GithubAuth, GithubIntegration, GithubSettings};
use catalog::service::Secret;
use serde_json::json;
use templates::actions::Services;

use super::git_http::GitHttpServer;
use super::github_api::GithubApi;
use super::support::{Fixture, git, run};

const TOKEN: &str = "ghp_publishing";
const HOST: &str = "github.example";

/// The API (organisation `acme`, user `jane` owning the token) and its Git server.
struct Github {
    api: GithubApi,
    git: GitHttpServer,
    root: PathBuf,
}

async fn github(fx: &Fixture) -> Github {
    let root = fx.dir.path().join("github-git");
    std::fs::create_dir_all(&root).unwrap();
    let git = GitHttpServer::start(root.clone(), TOKEN).await;
    let api = GithubApi::start_at("/api/v3").await;
    {
        let mut state = api.state();
        state.token = Some(TOKEN.into());
        state.login = Some("jane".into());
        state.add_org("acme");
        state.add_user(Some("acme"), "jane", Some("Jane Doe"), None);
        state.git_root = Some(root.clone());
        state.html_base = Some(git.url());
    }
    Github { api, git, root }
}

/// Git reaches the test's local Git server: allowed, on loopback.
fn local_git(addr: std::net::SocketAddr) -> catalog::ingest::git::GitSettings {
    catalog::ingest::git::GitSettings {
        reading: outbound::ReadingPolicy {
            allow: vec![outbound::AllowRule::host(addr.to_string())],
            allow_private_networks: true,
        },
        ..Default::default()
    }
}

fn services(gh: &Github, token: &str) -> Services {
    Services {
        git: local_git(gh.git.addr),
        github: vec![GithubIntegration {
            host: HOST.into(),
            settings: GithubSettings {
                api_base_url: gh.api.url.clone(),
                auth: GithubAuth::Token(Secret(token.into())),
                ..GithubSettings::default()
            },
        }],
        ..Services::default()
    }
}

fn skeleton(fx: &Fixture) {
    fx.file("README.md", "# payments\n")
        .file("catalog-info.yaml", "kind: Component\nmetadata:\n  name: payments\n")
        .file(".github/workflows/ci.yml", "on: push\n");
}

impl Github {
    fn bare(&self, owner: &str, name: &str) -> PathBuf {
        self.root.join(owner).join(format!("{name}.git"))
    }

    fn paths(&self) -> Vec<String> {
        self.api.state().paths.keys().cloned().collect()
    }
}

#[tokio::test]
async fn an_organisation_repository_is_created_pushed_and_protected() {
    let fx = Fixture::new();
    skeleton(&fx);
    let gh = github(&fx).await;
    let input = json!({
        "repoUrl": format!("{HOST}?owner=acme&repo=payments"), "description": "Takes the money",
        "repoVisibility": "internal", "defaultBranch": "trunk", "topics": ["rust", "payments"],
        "requiredApprovingReviewCount": 2, "deleteBranchOnMerge": true, "gitCommitMessage": "Scaffold payments",
    });
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github", input, false).await;
    let output = outcome.output().clone();
    let html = format!("{}/acme/payments", gh.git.url());
    assert_eq!(output["remoteUrl"], html.as_str());
    assert_eq!(output["repoContentsUrl"], format!("{html}/blob/trunk"));
    let bare = gh.bare("acme", "payments");
    let commit = output["commitHash"].as_str().unwrap();
    assert_eq!(git(&bare, &["rev-parse", "trunk"]).trim(), commit);
    assert_eq!(git(&bare, &["show", "trunk:.github/workflows/ci.yml"]), "on: push\n");
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%s", "trunk"]).trim(),
        "Scaffold payments"
    );
    assert_eq!(
        outcome.side_effects,
        [
            format!("created GitHub repository {html}"),
            format!("pushed {commit} to {html}.git")
        ]
    );
    let mut state = gh.api.state();
    let repo = state.repo("acme", "payments");
    assert_eq!(repo.visibility, "internal");
    assert_eq!(repo.description.as_deref(), Some("Takes the money"));
    assert_eq!(repo.topics, ["rust", "payments"]);
    assert_eq!(repo.created_with.as_ref().unwrap()["delete_branch_on_merge"], true);
    let protection = &repo.protection["trunk"];
    assert_eq!(
        protection["required_pull_request_reviews"]["required_approving_review_count"],
        2
    );
    assert_eq!(protection["enforce_admins"], true);
    assert!(state.paths.contains_key("/api/v3/orgs/acme/repos"));
    assert!(!state.paths.contains_key("/api/v3/user/repos"));
}

#[tokio::test]
async fn the_tokens_own_user_gets_a_personal_repository() {
    let fx = Fixture::new();
    skeleton(&fx);
    let gh = github(&fx).await;
    let internal = json!({"repoUrl": format!("{HOST}?owner=jane&repo=notes"), "repoVisibility": "internal"});
    let refused = run(&fx, services(&gh, TOKEN), "publish:github", internal, false).await;
    assert!(
        refused
            .error()
            .contains("internal repositories belong to organisations; jane is a user"),
        "{}",
        refused.error()
    );
    let input = json!({"repoUrl": format!("{HOST}?owner=jane&repo=notes"), "protectDefaultBranch": false});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github", input, false).await;
    assert_eq!(outcome.output()["remoteUrl"], format!("{}/jane/notes", gh.git.url()));
    assert!(gh.paths().contains(&"/api/v3/user/repos".to_string()));
    let mut state = gh.api.state();
    let repo = state.repo("jane", "notes");
    assert_eq!(repo.visibility, "private");
    assert!(repo.protection.is_empty());
    assert!(repo.created_with.as_ref().unwrap().get("visibility").is_none());
    drop(state);
    assert_eq!(
        git(&gh.bare("jane", "notes"), &["show", "main:README.md"]),
        "# payments\n"
    );
}

#[tokio::test]
async fn an_existing_repository_is_refused_and_nothing_is_pushed() {
    let fx = Fixture::new();
    skeleton(&fx);
    let gh = github(&fx).await;
    gh.api.state().add_repo("acme", "taken");
    let outcome = run(
        &fx,
        services(&gh, TOKEN),
        "publish:github",
        json!({"repoUrl": format!("{HOST}?owner=acme&repo=taken")}),
        false,
    )
    .await;
    assert_eq!(
        outcome.error(),
        "the repository acme/taken already exists on github.example: nothing was created or pushed"
    );
    assert!(outcome.side_effects.is_empty());
    // A repository the token cannot see still makes creation fail with GitHub's 422.
    gh.api.state().add_repo("acme", "hidden").deleted = true;
    let hidden = run(
        &fx,
        services(&gh, TOKEN),
        "publish:github",
        json!({"repoUrl": format!("{HOST}?owner=acme&repo=hidden")}),
        false,
    )
    .await;
    assert!(
        hidden.error().contains("acme/hidden already exists"),
        "{}",
        hidden.error()
    );
    assert!(!gh.bare("acme", "taken").exists() && !gh.bare("acme", "hidden").exists());
}

#[tokio::test]
async fn a_wrong_token_is_named_without_being_shown() {
    let fx = Fixture::new();
    skeleton(&fx);
    let gh = github(&fx).await;
    let outcome = run(
        &fx,
        services(&gh, "ghp_wrong"),
        "publish:github",
        json!({"repoUrl": format!("{HOST}?owner=acme&repo=svc")}),
        false,
    )
    .await;
    let err = outcome.error();
    assert!(
        err.contains("answered 401: Bad credentials (the token is missing, wrong or expired)"),
        "{err}"
    );
    assert!(!err.contains("ghp_wrong"));
    assert_eq!(gh.api.state().repos.len(), 0);
    let unknown = run(
        &fx,
        services(&gh, TOKEN),
        "publish:github",
        json!({"repoUrl": "github.com?owner=acme&repo=svc"}),
        false,
    )
    .await;
    assert!(
        unknown.error().contains("no integrations.github entry for github.com"),
        "{}",
        unknown.error()
    );
}

#[tokio::test]
async fn a_failure_after_creation_says_where_the_repository_is_and_what_it_lacks() {
    let fx = Fixture::new();
    skeleton(&fx);
    let gh = github(&fx).await;
    gh.api.state().protection_needs_public = true;
    let outcome = run(
        &fx,
        services(&gh, TOKEN),
        "publish:github",
        json!({"repoUrl": format!("{HOST}?owner=acme&repo=closed")}),
        false,
    )
    .await;
    let err = outcome.error();
    let html = format!("{}/acme/closed", gh.git.url());
    assert!(
        err.starts_with(&format!("the repository was created at {html}, but protecting the default branch failed, so its main branch is not protected: ")),
        "{err}"
    );
    assert!(err.contains("Upgrade to GitHub Pro"), "{err}");
    assert_eq!(
        outcome.side_effects.len(),
        2,
        "created and pushed: {:?}",
        outcome.side_effects
    );
    assert_eq!(
        git(&gh.bare("acme", "closed"), &["show", "main:README.md"]),
        "# payments\n"
    );
}

#[tokio::test]
async fn a_dry_run_calls_no_api() {
    let fx = Fixture::new();
    skeleton(&fx);
    let gh = github(&fx).await;
    let input = json!({"repoUrl": format!("{HOST}?owner=acme&repo=dry"), "topics": ["rust"]});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github", input, true).await;
    let output = outcome.output();
    assert_eq!(output["remoteUrl"], "https://github.example/acme/dry");
    assert_eq!(output["repoContentsUrl"], "https://github.example/acme/dry/blob/main");
    assert!(
        outcome.logs.iter().any(|l| l.starts_with(
            "Dry run: would create the private repository acme/dry on github.example, push 3 files as commit"
        )),
        "{:?}",
        outcome.logs
    );
    assert_eq!(gh.api.state().requests, 0);
    assert!(outcome.side_effects.is_empty());
    let pr = json!({"repoUrl": format!("{HOST}?owner=acme&repo=dry"), "branchName": "cairn/x", "title": "X"});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github:pull-request", pr, true).await;
    assert_eq!(
        outcome.output()["remoteUrl"],
        "https://github.example/acme/dry/pull/new/cairn/x"
    );
    assert_eq!(gh.api.state().requests, 0);
}

/// An existing repository `acme/service-a` with a README on `main`.
fn existing(fx: &Fixture, gh: &Github) {
    gh.api.state().add_repo("acme", "service-a");
    let bare = gh.bare("acme", "service-a");
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "--quiet", "--bare", "--initial-branch", "main"]);
    let work = fx.dir.path().join("service-a");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "--quiet", "--initial-branch", "main"]);
    std::fs::write(work.join("README.md"), "# service-a\n").unwrap();
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "--quiet", "-m", "start"]);
    git(&work, &["push", "--quiet", bare.to_str().unwrap(), "main"]);
}

#[tokio::test]
async fn a_pull_request_brings_the_files_onto_a_new_branch() {
    let fx = Fixture::new();
    fx.file(".github/workflows/ci.yml", "on: pull_request\n");
    let gh = github(&fx).await;
    existing(&fx, &gh);
    let repo_url = format!("{HOST}?owner=acme&repo=service-a");
    let input = json!({"repoUrl": repo_url, "branchName": "cairn/ci", "title": "Add CI", "description": "Rolled out by the platform team", "draft": true});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github:pull-request", input, false).await;
    let output = outcome.output();
    assert_eq!(output["remoteUrl"], format!("{}/acme/service-a/pull/1", gh.git.url()));
    assert_eq!(output["pullRequestNumber"], 1);
    assert_eq!(output["targetBranchName"], "main");
    let bare = gh.bare("acme", "service-a");
    assert_eq!(
        git(&bare, &["show", "cairn/ci:.github/workflows/ci.yml"]),
        "on: pull_request\n"
    );
    assert_eq!(
        git(&bare, &["show", "cairn/ci:README.md"]),
        "# service-a\n",
        "what was there stays"
    );
    assert_eq!(git(&bare, &["log", "-1", "--format=%s", "cairn/ci"]).trim(), "Add CI");
    assert_eq!(
        git(&bare, &["rev-list", "--count", "main"]).trim(),
        "1",
        "main is untouched"
    );
    {
        let mut state = gh.api.state();
        let pull = &state.repo("acme", "service-a").pulls[0];
        assert_eq!(
            (pull.title.as_str(), pull.head.as_str(), pull.base.as_str(), pull.draft),
            ("Add CI", "cairn/ci", "main", true)
        );
        assert_eq!(pull.body.as_deref(), Some("Rolled out by the platform team"));
    }
    assert_eq!(outcome.side_effects.len(), 2, "{:?}", outcome.side_effects);

    // Into a subdirectory, on another branch.
    let input = json!({"repoUrl": repo_url, "branchName": "cairn/deploy", "title": "Deploy", "targetPath": "deploy", "commitMessage": "Add deploy files"});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github:pull-request", input, false).await;
    assert_eq!(outcome.output()["pullRequestNumber"], 2);
    assert_eq!(
        git(&bare, &["show", "cairn/deploy:deploy/.github/workflows/ci.yml"]),
        "on: pull_request\n"
    );
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%s", "cairn/deploy"]).trim(),
        "Add deploy files"
    );
}

#[tokio::test]
async fn pull_requests_refuse_a_taken_branch_no_changes_and_unknown_repositories() {
    let fx = Fixture::new();
    fx.file("README.md", "# service-a\n");
    let gh = github(&fx).await;
    existing(&fx, &gh);
    let repo_url = format!("{HOST}?owner=acme&repo=service-a");
    let same = json!({"repoUrl": repo_url, "branchName": "cairn/noop", "title": "Nothing"});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github:pull-request", same, false).await;
    assert_eq!(
        outcome.error(),
        "the workspace's 1 file(s) are already on main of acme/service-a: there is nothing to propose"
    );
    let taken = json!({"repoUrl": repo_url, "branchName": "main", "title": "Again"});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github:pull-request", taken, false).await;
    assert_eq!(
        outcome.error(),
        "acme/service-a already has a branch main: choose another branchName (nothing was pushed)"
    );
    let missing = json!({"repoUrl": format!("{HOST}?owner=acme&repo=nope"), "branchName": "x", "title": "X"});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github:pull-request", missing, false).await;
    assert!(
        outcome
            .error()
            .contains("GitHub GET /repos/acme/nope on github.example answered 404"),
        "{}",
        outcome.error()
    );
    let escape = json!({"repoUrl": repo_url, "branchName": "x", "title": "X", "targetPath": "../outside"});
    let outcome = run(&fx, services(&gh, TOKEN), "publish:github:pull-request", escape, false).await;
    assert!(outcome.error().starts_with("input `targetPath`"), "{}", outcome.error());
    assert!(gh.api.state().repo("acme", "service-a").pulls.is_empty());
}

#[tokio::test]
async fn a_github_app_creates_and_pushes_with_its_installation_token() {
    let fx = Fixture::new();
    skeleton(&fx);
    let root = fx.dir.path().join("github-git");
    std::fs::create_dir_all(&root).unwrap();
    // Only tokens the App's installation minted open the Git server.
    let git_server = GitHttpServer::start_accepting(root.clone(), |t| t.starts_with("ghs_installation77x")).await;
    let api = GithubApi::start().await;
    {
        let mut state = api.state();
        state.app = Some(super::github_api::App {
            id: 4242,
            installations: [("acme".to_string(), 77)].into(),
            minted: Vec::new(),
        });
        state.add_org("acme");
        state.git_root = Some(root.clone());
        state.html_base = Some(git_server.url());
    }
    let services = Services {
        git: local_git(git_server.addr),
        github: vec![GithubIntegration {
            host: HOST.into(),
            settings: GithubSettings {
                api_base_url: api.url.clone(),
                auth: GithubAuth::App {
                    app_id: 4242,
                    private_key_pem: Secret(super::github_api::TEST_APP_KEY.into()),
                },
                ..GithubSettings::default()
            },
        }],
        ..Services::default()
    };
    let input = json!({"repoUrl": format!("{HOST}?owner=acme&repo=made-by-app"), "topics": ["app"]});
    let outcome = run(&fx, services, "publish:github", input, false).await;
    let commit = outcome.output()["commitHash"].as_str().unwrap().to_string();
    let bare = root.join("acme/made-by-app.git");
    assert_eq!(git(&bare, &["rev-parse", "main"]).trim(), commit);
    let mut state = api.state();
    assert!(state.paths.contains_key("/orgs/acme/repos"));
    assert!(!state.paths.contains_key("/user"), "an App's token is not a user's");
    assert_eq!(state.repo("acme", "made-by-app").topics, ["app"]);
    assert!(state.app.as_ref().is_some_and(|a| !a.minted.is_empty()));
}
