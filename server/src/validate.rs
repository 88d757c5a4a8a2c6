//! `cairn validate`: a thin front for `catalog::lint`. Exit 0 when every document is valid, 1 when
//! any is invalid, 2 when a path cannot be read (or the usage is wrong, which clap handles).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use catalog::lint::{Verdict, collect_files, lint_file};
use catalog::read::ReadLimits;

use crate::cli::{OutputFormat, ValidateArgs};

/// Most catalog files one directory argument may expand to.
const MAX_FILES: usize = 100_000;

/// Runs the command and returns its exit status.
pub fn run(args: &ValidateArgs) -> ExitCode {
    let limits = ReadLimits {
        max_file_bytes: args.max_file_size,
        ..ReadLimits::default()
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut invalid, mut unreadable, mut documents) = (0usize, 0usize, 0usize);
    for path in &args.paths {
        let root = if path.is_dir() {
            path.clone()
        } else {
            path.parent().unwrap_or(Path::new(".")).to_path_buf()
        };
        let files = match collect_files(path, MAX_FILES) {
            Ok(files) => files,
            Err(err) => {
                eprintln!("error: {err}");
                unreadable += 1;
                continue;
            }
        };
        for file in files {
            let shown = file.display().to_string();
            match lint_file(&file, &root, &shown, &limits) {
                Ok(verdicts) => {
                    for verdict in &verdicts {
                        documents += 1;
                        invalid += usize::from(!verdict.ok);
                        let _ = print(&mut out, verdict, args.format);
                    }
                }
                Err(err) => {
                    unreadable += 1;
                    if args.format == OutputFormat::Json {
                        let line = serde_json::json!({"file": shown, "document": null, "ok": false, "entity_ref": null, "error": err.to_string()});
                        let _ = writeln!(out, "{line}");
                    } else {
                        let _ = writeln!(out, "✗ {err}");
                    }
                }
            }
        }
    }
    if args.format == OutputFormat::Text {
        let _ = writeln!(
            out,
            "\n{documents} document(s): {} valid, {invalid} invalid{}",
            documents - invalid,
            if unreadable > 0 {
                format!(", {unreadable} file(s) unreadable")
            } else {
                String::new()
            }
        );
    }
    if unreadable > 0 {
        ExitCode::from(2)
    } else if invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print(out: &mut impl Write, verdict: &Verdict, format: OutputFormat) -> std::io::Result<()> {
    for warning in &verdict.warnings {
        eprintln!("warning: {} (document {}): {warning}", verdict.file, verdict.document);
    }
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(verdict).unwrap_or_default()),
        OutputFormat::Text => {
            let what = verdict.entity_ref.as_deref().unwrap_or("(no entity)");
            match &verdict.error {
                None => writeln!(out, "✓ {} #{} {what}", verdict.file, verdict.document),
                Some(error) => writeln!(out, "✗ {} #{} {what}\n    {error}", verdict.file, verdict.document),
            }
        }
    }
}
