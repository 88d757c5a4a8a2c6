//! Project chores, run as `cargo xtask <command>`. The main one builds the site the server serves:
//! the wasm (with wasm-bindgen linked in, so no CLI to install), wasm-opt in release, hashed names.

mod site;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Cairn's build chores")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the browser side: wasm + JS bindings + CSS, hashed, into the site directory.
    BuildSite {
        /// Optimise for size (wasm-release profile, then wasm-opt).
        #[arg(long)]
        release: bool,
        /// Where to put the site [default: target/site].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let root = workspace_root();
    match Cli::parse().command {
        Command::BuildSite { release, out } => {
            let out = out.unwrap_or_else(|| root.join("target/site"));
            site::build(&root, &out, release)
        }
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
