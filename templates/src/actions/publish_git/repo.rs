//! The Git work of the publish actions, through the catalog's `run_git` (timeouts, no prompts,
//! the host's token in the environment only): a workspace directory committed in a repository of
//! its own outside the workspace and pushed; a branch of an existing repository checked out to
//! add files to. Each runs in a scratch directory removed afterwards.

use std::path::{Path, PathBuf};

use catalog::ingest::git::{GitSettings, run_git};

use super::super::ActionError;

/// Who a commit is by (author and committer).
#[derive(Clone, Debug)]
pub(crate) struct Author {
    pub name: String,
    pub email: String,
}

/// A commit made, and how many files it holds.
#[derive(Clone, Debug)]
pub(crate) struct Commit {
    pub hash: String,
    pub files: usize,
}

/// A directory of its own under the system's temporary directory, removed when dropped.
pub(crate) struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Scratch, ActionError> {
        let dir = std::env::temp_dir().join(format!("cairn-publish-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("home"))
            .map_err(|e| ActionError::Failed(format!("cannot create a scratch directory {}: {e}", dir.display())))?;
        Ok(Scratch { dir })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn git_dir(&self) -> PathBuf {
        self.dir.join("repo.git")
    }

    /// Settings of the machine's user (global config, ignore files, signing) stay out of what
    /// is committed: the commit depends on the template alone.
    fn home(&self) -> String {
        self.dir.join("home").display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `git` against one remote, with the settings (timeout, tokens) it is reached with.
pub(crate) struct Remote<'a> {
    pub settings: &'a GitSettings,
    pub url: &'a str,
}

fn failed(e: catalog::ingest::IngestError) -> ActionError {
    ActionError::Failed(e.to_string())
}

/// An error talking to the remote; one that may be the credentials' says where they come from.
fn remote_failed(url: &str, e: catalog::ingest::IngestError) -> ActionError {
    let text = e.to_string();
    if let catalog::ingest::IngestError::Remote {
        kind: catalog::ingest::RemoteFailure::NotReadable,
        ..
    } = e
    {
        let host = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest.split('/').next().unwrap_or(rest));
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        return ActionError::Failed(format!(
            "{text} (if the remote refused the credentials: check the token configured for {host})"
        ));
    }
    ActionError::Failed(text)
}

impl Remote<'_> {
    /// The commit the remote's `branch` is at, or `None` when it has no such branch (an empty
    /// repository has none).
    pub async fn branch_head(&self, scratch: &Scratch, branch: &str) -> Result<Option<String>, ActionError> {
        let refname = format!("refs/heads/{branch}");
        let listed = run_git(
            self.settings,
            self.url,
            scratch.path(),
            &["ls-remote", "--", self.url, &refname],
            &[],
        )
        .await
        .map_err(|e| remote_failed(self.url, e))?;
        Ok(listed
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(_, name)| *name == refname)
            .map(|(sha, _)| sha.to_string()))
    }

    /// Pushes the scratch repository's `HEAD` as the remote's `branch`.
    pub async fn push(&self, scratch: &Scratch, git_dir: &Path, branch: &str, force: bool) -> Result<(), ActionError> {
        let refspec = format!("HEAD:refs/heads/{branch}");
        let git_dir = git_dir.display().to_string();
        let mut args = vec!["push", "--quiet", "--no-verify"];
        if force {
            args.push("--force");
        }
        args.extend(["--", self.url, &refspec]);
        run_git(self.settings, self.url, scratch.path(), &args, &[("GIT_DIR", &git_dir)])
            .await
            .map_err(|e| remote_failed(self.url, e))?;
        Ok(())
    }

    /// Every file of `work_tree` (its `.gitignore`s honoured) committed as the first commit of
    /// `branch` in the scratch repository, whose git directory is returned with the commit.
    pub async fn commit_tree(
        &self,
        scratch: &Scratch,
        work_tree: &Path,
        branch: &str,
        message: &str,
        author: &Author,
    ) -> Result<(PathBuf, Commit), ActionError> {
        let git_dir = scratch.git_dir();
        let (dir, tree) = (git_dir.display().to_string(), work_tree.display().to_string());
        let home = scratch.home();
        let env = identity(author, &home, &[("GIT_DIR", &dir), ("GIT_WORK_TREE", &tree)]);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let initial = format!("--initial-branch={branch}");
        let local = |args: &'static [&'static str]| run_git(self.settings, "", work_tree, args, &env);
        run_git(
            self.settings,
            "",
            work_tree,
            &["init", "--quiet", "--template=", &initial],
            &env,
        )
        .await
        .map_err(failed)?;
        local(&["add", "--all"]).await.map_err(failed)?;
        let files = local(&["ls-files", "-z"]).await.map_err(failed)?;
        let files = files.split('\0').filter(|f| !f.is_empty()).count();
        if files == 0 {
            return Err(ActionError::Failed(format!(
                "there are no files to publish in {} (is sourcePath right?)",
                work_tree.display()
            )));
        }
        let message = format!("--message={message}");
        run_git(
            self.settings,
            "",
            work_tree,
            &["commit", "--quiet", "--no-verify", &message],
            &env,
        )
        .await
        .map_err(failed)?;
        let hash = local(&["rev-parse", "HEAD"]).await.map_err(failed)?.trim().to_string();
        Ok((git_dir, Commit { hash, files }))
    }
}

impl Remote<'_> {
    /// A shallow checkout of the remote's `base` branch in the scratch directory, on a new local
    /// branch `branch`; returns the checkout's directory.
    pub async fn checkout_new_branch(
        &self,
        scratch: &Scratch,
        base: &str,
        branch: &str,
    ) -> Result<PathBuf, ActionError> {
        let dir = scratch.path().join("checkout");
        std::fs::create_dir_all(&dir)
            .map_err(|e| ActionError::Failed(format!("cannot create {}: {e}", dir.display())))?;
        let home = scratch.home();
        let env = [
            ("HOME", home.as_str()),
            ("XDG_CONFIG_HOME", home.as_str()),
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ];
        run_git(self.settings, "", &dir, &["init", "--quiet", "--template="], &env)
            .await
            .map_err(failed)?;
        let wanted = format!("refs/heads/{base}");
        let fetch = ["fetch", "--quiet", "--no-tags", "--depth=1", "--", self.url, &wanted];
        run_git(self.settings, self.url, &dir, &fetch, &[])
            .await
            .map_err(|e| remote_failed(self.url, e))?;
        run_git(
            self.settings,
            "",
            &dir,
            &["checkout", "--quiet", "-b", branch, "FETCH_HEAD"],
            &env,
        )
        .await
        .map_err(failed)?;
        Ok(dir)
    }

    /// Commits every change of a checkout; `None` when nothing changed.
    pub async fn commit_changes(
        &self,
        scratch: &Scratch,
        dir: &Path,
        message: &str,
        author: &Author,
    ) -> Result<Option<Commit>, ActionError> {
        let home = scratch.home();
        let env = identity(author, &home, &[]);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_git(self.settings, "", dir, &["add", "--all"], &env)
            .await
            .map_err(failed)?;
        let changed = run_git(self.settings, "", dir, &["diff", "--cached", "--name-only", "-z"], &env)
            .await
            .map_err(failed)?;
        let files = changed.split('\0').filter(|f| !f.is_empty()).count();
        if files == 0 {
            return Ok(None);
        }
        let message = format!("--message={message}");
        run_git(
            self.settings,
            "",
            dir,
            &["commit", "--quiet", "--no-verify", &message],
            &env,
        )
        .await
        .map_err(failed)?;
        let hash = run_git(self.settings, "", dir, &["rev-parse", "HEAD"], &env)
            .await
            .map_err(failed)?;
        Ok(Some(Commit {
            hash: hash.trim().to_string(),
            files,
        }))
    }
}

/// The environment naming the author and committer, with the scratch home.
fn identity(author: &Author, home: &str, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = vec![
        ("GIT_AUTHOR_NAME", author.name.clone()),
        ("GIT_AUTHOR_EMAIL", author.email.clone()),
        ("GIT_COMMITTER_NAME", author.name.clone()),
        ("GIT_COMMITTER_EMAIL", author.email.clone()),
        ("HOME", home.to_string()),
        ("XDG_CONFIG_HOME", home.to_string()),
        ("GIT_CONFIG_GLOBAL", "/dev/null".to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    env
}
