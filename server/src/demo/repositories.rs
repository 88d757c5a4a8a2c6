//! The demo's Git repositories, so lead time for changes has real commits to read: one bare
//! repository per demo service (named as its `github.com/project-slug` names it) under the data
//! directory, read by the delivery service through a mirror of `https://github.com/northwind/`
//! (`dora.changes.mirrors`, added by the configuration when the demo is on) the way a real
//! installation reads a mirror. Each release gets one to four commits, authored from an hour to
//! four days before it started and merged shortly before it, written with `git fast-import` after
//! what the repository already has and tagged `<service>/<version>`, so a restart finds the same
//! commits and a later day adds its own. Services sharing a repository (a monorepo:
//! `search-service` and `search-indexer`) have their releases written together in the order they
//! started. A rollback's report names the commit of the version it brings back.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::history::{Random, time_of};

/// The demo catalog's repositories are `northwind/<name>` on GitHub: this prefix is mirrored.
pub const MIRRORED: &str = "https://github.com/northwind/";

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

const PEOPLE: [(&str, &str); 6] = [
    ("Ada Okafor", "ada.okafor@northwind.example"),
    ("Bruno Lindqvist", "bruno.lindqvist@northwind.example"),
    ("Chen Wei", "chen.wei@northwind.example"),
    ("Dalia Haddad", "dalia.haddad@northwind.example"),
    ("Emil Novak", "emil.novak@northwind.example"),
    ("Farah Siddiqui", "farah.siddiqui@northwind.example"),
];

const WORK: [&str; 8] = [
    "Fix retry on upstream timeouts",
    "Add request metrics by route",
    "Bump dependencies",
    "Handle empty responses from the inventory API",
    "Tune connection pool size",
    "Refactor the handler's validation",
    "Add feature flag for the new flow",
    "Log the order id on failures",
];

/// A release's commit time: its author dates (oldest first) and when it was merged.
struct Planned {
    /// `<service>/<version>`: its tag.
    version: String,
    commits: Vec<(i64, usize, &'static str)>,
    merged_ms: i64,
}

/// Adds `commit` to each of `deployments` (reports of the services whose repository is `name`
/// under `dir`) from that repository, writing the commits of releases it does not have yet in
/// the order they started.
pub async fn add_commits(dir: &Path, name: &str, seed: u64, deployments: &mut [&mut Value]) -> anyhow::Result<()> {
    let repo = dir.join(name);
    if !repo.join("HEAD").exists() {
        std::fs::create_dir_all(&repo).with_context(|| format!("creating {}", repo.display()))?;
        git(&repo, &["init", "--bare", "--quiet", "--initial-branch=main"], None).await?;
    }
    let mut tagged = tags(&repo).await?;
    let mut planned: Vec<Planned> = Vec::new();
    let mut in_order: Vec<&&mut Value> = deployments.iter().collect();
    in_order.sort_by_key(|r| time_of(r, "startedAt"));
    for report in in_order {
        let (Some(id), Some(version)) = (report["id"].as_str(), tag(report)) else {
            continue;
        };
        let version = version.as_str();
        if id.ends_with("-rollback") || tagged.contains_key(version) || planned.iter().any(|p| p.version == version) {
            continue;
        }
        let started = time_of(report, "startedAt");
        let mut random = Random::new(seed, id, 0);
        let first = started - HOUR_MS - random.below(96) as i64 * HOUR_MS;
        let count = 1 + random.below(4) as i64;
        let merged_ms = started - (10 + random.below(20) as i64) * MINUTE_MS;
        let commits = (0..count)
            .map(|i| {
                let at = first + (merged_ms - first) * i / count;
                let who = random.below(PEOPLE.len() as u64) as usize;
                (at, who, WORK[random.below(WORK.len() as u64) as usize])
            })
            .collect();
        planned.push(Planned {
            version: version.to_string(),
            commits,
            merged_ms,
        });
    }
    if !planned.is_empty() {
        let has_main = git(&repo, &["rev-parse", "--verify", "--quiet", "refs/heads/main"], None)
            .await
            .is_ok();
        git(
            &repo,
            &["fast-import", "--quiet"],
            Some(stream(name, &planned, has_main)),
        )
        .await?;
        tagged = tags(&repo).await?;
    }
    for report in deployments.iter_mut() {
        if let Some(sha) = tag(report).and_then(|t| tagged.get(&t)) {
            report["commit"] = sha.clone().into();
        }
    }
    Ok(())
}

/// `<service>/<version>` of a report for `component:default/<service>`.
fn tag(report: &Value) -> Option<String> {
    let service = report["entity"].as_str()?.rsplit('/').next()?;
    Some(format!("{service}/{}", report["version"].as_str()?))
}

/// `git fast-import`'s input: each release's commits on `main`, then a tag at its last.
fn stream(name: &str, planned: &[Planned], has_main: bool) -> String {
    let mut out = String::new();
    let mut mark = 0;
    for release in planned {
        for (i, (author_ms, who, work)) in release.commits.iter().enumerate() {
            mark += 1;
            let (person, email) = PEOPLE[*who];
            let message = format!("{work}\n\nPart of {}.\n", release.version);
            let file = format!("{name} {} change {}\n", release.version, i + 1);
            let _ = write!(
                out,
                "commit refs/heads/main\nmark :{mark}\nauthor {person} <{email}> {} +0000\n\
                 committer {person} <{email}> {} +0000\ndata {}\n{message}",
                author_ms / 1000,
                release.merged_ms.max(*author_ms) / 1000,
                message.len(),
            );
            if mark == 1 && has_main {
                out.push_str("from refs/heads/main^0\n");
            }
            let _ = write!(
                out,
                "M 100644 inline changes/{}-{}.md\ndata {}\n{file}\n",
                release.version,
                i + 1,
                file.len()
            );
        }
        let _ = write!(out, "reset refs/tags/{}\nfrom :{mark}\n\n", release.version);
    }
    out
}

/// Every tag of `repo` and the commit it names.
async fn tags(repo: &Path) -> anyhow::Result<HashMap<String, String>> {
    let listed = git(
        repo,
        &["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags"],
        None,
    )
    .await?;
    Ok(listed
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(tag, sha)| (tag.to_string(), sha.to_string()))
        .collect())
}

async fn git(repo: &Path, args: &[&str], input: Option<String>) -> anyhow::Result<String> {
    let mut child = tokio::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("running git (is it installed?)")?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(input.as_bytes()).await.context("writing to git")?;
    }
    let output = child.wait_with_output().await.context("waiting for git")?;
    if !output.status.success() {
        bail!(
            "git {} in {}: {}",
            args.first().copied().unwrap_or_default(),
            repo.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn release(id: &str, version: &str, started: &str) -> Value {
        json!({"id": id, "entity": "component:default/shop", "version": version, "startedAt": started})
    }

    #[tokio::test]
    async fn releases_get_commits_before_they_start_a_rollback_its_versions_and_a_restart_the_same() {
        let dir = tempfile::tempdir().expect("temp");
        let mut first = [
            release("d-1", "2026.12.01.1", "2026-12-01T09:00:00Z"),
            release("d-2", "2026.12.01.2", "2026-12-01T13:00:00Z"),
            release("d-2-rollback", "2026.12.01.1", "2026-12-01T13:40:00Z"),
        ];
        add_commits(dir.path(), "shop", 1, &mut first.iter_mut().collect::<Vec<_>>())
            .await
            .expect("commits");
        let shas: Vec<&str> = first.iter().map(|d| d["commit"].as_str().expect("a commit")).collect();
        assert_ne!(shas[0], shas[1]);
        assert_eq!(shas[0], shas[2], "a rollback runs the version it brings back");
        let repo = dir.path().join("shop");
        let dates = git(&repo, &["log", "--format=%at %ct", shas[1]], None)
            .await
            .expect("log");
        for line in dates.lines() {
            let (author, committer) = line.split_once(' ').expect("two dates");
            let started = 1_796_130_000; // 2026-12-01T13:00:00Z
            assert!(author.parse::<i64>().expect("date") < started - 600, "{line}");
            assert!(committer.parse::<i64>().expect("date") <= started, "{line}");
        }
        // Later: the same releases again and a new one on top.
        let mut again = [
            release("d-2", "2026.12.01.2", "2026-12-01T13:00:00Z"),
            release("d-3", "2026.12.02.1", "2026-12-02T10:00:00Z"),
        ];
        add_commits(dir.path(), "shop", 1, &mut again.iter_mut().collect::<Vec<_>>())
            .await
            .expect("commits");
        assert_eq!(again[0]["commit"].as_str(), Some(shas[1]));
        let range = format!("{}..{}", shas[1], again[1]["commit"].as_str().expect("a commit"));
        let new = git(&repo, &["rev-list", &range], None).await.expect("rev-list");
        assert!(!new.trim().is_empty() && new.lines().count() <= 4, "{new}");

        // A second service of the same repository (a monorepo): the same version names its own
        // release, written in the order of starts after what the repository has.
        let mut other = [
            json!({"id": "i-1", "entity": "component:default/indexer", "version": "2026.12.01.1",
                               "startedAt": "2026-12-03T09:00:00Z"}),
        ];
        add_commits(dir.path(), "shop", 1, &mut other.iter_mut().collect::<Vec<_>>())
            .await
            .expect("commits");
        let indexer = other[0]["commit"].as_str().expect("a commit");
        assert_ne!(indexer, shas[0]);
        let tags = tags(&repo).await.expect("tags");
        assert_eq!(tags.get("indexer/2026.12.01.1").map(String::as_str), Some(indexer));
        assert_eq!(tags.get("shop/2026.12.01.1").map(String::as_str), Some(shas[0]));
    }
}
