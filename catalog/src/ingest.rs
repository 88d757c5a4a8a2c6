//! Ingestion: read a registered location, process every document, and replace what the location
//! provides in the store. Local files, Git repositories and GitHub (discovery, org sync) all end in
//! the same reading and writing path.

pub mod files;
pub mod git;
pub mod github;

use crate::store::{LocationRow, Orphans, Prepared, RefreshSummary, Store, StoreError};

/// What a refresh may do: bounds, Git access, and what becomes of entities that disappeared.
#[derive(Clone, Debug)]
pub struct RefreshSettings {
    pub limits: files::Limits,
    pub git: git::GitSettings,
    pub github: Vec<github::GithubIntegration>,
    pub orphans: Orphans,
}

/// Location types this version can read: local files, Git repositories (`git`), repository
/// file or folder URLs (`url`, as Backstage writes them), a GitHub organisation's repositories
/// (`github-discovery`) and its teams and members (`github-org`).
pub const READABLE_TYPES: [&str; 5] = ["file", "url", "git", "github-discovery", "github-org"];

/// Why a location could not be refreshed at all (its entities are kept).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Read(String),
    #[error(
        "location type `{0}` cannot be read by this version of Cairn (supported: file, url, git, github-discovery, github-org)"
    )]
    UnsupportedType(String),
    /// A repository could not be reached or read. The message is safe to show callers (no server
    /// paths, commands or raw Git output); the detail went to the server log.
    #[error("{message}")]
    Remote { kind: RemoteFailure, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// The message for the caller of request `request_id`: where it leaves out what the server
    /// log has (why a repository could not be read), the request id joins the two.
    pub fn for_caller(&self, request_id: &str) -> String {
        match self {
            IngestError::Remote { kind, message } if *kind != RemoteFailure::NotAllowed => {
                format!("{message} (request id {request_id}; the server log has the detail)")
            }
            other => other.to_string(),
        }
    }
}

/// How reaching a repository failed, in the few kinds a caller may be told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteFailure {
    /// The reading policy refuses it (`backend.reading`); the message says what to configure.
    NotAllowed,
    /// Unknown host, nothing listening, refused, or no answer in time: deliberately one kind.
    Unreachable,
    /// Not found, or the credentials do not open it.
    NotReadable,
    /// The server answered with a redirect, which is not followed.
    Redirected,
    /// Anything else; the server log has the detail.
    Failed,
}

/// Refreshes one location. Reading and processing run on their own threads and hand over a few
/// files at a time to the writer, which adds them to one open transaction: the two overlap, and
/// memory stays bounded whatever the location's size. A location that cannot be read (or not
/// completely) keeps its entities and records the error; nothing of the partial read is kept.
pub async fn refresh_location(
    store: &Store,
    location: &LocationRow,
    settings: &RefreshSettings,
) -> Result<RefreshSummary, IngestError> {
    let started = crate::store::now_ms();
    let outcome = match location.location_type.as_str() {
        "file" => {
            read_and_write(
                store,
                location,
                (location.target.clone(), None, None),
                None,
                settings,
                started,
            )
            .await
        }
        "url" | "git" => refresh_from_git(store, location, settings, started).await,
        "github-discovery" => github::provider::refresh_discovery(store, location, settings, started).await,
        "github-org" => github::provider::refresh_org(store, location, settings, started).await,
        other => Err(IngestError::UnsupportedType(other.to_string())),
    };
    if let Err(err) = &outcome {
        store
            .record_refresh_failure(&location.id, started, &err.to_string())
            .await?;
    }
    outcome
}

/// Fetches the location's repository; an unchanged commit is not read again.
async fn refresh_from_git(
    store: &Store,
    location: &LocationRow,
    settings: &RefreshSettings,
    started: i64,
) -> Result<RefreshSummary, IngestError> {
    let target = git::parse_target(&location.location_type, &location.target, &settings.git)?;
    // A repository reached through a GitHub App is fetched with the App's installation token.
    let with_app;
    let settings = match github::provider::app_credential(settings, &target.repo).await? {
        Some(credential) => {
            let mut s = settings.clone();
            s.git.credentials.push(credential);
            with_app = s;
            &with_app
        }
        None => settings,
    };
    // Held until the files are read: the checkout stays at this commit meanwhile.
    let clock = std::time::Instant::now();
    let held = git::checkout(&target, &settings.git).await?;
    tracing::debug!(ms = clock.elapsed().as_millis() as u64, "refresh: checkout");
    let (checkout, commit) = (held.dir.clone(), held.commit.clone());
    let previous = store.source_version(&location.id).await?;
    if previous.as_deref() == Some(commit.as_str()) {
        let entities = store.record_refresh_success(&location.id, started, None).await?;
        return Ok(RefreshSummary {
            source_unchanged: true,
            entities,
            ..RefreshSummary::default()
        });
    }
    let clock = std::time::Instant::now();
    let changed = match &previous {
        Some(old) => git::changed_files(&checkout, old, &commit, &settings.git).await,
        None => None,
    };
    tracing::debug!(ms = clock.elapsed().as_millis() as u64, "refresh: changed files");
    let (start, provenance) = git::provenance(&target, &location.target, &checkout);
    let start = start.display().to_string();
    let outcome = read_and_write(
        store,
        location,
        (start, Some(provenance), Some(commit)),
        changed,
        settings,
        started,
    )
    .await;
    drop(held);
    outcome
}

/// Reads from `path` (named after `provenance` when it is a checkout) and writes what it read;
/// `version` is recorded with it. With `changed` (files of a checkout that differ from the last
/// commit read), only those are read when that gives the same result as reading everything.
pub(crate) async fn read_and_write(
    store: &Store,
    location: &LocationRow,
    (path, provenance, version): (String, Option<files::Provenance>, Option<String>),
    changed: Option<Vec<String>>,
    settings: &RefreshSettings,
    started: i64,
) -> Result<RefreshSummary, IngestError> {
    let limits = files::Limits {
        threads: settings.limits.threads.saturating_sub(1).max(1),
        ..settings.limits
    };
    // Files that changed since the last commit read, by their stored names: the refresh is
    // limited to them when that gives the same result as reading everything.
    let changed: Option<(Vec<std::path::PathBuf>, std::collections::HashSet<String>)> = match (changed, &provenance) {
        (Some(changed), Some(p)) => {
            let files: Vec<std::path::PathBuf> = changed.iter().map(|f| p.checkout.join(f)).collect();
            let names = files.iter().map(|f| p.name(f).0).collect();
            Some((files, names))
        }
        _ => None,
    };
    let (files, names) = changed.unzip();
    let clock = std::time::Instant::now();
    let mut refresh = store.begin_refresh(&location.id, names).await?;
    tracing::debug!(
        ms = clock.elapsed().as_millis() as u64,
        partial = refresh.partial(),
        "refresh: begun"
    );
    let known = refresh.known();
    let only: Option<Vec<std::path::PathBuf>> = match files {
        Some(files) if refresh.partial() => Some(files.into_iter().filter(|f| f.is_file()).collect()),
        _ => None,
    };
    let partial = only.is_some();
    // Two batches in flight: the reader runs ahead of the writer, but not far.
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<Prepared>>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let begun = std::time::Instant::now();
        files::read_location_as(
            &path,
            provenance.as_ref(),
            only,
            &limits,
            &|c| known.prepare(c),
            &mut |batch| sender.blocking_send(batch).is_ok(),
        )
        .map(|()| begun.elapsed())
    });
    let mut writing = std::time::Duration::ZERO;
    let mut written = Ok(());
    while let Some(batch) = batches.recv().await {
        let begun = std::time::Instant::now();
        written = refresh.apply(batch).await;
        writing += begun.elapsed();
        if written.is_err() {
            break; // dropping the receiver stops the reader
        }
    }
    drop(batches);
    let read = reader
        .await
        .map_err(|e| IngestError::Read(format!("reading stopped unexpectedly: {e}")))
        .and_then(|r| r);
    let reading = match (written, read) {
        (Ok(()), Ok(reading)) => reading,
        (Err(e), _) => {
            let _ = refresh.abandon().await;
            return Err(e.into());
        }
        (_, Err(e)) => {
            let _ = refresh.abandon().await;
            return Err(e);
        }
    };
    let begun = std::time::Instant::now();
    let mut summary = refresh
        .finish(store, started, version.as_deref(), settings.orphans)
        .await?;
    summary.read_ms = reading.as_millis() as u64;
    summary.partial = partial;
    summary.write_ms = (writing + begun.elapsed()).as_millis() as u64;
    Ok(summary)
}
