//! A cluster reached through a kubeconfig context: the file read, the context checked by name (so a
//! typo says which contexts exist), and kube's own loader for the rest (CA, token, client
//! certificate, exec plugins).

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::KubernetesError;

/// The client configuration of `context` (default: the file's current context) in `path`
/// (default: `$KUBECONFIG`'s first file, then `~/.kube/config`).
pub(super) fn config(
    cluster: &str,
    path: Option<&Path>,
    context: Option<&str>,
) -> Result<kube::Config, KubernetesError> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => default_path().ok_or_else(|| KubernetesError::Kubeconfig {
            cluster: cluster.into(),
            path: "~/.kube/config".into(),
            reason: "neither $KUBECONFIG nor $HOME is set".into(),
        })?,
    };
    let error = |reason: String| KubernetesError::Kubeconfig {
        cluster: cluster.into(),
        path: path.display().to_string(),
        reason,
    };
    let kubeconfig = Kubeconfig::read_from(&path).map_err(|e| error(format!("cannot read it: {e}")))?;
    let known: Vec<&str> = kubeconfig.contexts.iter().map(|c| c.name.as_str()).collect();
    let chosen = match context.or(kubeconfig.current_context.as_deref()) {
        None => return Err(error("it sets no current-context; name one with `context`".into())),
        Some(name) if !known.contains(&name) => {
            return Err(error(format!(
                "it has no context {name:?} (it has: {})",
                known.join(", ")
            )));
        }
        Some(name) => name.to_owned(),
    };
    let options = KubeConfigOptions {
        context: Some(chosen.clone()),
        ..KubeConfigOptions::default()
    };
    // Async in signature only: kube 5 loads a kubeconfig without awaiting anything, so this
    // returns at once (exec plugins run on the client's first request, not here).
    futures::executor::block_on(kube::Config::from_custom_kubeconfig(kubeconfig, &options))
        .map_err(|e| error(format!("context {chosen:?}: {e}")))
}

fn default_path() -> Option<PathBuf> {
    if let Some(paths) = std::env::var_os("KUBECONFIG").filter(|p| !p.is_empty()) {
        return std::env::split_paths(&paths).next();
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".kube/config"))
}
