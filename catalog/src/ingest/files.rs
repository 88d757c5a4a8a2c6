//! File locations: a file, a directory (every catalog-info.yaml below it) or a glob. `Location`
//! entities found there are followed (relative targets, never outside the location's directory,
//! each file once), and every document becomes a candidate for the store.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::IngestError;
use crate::process::{
    Category,
    files::{FileResolver, normalize},
    process_document,
};
use crate::read::{ReadLimits, read_documents};
use crate::store::{Candidate, CandidateResult};

/// Bounds for one location.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub read: ReadLimits,
    /// Most files one location may expand to (directories, globs and nested Locations together).
    pub max_files: usize,
    /// Threads reading files. A refresh leaves one core to the database writer it feeds:
    /// competing with it for the CPU only slows the whole down.
    pub threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            read: ReadLimits::default(),
            max_files: 20_000,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Reads a file location and everything it leads to, handing each file's candidates to `sink`
/// (after `prepare`, which runs on the reading threads) as soon as a few files are read, in a
/// stable order: memory stays bounded by a handful of files whatever the location's size. Files
/// of one level (the location's own, then those its Location entities name, and so on) are read
/// in parallel. `sink` returns false to stop early.
pub fn read_location<T: Send>(
    target: &str,
    limits: &Limits,
    prepare: &(dyn Fn(Candidate) -> T + Sync),
    sink: &mut dyn FnMut(Vec<T>) -> bool,
) -> Result<(), IngestError> {
    read_location_as(target, None, None, limits, prepare, sink)
}

/// How files read from a checkout are named in annotations and problems: by their place in the
/// repository, never by the local path of the cache.
#[derive(Clone, Debug)]
pub struct Provenance {
    /// `backstage.io/managed-by-origin-location`, e.g. `url:https://host/org/repo/blob/main/catalog-info.yaml`.
    pub origin: String,
    /// The checkout's directory, and what replaces it in a file's name (`https://host/org/repo/blob/main`).
    pub checkout: PathBuf,
    pub base: String,
    /// The location type files are named with (`url`).
    pub location_type: String,
}

impl Provenance {
    /// (name shown in problems, `managed-by-location` value) of a file.
    pub fn name(&self, file: &Path) -> (String, String) {
        let relative = file.strip_prefix(&self.checkout).unwrap_or(file);
        let shown = format!("{}/{}", self.base.trim_end_matches('/'), relative.display());
        let location = format!("{}:{shown}", self.location_type);
        (shown, location)
    }

    /// `message` with the checkout's directory replaced by the repository's name for it: what
    /// callers read never shows where the server keeps its files.
    pub fn hide(&self, message: &str) -> String {
        let dir = self.checkout.display().to_string();
        message.replace(&dir, self.base.trim_end_matches('/'))
    }
}

/// `message` as callers may read it (see [`Provenance::hide`]).
fn shown_message(message: String, provenance: Option<&Provenance>) -> String {
    match provenance {
        Some(p) => p.hide(&message),
        None => message,
    }
}

/// [`read_location`], naming files after `provenance` when they come from a repository checkout;
/// with `only`, just those files are read (a partial refresh: what changed in a commit).
pub fn read_location_as<T: Send>(
    target: &str,
    provenance: Option<&Provenance>,
    only: Option<Vec<PathBuf>>,
    limits: &Limits,
    prepare: &(dyn Fn(Candidate) -> T + Sync),
    sink: &mut dyn FnMut(Vec<T>) -> bool,
) -> Result<(), IngestError> {
    let target_path = normalize(&absolute(Path::new(target)));
    let hidden = |e: IngestError| match e {
        IngestError::Read(message) => IngestError::Read(shown_message(message, provenance)),
        other => other,
    };
    let (root, first_files) = match only {
        Some(files) => (
            expand(&target_path, limits.max_files).map_err(hidden)?.0,
            files.iter().map(|f| normalize(&absolute(f))).collect(),
        ),
        None => expand(&target_path, limits.max_files).map_err(hidden)?,
    };
    let origin = match provenance {
        Some(p) => p.origin.clone(),
        None => format!("file:{}", target_path.display()),
    };
    let mut level: Vec<(PathBuf, bool)> = first_files.into_iter().map(|f| (f, true)).collect();
    let mut visited: HashSet<PathBuf> = HashSet::new();
    let threads = limits.threads.max(1);
    while !level.is_empty() {
        // A cycle, or two Locations pointing at one file: each file is read once.
        level.retain(|(file, _)| visited.insert(file.clone()));
        if visited.len() > limits.max_files {
            return Err(hidden(IngestError::Read(format!(
                "{target} leads to more than {} files",
                limits.max_files
            ))));
        }
        let mut next = Vec::new();
        for group in level.chunks(threads * 2) {
            let read = in_parallel(group, threads, |(file, required)| {
                let (found, targets) = read_file(file, *required, &root, (&origin, provenance), limits);
                (found.into_iter().map(prepare).collect::<Vec<T>>(), targets)
            });
            for (found, targets) in read {
                next.extend(targets);
                if !found.is_empty() && !sink(found) {
                    return Ok(());
                }
            }
        }
        level = next;
    }
    Ok(())
}

/// Every candidate of a location at once (for small locations and tests).
pub fn read_all(target: &str, limits: &Limits) -> Result<Vec<Candidate>, IngestError> {
    let mut all = Vec::new();
    read_location(target, limits, &|c| c, &mut |found| {
        all.extend(found);
        true
    })?;
    Ok(all)
}

/// Applies `work` to every item on up to `threads` threads, keeping the order.
fn in_parallel<T: Sync, R: Send>(items: &[T], threads: usize, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len()).max(1);
    if threads == 1 {
        return items.iter().map(&work).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&work).collect::<Vec<R>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// One file's candidates, and the files its Location entities lead to.
fn read_file(
    file: &Path,
    required: bool,
    root: &Path,
    (origin, provenance): (&str, Option<&Provenance>),
    limits: &Limits,
) -> (Vec<Candidate>, Vec<(PathBuf, bool)>) {
    let (shown, location) = match provenance {
        Some(p) => p.name(file),
        None => (file.display().to_string(), format!("file:{}", file.display())),
    };
    let mut candidates = Vec::new();
    let mut next = Vec::new();
    let problem = |message: String| Candidate {
        source: shown.clone(),
        document: 0,
        entity_ref: None,
        result: CandidateResult::Problem {
            category: "read",
            line: None,
            message: shown_message(message, provenance),
        },
    };
    let bytes = match read_bounded(file, limits.read.max_file_bytes) {
        Ok(bytes) => bytes,
        Err(_) if !required => return (candidates, next),
        Err(message) => return (vec![problem(message)], next),
    };
    let documents = match read_documents(&bytes, &limits.read) {
        Ok(docs) => docs,
        Err(e) => return (vec![problem(format!("{shown}: {e}"))], next),
    };
    let text = String::from_utf8_lossy(&bytes);
    let dir = file.parent().unwrap_or(root).to_path_buf();
    let resolver = FileResolver { dir: &dir, root };
    for doc in &documents {
        let outcome = process_document(doc, &text, &resolver);
        let result = match outcome.result {
            Ok(None) => continue,
            Ok(Some(processed)) => {
                let mut body = processed.entity;
                annotate(&mut body, &location, origin);
                if outcome.kind.as_deref() == Some("Location") {
                    for (target, required) in location_targets(&body, &dir, root) {
                        match target {
                            Ok(path) => next.push((path, required)),
                            Err(message) => candidates.push(problem(message)),
                        }
                    }
                }
                let raw = doc.value.clone().ok().flatten().unwrap_or(Value::Null);
                CandidateResult::Entity {
                    body,
                    raw,
                    relations: processed.relations,
                }
            }
            Err(p) => CandidateResult::Problem {
                category: match p.category {
                    Category::Yaml => "yaml",
                    Category::Invalid => "invalid",
                    Category::Fetch => "fetch",
                },
                line: p.line,
                message: shown_message(
                    match &p.field {
                        Some(field) => format!("{field}: {}", p.message),
                        None => p.message.clone(),
                    },
                    provenance,
                ),
            },
        };
        candidates.push(Candidate {
            source: shown.clone(),
            document: doc.index,
            entity_ref: outcome.entity_ref,
            result,
        });
    }
    (candidates, next)
}

/// The files a target names, and the directory that bounds what they may reach.
fn expand(target: &Path, max_files: usize) -> Result<(PathBuf, Vec<PathBuf>), IngestError> {
    let text = target.display().to_string();
    let is_pattern = |s: &str| s.contains(['*', '?', '[', '{']);
    if is_pattern(&text) {
        let base: PathBuf = target
            .components()
            .take_while(|c| !is_pattern(&c.as_os_str().to_string_lossy()))
            .collect();
        let matcher = globset::GlobBuilder::new(&text)
            .literal_separator(true)
            .build()
            .map_err(|e| IngestError::Read(format!("invalid glob {text}: {e}")))?
            .compile_matcher();
        let files = walk(&base, max_files, &|p| matcher.is_match(p))?;
        return Ok((base, files));
    }
    let meta = std::fs::metadata(target).map_err(|e| IngestError::Read(format!("cannot read {text}: {e}")))?;
    if meta.is_dir() {
        let files = walk(target, max_files, &|p| {
            p.file_name()
                .is_some_and(|n| n == "catalog-info.yaml" || n == "catalog-info.yml")
        })?;
        Ok((target.to_path_buf(), files))
    } else {
        Ok((
            target.parent().unwrap_or(Path::new("/")).to_path_buf(),
            vec![target.to_path_buf()],
        ))
    }
}

/// Files under `dir` accepted by `keep`, sorted, skipping hidden directories and build output.
fn walk(dir: &Path, max_files: usize, keep: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>, IngestError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| IngestError::Read(format!("cannot list {}: {e}", dir.display())))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            match entry.file_type() {
                Ok(t) if t.is_dir() && !name.starts_with('.') && name != "node_modules" && name != "target" => {
                    pending.push(path)
                }
                Ok(t) if t.is_file() && keep(&path) => {
                    found.push(path);
                    if found.len() > max_files {
                        return Err(IngestError::Read(format!(
                            "{} holds more than {max_files} catalog files",
                            dir.display()
                        )));
                    }
                }
                _ => {}
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Targets of a Location entity, resolved against its file; only file targets can be followed.
fn location_targets(body: &Value, dir: &Path, root: &Path) -> Vec<(Result<PathBuf, String>, bool)> {
    let spec = &body["spec"];
    let location_type = spec["type"].as_str().unwrap_or("file");
    let required = spec["presence"].as_str() != Some("optional");
    let single = spec["target"].as_str();
    let many = spec["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    single
        .into_iter()
        .chain(many)
        .map(|target| {
            if location_type != "file" || target.contains("://") {
                return (
                    Err(format!(
                        "target {target} (type {location_type}) cannot be followed from a file location yet"
                    )),
                    required,
                );
            }
            let path = normalize(&dir.join(target));
            if !path.starts_with(root) {
                return (
                    Err(format!(
                        "target {target} leads outside the location's directory {}",
                        root.display()
                    )),
                    required,
                );
            }
            (Ok(path), required)
        })
        .collect()
}

/// Backstage's provenance annotations.
fn annotate(body: &mut Value, location: &str, origin: &str) {
    let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(map) = annotations.as_object_mut() {
        map.insert(
            "backstage.io/managed-by-location".into(),
            Value::String(location.into()),
        );
        map.insert(
            "backstage.io/managed-by-origin-location".into(),
            Value::String(origin.into()),
        );
    }
}

fn read_bounded(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > max as u64 {
        return Err(format!(
            "{} is {} bytes, more than the {max}-byte limit",
            path.display(),
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCATION: &str =
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  targets: [{targets}]\n";

    fn location(name: &str, targets: &str) -> String {
        LOCATION.replace("{name}", name).replace("{targets}", targets)
    }

    #[test]
    fn locations_are_followed_once_even_in_cycles_and_never_outside_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("sub")).expect("mkdir");
        std::fs::write(
            root.join("catalog-info.yaml"),
            location("a", "./sub/b.yaml, ../outside.yaml"),
        )
        .expect("write");
        std::fs::write(
            root.join("sub/b.yaml"),
            location("b", "../catalog-info.yaml, ./missing.yaml"),
        )
        .expect("write");
        let candidates = read_all(
            &root.join("catalog-info.yaml").display().to_string(),
            &Limits::default(),
        )
        .expect("read");
        let entities: Vec<_> = candidates
            .iter()
            .filter(|c| matches!(c.result, CandidateResult::Entity { .. }))
            .collect();
        assert_eq!(entities.len(), 2, "each file once despite the cycle");
        let problems: Vec<String> = candidates
            .iter()
            .filter_map(|c| match &c.result {
                CandidateResult::Problem { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect();
        assert!(
            problems.iter().any(|p| p.contains("outside the location's directory")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("missing.yaml")),
            "a required target that does not exist: {problems:?}"
        );
    }

    #[test]
    fn directories_and_globs_expand_to_catalog_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let component = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {n}\nspec:\n  type: service\n  lifecycle: production\n  owner: a\n";
        for (path, name) in [
            ("a/catalog-info.yaml", "a"),
            ("b/catalog-info.yml", "b"),
            ("c/other.yaml", "c"),
            (".hidden/catalog-info.yaml", "h"),
        ] {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(file, component.replace("{n}", name)).expect("write");
        }
        let names = |target: String| -> Vec<String> {
            let mut n: Vec<String> = read_all(&target, &Limits::default())
                .expect("read")
                .into_iter()
                .filter_map(|c| c.entity_ref.map(|r| r.name))
                .collect();
            n.sort();
            n
        };
        assert_eq!(
            names(dir.path().display().to_string()),
            ["a", "b"],
            "catalog-info files, hidden directories skipped"
        );
        assert_eq!(names(format!("{}/*/*.yaml", dir.path().display())), ["a", "c"]);
    }
}
