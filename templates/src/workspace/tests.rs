//! The workspace refuses every way out and counts what is written.

use super::*;

fn workspace(limits: Limits) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path().to_path_buf(), limits);
    (dir, ws)
}

#[test]
fn resolves_inside_and_refuses_escapes() {
    let (dir, ws) = workspace(Limits::default());
    assert_eq!(ws.resolve("a/./b/../c").unwrap(), dir.path().join("a/c"));
    assert_eq!(ws.resolve("").unwrap(), dir.path().join(""));
    assert_eq!(ws.resolve("./").unwrap(), dir.path().join(""));
    for (bad, why) in [
        ("../x", "`..` leads out of it"),
        ("a/../../x", "`..` leads out of it"),
        ("..\\..\\x", "`..` leads out of it"),
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows", "absolute path"),
        ("a\0b", "NUL byte"),
    ] {
        let err = ws.resolve(bad).unwrap_err().to_string();
        assert!(err.contains(why), "{bad}: {err}");
        assert!(err.starts_with(&format!("`{bad}`")), "{err}");
    }
}

#[test]
fn refuses_paths_through_symlinks() {
    let (dir, ws) = workspace(Limits::default());
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    let err = ws.write("link/x.txt", b"hi").unwrap_err().to_string();
    assert!(err.contains("`link/x.txt`") && err.contains("symbolic link"), "{err}");
    assert!(!outside.path().join("x.txt").exists());
    assert!(ws.read("link").is_err());
    assert!(ws.files().unwrap().is_empty());
}

#[test]
fn writes_reads_and_lists_files() {
    let (_dir, ws) = workspace(Limits::default());
    ws.write("src/main.rs", b"fn main() {}\n").unwrap();
    ws.write_file("run.sh", b"#!/bin/sh\n", true).unwrap();
    ws.write("logo.png", &[0x89, b'P', b'N', b'G', 0, 1]).unwrap();
    assert_eq!(ws.read("src/main.rs").unwrap(), b"fn main() {}\n");
    let files = ws.files().unwrap();
    let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["logo.png", "run.sh", "src/main.rs"]);
    assert_eq!(files[0].text, None);
    assert!(files[1].executable && !files[2].executable);
    assert_eq!(files[2].text.as_deref(), Some("fn main() {}\n"));
    assert_eq!(files[2].size, 13);
    let err = ws.write("src", b"x").unwrap_err().to_string();
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn counts_files_and_bytes() {
    let limits = Limits {
        max_files: 2,
        max_file_bytes: 10,
        max_total_bytes: 15,
        ..Limits::default()
    };
    let (_dir, ws) = workspace(limits);
    let err = ws.write("big", &[b'x'; 11]).unwrap_err().to_string();
    assert!(err.contains("more than the limit of 10 bytes for one file"), "{err}");
    ws.write("a", &[b'x'; 10]).unwrap();
    // A clone (another step) shares the count.
    let other = ws.clone();
    let err = other.write("b", &[b'x'; 6]).unwrap_err().to_string();
    assert!(err.contains("limit of 15 bytes"), "{err}");
    other.write("b", &[b'x'; 5]).unwrap();
    // Overwriting replaces the old size.
    ws.write("a", &[b'x'; 3]).unwrap();
    let err = ws.write("c", b"x").unwrap_err().to_string();
    assert!(err.contains("more than 2 files"), "{err}");
    assert!(ws.remove("b").unwrap());
    ws.write("c", &[b'x'; 10]).unwrap();
}

#[test]
fn renames_and_removes() {
    let (_dir, ws) = workspace(Limits::default());
    ws.write("d/one.txt", b"1").unwrap();
    ws.write("two.txt", b"2").unwrap();
    let err = ws.rename("two.txt", "d/one.txt", false).unwrap_err().to_string();
    assert!(err.contains("already exists"), "{err}");
    ws.rename("two.txt", "d/one.txt", true).unwrap();
    assert_eq!(ws.read("d/one.txt").unwrap(), b"2");
    ws.rename("d", "e/f", false).unwrap();
    assert_eq!(ws.read("e/f/one.txt").unwrap(), b"2");
    assert!(
        ws.rename("missing", "x", false)
            .unwrap_err()
            .to_string()
            .contains("does not exist")
    );
    assert!(
        ws.rename("e", "e/g", false)
            .unwrap_err()
            .to_string()
            .contains("inside the directory")
    );
    assert!(ws.rename("e", "../e", false).is_err());
    assert!(ws.remove("e").unwrap());
    assert!(!ws.remove("e").unwrap());
    assert!(ws.files().unwrap().is_empty());
    assert!(ws.remove(".").is_err());
}

#[test]
fn refuses_to_write_into_git_metadata() {
    let (_dir, ws) = workspace(Limits::default());
    for path in [".git/hooks/pre-commit", "sub/.GIT/config", "./.git"] {
        let err = ws.write(path, b"#!/bin/sh").unwrap_err().to_string();
        assert!(err.contains("inside a `.git` directory"), "{path}: {err}");
    }
    assert!(ws.create_dir(".git/hooks").is_err());
    ws.write("git-config", b"x").unwrap();
    assert!(ws.rename("git-config", ".git/config", false).is_err());
    ws.write(".github/workflows/ci.yaml", b"on: push").unwrap();
    ws.write(".gitignore", b"target").unwrap();
}
