//! The text keywords (`minLength`, `maxLength`, `pattern`, `format`) and what Backstage's own
//! text fields check (`RepoUrlPicker`, `EntityNamePicker`, `EntityTagsPicker`).

use serde_json::{Map, Value};

use super::super::{FieldError, repo_url};

pub(super) fn string(schema: &Map<String, Value>, text: &str, path: &str, errors: &mut Vec<FieldError>) {
    let length = text.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && length < min
    {
        errors.push(FieldError::at(
            path,
            format!("must be at least {min} {}", plural(min, "character")),
        ));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && length > max
    {
        errors.push(FieldError::at(
            path,
            format!("must be at most {max} {}", plural(max, "character")),
        ));
    }
    if let Some(source) = schema.get("pattern").and_then(Value::as_str)
        && let Ok(re) = super::super::pattern(source)
        && !re.is_match(text)
    {
        errors.push(FieldError::at(path, format!("must match {source}")));
    }
    if let Some(format) = schema.get("format").and_then(Value::as_str)
        && let Some(message) = format_mismatch(format, text)
    {
        errors.push(FieldError::at(path, message));
    }
    if let Some(problem) = picker_problem(schema, text) {
        errors.push(FieldError::at(path, problem));
    }
}

pub(super) fn plural(n: u64, word: &str) -> String {
    if n == 1 { word.to_string() } else { format!("{word}s") }
}

/// The formats rjsf's validator checks that templates use; other formats are annotations only.
fn format_mismatch(format: &str, text: &str) -> Option<String> {
    let ok = match format {
        "email" => email(text),
        "uri" | "url" => uri(text),
        "date" => date(text),
        _ => true,
    };
    (!ok).then(|| match format {
        "email" => "must be an email address".to_string(),
        "uri" | "url" => "must be a URI (such as https://example.com)".to_string(),
        _ => format!("must be a {format} (YYYY-MM-DD)"),
    })
}

fn email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let clean = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == '@');
    clean(local) && clean(domain) && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
}

fn uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !text.chars().any(char::is_whitespace)
}

fn date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    parts.len() == 3 && digits(parts[0], 4) && digits(parts[1], 2) && digits(parts[2], 2) && {
        let month: u32 = parts[1].parse().unwrap_or(0);
        let day: u32 = parts[2].parse().unwrap_or(0);
        (1..=12).contains(&month) && (1..=31).contains(&day)
    }
}

/// What Backstage's own field extensions check beyond the schema.
fn picker_problem(schema: &Map<String, Value>, text: &str) -> Option<String> {
    let options = schema.get("ui:options");
    match schema.get("ui:field").and_then(Value::as_str)? {
        "RepoUrlPicker" => repo_url::problem(text, options),
        "EntityNamePicker" => entity_name_problem(text),
        _ => None,
    }
}

/// Backstage's entity name rule: 1 to 63 letters, digits and `-_.`, starting and ending with a
/// letter or digit.
fn entity_name_problem(text: &str) -> Option<String> {
    let inner_ok = text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let ends_ok =
        text.starts_with(|c: char| c.is_ascii_alphanumeric()) && text.ends_with(|c: char| c.is_ascii_alphanumeric());
    (text.len() > 63 || !inner_ok || !ends_ok).then(|| {
        "must be a valid name: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
            .to_string()
    })
}

/// Backstage's tag rule: `[a-z0-9:+#]` words joined by single dashes, at most 63 characters.
pub(super) fn is_tag(tag: &str) -> bool {
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ":+#".contains(c))
    };
    tag.len() <= 63 && tag.split('-').all(word)
}
