//! `cairn template dry-run`: a thin front for `templates::dry_run`, for template authors and their
//! CI. Prints the log and the files written; exit 0 when every step ran, 1 when one failed, 2 when
//! the template or values cannot be read.

use std::process::ExitCode;

use templates::dry_run::{dry_run_file, log_lines, read_values};

use crate::cli::DryRunArgs;

/// Runs the command and returns its exit status.
pub fn run(args: &DryRunArgs) -> ExitCode {
    let values = match args.values.as_deref().map(read_values).transpose() {
        Ok(values) => values.unwrap_or_default(),
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let report = match runtime.block_on(dry_run_file(&args.template, values, &args.out)) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    for line in log_lines(&report.log) {
        println!("{line}");
    }
    let bytes: u64 = report.files.iter().map(|f| f.size).sum();
    println!(
        "{} files, {bytes} bytes written to {} in {} ms",
        report.files.len(),
        args.out.display(),
        started.elapsed().as_millis()
    );
    if !report.output.is_empty() {
        println!("output: {}", serde_json::Value::Object(report.output.clone()));
    }
    match report.error {
        None => ExitCode::SUCCESS,
        Some(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
