//! A template entity as the scaffolder reads it: its parameter pages, its steps and its output.
//! Everything a template uses that Cairn cannot do is found here, when the template is loaded.

pub mod schema;
pub mod support;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A template could not be read: what and where (`field` is a dotted path such as `spec.steps.2.action`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ModelError {
    pub field: String,
    pub message: String,
}

impl ModelError {
    pub fn at(field: impl Into<String>, message: impl Into<String>) -> ModelError {
        ModelError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A `kind: Template` entity, read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// `template:namespace/name`.
    pub entity_ref: String,
    pub namespace: String,
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// `spec.owner` as written (an entity ref, possibly without kind).
    pub owner: Option<String>,
    /// `spec.type` (service, website, library…).
    pub template_type: Option<String>,
    /// The form, one page per element (a single mapping is one page).
    pub pages: Vec<ParameterPage>,
    pub steps: Vec<Step>,
    /// `spec.output` as written (`links`, `text`, other keys are values), rendered after the steps.
    pub output: Map<String, Value>,
    /// Where the template was read from, against which `./skeleton` URLs resolve: as Backstage's
    /// `getEntityBaseUrl`, `backstage.io/source-location`, else `backstage.io/managed-by-location`
    /// (the template's own file; the origin location may be another file that only points to it).
    pub base_url: Option<String>,
    /// The keys of `spec` as written, so that `support::check` can name the ones Cairn does not
    /// run (`EXPERIMENTAL_recovery`, …).
    #[serde(default)]
    pub spec_keys: Vec<String>,
}

/// One page of the form: a JSON Schema object with Backstage's `ui:` extensions kept as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterPage {
    pub title: Option<String>,
    pub description: Option<String>,
    /// The page as written (`properties`, `required`, `dependencies`, `allOf`, `ui:*`…).
    pub schema: Value,
}

/// One step of `spec.steps`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// `id`, or `step-N` (1-based) when the template gives none.
    pub id: String,
    /// `name`, or the action's id.
    pub name: String,
    pub action: String,
    pub input: Map<String, Value>,
    /// `if`: a boolean, or an expression rendered against the context.
    pub condition: Option<Value>,
    /// `each`: an expression giving a list; the step runs once per item (`${{ each.value }}`).
    pub each: Option<Value>,
}

const API_VERSION: &str = "scaffolder.backstage.io/v1beta3";

impl Template {
    /// Reads a template entity (the catalog's JSON). Fails on anything the scaffolder could not run
    /// whatever the values: a wrong apiVersion, a missing `steps`, a step without `action`.
    pub fn from_entity(entity: &Value) -> Result<Template, ModelError> {
        let api_version = entity.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        if api_version != API_VERSION {
            return Err(ModelError::at(
                "apiVersion",
                format!("is `{api_version}`; the scaffolder runs `{API_VERSION}` templates"),
            ));
        }
        if entity.get("kind").and_then(Value::as_str) != Some("Template") {
            return Err(ModelError::at("kind", "must be `Template`"));
        }
        let metadata = entity
            .get("metadata")
            .and_then(Value::as_object)
            .ok_or_else(|| ModelError::at("metadata", "must be a mapping"))?;
        let text = |key: &str| metadata.get(key).and_then(Value::as_str).map(str::to_string);
        let name = text("name").ok_or_else(|| ModelError::at("metadata.name", "is required"))?;
        let namespace = text("namespace").unwrap_or_else(|| "default".into());
        let spec = entity
            .get("spec")
            .and_then(Value::as_object)
            .ok_or_else(|| ModelError::at("spec", "must be a mapping"))?;
        let annotations = metadata.get("annotations").and_then(Value::as_object);
        let annotation = |key: &str| annotations.and_then(|a| a.get(key)).and_then(Value::as_str);
        let base_url = annotation("backstage.io/source-location")
            .or_else(|| annotation("backstage.io/managed-by-location"))
            .or_else(|| annotation("backstage.io/managed-by-origin-location"))
            .map(|l| l.split_once(':').map_or(l, |(_, target)| target).to_string());
        Ok(Template {
            entity_ref: format!("template:{namespace}/{name}").to_lowercase(),
            title: text("title").unwrap_or_else(|| name.clone()),
            description: text("description"),
            tags: metadata
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            owner: spec.get("owner").and_then(Value::as_str).map(str::to_string),
            template_type: spec.get("type").and_then(Value::as_str).map(str::to_string),
            pages: pages(spec.get("parameters"))?,
            steps: steps(spec.get("steps"))?,
            output: spec
                .get("output")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            base_url,
            spec_keys: spec.keys().cloned().collect(),
            namespace,
            name,
        })
    }
}

fn pages(parameters: Option<&Value>) -> Result<Vec<ParameterPage>, ModelError> {
    let list = match parameters {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(_)) => vec![parameters.cloned().unwrap_or_default()],
        Some(Value::Array(pages)) => pages.clone(),
        Some(_) => {
            return Err(ModelError::at(
                "spec.parameters",
                "must be a mapping or a list of mappings",
            ));
        }
    };
    list.into_iter()
        .enumerate()
        .map(|(i, page)| {
            if !page.is_object() {
                return Err(ModelError::at(format!("spec.parameters.{i}"), "must be a mapping"));
            }
            let text = |key: &str| page.get(key).and_then(Value::as_str).map(str::to_string);
            Ok(ParameterPage {
                title: text("title"),
                description: text("description"),
                schema: page,
            })
        })
        .collect()
}

fn steps(steps: Option<&Value>) -> Result<Vec<Step>, ModelError> {
    let steps = steps
        .and_then(Value::as_array)
        .ok_or_else(|| ModelError::at("spec.steps", "must be a list of steps"))?;
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let at = |f: &str| format!("spec.steps.{i}{f}");
            let step = step
                .as_object()
                .ok_or_else(|| ModelError::at(at(""), "must be a mapping with an `action`"))?;
            let action = step
                .get("action")
                .and_then(Value::as_str)
                .ok_or_else(|| ModelError::at(at(".action"), "is required and must be text"))?
                .to_string();
            let input = match step.get("input") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(input)) => input.clone(),
                Some(_) => return Err(ModelError::at(at(".input"), "must be a mapping")),
            };
            let id = step
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("step-{}", i + 1), str::to_string);
            Ok(Step {
                name: step.get("name").and_then(Value::as_str).unwrap_or(&action).to_string(),
                id,
                action,
                input,
                condition: step.get("if").cloned(),
                each: step.get("each").cloned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_pages_steps_and_base() {
        let entity = json!({
            "apiVersion": API_VERSION, "kind": "Template",
            "metadata": {"name": "svc", "title": "Service", "tags": ["rust"],
                "annotations": {"backstage.io/managed-by-origin-location": "file:/t/template.yaml"}},
            "spec": {"owner": "group:platform", "type": "service",
                "parameters": {"title": "One", "properties": {"name": {"type": "string"}}},
                "steps": [{"action": "debug:log", "input": {"message": "hi"}}, {"id": "x", "name": "X", "action": "fetch:plain"}]}
        });
        let t = Template::from_entity(&entity).unwrap();
        assert_eq!(t.entity_ref, "template:default/svc");
        assert_eq!(t.pages.len(), 1);
        assert_eq!(t.pages[0].title.as_deref(), Some("One"));
        assert_eq!(t.steps[0].id, "step-1");
        assert_eq!(t.steps[0].name, "debug:log");
        assert_eq!(t.steps[1].id, "x");
        assert_eq!(t.base_url.as_deref(), Some("/t/template.yaml"));
    }

    #[test]
    fn refuses_other_versions_and_missing_actions() {
        let old = json!({"apiVersion": "backstage.io/v1beta2", "kind": "Template", "metadata": {"name": "t"}, "spec": {"steps": []}});
        assert_eq!(Template::from_entity(&old).unwrap_err().field, "apiVersion");
        let bad = json!({"apiVersion": API_VERSION, "kind": "Template", "metadata": {"name": "t"}, "spec": {"steps": [{"input": {}}]}});
        assert_eq!(Template::from_entity(&bad).unwrap_err().field, "spec.steps.0.action");
    }
}
