//! Every generated `.tf` and `.tfvars` file parsed by a real HCL parser (hcl-rs), held to the
//! layout `terraform fmt` writes as far as it can be checked without terraform, and the blocks
//! each file declares listed for the variant's expectations. Within each module (directory),
//! every `var.`, `local.`, `module.`, `data.` and resource reference must be declared, as
//! `terraform validate` would insist, and every `.tfvars` key must be a variable of its module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Checks every Terraform file under `dir`; returns the blocks they declare, as
/// `file: resource aws_db_instance main` or `file: terraform/backend s3`.
pub fn check(dir: &Path) -> Vec<String> {
    let files = terraform_files(dir);
    assert!(!files.is_empty(), "no Terraform files under {}", dir.display());
    let mut blocks = Vec::new();
    let mut modules: BTreeMap<PathBuf, Module> = BTreeMap::new();
    for file in files {
        let shown = file.strip_prefix(dir).unwrap_or(&file).display().to_string();
        let text = std::fs::read_to_string(&file).expect("read a Terraform file");
        let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{shown} is not valid HCL: {e}\n{text}"));
        let problems = layout_problems(&text);
        assert!(
            problems.is_empty(),
            "{shown} is not laid out as terraform fmt would:\n{}\n{text}",
            problems.join("\n")
        );
        collect_blocks(&body, "", &shown, &mut blocks);
        let is_tfvars = file.extension().is_some_and(|e| e == "tfvars");
        // Variable files sit in a folder of their module (terraform/environments/).
        let module_dir = match (is_tfvars, file.parent()) {
            (true, Some(parent)) if parent != dir => parent.parent().unwrap_or(parent),
            (_, parent) => parent.unwrap_or(dir),
        };
        let module = modules.entry(module_dir.to_path_buf()).or_default();
        if is_tfvars {
            module
                .assigned
                .extend(body.attributes().map(|a| (a.key().to_string(), shown.clone())));
        } else {
            module.declare(&body);
            module.reference(&text, &shown);
        }
    }
    for (dir, module) in &modules {
        let problems = module.unresolved();
        assert!(problems.is_empty(), "{}: {}", dir.display(), problems.join("; "));
    }
    blocks
}

/// What one module declares and what its files refer to.
#[derive(Default)]
struct Module {
    declared: BTreeSet<String>,
    /// (reference, file)
    references: BTreeSet<(String, String)>,
    /// (variable, tfvars file)
    assigned: BTreeSet<(String, String)>,
}

impl Module {
    fn declare(&mut self, body: &hcl::Body) {
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            match (block.identifier(), labels.as_slice()) {
                ("variable", [name]) => self.declared.insert(format!("var.{name}")),
                ("module", [name]) => self.declared.insert(format!("module.{name}")),
                ("resource", [kind, name]) => self.declared.insert(format!("{kind}.{name}")),
                ("data", [kind, name]) => self.declared.insert(format!("data.{kind}.{name}")),
                ("locals", []) => {
                    for attribute in block.body().attributes() {
                        self.declared.insert(format!("local.{}", attribute.key()));
                    }
                    true
                }
                _ => false,
            };
        }
    }

    fn reference(&mut self, text: &str, file: &str) {
        let pattern = regex::Regex::new(
            r"\b(?:(?:var|local|module)\.[a-z0-9_]+|(?:data\.)?(?:aws|google)_[a-z0-9_]+\.[a-z0-9_]+)",
        )
        .expect("a valid pattern");
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            for found in pattern.find_iter(line) {
                self.references.insert((found.as_str().to_string(), file.to_string()));
            }
        }
    }

    fn unresolved(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .references
            .iter()
            .filter(|(reference, _)| !self.declared.contains(reference))
            .map(|(reference, file)| format!("{file} refers to {reference}, which no file declares"))
            .collect();
        for (variable, file) in &self.assigned {
            if !self.declared.contains(&format!("var.{variable}")) {
                problems.push(format!("{file} sets {variable}, which is no variable of the module"));
            }
        }
        problems
    }
}

fn terraform_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("read a generated directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "tf" || e == "tfvars") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn collect_blocks(body: &hcl::Body, parent: &str, file: &str, out: &mut Vec<String>) {
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
        let path = format!("{parent}{}", block.identifier());
        out.push(format!("{file}: {path} {}", labels.join(" ")).trim_end().to_string());
        collect_blocks(block.body(), &format!("{path}/"), file, out);
    }
}

/// What `terraform fmt` would change that is visible line by line: tabs, trailing spaces, blank
/// lines at the ends or doubled, indentation other than two spaces per nesting level, and `=`
/// not aligned across consecutive one-line attributes.
pub fn layout_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !text.ends_with('\n') || text.ends_with("\n\n") || text.starts_with('\n') {
        problems.push("the file must start with text and end with exactly one line break".into());
    }
    let mut depth: i64 = 0;
    let mut run: Vec<(usize, usize, usize)> = Vec::new(); // (line, key end, `=` column)
    let mut previous_blank = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.contains('\t') || line.ends_with(' ') {
            problems.push(format!("line {n}: tab or trailing space"));
        }
        let code = strip_strings_and_comments(line);
        let trimmed = line.trim_start();
        let closes_first = code.trim_start().starts_with(['}', ']', ')']);
        let expected = 2 * (depth - i64::from(closes_first)).max(0) as usize;
        let indent = line.len() - trimmed.len();
        if !trimmed.is_empty() && indent != expected {
            problems.push(format!("line {n}: indented {indent} spaces, expected {expected}"));
        }
        if trimmed.is_empty() && previous_blank {
            problems.push(format!("line {n}: two blank lines in a row"));
        }
        previous_blank = trimmed.is_empty();
        depth += code.chars().filter(|c| matches!(c, '{' | '[' | '(')).count() as i64;
        depth -= code.chars().filter(|c| matches!(c, '}' | ']' | ')')).count() as i64;
        match one_line_attribute(line, &code) {
            Some((key_end, column)) if run.last().is_none_or(|r| indent_of(text, r.0) == indent) => {
                run.push((n, key_end, column));
            }
            attribute => {
                check_alignment(&run, &mut problems);
                run.clear();
                if let Some((key_end, column)) = attribute {
                    run.push((n, key_end, column));
                }
            }
        }
    }
    check_alignment(&run, &mut problems);
    problems
}

fn indent_of(text: &str, line: usize) -> usize {
    let l = text.lines().nth(line - 1).unwrap_or_default();
    l.len() - l.trim_start().len()
}

/// `key = value` on one line: where the key ends and where `=` stands.
fn one_line_attribute(line: &str, code: &str) -> Option<(usize, usize)> {
    let trimmed = line.trim_start();
    let key_len = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|&l| l > 0)?;
    let after = &trimmed[key_len..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    if !after[spaces..].starts_with('=') || after[spaces..].starts_with("==") {
        return None;
    }
    if code.trim_end().ends_with(['{', '[', '(']) {
        return None;
    }
    let indent = line.len() - trimmed.len();
    Some((indent + key_len, indent + key_len + spaces))
}

fn check_alignment(run: &[(usize, usize, usize)], problems: &mut Vec<String>) {
    let Some(column) = run.iter().map(|r| r.1 + 1).max() else {
        return;
    };
    for &(line, _, at) in run {
        if at != column {
            problems.push(format!("line {line}: `=` at column {at}, aligned ones are at {column}"));
        }
    }
}

/// The line with string literals emptied and any comment removed, so brackets can be counted.
fn strip_strings_and_comments(line: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => {
                in_string = false;
                out.push('"');
            }
            (true, _) => {}
            (false, '"') => {
                in_string = true;
                out.push('"');
            }
            (false, '#') => break,
            (false, '/') if chars.clone().next() == Some('/') => break,
            (false, _) => out.push(c),
        }
    }
    out
}

#[test]
fn layout_problems_are_found() {
    let good = "resource \"a\" \"b\" {\n  name  = \"x\"\n  count = 1\n\n  tags = {\n    a = \"b\"\n  }\n}\n";
    assert!(layout_problems(good).is_empty(), "{:?}", layout_problems(good));
    let misaligned = "locals {\n  name = \"x\"\n  count = 1\n}\n";
    assert_eq!(
        layout_problems(misaligned).len(),
        1,
        "{:?}",
        layout_problems(misaligned)
    );
    let indented = "locals {\n   name = \"x\"\n}\n\n\n";
    assert_eq!(layout_problems(indented).len(), 3, "{:?}", layout_problems(indented));
}
