//! `$text`, `$json` and `$yaml` placeholders: a mapping with exactly one of these keys is replaced
//! by the content of the file it names, read relative to the descriptor (as Backstage does).

use serde_json::Value;

/// Reads what a placeholder points at. Implemented per source (local files now, Git later).
pub trait Resolver {
    /// The content at `target` (relative to the descriptor being processed), as text.
    fn read(&self, target: &str) -> Result<String, PlaceholderError>;
}

/// A placeholder that could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlaceholderError {
    /// The content could not be fetched (missing file, unreachable URL): the entity is not at fault.
    #[error("{placeholder} could not read {target}: {reason}")]
    Fetch {
        placeholder: String,
        target: String,
        reason: String,
    },
    /// The content was fetched but is not what the placeholder says (bad JSON or YAML).
    #[error("{placeholder} {target}: {reason}")]
    Invalid {
        placeholder: String,
        target: String,
        reason: String,
    },
}

/// Most placeholders one document may hold: each reads a file.
const MAX_PLACEHOLDERS: usize = 100;

/// Replaces every placeholder in `value`. Returns the dotted path of the failing one with its error.
pub fn resolve(value: &mut Value, resolver: &dyn Resolver) -> Result<(), (String, PlaceholderError)> {
    let mut budget = MAX_PLACEHOLDERS;
    walk(value, &mut String::new(), resolver, &mut budget)
}

fn walk(
    value: &mut Value,
    path: &mut String,
    resolver: &dyn Resolver,
    budget: &mut usize,
) -> Result<(), (String, PlaceholderError)> {
    if let Some((kind, target)) = placeholder(value) {
        if *budget == 0 {
            let err = PlaceholderError::Invalid {
                placeholder: kind.clone(),
                target,
                reason: "too many placeholders in one document".into(),
            };
            return Err((path.clone(), err));
        }
        *budget -= 1;
        *value = substitute(&kind, &target, resolver).map_err(|e| (path.clone(), e))?;
        return Ok(());
    }
    let len = path.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                push(path, key);
                walk(child, path, resolver, budget)?;
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                push(path, &i.to_string());
                walk(child, path, resolver, budget)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

fn push(path: &mut String, part: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(part);
}

/// `{"$text": "./x"}` → `("$text", "./x")`; anything else is not a placeholder (and is left alone).
fn placeholder(value: &Value) -> Option<(String, String)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (key, target) = map.iter().next()?;
    matches!(key.as_str(), "$text" | "$json" | "$yaml")
        .then(|| (key.clone(), target.as_str().unwrap_or_default().to_string()))
}

fn substitute(kind: &str, target: &str, resolver: &dyn Resolver) -> Result<Value, PlaceholderError> {
    let invalid = |reason: String| PlaceholderError::Invalid {
        placeholder: kind.into(),
        target: target.into(),
        reason,
    };
    if target.is_empty() {
        return Err(invalid("the placeholder needs a path as text".into()));
    }
    let text = resolver.read(target).map_err(|e| match e {
        PlaceholderError::Fetch { target, reason, .. } => PlaceholderError::Fetch {
            placeholder: kind.into(),
            target,
            reason,
        },
        other => other,
    })?;
    match kind {
        "$text" => Ok(Value::String(text)),
        "$json" => serde_json::from_str(&text).map_err(|e| invalid(format!("is not valid JSON: {e}"))),
        _ => {
            let docs = crate::read::read_documents(text.as_bytes(), &crate::read::ReadLimits::default())
                .map_err(|e| invalid(e.to_string()))?;
            match docs.as_slice() {
                [doc] => match &doc.value {
                    Ok(value) => Ok(value.clone().unwrap_or(Value::Null)),
                    Err(e) => Err(invalid(format!("is not valid YAML (line {}): {}", e.line, e.message))),
                },
                _ => Err(invalid("must hold exactly one YAML document".into())),
            }
        }
    }
}
