//! `debug:log`: writes a message, any other inputs, and optionally the workspace's files (names,
//! or names and contents) to the step's log. Harmless, so dry runs do it too.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Action, ActionContext, ActionError, ActionFuture, optional_str};

/// `debug:log`.
pub fn actions() -> Vec<Arc<dyn Action>> {
    vec![Arc::new(Log)]
}

/// Text of one file shown with `with-contents`, at most.
const CONTENT_BYTES: usize = 64 * 1024;

struct Log;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    None,
    Names,
    Contents,
}

impl Action for Log {
    fn id(&self) -> &'static str {
        "debug:log"
    }

    fn description(&self) -> &'static str {
        "Writes a message into the log and/or lists all files in the workspace."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "message": {"title": "Message to output.", "type": "string"},
                "listWorkspace": {
                    "title": "List all files in the workspace, if true.",
                    "description": "`true` or `with-filenames` lists the names, `with-contents` the names and the text of each file.",
                    "oneOf": [
                        {"type": "boolean"},
                        {"type": "string", "enum": ["with-filenames", "with-contents"]},
                    ],
                },
                "extra": {"title": "Extra info", "description": "Anything else to log, as JSON."},
            },
            "additionalProperties": true,
        })
    }

    fn supports_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a> {
        Box::pin(async move {
            let listing = match input.get("listWorkspace") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => Listing::None,
                Some(Value::Bool(true)) => Listing::Names,
                Some(Value::String(s)) if s == "with-filenames" => Listing::Names,
                Some(Value::String(s)) if s == "with-contents" => Listing::Contents,
                Some(_) => {
                    return Err(ActionError::input(
                        "listWorkspace",
                        "must be true, false, `with-filenames` or `with-contents`",
                    ));
                }
            };
            if let Some(message) = optional_str(&input, "message")? {
                ctx.log(message);
            }
            for (key, value) in input.iter().filter(|(k, _)| *k != "message" && *k != "listWorkspace") {
                let shown = match value {
                    Value::String(s) => s.clone(),
                    other => serde_json::to_string_pretty(other).unwrap_or_default(),
                };
                ctx.log(format!("{key}: {shown}"));
            }
            if listing != Listing::None {
                ctx.log(list_workspace(ctx, listing)?);
            }
            Ok(Map::new())
        })
    }
}

/// `Workspace:` followed by one `  - path` line per file, with its text when asked.
fn list_workspace(ctx: &ActionContext, listing: Listing) -> Result<String, ActionError> {
    let files = ctx.workspace.files()?;
    let mut out = String::from("Workspace:");
    for file in files {
        out.push_str(&format!("\n  - {}", file.path));
        if listing == Listing::Contents {
            match &file.text {
                Some(text) if text.len() <= CONTENT_BYTES => {
                    out.push_str(":\n");
                    for line in text.lines() {
                        out.push_str(&format!("      {line}\n"));
                    }
                }
                Some(_) => out.push_str(&format!(" ({} bytes of text, not shown)", file.size)),
                None => out.push_str(&format!(" ({} bytes, binary or too large to show)", file.size)),
            }
        }
    }
    Ok(out)
}
