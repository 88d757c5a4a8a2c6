//! Changes and their lead time, the pure part: which commit a deployment runs (a reported commit,
//! or an image tag that looks like one), the entity's repository from its annotations, Git's
//! `rev-list` output read into commits, and each change's lead time.
//!
//! What is measured: a change is a non-merge commit reachable from the deployment's commit and
//! not from the previous deployment's. Its first commit time is its author date (kept by rebase
//! and cherry-pick), or, for a squash made by `git merge --squash`, the earliest `Date:` of the
//! commits its message lists. A squash made elsewhere (GitHub's button) lists no dates, so its
//! author date (when it was squashed) is all Git can tell. Merge → deploy runs from when the
//! change reached the deployed branch: the committer date of the first-parent commit that
//! brought it (its own, or the merge's).

use std::collections::{BTreeMap, BTreeSet};

/// `github.com/project-slug`: `owner/repo` on github.com.
pub const ANNOTATION_PROJECT_SLUG: &str = "github.com/project-slug";
/// `backstage.io/source-location`: `url:<repository, tree or blob URL>`.
pub const ANNOTATION_SOURCE_LOCATION: &str = "backstage.io/source-location";

/// The entity's repository: `https://github.com/<slug>`, else the `url:` source location cut to
/// its repository (before `/tree/`, `/blob/`, GitLab's `/-/`).
pub fn repository(project_slug: Option<&str>, source_location: Option<&str>) -> Option<String> {
    if let Some(slug) = project_slug.map(str::trim)
        && let Some((owner, name)) = slug.split_once('/')
        && [owner, name].iter().all(|p| {
            !p.is_empty() && !p.starts_with('.') && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
    {
        return Some(format!("https://github.com/{owner}/{name}"));
    }
    let url = source_location?.trim().strip_prefix("url:")?;
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let end = segments
        .iter()
        .position(|s| ["-", "tree", "blob"].contains(s))
        .unwrap_or(segments.len());
    if end < 3 || segments[..end].iter().any(|s| *s == ".." || s.starts_with('-')) {
        return None;
    }
    Some(format!("{scheme}://{}", segments[..end].join("/")))
}

/// A place a repository is read from instead of where the catalog says it lives (a mirror
/// inside the network, or the demo's local repositories).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mirror {
    /// The start of the repository URLs it stands for, ending in `/` (`https://github.com/acme/`).
    pub prefix: String,
    /// What replaces the prefix (`https://git-mirror.internal/acme/`, `file:///srv/mirrors/acme/`).
    pub read_from: String,
}

/// `repo` as read through the first of `mirrors` whose prefix starts it, or as it is.
pub fn mirrored(repo: &str, mirrors: &[Mirror]) -> String {
    mirrors
        .iter()
        .find_map(|m| {
            repo.strip_prefix(m.prefix.as_str())
                .map(|rest| format!("{}{rest}", m.read_from))
        })
        .unwrap_or_else(|| repo.to_string())
}

/// Whether `text` could name a commit: 7 to 40 hex digits.
pub fn looks_like_commit(text: &str) -> bool {
    (7..=40).contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// The commits a rollout's images may name, from its version (`container=image, …`): tags of
/// 7 to 40 hex digits, bare or after `sha-` (docker/metadata-action's), lower-cased, in order.
pub fn image_tag_commits(version: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in version.split(", ") {
        let image = part.split_once('=').map_or(part, |(_, image)| image);
        let image = image.split('@').next().unwrap_or(image);
        let last = image.rsplit('/').next().unwrap_or(image);
        let Some((_, tag)) = last.rsplit_once(':') else {
            continue;
        };
        let tag = tag.strip_prefix("sha-").unwrap_or(tag).to_ascii_lowercase();
        if looks_like_commit(&tag) && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// One commit as `rev-list` told it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub author_ms: i64,
    pub committer_ms: i64,
    /// The earliest date a `git merge --squash` message lists.
    pub squashed_ms: Option<i64>,
    /// The commits its message says it reverts ("This reverts commit <sha>.").
    pub reverts: Vec<String>,
    /// Its message says `hotfix` (or `hot-fix`, `hot fix`): a hotfix commit or the merge of a
    /// `hotfix/` branch.
    pub hotfix: bool,
}

/// The `--format` [`parse_rev_list`] reads: fields split by NUL, records by RS.
pub const REV_LIST_FORMAT: &str = "--format=%H%x00%P%x00%at%x00%ct%x00%B%x1e";

/// Reads `git rev-list --no-commit-header` output in [`REV_LIST_FORMAT`].
pub fn parse_rev_list(output: &str) -> Vec<Commit> {
    output
        .split('\x1e')
        .filter_map(|record| {
            let mut fields = record.trim_start_matches('\n').splitn(5, '\0');
            let sha = fields.next()?.trim().to_string();
            let parents = fields.next()?.split_whitespace().map(str::to_string).collect();
            let author_ms = fields.next()?.trim().parse::<i64>().ok()? * 1000;
            let committer_ms = fields.next()?.trim().parse::<i64>().ok()? * 1000;
            let message = fields.next().unwrap_or_default();
            (!sha.is_empty()).then_some(Commit {
                sha,
                parents,
                author_ms,
                committer_ms,
                squashed_ms: squashed_dates(message),
                reverts: reverted_commits(message),
                hotfix: says_hotfix(message),
            })
        })
        .collect()
}

/// Most commits one message is read as reverting.
const MAX_REVERTS: usize = 20;

/// The commits `git revert` wrote it reverts: "This reverts commit <sha>." (one per line).
fn reverted_commits(message: &str) -> Vec<String> {
    message
        .lines()
        .filter_map(|l| l.trim().strip_prefix("This reverts commit "))
        .filter_map(|rest| {
            let sha: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            looks_like_commit(&sha).then(|| sha.to_ascii_lowercase())
        })
        .take(MAX_REVERTS)
        .collect()
}

/// Whether the first line of a message says hotfix: a conventional `hotfix:`, a `hotfix/` branch
/// merged, "Hot fix for …".
fn says_hotfix(message: &str) -> bool {
    let subject = message.lines().next().unwrap_or_default().to_ascii_lowercase();
    ["hotfix", "hot-fix", "hot fix"].iter().any(|w| subject.contains(w))
}

/// The earliest `Date:` line of a message `git merge --squash` wrote ("Squashed commit of the
/// following:", then each commit as `git log` shows it).
fn squashed_dates(message: &str) -> Option<i64> {
    let (_, listed) = message.split_once("Squashed commit of the following:")?;
    listed
        .lines()
        .filter_map(|l| l.strip_prefix("Date:"))
        .filter_map(|d| chrono::DateTime::parse_from_str(d.trim(), "%a %b %e %H:%M:%S %Y %z").ok())
        .map(|t| t.timestamp_millis())
        .min()
}

/// A change a deployment brought: a non-merge commit, when it was first committed and when it
/// reached the deployed branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub sha: String,
    pub first_ms: i64,
    pub landed_ms: i64,
}

/// The changes among `commits` (everything `prev..cur` listed): each non-merge commit, landed when
/// the first-parent commit from `cur` that brought it was committed.
pub fn changes(commits: &[Commit], cur: &str) -> Vec<Change> {
    let by_sha: BTreeMap<&str, &Commit> = commits.iter().map(|c| (c.sha.as_str(), c)).collect();
    let mut landed: BTreeMap<&str, i64> = BTreeMap::new();
    let mut mainline = by_sha.get(cur).copied();
    while let Some(commit) = mainline {
        if landed.contains_key(commit.sha.as_str()) {
            break;
        }
        landed.insert(&commit.sha, commit.committer_ms);
        // Everything a merge brought from its other parents landed with it.
        let mut side: Vec<&str> = commit.parents.iter().skip(1).map(String::as_str).collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        while let Some(sha) = side.pop() {
            if landed.contains_key(sha) || !seen.insert(sha) {
                continue;
            }
            if let Some(c) = by_sha.get(sha) {
                landed.insert(&c.sha, commit.committer_ms);
                side.extend(c.parents.iter().map(String::as_str));
            }
        }
        mainline = commit.parents.first().and_then(|p| by_sha.get(p.as_str()).copied());
    }
    commits
        .iter()
        .filter(|c| c.parents.len() <= 1)
        .map(|c| Change {
            sha: c.sha.clone(),
            first_ms: c.squashed_ms.map_or(c.author_ms, |s| s.min(c.author_ms)),
            landed_ms: landed.get(c.sha.as_str()).copied().unwrap_or(c.committer_ms),
        })
        .collect()
}

/// Lead times in seconds of `changes` deployed at `finished_ms` (first commit → deployed) and
/// merge → deploy, with how many of each were ≤ 0 and dropped.
pub fn lead_times(changes: &[Change], finished_ms: i64) -> (Vec<f64>, u64, Vec<f64>, u64) {
    let split = |f: &dyn Fn(&Change) -> i64| {
        let all: Vec<i64> = changes.iter().map(|c| finished_ms - f(c)).collect();
        let kept: Vec<f64> = all.iter().filter(|ms| **ms > 0).map(|ms| *ms as f64 / 1000.0).collect();
        let dropped = (all.len() - kept.len()) as u64;
        (kept, dropped)
    };
    let (lead, dropped) = split(&|c| c.first_ms);
    let (merge, merge_dropped) = split(&|c| c.landed_ms);
    (lead, dropped, merge, merge_dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_replaces_the_prefix_it_stands_for_and_only_that() {
        let mirrors = [
            Mirror {
                prefix: "https://github.com/acme/".into(),
                read_from: "https://mirror.internal/acme/".into(),
            },
            Mirror {
                prefix: "https://github.com/".into(),
                read_from: "file:///srv/github/".into(),
            },
        ];
        assert_eq!(
            mirrored("https://github.com/acme/shop", &mirrors),
            "https://mirror.internal/acme/shop"
        );
        assert_eq!(
            mirrored("https://github.com/other/x", &mirrors),
            "file:///srv/github/other/x"
        );
        assert_eq!(
            mirrored("https://gitlab.com/acme/shop", &mirrors),
            "https://gitlab.com/acme/shop"
        );
        assert_eq!(
            mirrored("https://github.com/acme/shop", &[]),
            "https://github.com/acme/shop"
        );
    }

    #[test]
    fn the_repository_comes_from_the_slug_or_the_source_location() {
        assert_eq!(
            repository(Some("acme/shop"), Some("url:https://x/y/z")).as_deref(),
            Some("https://github.com/acme/shop")
        );
        assert_eq!(
            repository(None, Some("url:https://github.com/acme/shop/tree/main/")).as_deref(),
            Some("https://github.com/acme/shop")
        );
        assert_eq!(
            repository(None, Some("url:https://gitlab.example.com/g/sub/app/-/tree/v1")).as_deref(),
            Some("https://gitlab.example.com/g/sub/app")
        );
        assert_eq!(
            repository(Some("../etc"), Some("url:http://127.0.0.1:9/acme/shop")).as_deref(),
            Some("http://127.0.0.1:9/acme/shop")
        );
        for bad in [
            "file:/srv/x",
            "url:ftp://h/a/b",
            "url:https://h/a",
            "url:https://h/a/--upload-pack",
        ] {
            assert_eq!(repository(None, Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn image_tags_that_look_like_commits_are_candidates() {
        let version =
            "app=ghcr.io/acme/shop:3f2a9c1, sidecar=envoy:1.29, job=reg:5000/acme/job:sha-ABCDEF0123@sha256:00";
        assert_eq!(image_tag_commits(version), ["3f2a9c1", "abcdef0123"]);
        assert!(image_tag_commits("app=shop:latest, b=reg:5000/x").is_empty());
        assert!(
            image_tag_commits("app=shop:abc12").is_empty(),
            "too short to name a commit"
        );
    }

    fn commit(sha: &str, parents: &[&str], author: i64, committer: i64) -> Commit {
        Commit {
            sha: sha.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            author_ms: author,
            committer_ms: committer,
            squashed_ms: None,
            reverts: Vec::new(),
            hotfix: false,
        }
    }

    #[test]
    fn rev_list_output_is_read_with_squashed_dates() {
        let output = "aaa\x00bbb ccc\x00100\x00200\x00Merge\n\x1e\nbbb\x00\x0050\x0060\x00Squashed commit of the following:\n\ncommit 1\nAuthor: A <a@x>\nDate:   Mon Mar 3 10:00:00 2025 +0000\n\n    one\n\ncommit 2\nAuthor: A <a@x>\nDate:   Sun Mar 2 09:00:00 2025 +0100\n\x1e\n";
        let commits = parse_rev_list(output);
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].parents, ["bbb", "ccc"]);
        assert_eq!((commits[0].author_ms, commits[0].committer_ms), (100_000, 200_000));
        assert_eq!(commits[1].squashed_ms, Some(1_740_902_400_000), "2025-03-02T08:00Z");
        assert_eq!(commits[0].squashed_ms, None);
    }

    #[test]
    fn changes_land_with_the_merge_that_brought_them() {
        // main: p ← m (merge of f2) ; branch: f1 ← f2 ; cur = m
        let commits = [
            commit("m", &["p", "f2"], 50, 60),
            commit("f2", &["f1"], 20, 21),
            commit("f1", &["p"], 10, 11),
        ];
        let changes = changes(&commits, "m");
        assert_eq!(
            changes,
            [
                Change {
                    sha: "f2".into(),
                    first_ms: 20,
                    landed_ms: 60
                },
                Change {
                    sha: "f1".into(),
                    first_ms: 10,
                    landed_ms: 60
                },
            ]
        );
        let (lead, dropped, merge, merge_dropped) = lead_times(&changes, 15);
        assert_eq!((lead, dropped), (vec![0.005], 1));
        assert_eq!((merge.len(), merge_dropped), (0, 2));
    }

    #[test]
    fn reverts_and_hotfixes_are_read_from_messages() {
        let sha = "9f2c1a7d3e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d";
        let output = format!(
            "r1\x00p\x00100\x00100\x00Revert \"Add basket\"\n\nThis reverts commit {sha}.\n\x1e\n\
             h1\x00p\x00100\x00100\x00Merge pull request #7 from acme/hotfix/total\n\x1e\n\
             n1\x00p\x00100\x00100\x00Add a hot path\n\nnot a hotfix, says the body only\n\x1e\n\
             x1\x00p\x00100\x00100\x00Revert\n\nThis reverts commit main.\n\x1e\n"
        );
        let commits = parse_rev_list(&output);
        let read: Vec<(&str, Vec<String>, bool)> = commits
            .iter()
            .map(|c| (c.sha.as_str(), c.reverts.clone(), c.hotfix))
            .collect();
        assert_eq!(
            read,
            [
                ("r1", vec![sha.to_string()], false),
                ("h1", vec![], true),
                ("n1", vec![], false),
                ("x1", vec![], false),
            ]
        );
    }
}
