//! What a template needs that Cairn lacks (an action, a form field, a schema keyword, a task
//! secret), found when the template is loaded rather than at its last step.

use serde_json::{Map, Value};

use super::schema::{self, SUPPORTED_FIELDS};
use super::{ModelError, Template};

/// rjsf's own widgets that Cairn's wizard draws (`file`, a data URL upload, is not among them).
const WIDGETS: &[&str] = &[
    "text",
    "textarea",
    "password",
    "email",
    "uri",
    "url",
    "hidden",
    "radio",
    "select",
    "checkbox",
    "checkboxes",
    "updown",
    "range",
    "date",
    "datetime",
    "time",
    "color",
];

/// Keywords that change what a value may be and that Cairn's validation does not implement:
/// ignoring them would accept values Backstage refuses, so a template using them is refused.
const UNSUPPORTED_KEYWORDS: &[(&str, &str)] = &[
    ("$ref", "schema references are not supported; write the schema in place"),
    ("patternProperties", "is not supported"),
    ("propertyNames", "is not supported"),
    ("contains", "is not supported"),
    ("additionalItems", "is not supported"),
    ("minProperties", "is not supported"),
    ("maxProperties", "is not supported"),
];

/// Step inputs Cairn's actions refuse whatever the values, so that the template is refused when
/// it is loaded rather than at that step: `(action, input, why)`, refused when the input is `true`
/// or an expression that may give `true`.
const REFUSED_INPUTS: &[(&str, &str, &str)] = &[
    (
        "fetch:template",
        "cookiecutterCompat",
        "cookiecutter (Jinja2) skeletons are not supported by Cairn",
    ),
    (
        "fetch:template:file",
        "cookiecutterCompat",
        "cookiecutter (Jinja2) skeletons are not supported by Cairn",
    ),
];

/// Everything in the template Cairn cannot run, each naming its field; empty when it can run.
/// `actions` are the ids the server's action registry offers. Includes [`schema::check_schema`].
pub fn check(template: &Template, actions: &[&str]) -> Vec<ModelError> {
    let mut problems = Vec::new();
    for key in template.spec_keys.iter().filter(|k| k.starts_with("EXPERIMENTAL_")) {
        problems.push(ModelError::at(
            format!("spec.{key}"),
            "is an experimental Backstage feature Cairn does not support",
        ));
    }
    problems.extend(schema::check_schema(&template.pages));
    schema::visit(&template.pages, &mut |at, node| {
        problems.extend(node_problems(at, node))
    });
    for (i, step) in template.steps.iter().enumerate() {
        if !actions.contains(&step.action.as_str()) {
            problems.push(ModelError::at(
                format!("spec.steps.{i}.action"),
                format!("the action `{}` is not available in Cairn", step.action),
            ));
        }
    }
    problems.extend(refused_inputs(template));
    problems.extend(secrets(template));
    problems
}

fn refused_inputs(template: &Template) -> Vec<ModelError> {
    let mut problems = Vec::new();
    for (i, step) in template.steps.iter().enumerate() {
        for (_, input, why) in REFUSED_INPUTS.iter().filter(|(action, ..)| *action == step.action) {
            let on = match step.input.get(*input) {
                Some(Value::Bool(on)) => *on,
                Some(Value::String(text)) => text.contains("${{") || text == "true",
                _ => false,
            };
            if on {
                problems.push(ModelError::at(format!("spec.steps.{i}.input.{input}"), *why));
            }
        }
    }
    problems
}

/// What one schema of the form uses that Cairn lacks.
fn node_problems(at: &str, node: &Map<String, Value>) -> Vec<ModelError> {
    let mut problems = Vec::new();
    let mut add = |key: &str, message: String| problems.push(ModelError::at(format!("{at}.{key}"), message));
    if let Some(field) = node.get("ui:field").and_then(Value::as_str)
        && !SUPPORTED_FIELDS.contains(&field)
    {
        add(
            "ui:field",
            format!(
                "the field extension `{field}` is not available in Cairn (it has {})",
                SUPPORTED_FIELDS.join(", ")
            ),
        );
    }
    if let Some(widget) = node.get("ui:widget").and_then(Value::as_str)
        && !WIDGETS.contains(&widget)
    {
        add("ui:widget", format!("the widget `{widget}` is not available in Cairn"));
    }
    if node.get("format").and_then(Value::as_str) == Some("data-url") {
        add("format", "file uploads (`data-url`) are not supported".into());
    }
    if let Some(extra) = node.get("additionalProperties")
        && extra != &Value::Bool(true)
    {
        add(
            "additionalProperties",
            "is not supported (only `true`, the default)".into(),
        );
    }
    for (keyword, message) in UNSUPPORTED_KEYWORDS {
        if node.contains_key(*keyword) {
            add(keyword, (*message).to_string());
        }
    }
    for placeholder in ["$yaml", "$json", "$text"] {
        if node.contains_key(placeholder) {
            add(
                placeholder,
                "is a placeholder the catalog did not resolve (its file could not be read)".into(),
            );
        }
    }
    problems
}

/// References to `secrets.*` in the steps and the output. Cairn's tasks carry no secrets: the
/// form has no `Secret` field and `POST /v2/tasks` keeps no `secrets`. One exception:
/// `RepoUrlPicker`'s `requestUserCredentials` asks Backstage's browser for the person's own
/// token and stores it as `secrets.<secretsKey>`; Cairn publishes with the integration
/// credentials configured for the host instead, and Backstage's publish actions themselves fall
/// back to those when no token is given. So that request is ignored (the reference renders
/// empty, and an empty input is left out) rather than refused: the template still does what it
/// says, only under the integration's identity instead of the person's.
fn secrets(template: &Template) -> Vec<ModelError> {
    let mut granted = Vec::new();
    schema::visit(&template.pages, &mut |_, node| {
        if let Some(key) = node
            .get("ui:options")
            .and_then(|o| o.get("requestUserCredentials"))
            .and_then(|r| r.get("secretsKey"))
            .and_then(Value::as_str)
        {
            granted.push(key.to_string());
        }
    });
    let Ok(reference) = regex::Regex::new(r#"\bsecrets\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*["']([^"']+)["']\s*\])"#)
    else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let mut look = |at: String, value: &Value| {
        let mut texts = Vec::new();
        strings(value, &mut texts, 0);
        let names = texts
            .iter()
            .flat_map(|t| reference.captures_iter(t))
            .filter_map(|c| c.get(1).or(c.get(2)));
        for name in names.map(|m| m.as_str()) {
            if !granted.iter().any(|g| g == name) {
                problems.push(ModelError::at(
                    at.clone(),
                    format!("reads the secret `secrets.{name}`; Cairn's tasks carry no secrets"),
                ));
                break;
            }
        }
    };
    for (i, step) in template.steps.iter().enumerate() {
        look(format!("spec.steps.{i}.input"), &Value::Object(step.input.clone()));
        for (key, value) in [("if", &step.condition), ("each", &step.each)] {
            if let Some(value) = value {
                look(format!("spec.steps.{i}.{key}"), value);
            }
        }
    }
    look("spec.output".into(), &Value::Object(template.output.clone()));
    problems
}

/// Every text inside a value (bounded depth: templates are bounded when read).
fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>, depth: usize) {
    if depth > schema::MAX_DEPTH {
        return;
    }
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out, depth + 1)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template(parameters: Value, steps: Value, extra: Value) -> Template {
        let mut spec = json!({"parameters": parameters, "steps": steps, "output": {"text": "${{ secrets.OUT }}"}});
        if let (Some(spec), Value::Object(extra)) = (spec.as_object_mut(), extra) {
            spec.extend(extra);
        }
        let entity = json!({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
            "metadata": {"name": "t"}, "spec": spec});
        Template::from_entity(&entity).expect("a template")
    }

    fn fields_of(problems: &[ModelError]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn names_every_gap_by_its_field() {
        let parameters = json!([{"properties": {
            "a": {"type": "string", "ui:field": "SelectFieldFromApi"},
            "b": {"type": "string", "ui:field": "OwnerPicker", "ui:widget": "fancy"},
            "c": {"$ref": "#/definitions/c"},
            "d": {"type": "string", "format": "data-url", "pattern": "("},
            "e": {"type": "object", "additionalProperties": false}
        }}, {"$yaml": "./more.yaml"}]);
        let steps = json!([
            {"action": "fetch:template", "input": {"cookiecutterCompat": true}},
            {"action": "acme:deploy", "input": {"token": "${{ secrets.TOKEN }}"}}
        ]);
        let t = template(
            parameters,
            steps,
            json!({"EXPERIMENTAL_recovery": {"strategy": "startOver"}}),
        );
        let problems = check(&t, &["fetch:template"]);
        assert_eq!(
            fields_of(&problems),
            [
                "spec.EXPERIMENTAL_recovery",
                "spec.parameters.0.properties.d.pattern",
                "spec.parameters.0.properties.a.ui:field",
                "spec.parameters.0.properties.b.ui:widget",
                "spec.parameters.0.properties.c.$ref",
                "spec.parameters.0.properties.d.format",
                "spec.parameters.0.properties.e.additionalProperties",
                "spec.parameters.1.$yaml",
                "spec.steps.1.action",
                "spec.steps.0.input.cookiecutterCompat",
                "spec.steps.1.input",
                "spec.output",
            ]
        );
        assert!(
            problems[2].message.contains("`SelectFieldFromApi` is not available"),
            "{}",
            problems[2]
        );
        assert!(problems[8].message.contains("`acme:deploy`"), "{}", problems[8]);
        assert!(problems[10].message.contains("`secrets.TOKEN`"), "{}", problems[10]);
    }

    #[test]
    fn a_supported_template_has_no_problems() {
        let parameters = json!({"required": ["name"], "properties": {
            "name": {"type": "string", "ui:field": "EntityNamePicker", "ui:autofocus": true},
            "owner": {"type": "string", "ui:field": "OwnerPicker", "ui:options": {"catalogFilter": {"kind": "Group"}}},
            "repoUrl": {"type": "string", "ui:field": "RepoUrlPicker", "ui:options": {"allowedHosts": ["github.com"]}},
            "notes": {"type": "string", "ui:widget": "textarea"}
        }});
        let steps = json!([{"action": "fetch:template",
            "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}"}}}]);
        let mut t = template(parameters, steps, json!({}));
        t.output = Map::new();
        assert_eq!(check(&t, &["fetch:template"]), []);
    }

    #[test]
    fn user_credentials_requests_are_ignored_other_secrets_are_not() {
        let parameters = json!({"properties": {"repoUrl": {"type": "string", "ui:field": "RepoUrlPicker",
            "ui:options": {"requestUserCredentials": {"secretsKey": "USER_OAUTH_TOKEN"}}}}});
        let steps = json!([
            {"action": "publish:github", "input": {"token": "${{ secrets.USER_OAUTH_TOKEN or false }}"}},
            {"action": "publish:github", "if": "${{ secrets['OTHER'] }}"}
        ]);
        let mut t = template(parameters, steps, json!({}));
        t.output = Map::new();
        let problems = check(&t, &["publish:github"]);
        assert_eq!(fields_of(&problems), ["spec.steps.1.if"]);
        assert!(problems[0].message.contains("`secrets.OTHER`"));
    }
}
