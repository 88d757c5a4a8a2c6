//! Step expressions checked when a template is loaded: those that cannot compile, and filters
//! Cairn lacks (`now`, a plugin's), each named by its field.

use serde_json::Value;

use crate::model::{ModelError, Template};
use crate::render::Renderer;

/// Step expressions that cannot compile, or use filters Cairn lacks (`now`, a plugin's), named by
/// field when the template is loaded rather than when the step runs.
pub(super) fn problems(template: &Template, renderer: &Renderer) -> Vec<ModelError> {
    fn walk(value: &Value, field: String, renderer: &Renderer, out: &mut Vec<ModelError>) {
        match value {
            Value::String(text) if text.contains("${{") || text.contains("{%") => {
                if let Err(err) = renderer.check_syntax(text) {
                    out.push(ModelError::at(field, format!("the expression cannot be read: {err}")));
                } else {
                    for filter in renderer.unknown_filters(text) {
                        out.push(ModelError::at(
                            field.clone(),
                            format!("the filter `{filter}` is not available in Cairn"),
                        ));
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{field}.{i}"), renderer, out);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    walk(item, format!("{field}.{key}"), renderer, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (i, step) in template.steps.iter().enumerate() {
        walk(
            &Value::Object(step.input.clone()),
            format!("spec.steps.{i}.input"),
            renderer,
            &mut out,
        );
        if let Some(condition) = &step.condition {
            walk(condition, format!("spec.steps.{i}.if"), renderer, &mut out);
        }
        if let Some(each) = &step.each {
            walk(each, format!("spec.steps.{i}.each"), renderer, &mut out);
        }
    }
    walk(
        &Value::Object(template.output.clone()),
        "spec.output".into(),
        renderer,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_filters_and_broken_expressions_are_named_at_load() {
        let entity = json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template", "metadata": {"name": "t"},
            "spec": {"steps": [
                {"action": "debug:log", "input": {"message": "${{ '' | now }}", "fine": "${{ parameters.x | lower }}"}},
                {"action": "debug:log", "if": "${{ parameters.x == }}", "input": {}}
            ]}
        });
        let template = Template::from_entity(&entity).unwrap();
        let problems = problems(&template, &Renderer::new(1_000_000));
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["spec.steps.0.input.message", "spec.steps.1.if"],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("`now`"));
    }
}
