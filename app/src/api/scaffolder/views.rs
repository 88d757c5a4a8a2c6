//! Server side of the scaffolder's server functions: turning the service's answers into what
//! pages show, and the pickers' catalog queries.

use leptos::prelude::ServerFnError;
use serde_json::{Map, Value};

use catalog::model::entity_ref::EntityRef;
use catalog::model::filter::Filter;
use catalog::store::{Order, PageRequest};
use templates::model::{ModelError, Template, schema};
use templates::service::{Scaffolder, ScaffolderError, TemplateSummary};

use super::{
    DryRunOutcome, DryRunView, MAX_VALUES_BYTES, PickerOption, PreviewFile, TaskEvent, TaskView, TemplateCard,
};

/// Most options a picker lists.
const MAX_OPTIONS: usize = 500;

/// Problems as one line each.
pub fn lines(problems: &[ModelError]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// A gallery card; the owner as a full reference (Backstage's default kind for owners is Group).
pub fn card(summary: TemplateSummary) -> TemplateCard {
    let t = summary.template;
    let owner = t
        .owner
        .as_deref()
        .map(|o| EntityRef::parse(o, Some("group"), &t.namespace).map_or_else(|_| o.to_string(), |r| r.to_string()));
    TemplateCard {
        entity_ref: t.entity_ref,
        namespace: t.namespace,
        name: t.name,
        title: t.title,
        description: t.description,
        tags: t.tags,
        owner,
        template_type: t.template_type,
        problems: summary.problems.iter().map(ToString::to_string).collect(),
    }
}

/// The form values a page sent, bounded.
pub fn parse_values(text: &str) -> Result<Map<String, Value>, String> {
    if text.len() > MAX_VALUES_BYTES {
        return Err(format!("the form values are larger than {MAX_VALUES_BYTES} bytes"));
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(values)) => Ok(values),
        Ok(_) => Err("the form values must be a JSON object".into()),
        Err(e) => Err(format!("the form values are not JSON: {e}")),
    }
}

/// The filter of a picker: its kinds, and its `catalogFilter` (a mapping of field → value or
/// values, or a list of such mappings, any of which may match).
pub fn picker_filter(kinds: &str, catalog_filter: &str) -> Result<Option<Filter>, String> {
    let kinds: Vec<String> = kinds
        .split(',')
        .map(|k| k.trim().to_lowercase())
        .filter(|k| !k.is_empty())
        .collect();
    let mut all = Vec::new();
    if !kinds.is_empty() {
        all.push(Filter::Field {
            key: "kind".into(),
            values: kinds,
        });
    }
    if !catalog_filter.trim().is_empty() {
        let json: Value =
            serde_json::from_str(catalog_filter).map_err(|e| format!("catalogFilter is not JSON: {e}"))?;
        all.push(catalog_filter_of(&json)?);
    }
    Ok((!all.is_empty()).then_some(Filter::All(all)))
}

fn catalog_filter_of(json: &Value) -> Result<Filter, String> {
    match json {
        Value::Array(alternatives) => Ok(Filter::Any(
            alternatives.iter().map(catalog_filter_of).collect::<Result<_, _>>()?,
        )),
        Value::Object(fields) => Ok(Filter::All(
            fields
                .iter()
                .map(|(key, value)| {
                    let values = match value {
                        Value::String(v) => vec![v.clone()],
                        Value::Array(vs) => vs.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                        // `{exists: true}`: the field is present, whatever its value.
                        Value::Object(_) => Vec::new(),
                        other => vec![other.to_string()],
                    };
                    Filter::Field {
                        key: key.to_lowercase(),
                        values,
                    }
                })
                .collect(),
        )),
        _ => Err("catalogFilter must be a mapping or a list of mappings".into()),
    }
}

/// The entities matching a picker's filter, by name.
pub async fn picker_options(
    scaffolder: &Scaffolder,
    filter: Option<Filter>,
) -> Result<Vec<PickerOption>, catalog::store::StoreError> {
    let request = PageRequest {
        filter,
        full_text: None,
        full_text_fields: Vec::new(),
        order: vec![Order {
            field: "metadata.name".into(),
            descending: false,
        }],
        limit: MAX_OPTIONS,
        offset: 0,
        after: None,
        backwards: false,
    };
    let page = scaffolder.catalog.store.list_entities(&request).await?;
    Ok(page.items.iter().filter_map(option).collect())
}

fn option(entity: &Value) -> Option<PickerOption> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let kind = text(entity.get("kind")?)?;
    let metadata = entity.get("metadata")?;
    let name = text(metadata.get("name")?)?;
    let namespace = metadata
        .get("namespace")
        .and_then(text)
        .unwrap_or_else(|| "default".into());
    let entity_ref = EntityRef::new(&kind, &namespace, &name).to_string();
    let title = metadata.get("title").and_then(text);
    let label = match title {
        Some(title) => format!("{title} ({entity_ref})"),
        None => entity_ref.clone(),
    };
    Some(PickerOption { entity_ref, label })
}

/// A task with its events so far.
pub async fn task(scaffolder: &Scaffolder, id: &str) -> Result<Option<TaskView>, ScaffolderError> {
    let Some(row) = scaffolder.task(id).await? else {
        return Ok(None);
    };
    let events = scaffolder.events(id, 0).await?;
    let template = Template::from_entity(&row.spec["templateInfo"]["entity"]).ok();
    Ok(Some(TaskView {
        id: row.id,
        status: row.status,
        template_title: template
            .as_ref()
            .map_or_else(|| row.template_ref.clone(), |t| t.title.clone()),
        template_ref: row.template_ref,
        steps: template
            .map(|t| t.steps.into_iter().map(|s| (s.id, s.name)).collect())
            .unwrap_or_default(),
        events: events
            .iter()
            .map(|e| TaskEvent::new(e.id, &e.event_type, &e.body))
            .collect(),
    }))
}

/// A dry run of a catalog template: the values are checked first, as Create would.
pub async fn dry_run(
    scaffolder: &Scaffolder,
    namespace: &str,
    name: &str,
    values: Map<String, Value>,
) -> Result<DryRunOutcome, ServerFnError> {
    let found = scaffolder.template(namespace, name).await.map_err(failure)?;
    let (template, _, _) =
        found.ok_or_else(|| ServerFnError::new(format!("there is no template {namespace}/{name}")))?;
    let invalid = schema::validate(&template.pages, &schema::with_defaults(&template.pages, &values));
    if !invalid.is_empty() {
        return Ok(DryRunOutcome::Invalid(invalid));
    }
    let report = scaffolder
        .dry_run_template(namespace, name, &values)
        .await
        .map_err(failure)?;
    Ok(DryRunOutcome::Report(DryRunView {
        files: report
            .files
            .into_iter()
            .map(|f| PreviewFile {
                path: f.path,
                size: f.size,
                executable: f.executable,
                text: f.text,
            })
            .collect(),
        log: report
            .log
            .iter()
            .filter_map(|body| body.get("message").and_then(Value::as_str).map(str::to_string))
            .collect(),
        error: report.error,
    }))
}

/// A service error as the page shows it: what the person can act on, internals only logged.
pub fn failure(err: ScaffolderError) -> ServerFnError {
    match err {
        ScaffolderError::Unsupported(problems) => ServerFnError::new(lines(&problems)),
        ScaffolderError::NotFound(m) | ScaffolderError::BadRequest(m) => ServerFnError::new(m),
        other => super::internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picker_filters_combine_kinds_and_catalog_filter() {
        assert_eq!(picker_filter("", "").unwrap(), None);
        let filter = picker_filter(
            "Group, User",
            r#"[{"spec.type": "team"}, {"metadata.name": ["a", "b"]}]"#,
        )
        .unwrap()
        .unwrap();
        let Filter::All(parts) = filter else {
            panic!("not all: {filter:?}")
        };
        assert_eq!(
            parts[0],
            Filter::Field {
                key: "kind".into(),
                values: vec!["group".into(), "user".into()]
            }
        );
        assert!(matches!(&parts[1], Filter::Any(alternatives) if alternatives.len() == 2));
        assert!(picker_filter("", "3").unwrap_err().contains("mapping"));
        assert!(picker_filter("", "{").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn values_are_an_object_and_bounded() {
        assert_eq!(parse_values(r#"{"name": "x"}"#).unwrap()["name"], json!("x"));
        assert!(parse_values("[1]").is_err());
        assert!(parse_values(&format!(r#"{{"a": "{}"}}"#, "x".repeat(MAX_VALUES_BYTES))).is_err());
    }

    #[test]
    fn options_are_full_references_with_titles() {
        let entity = json!({"kind": "Group", "metadata": {"name": "Team-A", "title": "Team A"}});
        let option = option(&entity).unwrap();
        assert_eq!(option.entity_ref, "group:default/team-a");
        assert_eq!(option.label, "Team A (group:default/team-a)");
    }
}
