//! Safe YAML → JSON: YAML 1.2 core schema (as Backstage's `yaml` package reads it), with bounds on
//! nesting depth and on the nodes aliases may expand to, so no input can exhaust memory or stack.

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

/// The deepest `max_depth` may be: entities are stored as JSON and read back by serde_json,
/// which refuses nesting beyond 128 levels (an entity's body sits two levels down).
pub const MAX_DEPTH: usize = 120;

/// Bounds for one document.
#[derive(Clone, Copy, Debug)]
pub struct YamlLimits {
    /// Deepest nesting of mappings and sequences (`catalog.reading.maxDepth`; at most
    /// [`MAX_DEPTH`]).
    pub max_depth: usize,
    /// Most nodes a document may hold once aliases are expanded (defeats "billion laughs").
    pub max_nodes: usize,
}

impl Default for YamlLimits {
    fn default() -> Self {
        YamlLimits {
            max_depth: 64,
            max_nodes: 200_000,
        }
    }
}

/// A YAML problem with the 1-based line where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
    },
}

/// Parses one YAML document (the text between two `---` markers) into JSON. `Ok(None)` for a
/// document with no content (only comments, or empty).
pub fn parse_document(text: &str, limits: YamlLimits) -> Result<Option<Value>, YamlError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut nodes = 0usize;
    let mut root: Option<Value> = None;
    let mut documents = 0;

    for next in Parser::new_from_str(text) {
        let (event, span) = next.map_err(|e| YamlError {
            line: e.marker().line(),
            message: scan_message(&e),
        })?;
        let line = span.start.line();
        let value = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        line,
                        message: "a second document where one was expected".into(),
                    });
                }
                continue;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::SequenceStart(_, anchor, _) => {
                push(
                    &mut stack,
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                    },
                    limits,
                    line,
                )?;
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                push(
                    &mut stack,
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        anchor,
                    },
                    limits,
                    line,
                )?;
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, anchor }) => remember(&mut anchors, anchor, Value::Array(items)),
                _ => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced sequence".into(),
                    });
                }
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { map, anchor, .. }) => remember(&mut anchors, anchor, Value::Object(map)),
                _ => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced mapping".into(),
                    });
                }
            },
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| t.to_string());
                let value = scalar(&text, style, tag.as_deref(), line)?;
                remember(&mut anchors, anchor, value)
            }
            Event::Alias(id) => {
                let value = anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    line,
                    message: "alias to an unknown anchor".into(),
                })?;
                nodes += count_nodes(&value, limits.max_nodes.saturating_sub(nodes) + 1);
                value
            }
            _ => continue,
        };
        nodes += 1;
        if nodes > limits.max_nodes {
            return Err(YamlError {
                line,
                message: format!(
                    "the document expands to more than {} values (too many aliases?)",
                    limits.max_nodes
                ),
            });
        }
        attach(&mut stack, &mut root, value, &span)?;
    }
    // A document holding only `null` (or nothing) is an empty document, as Backstage treats it.
    Ok(root.filter(|v| !v.is_null()))
}

fn scan_message(error: &granit_parser::ScanError) -> String {
    let info = error.info();
    if info.is_empty() {
        error.to_string()
    } else {
        info.to_string()
    }
}

fn push(stack: &mut Vec<Frame>, frame: Frame, limits: YamlLimits, line: usize) -> Result<(), YamlError> {
    if stack.len() >= limits.max_depth {
        return Err(YamlError {
            line,
            message: format!(
                "nesting deeper than {} levels (catalog.reading.maxDepth, or validate's --max-depth, raises it)",
                limits.max_depth
            ),
        });
    }
    stack.push(frame);
    Ok(())
}

fn remember(anchors: &mut HashMap<usize, Value>, anchor: usize, value: Value) -> Value {
    if anchor != 0 {
        anchors.insert(anchor, value.clone());
    }
    value
}

/// Places a finished value into its parent (as a key, a mapping value or a sequence item).
fn attach(stack: &mut [Frame], root: &mut Option<Value>, value: Value, span: &Span) -> Result<(), YamlError> {
    let line = span.start.line();
    match stack.last_mut() {
        None => *root = Some(value),
        Some(Frame::Seq { items, .. }) => items.push(value),
        Some(Frame::Map { map, key, .. }) => match key.take() {
            None => {
                let name = match value {
                    Value::String(s) => s,
                    Value::Null => "null".to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    Value::Array(_) | Value::Object(_) => {
                        return Err(YamlError {
                            line,
                            message: "a mapping key must be a plain value".into(),
                        });
                    }
                };
                if map.contains_key(&name) {
                    return Err(YamlError {
                        line,
                        message: format!("the key `{name}` appears twice in one mapping"),
                    });
                }
                *key = Some(name);
            }
            Some(name) => {
                map.insert(name, value);
            }
        },
    }
    Ok(())
}

/// Counts the nodes of `value`, stopping once `cap` is passed.
fn count_nodes(value: &Value, cap: usize) -> usize {
    let mut count = 0;
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        count += 1;
        if count > cap {
            break;
        }
        match v {
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// Resolves a scalar by the YAML 1.2 core schema: only plain scalars can be null, bool or numbers.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&str>, line: usize) -> Result<Value, YamlError> {
    if let Some(tag) = tag {
        let suffix = tag.rsplit([':', '!']).next().unwrap_or(tag);
        match suffix {
            "str" => return Ok(Value::String(text.to_string())),
            "null" => return Ok(Value::Null),
            "bool" | "int" | "float" => {
                return core_scalar(text).ok_or_else(|| YamlError {
                    line,
                    message: format!("`{text}` is not a valid !!{suffix}"),
                });
            }
            _ => {}
        }
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    Ok(core_scalar(text).unwrap_or_else(|| Value::String(text.to_string())))
}

fn core_scalar(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .map(Value::from)
            .or_else(|| text.parse::<f64>().ok().and_then(float));
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Value::from);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Value::from);
    }
    if is_float(text) {
        return text.parse::<f64>().ok().and_then(float);
    }
    // .inf and .nan have no JSON form; keep their text, as JSON.stringify would give null.
    None
}

fn float(f: f64) -> Option<Value> {
    Number::from_f64(f).map(Value::Number)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()))
                && (!int.is_empty() || !frac.is_empty())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok && (mantissa.contains('.') || exponent.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Option<Value>, YamlError> {
        parse_document(text, YamlLimits::default())
    }

    #[test]
    fn core_schema_scalars() {
        let v = parse("a: yes\nb: true\nc: 012\nd: 0x1F\ne: 1.5e3\nf: ~\ng: '42'\nh: on\ni: 1.0\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            v,
            json!({"a": "yes", "b": true, "c": 12, "d": 31, "e": 1500.0, "f": null, "g": "42", "h": "on", "i": 1.0})
        );
    }

    #[test]
    fn anchors_and_aliases_are_expanded() {
        let v = parse("base: &b {x: 1}\nother: *b\n").unwrap().unwrap();
        assert_eq!(v, json!({"base": {"x": 1}, "other": {"x": 1}}));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i", "j"])
        {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("too many aliases"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        let err = parse(&text).unwrap_err();
        assert!(!err.message.is_empty(), "{err:?}");
        let block = (0..200)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>();
        let err = parse(&block).unwrap_err();
        assert!(err.message.contains("nesting deeper"), "{err:?}");
    }

    #[test]
    fn duplicate_keys_are_errors_with_their_line() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("`a` appears twice"), "{err:?}");
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = parse("a: 1\nb: [unclosed\nc: 2\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn empty_and_comment_only_documents_have_no_value() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }
}
