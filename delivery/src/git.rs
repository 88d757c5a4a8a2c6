//! The repositories' histories behind lead time: one bare, shallow clone per repository in the
//! delivery cache, fetched through `catalog::ingest::git::run_git` (so the reading policy, the
//! tokens and the timeout apply), deepened only as far as a deployment's changes need, with a
//! bounded memory of what was already worked out.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use catalog::ingest::git::{GitSettings, run_git};
use sha2::{Digest, Sha256};

use crate::changes::{Change, REV_LIST_FORMAT, changes, looks_like_commit, parse_rev_list};

/// Commits of each branch a new clone starts with.
const INITIAL_DEPTH: usize = 100;
/// A repository is fetched again for a commit it lacks at most this often.
const REFETCH_AFTER: Duration = Duration::from_secs(30);
/// A repository that could not be read is not tried again for this long.
const RETRY_AFTER: Duration = Duration::from_secs(300);
/// How many times one answer may deepen a clone.
const MAX_DEEPENINGS: usize = 8;
/// Most answers remembered (ranges, resolutions); the memory starts again when full.
const MAX_REMEMBERED: usize = 4096;

/// A deployment's changes: `prev..cur`, at most `max_commits` of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    pub changes: Vec<Change>,
    pub truncated: bool,
    /// Every commit listed, merges included.
    pub commits: Vec<String>,
    /// The commits those revert, and those that are hotfixes.
    pub reverts: Vec<String>,
    pub hotfixes: Vec<String>,
}

/// The clones and what was learnt from them.
pub struct History {
    git: GitSettings,
    max_commits: usize,
    ranges: Mutex<HashMap<(String, String, String), Arc<Range>>>,
    resolved: Mutex<HashMap<(String, String), Option<String>>>,
    fetched: Mutex<HashMap<String, Instant>>,
    failed: Mutex<HashMap<String, (Instant, String)>>,
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
}

fn remember<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if map.len() >= MAX_REMEMBERED {
        map.clear();
    }
    map.insert(key, value);
}

fn recall<K: std::hash::Hash + Eq, V: Clone>(map: &Mutex<HashMap<K, V>>, key: &K) -> Option<V> {
    map.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(key)
        .cloned()
}

impl History {
    /// `git`'s reading policy, tokens and timeout apply; clones go to its `cache_dir`.
    pub fn new(git: GitSettings, max_commits: usize) -> History {
        History {
            git,
            max_commits: max_commits.max(1),
            ranges: Mutex::default(),
            resolved: Mutex::default(),
            fetched: Mutex::default(),
            failed: Mutex::default(),
            locks: Mutex::default(),
        }
    }

    /// The full commit of `repo` the first of `candidates` (full or abbreviated) that is one
    /// names; `Ok(None)` when none is. `Err` says, safely, why the repository could not be read.
    pub async fn resolve(&self, repo: &str, candidates: &[String]) -> Result<Option<String>, String> {
        let candidates: Vec<&String> = candidates.iter().filter(|c| looks_like_commit(c)).collect();
        if candidates.is_empty() {
            return Ok(None);
        }
        let key = (
            repo.to_string(),
            candidates.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","),
        );
        if let Some(known) = recall(&self.resolved, &key) {
            return Ok(known);
        }
        let (dir, _lock) = self.open(repo).await?;
        let started = Instant::now();
        let mut deepenings = 0;
        let found = loop {
            if let Some(sha) = self.find(&dir, &candidates).await {
                break Some(sha);
            }
            if self.may_refetch(repo) {
                self.fetch(repo, &dir, &[]).await?;
                for full in candidates.iter().filter(|c| c.len() == 40) {
                    // Servers that allow it (GitHub does) hand over a commit no branch has.
                    let _ = run_git(
                        &self.git,
                        repo,
                        &dir,
                        &["fetch", "--quiet", "--depth=1", "--", repo, full],
                        &[],
                    )
                    .await;
                }
                continue;
            }
            if deepenings >= MAX_DEEPENINGS || started.elapsed() > self.git.timeout || !is_shallow(&dir) {
                break None;
            }
            deepenings += 1;
            self.deepen(repo, &dir, INITIAL_DEPTH << deepenings).await?;
        };
        remember(&self.resolved, key, found.clone());
        Ok(found)
    }

    /// The changes of `prev..cur` (both resolved commits of `repo`).
    pub async fn range(&self, repo: &str, prev: &str, cur: &str) -> Result<Arc<Range>, String> {
        let key = (repo.to_string(), prev.to_string(), cur.to_string());
        if let Some(known) = recall(&self.ranges, &key) {
            return Ok(known);
        }
        let (dir, _lock) = self.open(repo).await?;
        let started = Instant::now();
        let max_count = format!("--max-count={}", self.max_commits + 1);
        let not_prev = format!("^{prev}");
        let mut deepenings = 0;
        let range = loop {
            let args = [
                "rev-list",
                "--no-commit-header",
                REV_LIST_FORMAT,
                &max_count,
                cur,
                &not_prev,
                "--",
            ];
            let output = run_git(&self.git, "", &dir, &args, &[])
                .await
                .map_err(|e| e.to_string())?;
            let mut commits = parse_rev_list(&output);
            let boundary = shallow_commits(&dir);
            let cut = commits.iter().any(|c| boundary.contains(&c.sha));
            // A commit at the clone's edge hides its parents: deepen until none is listed.
            if cut && deepenings < MAX_DEEPENINGS && started.elapsed() < self.git.timeout {
                deepenings += 1;
                self.deepen(repo, &dir, commits.len().max(INITIAL_DEPTH) << deepenings)
                    .await?;
                continue;
            }
            let truncated = cut || commits.len() > self.max_commits;
            commits.truncate(self.max_commits);
            break Range {
                changes: changes(&commits, cur),
                truncated,
                reverts: commits.iter().flat_map(|c| c.reverts.iter().cloned()).collect(),
                hotfixes: commits.iter().filter(|c| c.hotfix).map(|c| c.sha.clone()).collect(),
                commits: commits.into_iter().map(|c| c.sha).collect(),
            };
        };
        let range = Arc::new(range);
        remember(&self.ranges, key, range.clone());
        Ok(range)
    }

    /// The clone of `repo`, created and first fetched when new, locked while held.
    async fn open(&self, repo: &str) -> Result<(PathBuf, tokio::sync::OwnedMutexGuard<()>), String> {
        // The clone's policy is the catalog's: a local repository only where file locations are.
        if repo.starts_with("file://") && !self.git.allow_file {
            return Err(format!(
                "{repo}: file:// repositories are read only where file locations are allowed"
            ));
        }
        if let Some((at, why)) = recall(&self.failed, &repo.to_string())
            && at.elapsed() < RETRY_AFTER
        {
            return Err(why);
        }
        let digest: String = Sha256::digest(repo.as_bytes())[..10]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = std::path::absolute(self.git.cache_dir.join(digest)).map_err(|e| cache_error(&e))?;
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            locks.entry(dir.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        if !dir.join("HEAD").exists() {
            std::fs::create_dir_all(&dir).map_err(|e| cache_error(&e))?;
            run_git(&self.git, repo, &dir, &["init", "--bare", "--quiet"], &[])
                .await
                .map_err(|e| e.to_string())?;
            let depth = format!("--depth={INITIAL_DEPTH}");
            self.fetch(repo, &dir, &[&depth]).await?;
        }
        Ok((dir, guard))
    }

    /// Fetches every branch of `repo` (with `extra` options), remembering a failure.
    async fn fetch(&self, repo: &str, dir: &Path, extra: &[&str]) -> Result<(), String> {
        let mut args = vec!["fetch", "--quiet", "--no-tags", "--prune"];
        args.extend_from_slice(extra);
        args.extend(["--", repo, "+refs/heads/*:refs/remotes/origin/*"]);
        remember(&self.fetched, repo.to_string(), Instant::now());
        match run_git(&self.git, repo, dir, &args, &[]).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let why = e.to_string();
                remember(&self.failed, repo.to_string(), (Instant::now(), why.clone()));
                Err(why)
            }
        }
    }

    async fn deepen(&self, repo: &str, dir: &Path, by: usize) -> Result<(), String> {
        let by = format!("--deepen={by}");
        self.fetch(repo, dir, &[&by]).await
    }

    fn may_refetch(&self, repo: &str) -> bool {
        recall(&self.fetched, &repo.to_string()).is_none_or(|at| at.elapsed() >= REFETCH_AFTER)
    }

    /// The first candidate that names a commit of the clone, in full.
    async fn find(&self, dir: &Path, candidates: &[&String]) -> Option<String> {
        for candidate in candidates {
            let spec = format!("{candidate}^{{commit}}");
            if let Ok(sha) = run_git(&self.git, "", dir, &["rev-parse", "--verify", "--quiet", &spec], &[]).await {
                return Some(sha.trim().to_string());
            }
        }
        None
    }
}

fn is_shallow(dir: &Path) -> bool {
    dir.join("shallow").exists()
}

/// The commits at the clone's edge (their parents were not fetched).
fn shallow_commits(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("shallow"))
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn cache_error(e: &std::io::Error) -> String {
    tracing::warn!(error = %e, "the delivery Git cache cannot be used");
    "the delivery Git cache cannot be used (the server log has the detail)".into()
}
