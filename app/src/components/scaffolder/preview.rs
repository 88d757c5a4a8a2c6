//! The dry run's files as a tree; choosing a file shows its text (binary files are marked, not
//! shown). Text is shown as text: templates never inject markup.

use leptos::prelude::*;

use crate::api::scaffolder::{DryRunView, PreviewFile};

/// A directory of the tree: its sub-directories and files (indexes into the report's files).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dir {
    pub name: String,
    pub dirs: Vec<Dir>,
    pub files: Vec<(String, usize)>,
}

/// The files' paths as a tree, directories first, each level sorted by name.
pub fn tree(files: &[PreviewFile]) -> Dir {
    let mut root = Dir::default();
    for (index, file) in files.iter().enumerate() {
        let mut parts: Vec<&str> = file.path.split('/').filter(|p| !p.is_empty()).collect();
        let Some(name) = parts.pop() else { continue };
        let mut dir = &mut root;
        for part in parts {
            let at = match dir.dirs.iter().position(|d| d.name == part) {
                Some(at) => at,
                None => {
                    dir.dirs.push(Dir {
                        name: part.to_string(),
                        ..Dir::default()
                    });
                    dir.dirs.len() - 1
                }
            };
            dir = &mut dir.dirs[at];
        }
        dir.files.push((name.to_string(), index));
    }
    sort(&mut root);
    root
}

fn sort(dir: &mut Dir) {
    dir.dirs.sort_by(|a, b| a.name.cmp(&b.name));
    dir.files.sort();
    dir.dirs.iter_mut().for_each(sort);
}

/// The preview of a dry run.
#[component]
pub fn FilePreview(report: DryRunView) -> impl IntoView {
    let chosen = RwSignal::new(None::<usize>);
    let root = tree(&report.files);
    let files = StoredValue::new(report.files.clone());
    let count = report.files.len();
    view! {
        <section class="panel file-preview" aria-labelledby="preview-title" data-testid="file-preview">
            <h2 id="preview-title">{format!("{count} files would be generated")}</h2>
            {report.error.clone().map(|e| view! { <p class="error" role="alert">{format!("The dry run stopped: {e}")}</p> })}
            <div class="preview-grid">
                <nav aria-label="Generated files" class="file-tree"><DirView dir=root chosen /></nav>
                <div class="file-view" aria-live="polite">
                    {move || chosen.get().and_then(|i| files.with_value(|f| f.get(i).cloned())).map(|file| view! { <FileText file /> })}
                </div>
            </div>
            <crate::components::cost::estimate::CostEstimates estimates=report.estimates.clone() />
            <details class="key-values">
                <summary>"Log"</summary>
                <ol class="task-log">{report.log.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
            </details>
        </section>
    }
}

#[component]
fn DirView(dir: Dir, chosen: RwSignal<Option<usize>>) -> AnyView {
    view! {
        <ul>
            {dir.dirs.into_iter().map(|d| view! {
                <li class="dir"><span aria-hidden="true">"▸ "</span>{d.name.clone()}"/"<DirView dir=d chosen /></li>
            }).collect_view()}
            {dir.files.into_iter().map(|(name, index)| view! {
                <li><button type="button" class="file-link" aria-pressed=move || if chosen.get() == Some(index) { "true" } else { "false" }
                    on:click=move |_| chosen.set(Some(index))>{name}</button></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn FileText(file: PreviewFile) -> impl IntoView {
    let facts = format!(
        "{} bytes{}",
        file.size,
        if file.executable { ", executable" } else { "" }
    );
    view! {
        <h3 class="mono">{file.path.clone()}</h3>
        <p class="muted small">{facts}</p>
        {match file.text {
            Some(text) => view! { <pre class="code" data-testid="file-text">{text}</pre> }.into_any(),
            None => view! { <p class="muted" data-testid="binary-file">"Binary file: not shown."</p> }.into_any(),
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> PreviewFile {
        PreviewFile {
            path: path.into(),
            size: 1,
            executable: false,
            text: None,
        }
    }

    #[test]
    fn paths_become_a_sorted_tree() {
        let files = [
            file("src/main.rs"),
            file("README.md"),
            file("chart/templates/svc.yaml"),
            file("src/lib.rs"),
        ];
        let root = tree(&files);
        assert_eq!(root.files, vec![("README.md".to_string(), 1)]);
        assert_eq!(
            root.dirs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
            ["chart", "src"]
        );
        assert_eq!(
            root.dirs[1].files,
            vec![("lib.rs".to_string(), 3), ("main.rs".to_string(), 0)]
        );
        assert_eq!(root.dirs[0].dirs[0].files, vec![("svc.yaml".to_string(), 2)]);
    }
}
