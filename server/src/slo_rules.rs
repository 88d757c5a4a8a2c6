//! `cairn slo rules FILE…`: a thin front for `slo::rules`. Reads each file with the catalog's
//! bounded reader, reports every problem with its file, line and field, and writes the rules of
//! the SLOs whose format has no generator of its own. Exit 0 when written, 1 when a file has
//! problems (nothing is written then), 2 when a file cannot be read.

use std::io::Write;
use std::process::ExitCode;

use catalog::read::ReadLimits;
use slo::read::read_file;

use crate::cli::SloRulesArgs;

/// Runs the command and returns its exit status.
pub fn run(args: &SloRulesArgs) -> ExitCode {
    let limits = ReadLimits {
        max_file_bytes: args.max_file_size,
        ..ReadLimits::default()
    };
    let (mut slos, mut problems, mut unreadable) = (Vec::new(), 0usize, 0usize);
    for path in &args.files {
        let shown = path.display().to_string();
        let bytes = match read_bounded(path, args.max_file_size) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: {shown}: {e}");
                unreadable += 1;
                continue;
            }
        };
        let file = match read_file(&shown, &bytes, &limits) {
            Ok(file) => file,
            Err(problem) => {
                eprintln!("error: {problem}");
                unreadable += 1;
                continue;
            }
        };
        for problem in &file.problems {
            eprintln!("error: {problem}");
        }
        problems += file.problems.len();
        if file.slos.is_empty() && file.problems.is_empty() {
            eprintln!("warning: {shown}: no SLO definition (OpenSLO, Sloth or Pyrra) in it");
        }
        for slo in file.slos {
            match slo::rules::needs_rules(&slo) {
                Ok(()) => slos.push(slo),
                Err(why) => eprintln!("note: {shown}: SLO `{}` skipped: {why}", slo.id),
            }
        }
    }
    if unreadable > 0 {
        return ExitCode::from(2);
    }
    if problems > 0 {
        eprintln!("{problems} problem(s): no rules written");
        return ExitCode::from(1);
    }
    let text = slo::rules::rules_file(&slos);
    let written = match &args.out {
        Some(out) => std::fs::write(out, &text),
        None => std::io::stdout().lock().write_all(text.as_bytes()),
    };
    if let Err(e) = written {
        eprintln!("error: writing the rules: {e}");
        return ExitCode::from(2);
    }
    eprintln!("rules for {} SLO(s) written", slos.len());
    ExitCode::SUCCESS
}

/// The file's bytes, refusing one larger than `max` before reading it whole.
pub(crate) fn read_bounded(path: &std::path::Path, max: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(bytes)
}
