//! Where the conformance samples are: `../shared/samples/catalog` beside the repository, or
//! `CAIRN_SAMPLES_DIR`. Shared by the catalog's and the CLI's conformance tests.

use std::path::PathBuf;

/// The samples folder; panics, saying how to fix it, when it is missing.
pub fn samples() -> PathBuf {
    let dir = std::env::var("CAIRN_SAMPLES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/catalog"));
    assert!(
        dir.join("expected.jsonl").is_file(),
        "the conformance samples are missing at {} (set CAIRN_SAMPLES_DIR)",
        dir.display()
    );
    dir
}
