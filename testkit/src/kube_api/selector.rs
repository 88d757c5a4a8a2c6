//! Label and field selectors, as the API server reads them.

use std::collections::BTreeSet;

use serde_json::Value;

/// Whether an object's labels satisfy a label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`,
/// `k in (a,b)`, `k notin (a,b)`, joined by commas.
pub(super) fn selected(object: &Value, selector: Option<&str>) -> bool {
    let Some(selector) = selector else { return true };
    let labels = object["metadata"]["labels"].as_object();
    let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
    requirements(selector).iter().all(|requirement| {
        let requirement = requirement.trim();
        if let Some((key, values)) = requirement.split_once(" notin ") {
            return label(key.trim()).is_none_or(|v| !set(values).contains(&v));
        }
        if let Some((key, values)) = requirement.split_once(" in ") {
            return label(key.trim()).is_some_and(|v| set(values).contains(&v));
        }
        if let Some((key, value)) = requirement.split_once("!=") {
            return label(key.trim()) != Some(value.trim());
        }
        if let Some((key, value)) = requirement.split_once('=') {
            return label(key.trim()) == Some(value.trim_start_matches('=').trim());
        }
        match requirement.strip_prefix('!') {
            Some(key) => label(key.trim()).is_none(),
            None => label(requirement).is_some(),
        }
    })
}

/// Splits at the commas outside parentheses.
fn requirements(selector: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    parts
}

fn set(values: &str) -> BTreeSet<&str> {
    values
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .collect()
}

/// Whether an object's fields satisfy a field selector: `path=v`, `path==v`, `path!=v`, joined by
/// commas, where `path` is dotted (`metadata.name`, `type`, `involvedObject.kind`). A missing field
/// reads as the empty string, as the API server's field sets do.
pub(super) fn fields_selected(object: &Value, selector: Option<&str>) -> bool {
    let Some(selector) = selector else { return true };
    let field = |path: &str| {
        let pointer = format!("/{}", path.trim().replace('.', "/"));
        object
            .pointer(&pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    selector.split(',').filter(|r| !r.trim().is_empty()).all(|requirement| {
        if let Some((path, value)) = requirement.split_once("!=") {
            return field(path) != value.trim();
        }
        match requirement.split_once('=') {
            Some((path, value)) => field(path) == value.trim_start_matches('=').trim(),
            None => false,
        }
    })
}

/// Whether the server can select on this field selector at all (it names a field it indexes).
pub(super) fn valid_fields(selector: &str) -> Result<(), String> {
    for requirement in selector.split(',').filter(|r| !r.trim().is_empty()) {
        if !requirement.contains('=') {
            return Err(format!(
                "invalid selector: '{requirement}'; can't understand '{requirement}'"
            ));
        }
    }
    Ok(())
}
