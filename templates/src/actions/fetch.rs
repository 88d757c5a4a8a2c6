//! `fetch:plain`, `fetch:plain:file`, `fetch:template` and `fetch:template:file`: a directory or
//! file from next to the template (or any repository) copied into the workspace, as it is or
//! rendered with `${{ values.x }}`. Fetching is local work, so dry runs do it too.

mod copy;
mod source;

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use super::{Action, ActionContext, ActionError, ActionFuture, optional_str, required_str};
use crate::workspace;

use copy::{Options, Patterns, Target};

/// The four fetch actions.
pub fn actions() -> Vec<Arc<dyn Action>> {
    vec![
        Arc::new(Fetch { kind: Kind::Plain }),
        Arc::new(Fetch { kind: Kind::PlainFile }),
        Arc::new(Fetch { kind: Kind::Template }),
        Arc::new(Fetch {
            kind: Kind::TemplateFile,
        }),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    PlainFile,
    Template,
    TemplateFile,
}

struct Fetch {
    kind: Kind,
}

impl Action for Fetch {
    fn id(&self) -> &'static str {
        match self.kind {
            Kind::Plain => "fetch:plain",
            Kind::PlainFile => "fetch:plain:file",
            Kind::Template => "fetch:template",
            Kind::TemplateFile => "fetch:template:file",
        }
    }

    fn description(&self) -> &'static str {
        match self.kind {
            Kind::Plain => {
                "Downloads a directory and places it in the workspace, or optionally in a subdirectory given by targetPath."
            }
            Kind::PlainFile => "Downloads a single file and places it in the workspace.",
            Kind::Template => {
                "Downloads a skeleton, renders its files and names with the values, and places the result in the workspace, or optionally in a subdirectory given by targetPath."
            }
            Kind::TemplateFile => {
                "Downloads a single file, renders it with the values, and places the result in the workspace."
            }
        }
    }

    fn input_schema(&self) -> Value {
        schema::input(self.kind)
    }

    fn supports_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a> {
        Box::pin(async move {
            let settings = Settings::read(self.kind, &input)?;
            let source = source::locate(ctx, &settings.url, settings.token.as_deref()).await?;
            let from = source.full_path()?;
            let is_dir = from.is_dir();
            if !is_dir && !from.is_file() {
                return Err(ActionError::input("url", format!("{} does not exist", source.label)));
            }
            let wants_dir = matches!(self.kind, Kind::Plain | Kind::Template);
            if wants_dir != is_dir {
                let (wanted, found) = if wants_dir {
                    ("a directory", "a file")
                } else {
                    ("a file", "a directory")
                };
                return Err(ActionError::input(
                    "url",
                    format!("{} is {found}, but {} fetches {wanted}", source.label, self.id()),
                ));
            }
            ctx.log(format!("Fetching {} into {}", source.label, display(&settings.target)));
            let job = Job {
                workspace: ctx.workspace.clone(),
                renderer: ctx
                    .renderer
                    .clone()
                    .with_max_output(ctx.workspace.limits().max_file_bytes)
                    .with_blocks(
                        bool_input(&input, "trimBlocks")?.unwrap_or(false),
                        bool_input(&input, "lstripBlocks")?.unwrap_or(false),
                    ),
                events: ctx.events.clone(),
                step: ctx.step_id.clone(),
                cancel: ctx.cancel.clone(),
                deadline: Instant::now() + ctx.workspace.limits().max_duration,
            };
            let written = tokio::task::spawn_blocking(move || job.run(&from, is_dir, settings))
                .await
                .map_err(|e| ActionError::Failed(format!("the copy stopped unexpectedly: {e}")))??;
            drop(source);
            ctx.log(format!("Wrote {written} file(s)"));
            Ok(Map::new())
        })
    }
}

fn display(target: &str) -> &str {
    if target.is_empty() { "the workspace" } else { target }
}

/// The inputs, read and checked.
struct Settings {
    url: String,
    token: Option<String>,
    /// Normalised, relative to the workspace.
    target: String,
    options: Options,
}

impl Settings {
    fn read(kind: Kind, input: &Map<String, Value>) -> Result<Settings, ActionError> {
        let url = required_str(input, "url")?.to_string();
        let token = optional_str(input, "token")?.map(str::to_string);
        let target = match kind {
            Kind::Plain | Kind::Template => optional_str(input, "targetPath")?.unwrap_or("./"),
            Kind::PlainFile | Kind::TemplateFile => required_str(input, "targetPath")?,
        };
        let target = workspace::normalize(target).map_err(|e| ActionError::input("targetPath", e.to_string()))?;
        if matches!(kind, Kind::PlainFile | Kind::TemplateFile) && target.is_empty() {
            return Err(ActionError::input(
                "targetPath",
                "must name a file inside the workspace",
            ));
        }
        let templated = matches!(kind, Kind::Template | Kind::TemplateFile);
        if templated && input.get("cookiecutterCompat").and_then(Value::as_bool) == Some(true) {
            return Err(ActionError::input(
                "cookiecutterCompat",
                "cookiecutter (Jinja2) templates are not supported by Cairn; write the skeleton with ${{ values.x }}",
            ));
        }
        let values = match input.get("values") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v.clone(),
            Some(_) => return Err(ActionError::input("values", "must be a mapping")),
        };
        let options = if kind == Kind::Template {
            template_options(input, values)?
        } else {
            Options {
                values: templated.then_some(values),
                extension: None,
                copy_only: Patterns::default(),
                render_copied_names: true,
                replace: bool_input(input, "replace")?.unwrap_or(!templated),
            }
        };
        Ok(Settings {
            url,
            token,
            target,
            options,
        })
    }
}

/// `fetch:template`'s own inputs: the globs, the extension, replace.
fn template_options(input: &Map<String, Value>, values: Value) -> Result<Options, ActionError> {
    let without_templating = strings(input, "copyWithoutTemplating")?;
    let without_render = strings(input, "copyWithoutRender")?;
    if without_templating.is_some() && without_render.is_some() {
        return Err(ActionError::input(
            "copyWithoutRender",
            "cannot be used together with copyWithoutTemplating (copyWithoutRender is deprecated: use copyWithoutTemplating)",
        ));
    }
    let extension = match input.get("templateFileExtension") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) => Some(".njk".to_string()),
        Some(Value::String(s)) if !s.is_empty() => Some(if s.starts_with('.') { s.clone() } else { format!(".{s}") }),
        Some(_) => {
            return Err(ActionError::input(
                "templateFileExtension",
                "must be true, false or an extension",
            ));
        }
    };
    let (field, patterns) = match (&without_templating, &without_render) {
        (_, Some(p)) => ("copyWithoutRender", p.clone()),
        (Some(p), None) => ("copyWithoutTemplating", p.clone()),
        (None, None) => ("copyWithoutTemplating", Vec::new()),
    };
    if extension.is_some() && !patterns.is_empty() {
        return Err(ActionError::input(
            "templateFileExtension",
            format!("cannot be combined with {field}: with an extension, only the files having it are rendered"),
        ));
    }
    Ok(Options {
        values: Some(values),
        extension,
        copy_only: Patterns::new(field, &patterns)?,
        render_copied_names: without_render.is_none(),
        replace: bool_input(input, "replace")?.unwrap_or(false),
    })
}

fn strings(input: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, ActionError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ActionError::input(field, "must be a list of globs"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ActionError::input(field, "must be a list of globs")),
    }
}

fn bool_input(input: &Map<String, Value>, field: &str) -> Result<Option<bool>, ActionError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ActionError::input(field, "must be true or false")),
    }
}

/// What the blocking copy needs, owned.
struct Job {
    workspace: workspace::Workspace,
    renderer: crate::render::Renderer,
    events: tokio::sync::mpsc::UnboundedSender<crate::runner::RunEvent>,
    step: String,
    cancel: tokio::sync::watch::Receiver<bool>,
    deadline: Instant,
}

impl Job {
    fn run(&self, from: &std::path::Path, is_dir: bool, settings: Settings) -> Result<usize, ActionError> {
        let log = |message: String| {
            let _ = self.events.send(crate::runner::RunEvent::Log {
                step: Some(self.step.clone()),
                message,
            });
        };
        let cancelled = || *self.cancel.borrow();
        let target = Target {
            workspace: &self.workspace,
            dir: &settings.target,
            renderer: &self.renderer,
            deadline: self.deadline,
            cancelled: &cancelled,
            log: &log,
        };
        if is_dir {
            copy::copy_tree(from, &settings.options, &target)
        } else {
            copy::copy_file(from, &settings.options, &target)
        }
    }
}

mod schema;
