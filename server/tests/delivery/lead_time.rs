//! Lead time for changes from a real Git repository served over HTTP: linear commits, a merge
//! commit, squashes (Git's and a GitHub-style one), a rebase, an image tag naming a commit, and a
//! commit dated after its deployment. The reading policy decides whether the server may read it.

use std::path::Path;
use std::process::Command;

use super::*;
use crate::common::git::GitHttpServer;

const TOKEN: &str = "lead-t0ken";

/// `git` in `dir` with the author and committer dates given (ms).
fn git_at(dir: &Path, args: &[&str], author_ms: i64, committer_ms: i64) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", format!("@{} +0000", author_ms / 1000))
        .env("GIT_COMMITTER_DATE", format!("@{} +0000", committer_ms / 1000))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A commit of a new file `name` on the current branch, authored and committed at `ms`.
fn commit(repo: &Path, name: &str, ms: i64) -> String {
    std::fs::write(repo.join(name), name).expect("write");
    git_at(repo, &["add", name], ms, ms);
    git_at(repo, &["commit", "--quiet", "-m", name], ms, ms);
    git_at(repo, &["rev-parse", "HEAD"], ms, ms)
}

fn reported(id: &str, commit: &str, finished_ms: i64) -> Value {
    json!({"id": id, "entity": "shop", "environment": "production", "version": id, "commit": commit,
           "startedAt": at(finished_ms - 60_000), "finishedAt": at(finished_ms), "status": "succeeded"})
}

async fn portal(db: &TestDb, work: &Path, http: &GitHttpServer, allowed: bool) -> TestServer {
    portal_with(db, work, http, allowed, |_| {}).await
}

async fn portal_with(
    db: &TestDb,
    work: &Path,
    http: &GitHttpServer,
    allowed: bool,
    tune: impl FnOnce(&mut cairn_server::config::Config),
) -> TestServer {
    let catalog = work.join("catalog-info.yaml");
    std::fs::write(
        &catalog,
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\n  annotations:\n    \
             backstage.io/source-location: url:{}/acme/shop/tree/main/\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
            http.url()
        ),
    )
    .expect("catalog");
    let mut config = db.config();
    config.catalog.locations = vec![("file".into(), catalog.display().to_string())];
    config.catalog.allowed_location_types = vec!["file".into()];
    config.catalog.git.credentials = vec![catalog::ingest::git::Credential {
        host: http.addr.to_string(),
        token: TOKEN.into(),
    }];
    config.dora.changes_cache_dir = Some(work.join(format!("delivery-cache-{allowed}")));
    if allowed {
        common::read_from(&mut config, http.addr);
    }
    tune(&mut config);
    let server = TestServer::start_with(config).await;
    server.state().catalog.sync_config_locations().await.expect("sync");
    server.state().catalog.refresh_all().await.expect("refresh");
    server
}

fn deployment<'a>(m: &'a Value, id: &str) -> &'a Value {
    m["deployments"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["id"] == id))
        .unwrap_or_else(|| panic!("deployment {id} in {m}"))
}

on_both_databases! {
    async fn lead_time_is_read_from_the_repository_through_merges_squashes_and_rebases(db: TestDb) {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("served/acme/shop");
        std::fs::create_dir_all(&repo).expect("mkdir");
        git_at(&repo, &["init", "--quiet", "--initial-branch", "main"], T0, T0);
        let h = |n: i64| T0 + n * HOUR;
        let c0 = commit(&repo, "c0", h(-240));
        // Linear: two commits, deployed at +5 h.
        commit(&repo, "c1", h(2));
        let c2 = commit(&repo, "c2", h(3));
        // A merge commit of a branch with two commits, deployed at +10 h.
        git_at(&repo, &["checkout", "--quiet", "-b", "feature"], h(6), h(6));
        commit(&repo, "f1", h(6));
        commit(&repo, "f2", h(7));
        git_at(&repo, &["checkout", "--quiet", "main"], h(9), h(9));
        git_at(&repo, &["merge", "--quiet", "--no-ff", "-m", "Merge feature", "feature"], h(9), h(9));
        let merged = git_at(&repo, &["rev-parse", "HEAD"], h(9), h(9));
        // Golden (Four Keys #456): `git merge --squash` of a branch begun at +11 h, committed at +14 h.
        git_at(&repo, &["checkout", "--quiet", "-b", "squashed"], h(11), h(11));
        commit(&repo, "s1", h(11));
        commit(&repo, "s2", h(12));
        git_at(&repo, &["checkout", "--quiet", "main"], h(14), h(14));
        git_at(&repo, &["merge", "--squash", "--quiet", "squashed"], h(14), h(14));
        git_at(&repo, &["commit", "--quiet", "--no-edit"], h(14), h(14));
        let squash = git_at(&repo, &["rev-parse", "HEAD"], h(14), h(14));
        // A rebase: r1 written at +16 h on an older main, rebased at +18 h onto m1 (+17 h).
        git_at(&repo, &["checkout", "--quiet", "-b", "rebased", "HEAD"], h(16), h(16));
        commit(&repo, "r1", h(16));
        git_at(&repo, &["checkout", "--quiet", "main"], h(17), h(17));
        commit(&repo, "m1", h(17));
        git_at(&repo, &["checkout", "--quiet", "rebased"], h(18), h(18));
        git_at(&repo, &["rebase", "--quiet", "main"], h(16), h(18));
        git_at(&repo, &["checkout", "--quiet", "main"], h(18), h(18));
        git_at(&repo, &["merge", "--quiet", "--ff-only", "rebased"], h(18), h(18));
        let rebased = git_at(&repo, &["rev-parse", "HEAD"], h(18), h(18));
        // A squash as GitHub's button makes it: one commit, no dates of the pull request's commits.
        let github_squash = commit(&repo, "Add basket (#12)", h(20));
        // A commit an image tag names (abbreviated), rolled out at +23 h.
        let tagged = commit(&repo, "t1", h(22));
        // A commit dated after the deployment that brought it (a skewed clock).
        let skewed = commit(&repo, "late", h(30));
        // `git revert` of c2 (which d1 brought) and a hotfix, deployed together at +28 h.
        git_at(&repo, &["revert", "--no-edit", &c2], h(26), h(26));
        let fixed = commit(&repo, "hotfix: basket total", h(27));

        let http = GitHttpServer::start(work.path().join("served"), TOKEN).await;
        let server = portal(&db, work.path(), &http, true).await;
        for (id, sha, at_hour) in [("d0", &c0, 1), ("d1", &c2, 5), ("d2", &merged, 10), ("d3", &squash, 15),
                                    ("d4", &rebased, 19), ("d5", &github_squash, 21)] {
            report(&server, reported(id, &sha[..12], h(at_hour))).await;
        }
        let pool = server.state().catalog.store.pool().clone();
        sqlx::query(
            "INSERT INTO deployment_rollouts (cluster, namespace, kind, name, seq, entity, revision, version, outcome, \
             started_ms, finished_ms, first_sight, recorded_ms, updated_ms) \
             VALUES ('prod', 'shop', 'Deployment', 'shop', 1, 'component:default/shop', '1', $1, 'completed', $2, $3, 0, $3, $3)",
        )
        .bind(format!("app=registry.example.com/acme/shop:{}", &tagged[..7]))
        .bind(h(23) - 60_000)
        .bind(h(23))
        .execute(&pool)
        .await
        .expect("insert rollout");
        // A rollout whose tag is no commit, but whose pod template says which commit it was built
        // from (`org.opencontainers.image.revision`): the same commit again, so no changes.
        sqlx::query(
            "INSERT INTO deployment_rollouts (cluster, namespace, kind, name, seq, entity, revision, version, outcome, \
             started_ms, finished_ms, first_sight, recorded_ms, updated_ms, commit_sha) \
             VALUES ('prod', 'shop', 'Deployment', 'shop', 2, 'component:default/shop', '2', $1, 'completed', $2, $3, 0, $3, $3, $4)",
        )
        .bind("app=registry.example.com/acme/shop:release-7")
        .bind(h(24) - 60_000)
        .bind(h(24))
        .bind(&tagged)
        .execute(&pool)
        .await
        .expect("insert rollout");
        report(&server, reported("d7", &skewed, h(25))).await;
        report(&server, reported("d8", &fixed, h(28))).await;

        let m = metrics(&server, &format!("entity=shop&{RANGE}&interval=day")).await;
        let lead = |id: &str| deployment(&m, id)["changes"]["leadTimeMedianSeconds"].as_f64();
        let count = |id: &str| deployment(&m, id)["changes"]["changes"].as_u64();
        assert!(deployment(&m, "d0")["changes"]["unknown"].as_str().unwrap_or_default().contains("no earlier"), "{m}");
        assert_eq!(deployment(&m, "d0")["changes"]["commit"], json!(c0));
        // Linear: 3 h and 2 h.
        assert_eq!((count("d1"), lead("d1")), (Some(2), Some(2.5 * 3600.0)), "{m}");
        // Merge commit: the branch's two commits (4 h, 3 h), the merge itself is no change.
        assert_eq!((count("d2"), lead("d2")), (Some(2), Some(3.5 * 3600.0)));
        // Git's squash keeps the branch's first commit: 15 h − 11 h, not 1 h from the squash.
        assert_eq!((count("d3"), lead("d3")), (Some(1), Some(4.0 * 3600.0)));
        // Rebase keeps author dates: r1 3 h, m1 2 h.
        assert_eq!((count("d4"), lead("d4")), (Some(2), Some(2.5 * 3600.0)));
        // GitHub's squash lists no dates: Git alone can only count from the squash.
        assert_eq!((count("d5"), lead("d5")), (Some(1), Some(3600.0)));
        let rollout = deployment(&m, "rollout:prod/shop/Deployment/shop/1");
        assert_eq!(rollout["changes"]["commit"], json!(tagged), "the image tag resolved in full");
        assert_eq!(rollout["changes"]["previousCommit"], json!(github_squash));
        assert_eq!(lead("rollout:prod/shop/Deployment/shop/1"), Some(3600.0));
        let annotated = deployment(&m, "rollout:prod/shop/Deployment/shop/2");
        assert_eq!(annotated["changes"]["commit"], json!(tagged), "the pod template's revision annotation");
        assert_eq!((annotated["changes"]["changes"].as_u64(), annotated["changes"]["unknown"].as_str()), (Some(0), None));
        assert_eq!((count("d7"), deployment(&m, "d7")["changes"]["dropped"].as_u64()), (Some(1), Some(1)));

        // The revert fails the deployment that brought c2, remediated by the revert; the revert
        // and the hotfix are rework.
        let reverted = deployment(&m, "d1");
        assert_eq!(reverted["failures"], json!([{"reason": "reverted", "by": "d8", "commit": c2}]), "{reverted}");
        assert_eq!((reverted["recoveredBy"].as_str(), reverted["recoveredMs"].as_i64()), (Some("d8"), Some(h(28))));
        let d8 = deployment(&m, "d8");
        assert_eq!(d8["rework"], json!([{"reason": "revert", "commit": c2}, {"reason": "hotfix", "commit": fixed}]), "{d8}");
        assert_eq!((m["changeFailureRate"]["reverted"].as_u64(), m["reworkRate"]["reverts"].as_u64()), (Some(1), Some(1)));
        assert_eq!(m["reworkRate"]["hotfixes"], 1);

        let l = &m["leadTimeForChanges"];
        // 2 + 2 + 1 + 2 + 1 + 1 (+ 0) + 2 counted, 1 dropped; 9 deployments with changes, d0 unknown.
        assert_eq!((l["changes"].as_u64(), l["dropped"].as_u64()), (Some(11), Some(1)), "{l}");
        assert_eq!((l["deployments"].as_u64(), l["unknown"].as_u64()), (Some(9), Some(1)));
        // Sorted: 1 1 1 2 2 2 3 3 3 4 4 h; median 2 h, p90 the 10th of 11 (nearest rank).
        assert_eq!(l["value"], json!(2.0 * 3600.0));
        assert_eq!(l["p90Seconds"], json!(4.0 * 3600.0));
        // Merge → deploy: the merge brought f1 and f2 at +9 h, 1 h before d2; Git's squash 1 h; rebase 1 h.
        let merge = &l["mergeToDeploy"];
        assert_eq!((merge["changes"].as_u64(), merge["dropped"].as_u64()), (Some(11), Some(1)), "{merge}");
        assert!(l["measuredFrom"].as_str().unwrap_or_default().contains("author date"));
        let day: u64 = m["series"].as_array().expect("series").iter().map(|b| b["changes"].as_u64().unwrap_or(0)).sum();
        assert_eq!(day, 11, "the series adds up");
        server.stop().await;

        // Without the reading policy allowing the local server, nothing is fetched.
        let refused = portal(&db, work.path(), &http, false).await;
        let m = metrics(&refused, &format!("entity=shop&{RANGE}")).await;
        assert_eq!(m["leadTimeForChanges"]["changes"], 0, "{m}");
        assert_eq!(m["leadTimeForChanges"]["unknown"], 10);
        let why = deployment(&m, "d1")["changes"]["unknown"].as_str().unwrap_or_default().to_string();
        assert!(why.contains("is not an allowed host"), "{why}");
        refused.stop().await;
    }

    async fn a_pull_request_merged_with_githubs_squash_button_keeps_its_first_commit(db: TestDb) {
        // Four Keys #456 as GitHub makes it: the squash commit is all Git has; GitHub's API knows
        // the pull request's own commits.
        use catalog::ingest::github::{GithubAuth, GithubIntegration, GithubSettings};
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join("served/acme/shop");
        std::fs::create_dir_all(&repo).expect("mkdir");
        git_at(&repo, &["init", "--quiet", "--initial-branch", "main"], T0, T0);
        let h = |n: i64| T0 + n * HOUR;
        let c0 = commit(&repo, "c0", h(0));
        let squash = commit(&repo, "Add basket (#12)", h(20));
        let hotfix = commit(&repo, "Fix totals (#13)", h(22));
        let api = super::github_api::GithubApi::start().await;
        {
            let mut state = api.state();
            state.token = Some("api-t0ken".into());
            let shop = state.add_repo("acme", "shop");
            for (number, title, head, labels, merged, merged_ms, commits) in [
                (12, "Add basket", "feature/basket", vec![], &squash, h(20),
                 vec![("a1", h(2)), ("a2", h(5))]),
                (13, "Fix totals", "hotfix/totals", vec!["bug".to_string()], &hotfix, h(22), vec![("b1", h(21))]),
            ] {
                shop.pulls.push(super::github_api::Pull {
                    number,
                    title: title.into(),
                    body: None,
                    head: head.into(),
                    base: "main".into(),
                    draft: false,
                    labels,
                    merged: Some(super::github_api::Merged {
                        commit_sha: merged.clone(),
                        at: super::at(merged_ms),
                        commits: commits.into_iter().map(|(sha, t)| (sha.to_string(), super::at(t))).collect(),
                    }),
                });
            }
        }
        let http = GitHttpServer::start(work.path().join("served"), TOKEN).await;
        let api_url = api.url.clone();
        let server = portal_with(&db, work.path(), &http, true, |config| {
            config.catalog.github = vec![GithubIntegration {
                host: http.addr.to_string(),
                settings: GithubSettings {
                    api_base_url: api_url,
                    auth: GithubAuth::Token(catalog::service::Secret("api-t0ken".into())),
                    ..GithubSettings::default()
                },
            }];
        })
        .await;
        report(&server, reported("d0", &c0, h(1))).await;
        report(&server, reported("d1", &squash, h(21))).await;
        report(&server, reported("d2", &hotfix, h(23))).await;
        let m = metrics(&server, &format!("entity=shop&{RANGE}")).await;
        let d1 = &deployment(&m, "d1")["changes"];
        // From the pull request's first commit (+2 h) to the deployment (+21 h), not from the squash.
        assert_eq!(d1["leadTimeMedianSeconds"], json!(19.0 * 3600.0), "{d1}");
        assert_eq!(d1["pullRequests"][0]["number"], 12);
        assert_eq!(d1["pullRequests"][0]["firstCommitMs"], json!(h(2)));
        let d2 = deployment(&m, "d2");
        assert_eq!(d2["changes"]["pullRequests"][0]["number"], 13, "{d2}");
        assert_eq!(d2["rework"], json!([{"reason": "hotfix", "commit": hotfix}]), "its branch says hotfix");
        assert!(api.state().paths.keys().any(|p| p.ends_with("/pulls/12/commits")));
        server.stop().await;
    }
}
