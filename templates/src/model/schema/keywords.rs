//! Validation of one value against one schema, keyword by keyword, with messages a person can act
//! on. Conditional keywords (`allOf`, `oneOf`, `if`, `dependencies`) validate the same value.

use serde_json::{Map, Value};

use super::{FieldError, MAX_DEPTH, is_blank, join, repo_url, shown};

/// Appends to `errors` what is wrong with `value` at `path` according to `schema`.
pub(super) fn check(schema: &Value, value: &Value, path: &str, depth: usize, errors: &mut Vec<FieldError>) {
    let Some(schema) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(FieldError::at(path, "is not allowed"));
        }
        return;
    };
    if depth > MAX_DEPTH {
        errors.push(FieldError::at(
            path,
            format!("is nested more than {MAX_DEPTH} levels deep"),
        ));
        return;
    }
    if let Some(expected) = schema.get("const")
        && !same(expected, value)
    {
        errors.push(FieldError::at(path, format!("must be {}", shown(expected))));
        return;
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.iter().any(|o| same(o, value))
    {
        errors.push(FieldError::at(path, format!("must be one of {}", list(options))));
        return;
    }
    if let Some(message) = type_mismatch(schema.get("type"), value) {
        errors.push(FieldError::at(path, message));
        return;
    }
    match value {
        Value::String(text) => string(schema, text, path, errors),
        Value::Number(n) => number(schema, n.as_f64().unwrap_or_default(), path, errors),
        Value::Array(items) => array(schema, items, path, depth, errors),
        Value::Object(map) => object(schema, map, path, depth, errors),
        Value::Bool(_) | Value::Null => {}
    }
    conditionals(schema, value, path, depth, errors);
}

/// Whether `value` fits `schema` (used to evaluate `if` and to pick `oneOf` branches).
pub(super) fn fits(schema: &Value, value: &Value, depth: usize) -> bool {
    let mut errors = Vec::new();
    check(schema, value, "", depth, &mut errors);
    errors.is_empty()
}

/// JSON equality where `1` and `1.0` are the same number.
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        _ => a == b,
    }
}

fn list(options: &[Value]) -> String {
    options.iter().map(shown).collect::<Vec<_>>().join(", ")
}

fn type_mismatch(expected: Option<&Value>, value: &Value) -> Option<String> {
    let names: Vec<&str> = match expected {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    if names.iter().any(|t| has_type(t, value)) {
        return None;
    }
    let words: Vec<&str> = names.iter().map(|t| type_word(t)).collect();
    Some(format!("must be {}", words.join(" or ")))
}

fn has_type(name: &str, value: &Value) -> bool {
    match (name, value) {
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) | ("null", Value::Null) => true,
        ("number", Value::Number(_)) | ("array", Value::Array(_)) | ("object", Value::Object(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn type_word(name: &str) -> &str {
    match name {
        "string" => "text",
        "number" => "a number",
        "integer" => "a whole number",
        "boolean" => "true or false",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "empty",
        other => other,
    }
}

fn string(schema: &Map<String, Value>, text: &str, path: &str, errors: &mut Vec<FieldError>) {
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
        && let Ok(re) = super::pattern(source)
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

fn plural(n: u64, word: &str) -> String {
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
fn is_tag(tag: &str) -> bool {
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ":+#".contains(c))
    };
    tag.len() <= 63 && tag.split('-').all(word)
}

fn number(schema: &Map<String, Value>, n: f64, path: &str, errors: &mut Vec<FieldError>) {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let mut fail = |message: String| errors.push(FieldError::at(path, message));
    if let Some(min) = bound("minimum") {
        // Draft 4's boolean `exclusiveMinimum` makes `minimum` strict.
        if schema.get("exclusiveMinimum") == Some(&Value::Bool(true)) && n <= min {
            fail(format!("must be more than {}", num(min)));
        } else if n < min {
            fail(format!("must be at least {}", num(min)));
        }
    }
    if let Some(max) = bound("maximum") {
        if schema.get("exclusiveMaximum") == Some(&Value::Bool(true)) && n >= max {
            fail(format!("must be less than {}", num(max)));
        } else if n > max {
            fail(format!("must be at most {}", num(max)));
        }
    }
    if let Some(min) = bound("exclusiveMinimum")
        && n <= min
    {
        fail(format!("must be more than {}", num(min)));
    }
    if let Some(max) = bound("exclusiveMaximum")
        && n >= max
    {
        fail(format!("must be less than {}", num(max)));
    }
    if let Some(step) = bound("multipleOf")
        && step > 0.0
        && ((n / step) - (n / step).round()).abs() > 1e-9
    {
        fail(format!("must be a multiple of {}", num(step)));
    }
}

fn num(n: f64) -> String {
    Value::from(n).as_f64().map_or_else(
        || n.to_string(),
        |f| {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", f as i64)
            } else {
                f.to_string()
            }
        },
    )
}

fn array(schema: &Map<String, Value>, items: &[Value], path: &str, depth: usize, errors: &mut Vec<FieldError>) {
    let count = items.len() as u64;
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
        && count < min
    {
        let message = if min == 1 {
            "must have at least one item".to_string()
        } else {
            format!("must have at least {min} items")
        };
        errors.push(FieldError::at(path, message));
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
        && count > max
    {
        errors.push(FieldError::at(
            path,
            format!("must have at most {max} {}", plural(max, "item")),
        ));
    }
    if schema.get("uniqueItems") == Some(&Value::Bool(true))
        && let Some(repeated) = items
            .iter()
            .enumerate()
            .find(|(i, a)| items[..*i].iter().any(|b| same(a, b)))
    {
        errors.push(FieldError::at(path, format!("must not repeat {}", shown(repeated.1))));
    }
    if schema.get("ui:field").and_then(Value::as_str) == Some("EntityTagsPicker") {
        for (i, tag) in items
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.as_str().is_some_and(is_tag))
        {
            let message = format!(
                "`{}` is not a tag: lower-case letters, digits, `:+#`, joined by single `-`, at most 63",
                shown(tag)
            );
            errors.push(FieldError::at(&join(path, &i.to_string()), message));
        }
    }
    match schema.get("items") {
        Some(Value::Array(tuple)) => {
            for (i, (item, sub)) in items.iter().zip(tuple).enumerate() {
                check(sub, item, &join(path, &i.to_string()), depth + 1, errors);
            }
        }
        Some(sub) => {
            for (i, item) in items.iter().enumerate() {
                check(sub, item, &join(path, &i.to_string()), depth + 1, errors);
            }
        }
        None => {}
    }
}

fn object(
    schema: &Map<String, Value>,
    map: &Map<String, Value>,
    path: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) {
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if is_blank(map.get(name)) {
                errors.push(FieldError::at(&join(path, name), "is required"));
            }
        }
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, sub) in properties {
            let value = map.get(name);
            if let Some(value) = value.filter(|v| !is_blank(Some(v))) {
                check(sub, value, &join(path, name), depth + 1, errors);
            }
        }
    }
    if let Some(Value::Object(dependencies)) = schema.get("dependencies") {
        for (name, dependency) in dependencies.iter().filter(|(name, _)| !is_blank(map.get(*name))) {
            match dependency {
                Value::Array(needed) => {
                    for other in needed
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|o| is_blank(map.get(*o)))
                    {
                        errors.push(FieldError::at(
                            &join(path, other),
                            format!("is required when {name} is given"),
                        ));
                    }
                }
                sub => check(sub, &Value::Object(map.clone()), path, depth + 1, errors),
            }
        }
    }
}

fn conditionals(schema: &Map<String, Value>, value: &Value, path: &str, depth: usize, errors: &mut Vec<FieldError>) {
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for sub in all {
            check(sub, value, path, depth + 1, errors);
        }
    }
    for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            one_of(branches, exactly_one, value, path, depth, errors);
        }
    }
    if let Some(condition) = schema.get("if") {
        let branch = if fits(condition, value, depth + 1) {
            "then"
        } else {
            "else"
        };
        if let Some(sub) = schema.get(branch) {
            check(sub, value, path, depth + 1, errors);
        }
    }
    if let Some(not) = schema.get("not")
        && fits(not, value, depth + 1)
    {
        errors.push(FieldError::at(path, "is not allowed"));
    }
}

/// `oneOf`/`anyOf`: when no branch fits, the errors of the closest branch (the one with fewest
/// errors: usually the one whose discriminating `const` matches), or the list of allowed values
/// when the branches are constants (a select).
fn one_of(
    branches: &[Value],
    exactly_one: bool,
    value: &Value,
    path: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) {
    let results: Vec<Vec<FieldError>> = branches
        .iter()
        .map(|b| {
            let mut e = Vec::new();
            check(b, value, path, depth + 1, &mut e);
            e
        })
        .collect();
    let fitting = results.iter().filter(|e| e.is_empty()).count();
    if fitting == 1 || (fitting > 1 && !exactly_one) {
        return;
    }
    if fitting > 1 {
        errors.push(FieldError::at(
            path,
            format!("fits {fitting} of the choices; it must fit exactly one"),
        ));
        return;
    }
    let constants: Option<Vec<Value>> = branches.iter().map(|b| b.get("const").cloned()).collect();
    if let Some(constants) = constants.filter(|c| !c.is_empty()) {
        errors.push(FieldError::at(path, format!("must be one of {}", list(&constants))));
        return;
    }
    let closest = results
        .into_iter()
        .zip(branches)
        .min_by_key(|(e, branch)| (!discriminated(branch, value, depth), e.len()));
    if let Some((closest, _)) = closest {
        errors.extend(closest);
    }
}

/// Whether the value's fields match every `const`/`enum` property of the branch: the branch is the
/// one the person chose, so its errors are the ones worth showing.
fn discriminated(branch: &Value, value: &Value, depth: usize) -> bool {
    let (Some(Value::Object(properties)), Value::Object(map)) = (branch.get("properties"), value) else {
        return true;
    };
    properties
        .iter()
        .filter(|(_, p)| p.get("const").is_some() || p.get("enum").is_some())
        .all(|(name, p)| map.get(name).is_none_or(|v| fits(p, v, depth + 1)))
}
