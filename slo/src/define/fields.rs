//! Walking a parsed document with the path of every value at hand, so each error names its field
//! (`spec.slos.2.objective`) and the reader can point at its line.

use std::collections::BTreeMap;

use serde_json::Value;

use super::DefinitionError;

/// A value and where it sits in its document.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub value: Option<&'a Value>,
    path: &'a str,
    parent: Option<&'a Node<'a>>,
}

impl<'a> Node<'a> {
    pub fn root(value: &'a Value) -> Node<'a> {
        Node {
            value: Some(value),
            path: "",
            parent: None,
        }
    }

    /// The dotted path of this value (`spec.slos.0.name`).
    pub fn path(&self) -> String {
        let mut parts = Vec::new();
        let mut node = Some(self);
        while let Some(n) = node {
            if !n.path.is_empty() {
                parts.push(n.path);
            }
            node = n.parent;
        }
        parts.reverse();
        parts.join(".")
    }

    pub fn error(&self, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            field: self.path(),
            message: message.into(),
        }
    }

    /// The child `key` (absent when this is not a mapping or has no such key).
    pub fn get(&'a self, key: &'a str) -> Node<'a> {
        Node {
            value: self.value.and_then(|v| v.get(key)).filter(|v| !v.is_null()),
            path: key,
            parent: Some(self),
        }
    }

    pub fn is_present(&self) -> bool {
        self.value.is_some()
    }

    /// The items of a sequence with their indexes as path parts (empty when absent).
    pub fn items(&self) -> Result<Vec<(String, &'a Value)>, DefinitionError> {
        match self.value {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect()),
            Some(_) => Err(self.error("must be a list")),
        }
    }

    pub fn child(&'a self, part: &'a str, value: &'a Value) -> Node<'a> {
        Node {
            value: Some(value),
            path: part,
            parent: Some(self),
        }
    }

    pub fn str(&self) -> Result<Option<&'a str>, DefinitionError> {
        match self.value {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(self.error("must be a string")),
        }
    }

    pub fn required_str(&self) -> Result<&'a str, DefinitionError> {
        match self.str()? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(self.error("is required")),
        }
    }

    /// A number, also accepted as a string (`target: "99.9"`, as Pyrra writes it).
    pub fn number(&self) -> Result<Option<f64>, DefinitionError> {
        match self.value {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(|| self.error("must be a number")),
            Some(Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| self.error(format!("`{s}` is not a number"))),
            Some(_) => Err(self.error("must be a number")),
        }
    }

    pub fn bool(&self) -> Result<Option<bool>, DefinitionError> {
        match self.value {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.error("must be true or false")),
        }
    }

    /// A mapping of strings (labels, annotations). OpenSLO allows a list of strings as a label
    /// value: its items are joined with commas.
    pub fn string_map(&self) -> Result<BTreeMap<String, String>, DefinitionError> {
        let Some(value) = self.value else {
            return Ok(BTreeMap::new());
        };
        let Value::Object(map) = value else {
            return Err(self.error("must be a mapping of names to values"));
        };
        let mut out = BTreeMap::new();
        for (key, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
                }
                _ => {
                    return Err(DefinitionError {
                        field: format!("{}.{key}", self.path()),
                        message: "must be a string".into(),
                    });
                }
            };
            out.insert(key.clone(), text);
        }
        Ok(out)
    }
}

/// A percentage in (0, 100) as a fraction.
pub fn percent(node: &Node, value: f64) -> Result<f64, DefinitionError> {
    if !(value > 0.0 && value < 100.0) {
        return Err(node.error(format!("{value} is not a percentage between 0 and 100 (exclusive)")));
    }
    Ok(value / 100.0)
}
