//! API definitions for the entity page: OpenAPI as a list of operations, anything else as text
//! with light highlighting. Parsed on the server so the browser needs no YAML parser.

use serde_json::Value;

use super::super::types::{ApiDefinition, OpenApiView, Operation, Parameter};

/// Most operations listed; larger documents are cut with a note in the description.
const MAX_OPERATIONS: usize = 500;
/// Most lines of a text definition shown.
const MAX_LINES: usize = 5_000;
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Renders a definition of the given API type.
pub fn render(api_type: &str, text: &str) -> ApiDefinition {
    if api_type.eq_ignore_ascii_case("openapi") {
        if let Some(view) = parse(text).and_then(|doc| openapi(&doc)) {
            return ApiDefinition::OpenApi(view);
        }
    }
    let language = if text.trim_start().starts_with('{') {
        "json"
    } else if api_type == "graphql" || api_type == "grpc" {
        api_type
    } else {
        "yaml"
    };
    ApiDefinition::Text {
        language: language.to_string(),
        lines: highlight(text),
    }
}

fn parse(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Some(v);
    }
    let docs = catalog::read::read_documents(text.as_bytes(), &catalog::read::ReadLimits::default()).ok()?;
    docs.into_iter().next()?.value.ok().flatten()
}

fn openapi(doc: &Value) -> Option<OpenApiView> {
    let paths = doc.get("paths")?.as_object()?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut operations = Vec::new();
    for (path, item) in paths {
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut parameters: Vec<Parameter> = shared
                .iter()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .map(|p| parameter(doc, p))
                .collect();
            parameters.dedup_by(|a, b| a.name == b.name && a.location == b.location);
            let request_body = op.get("requestBody").map(|b| {
                let body = resolve(doc, b);
                let media = body["content"]
                    .as_object()
                    .map(|c| c.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                let schema = body["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map(|m| schema_name(doc, &m["schema"]))
                    .unwrap_or_default();
                [media, schema]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ")
            });
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(code, r)| (code.clone(), text(&resolve(doc, r)["description"])))
                .collect();
            operations.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                description: text(&op["description"]),
                parameters,
                request_body,
                responses,
            });
            if operations.len() >= MAX_OPERATIONS {
                break;
            }
        }
    }
    let info = &doc["info"];
    let servers = doc["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["url"].as_str())
        .map(str::to_string)
        .collect();
    Some(OpenApiView {
        title: text(&info["title"]),
        version: text(&info["version"]),
        description: text(&info["description"]),
        servers,
        operations,
    })
}

fn parameter(doc: &Value, p: &Value) -> Parameter {
    let p = resolve(doc, p);
    Parameter {
        name: p["name"].as_str().unwrap_or_default().to_string(),
        location: p["in"].as_str().unwrap_or_default().to_string(),
        required: p["required"].as_bool().unwrap_or(false),
        schema: schema_name(doc, &p["schema"]),
    }
}

/// `string`, `array of Pet`, `Order`…
fn schema_name(doc: &Value, schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    match schema["type"].as_str() {
        Some("array") => format!("array of {}", schema_name(doc, &schema["items"])),
        Some(t) => schema["format"]
            .as_str()
            .map_or(t.to_string(), |f| format!("{t} ({f})")),
        None => String::new(),
    }
}

/// Follows a local `$ref` (`#/components/...`) one level.
fn resolve(doc: &Value, value: &Value) -> Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        Some(path) => path.split('/').fold(doc, |v, part| &v[part]).clone(),
        None => value.clone(),
    }
}

/// Splits each line into (class, text) pieces: keys, strings, numbers, comments.
fn highlight(text: &str) -> Vec<Vec<(String, String)>> {
    text.lines()
        .take(MAX_LINES)
        .map(|line| {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            if trimmed.starts_with('#') || trimmed.starts_with("//") {
                return vec![
                    (String::new(), indent.to_string()),
                    ("tok-comment".into(), trimmed.to_string()),
                ];
            }
            match key_split(trimmed) {
                Some((key, rest)) => {
                    let class = value_class(rest.trim());
                    vec![
                        (String::new(), indent.to_string()),
                        ("tok-key".into(), key.to_string()),
                        (class.into(), rest.to_string()),
                    ]
                }
                None => vec![
                    (String::new(), indent.to_string()),
                    (value_class(trimmed).into(), trimmed.to_string()),
                ],
            }
        })
        .collect()
}

fn key_split(line: &str) -> Option<(&str, &str)> {
    let body = line.strip_prefix("- ").unwrap_or(line);
    let at = body.find(':')?;
    let key = &line[..line.len() - body.len() + at + 1];
    let valid = body[..at]
        .chars()
        .all(|c| c.is_alphanumeric() || "_-$\"' ./{}".contains(c));
    valid.then(|| (key, &line[key.len()..]))
}

fn value_class(value: &str) -> &'static str {
    let v = value.trim_end_matches(',');
    if v.starts_with('"') || v.starts_with('\'') {
        "tok-string"
    } else if v.parse::<f64>().is_ok() || matches!(v, "true" | "false" | "null") {
        "tok-literal"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_operations_are_listed_with_parameters_and_responses() {
        let doc = "openapi: 3.0.0\ninfo: {title: Pets, version: '2'}\npaths:\n  /pets/{id}:\n    parameters:\n      - {name: id, in: path, required: true, schema: {type: string}}\n    get:\n      summary: One pet\n      responses:\n        '200': {description: The pet}\n        '404': {$ref: '#/components/responses/NotFound'}\ncomponents:\n  responses:\n    NotFound: {description: No such pet}\n";
        let ApiDefinition::OpenApi(view) = render("openapi", doc) else {
            panic!("not parsed")
        };
        assert_eq!((view.title.as_str(), view.version.as_str()), ("Pets", "2"));
        let op = &view.operations[0];
        assert_eq!(
            (op.method.as_str(), op.path.as_str(), op.summary.as_str()),
            ("GET", "/pets/{id}", "One pet")
        );
        assert_eq!(op.parameters[0].name, "id");
        assert!(op.responses.contains(&("404".into(), "No such pet".into())));
    }

    #[test]
    fn other_definitions_are_highlighted_text() {
        let ApiDefinition::Text { lines, .. } = render("asyncapi", "asyncapi: 2.0.0\n# comment\ncount: 3\n") else {
            panic!()
        };
        assert_eq!(lines[0][1], ("tok-key".to_string(), "asyncapi:".to_string()));
        assert_eq!(lines[1][1].0, "tok-comment");
        assert_eq!(lines[2][2].0, "tok-literal");
    }
}
