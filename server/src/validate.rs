//! `cairn validate`: a thin front for `catalog::lint`, and for `slo::read` on SLO files (given
//! themselves, or listed by an entity's `cairn.dev/slo-files`: `slo_files`). Exit 0 when every
//! document is valid, 1 when any is invalid, 2 when a path cannot be read (or the usage is wrong,
//! which clap handles).

mod slo_files;

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
    if !(8..=catalog::read::yaml::MAX_DEPTH).contains(&args.max_depth) {
        eprintln!(
            "error: --max-depth must be between 8 and {}",
            catalog::read::yaml::MAX_DEPTH
        );
        return ExitCode::from(2);
    }
    let defaults = ReadLimits::default();
    let limits = ReadLimits {
        max_file_bytes: args.max_file_size,
        max_documents: args.max_documents,
        yaml: catalog::read::YamlLimits {
            max_depth: args.max_depth,
            ..defaults.yaml
        },
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
                eprintln!("error: {}", for_terminal(&err.to_string()));
                unreadable += 1;
                continue;
            }
        };
        for file in files {
            let shown = file.display().to_string();
            let slo_verdicts = match slo_files::check(&file, &shown, &limits) {
                Some(verdicts) => verdicts,
                None => match lint_file(&file, &root, &shown, &limits) {
                    Ok(verdicts) => {
                        for verdict in &verdicts {
                            documents += 1;
                            invalid += usize::from(!verdict.ok);
                            let _ = print(&mut out, verdict, args.format);
                        }
                        slo_files::listed(&file, &shown, &limits)
                    }
                    Err(err) => {
                        unreadable += 1;
                        if args.format == OutputFormat::Json {
                            let line = serde_json::json!({"file": shown, "document": null, "ok": false, "entity_ref": null, "error": err.to_string()});
                            let _ = writeln!(out, "{line}");
                        } else {
                            let _ = writeln!(out, "✗ {}", for_terminal(&err.to_string()));
                        }
                        continue;
                    }
                },
            };
            for verdict in &slo_verdicts {
                documents += 1;
                invalid += usize::from(!verdict.ok);
                let _ = print_slo(&mut out, verdict, args.format);
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

fn print_slo(out: &mut impl Write, verdict: &slo_files::SloVerdict, format: OutputFormat) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(verdict).unwrap_or_default()),
        OutputFormat::Text => {
            let place = for_terminal(&format!("{}:{}", verdict.file, verdict.line)).into_owned();
            match (&verdict.error, &verdict.slo) {
                (None, slo) => writeln!(out, "✓ {place} SLO {}", for_terminal(slo.as_deref().unwrap_or(""))),
                (Some(error), _) => {
                    let field = verdict.field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default();
                    writeln!(
                        out,
                        "✗ {place} SLO file\n    {}",
                        for_terminal(&format!("{field}{error}"))
                    )
                }
            }
        }
    }
}

fn print(out: &mut impl Write, verdict: &Verdict, format: OutputFormat) -> std::io::Result<()> {
    for warning in &verdict.warnings {
        eprintln!(
            "warning: {} (document {}): {}",
            for_terminal(&verdict.file),
            verdict.document,
            for_terminal(warning)
        );
    }
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(verdict).unwrap_or_default()),
        OutputFormat::Text => {
            let what = for_terminal(verdict.entity_ref.as_deref().unwrap_or("(no entity)"));
            let file = for_terminal(&verdict.file);
            match &verdict.error {
                None => writeln!(out, "✓ {file} #{} {what}", verdict.document),
                Some(error) => writeln!(
                    out,
                    "✗ {file} #{} {what}\n    {}",
                    verdict.document,
                    for_terminal(error)
                ),
            }
        }
    }
}

/// Text from a file as a terminal may show it: control characters (an escape sequence could
/// rewrite the CI log or the terminal's title) and bidirectional overrides (which reorder what
/// the reader sees) are written as `\u{…}`; line breaks and tabs stay.
fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if unsafe_char(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::for_terminal;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_shown_not_obeyed() {
        assert_eq!(for_terminal("plain\n\tline"), "plain\n\tline");
        assert_eq!(for_terminal("\u{1b}]0;pwned\u{7}title"), "\\u{1b}]0;pwned\\u{7}title");
        assert_eq!(for_terminal("a\u{202e}b\u{9b}c"), "a\\u{202e}b\\u{9b}c");
    }
}
