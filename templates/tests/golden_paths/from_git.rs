//! The service templates as a `git` location serves them: both skeletons fetched from the same
//! repository at the template's commit, as they are from the files written at start-up.

use std::process::Command;
use std::sync::Arc;

use templates::actions::{Registry, Services};
use templates::workspace::Limits;

use super::{tools, variants};

/// Copies golden-paths/ into a new repository with one commit on `main`.
fn repository(root: &std::path::Path) {
    let copy = Command::new("cp")
        .arg("-r")
        .arg(tools::golden_paths())
        .arg(root)
        .status()
        .expect("cp");
    assert!(copy.success(), "copy golden-paths/");
    for args in [
        &["init", "--quiet", "--initial-branch=main"][..],
        &["add", "."],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "--quiet",
            "-m",
            "golden paths",
        ],
    ] {
        let status = Command::new("git").args(args).current_dir(root).status().expect("git");
        assert!(status.success(), "git {args:?}");
    }
}

#[tokio::test]
async fn services_fetch_both_skeletons_from_a_git_location() {
    let temp = tempfile::tempdir().expect("a temporary directory");
    let repo = temp.path().join("repo");
    repository(&repo);
    let mut services = Services::default();
    services.git.allow_file = true;
    services.git.cache_dir = temp.path().join("cache");
    let services = Arc::new(services);
    for (template, source) in [("rust-service", "Cargo.toml"), ("node-service", "package.json")] {
        let mut parsed = templates::dry_run::read_template(&tools::template_file(template)).expect("loads");
        // As the catalog names a file it read from a `git` location (the `git:` type taken off).
        parsed.base_url = Some(format!("file://{}#main/services/{template}.yaml", repo.display()));
        let values = variants::services(template).remove(1).values();
        let out = temp.path().join(template);
        let report = templates::dry_run::dry_run(
            parsed,
            &values,
            &Registry::builtin(),
            services.clone(),
            &out,
            Limits::default(),
        )
        .await
        .expect("the dry run starts");
        assert_eq!(report.error, None, "{template}: {:#?}", report.log);
        for file in [
            source,
            "chart/Chart.yaml",
            "terraform/database.tf",
            ".github/workflows/deploy.yaml",
        ] {
            assert!(
                report.files.iter().any(|f| f.path == file),
                "{template}: {file} is missing"
            );
        }
    }
}
