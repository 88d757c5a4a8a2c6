//! `catalog:register`: registers the new repository's catalog file as a location, so the service
//! is in the catalog as soon as the task ends (the registration reads it at once).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Action, ActionContext, ActionError, ActionFuture, optional_str};

pub fn actions() -> Vec<Arc<dyn Action>> {
    vec![Arc::new(Register)]
}

struct Register;

impl Action for Register {
    fn id(&self) -> &'static str {
        "catalog:register"
    }

    fn description(&self) -> &'static str {
        "Registers entities from a catalog descriptor file in the software catalog."
    }

    fn input_schema(&self) -> Value {
        json!({
            "oneOf": [
                {"type": "object", "required": ["catalogInfoUrl"], "properties": {
                    "catalogInfoUrl": {"type": "string", "title": "Catalog Info URL", "description": "An absolute URL pointing to the catalog info file location"},
                    "optional": {"type": "boolean", "title": "Optional", "description": "Permit the registered location to optionally exist. Default: false"}
                }},
                {"type": "object", "required": ["repoContentsUrl"], "properties": {
                    "repoContentsUrl": {"type": "string", "title": "Repository Contents URL", "description": "An absolute URL pointing to the root of a repository directory tree (a publish action's repoContentsUrl)"},
                    "catalogInfoPath": {"type": "string", "title": "Fetch URL", "description": "A relative path from the repo root pointing to the catalog info file, defaults to /catalog-info.yaml"},
                    "optional": {"type": "boolean", "title": "Optional", "description": "Permit the registered location to optionally exist. Default: false"}
                }}
            ]
        })
    }

    fn output_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "entityRef": {"type": "string", "description": "The main entity the location provided (its first non-Location entity)"},
            "catalogInfoUrl": {"type": "string", "description": "The registered location's target"}
        }})
    }

    fn supports_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a> {
        Box::pin(register(ctx, input))
    }
}

async fn register(ctx: &ActionContext, input: Map<String, Value>) -> Result<Map<String, Value>, ActionError> {
    let (location_type, target, path) = location(&input)?;
    let optional = input.get("optional").and_then(Value::as_bool).unwrap_or(false);
    if ctx.dry_run {
        // Nothing is registered; the entity is read from the file that would be published.
        ctx.log(format!("Would register {location_type} location {target}"));
        let entity_ref = workspace_entity_ref(ctx, &path);
        return Ok(output(&target, entity_ref));
    }
    let catalog = ctx
        .services
        .catalog
        .as_ref()
        .ok_or_else(|| ActionError::Failed("no catalog to register into".into()))?;
    ctx.log(format!("Registering {location_type} location {target}"));
    let registration = match catalog.register(&location_type, &target, false).await {
        Ok(registration) => registration,
        Err(err) if optional => {
            ctx.log(format!("The location could not be registered and is optional: {err}"));
            return Ok(output(&target, None));
        }
        Err(err) => return Err(ActionError::Failed(format!("registering {target} failed: {err}"))),
    };
    ctx.side_effect(format!("registered {location_type} location {target} in the catalog"));
    for problem in &registration.listing.problems {
        ctx.log(format!("Problem in the catalog file: {problem}"));
    }
    let entity_ref = main_entity_ref(&registration.listing.entities);
    if let Some(entity_ref) = &entity_ref {
        ctx.log(format!("Registered {entity_ref}"));
    }
    Ok(output(&target, entity_ref))
}

fn output(target: &str, entity_ref: Option<String>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("catalogInfoUrl".into(), json!(target));
    if let Some(entity_ref) = entity_ref {
        out.insert("entityRef".into(), json!(entity_ref));
    }
    out
}

/// (location type, target, path of the file inside the repository). A `repoContentsUrl` with a
/// `?ref=` query is a generic Git remote (`publish:git`): a `git` location; otherwise a URL.
fn location(input: &Map<String, Value>) -> Result<(String, String, String), ActionError> {
    if let Some(url) = optional_str(input, "catalogInfoUrl")? {
        let path = url.rsplit_once("/blob/").map_or("catalog-info.yaml", |(_, rest)| {
            rest.split_once('/').map_or("catalog-info.yaml", |(_, path)| path)
        });
        let location_type = if url.contains("?ref=") { "git" } else { "url" };
        return Ok((location_type.into(), url.into(), path.into()));
    }
    let contents = optional_str(input, "repoContentsUrl")?
        .ok_or_else(|| ActionError::input("repoContentsUrl", "is required (or give catalogInfoUrl)"))?;
    let path = optional_str(input, "catalogInfoPath")?.unwrap_or("/catalog-info.yaml");
    let relative = path.trim_start_matches('/');
    if relative.is_empty() || relative.split('/').any(|s| s == "..") {
        return Err(ActionError::input(
            "catalogInfoPath",
            "must be a file path inside the repository",
        ));
    }
    if let Some((repo, query)) = contents.split_once('?') {
        let reference = query.split('&').find_map(|p| p.strip_prefix("ref=")).ok_or_else(|| {
            ActionError::input("repoContentsUrl", "a Git remote's contents URL needs `?ref=<branch>`")
        })?;
        return Ok((
            "git".into(),
            format!("{repo}?ref={reference}&path={relative}"),
            relative.into(),
        ));
    }
    Ok((
        "url".into(),
        format!("{}/{relative}", contents.trim_end_matches('/')),
        relative.into(),
    ))
}

/// The entity a person wants to open: the first that is not a Location.
fn main_entity_ref(entities: &[Value]) -> Option<String> {
    let reference = |e: &Value| {
        let kind = e.get("kind")?.as_str()?.to_lowercase();
        let metadata = e.get("metadata")?;
        let namespace = metadata.get("namespace").and_then(Value::as_str).unwrap_or("default");
        let name = metadata.get("name")?.as_str()?;
        Some(format!("{kind}:{namespace}/{name}"))
    };
    entities
        .iter()
        .find(|e| e.get("kind").and_then(Value::as_str) != Some("Location"))
        .or(entities.first())
        .and_then(reference)
}

/// In a dry run: the main entity of the catalog file in the workspace, when it is there.
fn workspace_entity_ref(ctx: &ActionContext, path: &str) -> Option<String> {
    let bytes = std::fs::read(ctx.workspace.root().join(path)).ok()?;
    let limits = catalog::read::documents::ReadLimits::default();
    let entities: Vec<Value> = catalog::read::documents::read_documents(&bytes, &limits)
        .ok()?
        .into_iter()
        .filter_map(|doc| doc.value.ok().flatten())
        .collect();
    main_entity_ref(&entities)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn url_and_git_locations() {
        let github = location(&input(
            json!({"repoContentsUrl": "https://github.com/acme/svc/blob/main"}),
        ))
        .unwrap();
        assert_eq!(
            github,
            (
                "url".into(),
                "https://github.com/acme/svc/blob/main/catalog-info.yaml".into(),
                "catalog-info.yaml".into()
            )
        );
        let git = location(&input(
            json!({"repoContentsUrl": "file:///srv/svc.git?ref=main", "catalogInfoPath": "/docs/catalog.yaml"}),
        ))
        .unwrap();
        assert_eq!(git.1, "file:///srv/svc.git?ref=main&path=docs/catalog.yaml");
        assert!(
            location(&input(
                json!({"repoContentsUrl": "https://x/y/blob/main", "catalogInfoPath": "../x"})
            ))
            .is_err()
        );
        assert!(location(&input(json!({}))).is_err());
    }

    #[test]
    fn main_entity_skips_locations() {
        let entities = vec![
            json!({"kind": "Location", "metadata": {"name": "l"}}),
            json!({"kind": "Component", "metadata": {"name": "svc", "namespace": "team"}}),
        ];
        assert_eq!(main_entity_ref(&entities).as_deref(), Some("component:team/svc"));
    }
}
