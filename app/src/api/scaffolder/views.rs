//! Server side of the scaffolder's server functions: turning the service's answers (templates,
//! tasks, dry runs, errors) into what pages show.

use leptos::prelude::ServerFnError;
use serde_json::{Map, Value};

use catalog::model::entity_ref::EntityRef;
use catalog::model::filter::Filter;
use templates::model::{ModelError, Template, schema};
use templates::service::{Scaffolder, ScaffolderError, TemplateSummary};

use super::{DryRunOutcome, DryRunView, MAX_VALUES_BYTES, PreviewFile, TaskEvent, TaskView, TemplateCard};

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

/// Template entities the scaffolder cannot read at all (another `apiVersion`, no `steps`), as
/// disabled cards with the reason: the gallery never hides a template silently.
pub async fn unreadable_cards(scaffolder: &Scaffolder) -> Result<Vec<TemplateCard>, catalog::store::StoreError> {
    let filter = Filter::Field {
        key: "kind".into(),
        values: vec!["template".into()],
    };
    let page = scaffolder
        .catalog
        .store
        .list_entities(&super::picker_query::request(Some(filter), catalog::store::MAX_LIMIT))
        .await?;
    Ok(page
        .items
        .iter()
        .filter_map(|entity| Template::from_entity(entity).err().map(|e| unreadable(entity, &e)))
        .collect())
}

fn unreadable(entity: &Value, error: &ModelError) -> TemplateCard {
    let metadata = entity.get("metadata").cloned().unwrap_or_default();
    let text = |key: &str| metadata.get(key).and_then(Value::as_str).map(str::to_string);
    let name = text("name").unwrap_or_default();
    let namespace = text("namespace").unwrap_or_else(|| "default".into());
    TemplateCard {
        entity_ref: format!("template:{namespace}/{name}").to_lowercase(),
        title: text("title").unwrap_or_else(|| name.clone()),
        description: text("description"),
        tags: metadata
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
        owner: entity
            .pointer("/spec/owner")
            .and_then(Value::as_str)
            .map(str::to_string),
        template_type: entity.pointer("/spec/type").and_then(Value::as_str).map(str::to_string),
        problems: vec![error.to_string()],
        namespace,
        name,
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

/// A dry run of a catalog template: the values are checked first, as Create would. The charts it
/// generates are estimated at `prices` (the rates of the cluster the `cluster` value names, if
/// any, else the defaults).
pub async fn dry_run(
    scaffolder: &Scaffolder,
    namespace: &str,
    name: &str,
    values: Map<String, Value>,
    prices: &cost::prices::PriceSettings,
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
    let texts: Vec<(&str, &str)> = report
        .files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.text.as_deref()?)))
        .collect();
    let cluster = values.get("cluster").and_then(Value::as_str);
    let estimates = cost::estimate::from_files(&texts, cluster, prices);
    Ok(DryRunOutcome::Report(DryRunView {
        estimates,
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
    fn values_are_an_object_and_bounded() {
        assert_eq!(parse_values(r#"{"name": "x"}"#).unwrap()["name"], json!("x"));
        assert!(parse_values("[1]").is_err());
        assert!(parse_values(&format!(r#"{{"a": "{}"}}"#, "x".repeat(MAX_VALUES_BYTES))).is_err());
    }

    #[test]
    fn unreadable_templates_become_disabled_cards_with_the_reason() {
        let entity = json!({"apiVersion": "backstage.io/v1beta2", "kind": "Template",
            "metadata": {"name": "Old", "title": "Old one", "tags": ["legacy"]}, "spec": {"owner": "team-a", "type": "service"}});
        let error = Template::from_entity(&entity).unwrap_err();
        let card = unreadable(&entity, &error);
        assert_eq!(card.entity_ref, "template:default/old");
        assert_eq!(card.title, "Old one");
        assert_eq!(card.tags, vec!["legacy".to_string()]);
        assert!(card.problems[0].starts_with("apiVersion:"), "{:?}", card.problems);
    }
}
