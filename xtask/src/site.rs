//! `build-site`: compiles `frontend` to wasm, generates the JS bindings with the same wasm-bindgen
//! version the crate uses (linked here as a library, so the two can never disagree), optionally
//! shrinks it with wasm-opt, and writes content-hashed files plus `manifest.json` for the server.

use std::{
    collections::BTreeSet,
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

const TARGET: &str = "wasm32-unknown-unknown";

/// Builds the site into `out`.
pub fn build(root: &Path, out: &Path, release: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let wasm = compile_wasm(root, release)?;
    let pkg = out.join("pkg");
    fs::create_dir_all(&pkg)?;

    let input_hash = hex(&Sha256::digest(fs::read(&wasm)?))[..16].to_string();
    let stamp = out.join(".wasm-input");
    let bundle = match fs::read_to_string(&stamp)
        .ok()
        .and_then(|s| reuse_bundle(&s, &input_hash, &pkg))
    {
        Some(bundle) => bundle,
        None => {
            let bundle = bindgen(root, &wasm, &pkg, release)?;
            fs::write(&stamp, format!("{input_hash} {bundle}"))?;
            bundle
        }
    };

    let stylesheet = hashed_copy(&root.join("style/main.css"), &pkg, "cairn", "css")?;
    let favicon = hashed_copy(&root.join("style/favicon.svg"), &pkg, "favicon", "svg")?;
    let mut keep: BTreeSet<String> = [
        format!("{bundle}.js"),
        format!("{bundle}_bg.wasm"),
        stylesheet.clone(),
        favicon.clone(),
    ]
    .into();
    keep.insert("snippets".into());
    remove_stale(&pkg, &keep)?;
    for name in &keep {
        let path = pkg.join(name);
        if path.exists() {
            gzip_beside(&path)?;
        }
    }

    let manifest = serde_json::json!({
        "bundle": bundle,
        "stylesheet": format!("pkg/{stylesheet}"),
        "favicon": format!("pkg/{favicon}"),
    });
    // Written last and renamed into place: a server never sees a manifest naming missing files.
    let tmp = out.join("manifest.json.tmp");
    fs::write(&tmp, serde_json::to_vec_pretty(&manifest)?)?;
    fs::rename(&tmp, out.join("manifest.json"))?;
    eprintln!(
        "site built in {:.1}s → {}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// `cargo build` of the frontend for the browser; returns the `.wasm` path.
fn compile_wasm(root: &Path, release: bool) -> anyhow::Result<PathBuf> {
    let profile = if release { "wasm-release" } else { "dev" };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args([
        "build",
        "--package",
        "frontend",
        "--lib",
        "--target",
        TARGET,
        "--profile",
        profile,
    ]);
    // Offline route (./x sets it): no prebuilt std for wasm, so build it from Debian's rust-web-src.
    if std::env::var_os("CAIRN_WASM_BUILD_STD").is_some() {
        command.arg("-Zbuild-std=std,panic_abort");
    }
    let status = command.status().context("running cargo")?;
    if !status.success() {
        bail!("compiling the frontend to wasm failed");
    }
    let dir = if release { "wasm-release" } else { "debug" };
    Ok(root.join("target").join(TARGET).join(dir).join("frontend.wasm"))
}

/// The existing bundle when the compiled wasm has not changed since it was generated.
fn reuse_bundle(stamp: &str, input_hash: &str, pkg: &Path) -> Option<String> {
    let (hash, bundle) = stamp.trim().split_once(' ')?;
    let present = pkg.join(format!("{bundle}.js")).is_file() && pkg.join(format!("{bundle}_bg.wasm")).is_file();
    (hash == input_hash && present).then(|| bundle.to_string())
}

/// Runs wasm-bindgen (and wasm-opt in release), then names the pair after their content.
fn bindgen(root: &Path, wasm: &Path, pkg: &Path, release: bool) -> anyhow::Result<String> {
    let scratch = target_dir(root).join("xtask-bindgen");
    let _ = fs::remove_dir_all(&scratch);
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name("cairn")
        .web(true)?
        .typescript(false)
        .debug(!release)
        .keep_debug(false)
        .generate(&scratch)
        .context("wasm-bindgen")?;
    let js_path = scratch.join("cairn.js");
    let wasm_path = scratch.join("cairn_bg.wasm");
    if release {
        wasm_opt(root, &wasm_path)?;
    }
    let js = fs::read(&js_path)?;
    let wasm_bytes = fs::read(&wasm_path)?;
    let mut hasher = Sha256::new();
    hasher.update(&js);
    hasher.update(&wasm_bytes);
    let bundle = format!("cairn-{}", &hex(&hasher.finalize())[..16]);
    fs::write(pkg.join(format!("{bundle}.js")), js)?;
    fs::write(pkg.join(format!("{bundle}_bg.wasm")), wasm_bytes)?;
    let snippets = scratch.join("snippets");
    if snippets.is_dir() {
        copy_dir(&snippets, &pkg.join("snippets"))?;
    }
    Ok(bundle)
}

/// Shrinks the wasm with binaryen's wasm-opt from `tools/` (npm `binaryen`, pinned: Debian's older
/// wasm-opt silently breaks hydration). Features match what rustc enables for wasm32 by default.
fn wasm_opt(root: &Path, wasm: &Path) -> anyhow::Result<()> {
    let tool = root.join("tools/node_modules/.bin/wasm-opt");
    if !tool.is_file() {
        bail!(
            "{} is missing: run `./x setup` (it installs binaryen from npm)",
            tool.display()
        );
    }
    let optimised = wasm.with_extension("opt.wasm");
    let status = Command::new(&tool)
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
        ])
        .args([
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&optimised)
        .status()
        .context("running wasm-opt")?;
    if !status.success() {
        bail!("wasm-opt failed");
    }
    fs::rename(&optimised, wasm)?;
    Ok(())
}

/// Copies `source` to `pkg/<stem>-<hash>.<ext>` and returns the file name.
fn hashed_copy(source: &Path, pkg: &Path, stem: &str, ext: &str) -> anyhow::Result<String> {
    let bytes = fs::read(source).with_context(|| format!("reading {}", source.display()))?;
    let name = format!("{stem}-{}.{ext}", &hex(&Sha256::digest(&bytes))[..16]);
    let target = pkg.join(&name);
    if !target.is_file() {
        fs::write(target, bytes)?;
    }
    Ok(name)
}

/// A `.gz` twin for the server's precompressed serving (skipped when already up to date).
fn gzip_beside(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        for entry in fs::read_dir(path)? {
            let p = entry?.path();
            if p.extension().is_none_or(|e| e != "gz") {
                gzip_beside(&p)?;
            }
        }
        return Ok(());
    }
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    if gz.is_file() {
        return Ok(()); // names carry a content hash: an existing twin is the right one
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&fs::read(path)?)?;
    fs::write(gz, encoder.finish()?)?;
    Ok(())
}

/// Deletes files of earlier builds so the directory holds only what the manifest names.
fn remove_stale(pkg: &Path, keep: &BTreeSet<String>) -> anyhow::Result<()> {
    for entry in fs::read_dir(pkg)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        let base = name.strip_suffix(".gz").unwrap_or(&name);
        if !keep.contains(base) {
            let path = entry.path();
            if path.is_dir() {
                fs::remove_dir_all(path)?
            } else {
                fs::remove_file(path)?
            }
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?
        } else {
            fs::copy(entry.path(), target).map(|_| ())?
        }
    }
    Ok(())
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR`, as cargo does).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
