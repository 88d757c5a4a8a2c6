//! The built site (`cargo xtask build-site`): hashed wasm, JS, CSS and the manifest naming them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// File written by the xtask beside the assets.
pub const MANIFEST: &str = "manifest.json";

/// What the xtask built: paths relative to the site root.
#[derive(Clone, Debug, Deserialize)]
pub struct SiteManifest {
    /// Base name of the wasm-bindgen output (`pkg/<bundle>.js`, `pkg/<bundle>_bg.wasm`).
    pub bundle: String,
    pub stylesheet: String,
    pub favicon: String,
}

/// The site root and its manifest.
#[derive(Clone, Debug)]
pub struct Site {
    pub root: PathBuf,
    pub manifest: SiteManifest,
}

/// Why the site cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(
        "the built site is missing at {0} (no {MANIFEST}); build it with `cargo xtask build-site` or point --site-root/CAIRN_SITE_ROOT at it"
    )]
    Missing(PathBuf),
    #[error("cannot read {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Site {
    /// Loads the manifest from `root`.
    pub fn load(root: &Path) -> Result<Site, SiteError> {
        let path = root.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|_| SiteError::Missing(root.to_path_buf()))?;
        let manifest: SiteManifest = serde_json::from_str(&text).map_err(|e| SiteError::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
        for file in [
            format!("pkg/{}.js", manifest.bundle),
            format!("pkg/{}_bg.wasm", manifest.bundle),
        ] {
            if !root.join(&file).is_file() {
                return Err(SiteError::Invalid {
                    path,
                    message: format!("it names {file}, which does not exist"),
                });
            }
        }
        Ok(Site {
            root: root.to_path_buf(),
            manifest,
        })
    }
}
