//! The scaffolder's templating: `${{ parameters.x }}` in step inputs and `${{ values.x }}` in
//! skeleton files and names, Nunjucks-compatible (minijinja underneath, with `${{ }}` as the
//! variable delimiters), with Backstage's filters. Evaluation is bounded: fuel stops endless
//! loops, and the text one rendering may produce is capped.

mod compat;
mod filters;
mod nunjucks;

use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde_json::Value;

/// Text one rendering may produce unless told otherwise ([`Renderer::with_max_output`]).
pub const DEFAULT_MAX_OUTPUT: u64 = 10 * 1024 * 1024;

/// A template expression that could not be evaluated; `line` is within the rendered text.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}{message}", line_prefix(*.line))]
pub struct RenderError {
    pub message: String,
    pub line: Option<usize>,
}

fn line_prefix(line: Option<usize>) -> String {
    line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

/// Renders template text and values.
#[derive(Clone, Debug)]
pub struct Renderer {
    fuel: u64,
    max_output: u64,
    /// Nunjucks' `trimBlocks` and `lstripBlocks`.
    blocks: (bool, bool),
    env: Arc<Environment<'static>>,
}

impl Renderer {
    /// A renderer allowing `fuel` evaluation steps per rendering.
    pub fn new(fuel: u64) -> Renderer {
        Renderer {
            fuel,
            max_output: DEFAULT_MAX_OUTPUT,
            blocks: (false, false),
            env: Arc::new(environment(fuel, DEFAULT_MAX_OUTPUT, (false, false))),
        }
    }

    /// The same renderer, refusing to produce more than `bytes` of text in one rendering.
    pub fn with_max_output(self, bytes: u64) -> Renderer {
        Renderer {
            env: Arc::new(environment(self.fuel, bytes, self.blocks)),
            max_output: bytes,
            ..self
        }
    }

    /// The same renderer with Nunjucks' `trimBlocks` (the first newline after a block tag is
    /// removed) and `lstripBlocks` (spaces before a block tag are removed).
    pub fn with_blocks(self, trim_blocks: bool, lstrip_blocks: bool) -> Renderer {
        let blocks = (trim_blocks, lstrip_blocks);
        Renderer {
            env: Arc::new(environment(self.fuel, self.max_output, blocks)),
            blocks,
            ..self
        }
    }

    /// Renders step input: strings are templates, mappings and lists are walked. A string that is
    /// exactly one `${{ }}` expression gives the expression's value unchanged (a list stays a list).
    /// As in Backstage, what renders to nothing (an undefined value, an empty text) is left out
    /// of mappings; at the top it is `null`.
    /// An error inside a mapping or list names where (`values.name: line 1: …`).
    pub fn value(&self, value: &Value, context: &Value) -> Result<Value, RenderError> {
        Ok(self.walk(value, context, "")?.unwrap_or(Value::Null))
    }

    fn walk(&self, value: &Value, context: &Value, at: &str) -> Result<Option<Value>, RenderError> {
        let inner = |key: &str| {
            if at.is_empty() {
                key.to_string()
            } else {
                format!("{at}.{key}")
            }
        };
        Ok(Some(match value {
            Value::String(text) => {
                return self.string(text, context).map_err(|e| match at {
                    "" => e,
                    _ => RenderError {
                        message: format!("{at}: {e}"),
                        line: None,
                    },
                });
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Ok(self.walk(item, context, &inner(&i.to_string()))?.unwrap_or(Value::Null)))
                    .collect::<Result<_, RenderError>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (key, item) in map {
                    if let Some(rendered) = self.walk(item, context, &inner(key))? {
                        out.insert(key.clone(), rendered);
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        }))
    }

    fn string(&self, text: &str, context: &Value) -> Result<Option<Value>, RenderError> {
        if let Some(expression) = single_expression(text) {
            return self.expression(expression, context);
        }
        let rendered = self.text(text, context)?;
        Ok((!rendered.is_empty()).then_some(Value::String(rendered)))
    }

    /// Evaluates one expression to its typed value; `None` when undefined.
    fn expression(&self, expression: &str, context: &Value) -> Result<Option<Value>, RenderError> {
        let source = compat::rewrite_expression(expression);
        let compiled = self.env.compile_expression(&source).map_err(|e| self.error(e))?;
        let result = compiled
            .eval(minijinja::Value::from_serialize(context))
            .map_err(|e| self.error(e))?;
        if result.is_undefined() {
            return Ok(None);
        }
        let json = serde_json::to_value(&result).map_err(|e| RenderError {
            message: format!("the value of `{}` cannot be used as input: {e}", expression.trim()),
            line: None,
        })?;
        let size = serde_json::to_string(&json).map_or(u64::MAX, |s| s.len() as u64);
        if size > self.max_output {
            return Err(self.too_large());
        }
        Ok(Some(json))
    }

    /// Renders text (a skeleton file, a file name).
    pub fn text(&self, template: &str, context: &Value) -> Result<String, RenderError> {
        let source = compat::rewrite_template(template);
        let compiled = self.env.template_from_str(&source).map_err(|e| self.error(e))?;
        let mut out = Capped {
            bytes: Vec::new(),
            limit: self.max_output,
            exceeded: false,
        };
        let result = compiled
            .render_captured_to(minijinja::Value::from_serialize(context), &mut out)
            .map(|_| ());
        if out.exceeded {
            return Err(self.too_large());
        }
        result.map_err(|e| self.error(e))?;
        String::from_utf8(out.bytes).map_err(|_| RenderError {
            message: "the rendered text is not valid UTF-8".into(),
            line: None,
        })
    }

    /// Compiles `template` without rendering it: finds syntax errors when a template is loaded.
    pub fn check_syntax(&self, template: &str) -> Result<(), RenderError> {
        let source = compat::rewrite_template(template);
        self.env
            .template_from_str(&source)
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// The filters `template` applies that this renderer does not know (`now`, a plugin's
    /// filter): found when a template is loaded rather than when the step runs.
    pub fn unknown_filters(&self, template: &str) -> Vec<String> {
        compat::filter_names(template)
            .into_iter()
            .filter(|name| {
                let probe = format!("none | {name}");
                match self.env.compile_expression(&probe) {
                    Ok(expression) => expression.eval(()).is_err_and(|e| e.kind() == ErrorKind::UnknownFilter),
                    Err(_) => false,
                }
            })
            .collect()
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

    fn too_large(&self) -> RenderError {
        RenderError {
            message: format!(
                "the rendered text is larger than the limit of {} bytes",
                self.max_output
            ),
            line: None,
        }
    }

    /// A minijinja error in words, with the line it happened on.
    fn error(&self, error: minijinja::Error) -> RenderError {
        let line = error.line();
        let message = match error.kind() {
            ErrorKind::OutOfFuel => format!(
                "the template needs more than {} evaluation steps and was stopped (an endless or too long loop?)",
                self.fuel
            ),
            _ => {
                let mut message = error.kind().to_string();
                if let Some(detail) = error.detail() {
                    message = format!("{message}: {detail}");
                }
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    message = format!("{message}: {cause}");
                    source = cause.source();
                }
                message
            }
        };
        RenderError { message, line }
    }
}

/// The expression of a string that is exactly one `${{ }}` (surrounding spaces allowed).
fn single_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("${{")?.strip_suffix("}}")?;
    if inner.contains("}}") || inner.contains("${{") || inner.contains("{%") {
        return None;
    }
    let inner = inner.strip_prefix(['-', '+', '~']).unwrap_or(inner);
    Some(inner.strip_suffix(['-', '+', '~']).unwrap_or(inner))
}

/// The Nunjucks-like environment: `${{ }}`, no escaping, undefined renders empty and chains.
fn environment(fuel: u64, max_output: u64, (trim_blocks, lstrip_blocks): (bool, bool)) -> Environment<'static> {
    let mut env = Environment::new();
    match SyntaxConfig::builder()
        .variable_delimiters("${{", "}}")
        .block_delimiters("{%", "%}")
        .comment_delimiters("{#", "#}")
        .build()
    {
        Ok(syntax) => env.set_syntax(syntax),
        // The delimiters are constants; a failure here is a bug caught by every test.
        Err(e) => unreachable!("the scaffolder's delimiters are valid: {e}"),
    }
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(trim_blocks);
    env.set_lstrip_blocks(lstrip_blocks);
    env.set_fuel(Some(fuel));
    env.set_recursion_limit(100);
    env.set_formatter(move |out, state, value| {
        // Bytes printed in this rendering, captured ones (macros, `set` blocks) included.
        let printed = state.get_temp("cairn.printed").and_then(|v| v.as_usize()).unwrap_or(0);
        let printed = printed.saturating_add(value.as_str().map_or(0, str::len));
        if printed as u64 > max_output {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("the template prints more than the limit of {max_output} bytes"),
            ));
        }
        state.set_temp("cairn.printed", minijinja::Value::from(printed));
        compat::format_value(out, state, value)
    });
    // Not Nunjucks: `debug()` would print the whole context into a file, and `namespace()` lets a
    // loop accumulate text beyond what one step may print.
    env.remove_global("debug");
    env.remove_global("namespace");
    env.set_unknown_method_callback(compat::js_method);
    filters::register(&mut env);
    env
}

/// The rendered text, refusing to grow past its limit.
struct Capped {
    bytes: Vec<u8>,
    limit: u64,
    exceeded: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.bytes.len() + buf.len()) as u64 > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("output limit reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
