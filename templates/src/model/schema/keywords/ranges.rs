//! Number ranges (`minimum`, `maximum`, `exclusive*`, `multipleOf`) and lists (`minItems`,
//! `maxItems`, `uniqueItems`, `items`, tags of an `EntityTagsPicker`).

use serde_json::{Map, Value};

use super::super::{FieldError, join, shown};
use super::text::{is_tag, plural};
use super::{check, same};

pub(super) fn number(schema: &Map<String, Value>, n: f64, path: &str, errors: &mut Vec<FieldError>) {
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

pub(super) fn array(
    schema: &Map<String, Value>,
    items: &[Value],
    path: &str,
    depth: usize,
    errors: &mut Vec<FieldError>,
) {
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
