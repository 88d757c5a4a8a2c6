//! Backstage's template filters (`parseRepoUrl`, `parseEntityRef`, `pick`, `projectSlug`), added
//! to a minijinja environment with the Nunjucks ones it lacks.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

/// Adds Backstage's filters and the missing Nunjucks ones to `env`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("parseRepoUrl", parse_repo_url);
    env.add_filter("projectSlug", project_slug);
    env.add_filter("parseEntityRef", parse_entity_ref);
    env.add_filter("pick", pick);
    super::nunjucks::register(env);
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// `github.com?owner=o&repo=r` → `{host, owner, repo}` (and `organization`, `workspace`,
/// `project` when given), as the RepoUrlPicker writes it.
pub fn parse_repo_url(value: &str) -> Result<Value, Error> {
    let (host, query) = value.split_once('?').unwrap_or((value, ""));
    let host = host.trim_end_matches('/');
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return Err(invalid(format!(
            "parseRepoUrl: `{value}` is not a repository URL such as github.com?owner=org&repo=name"
        )));
    }
    let mut fields = serde_json::Map::new();
    fields.insert("host".into(), host.into());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        if matches!(key, "owner" | "repo" | "organization" | "workspace" | "project") {
            let decoded = percent_decode(raw).trim_matches('/').to_string();
            fields.insert(key.into(), decoded.into());
        }
    }
    let has = |k: &str| fields.get(k).and_then(|v| v.as_str()).is_some_and(|s| !s.is_empty());
    if !has("repo") {
        return Err(invalid(format!("parseRepoUrl: `{value}` has no `repo`")));
    }
    if !has("owner") && !has("project") && !has("workspace") {
        return Err(invalid(format!("parseRepoUrl: `{value}` has no `owner`")));
    }
    Ok(Value::from_serialize(&fields))
}

/// `+` and `%XX` decoded (URL query encoding); malformed escapes are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `github.com?owner=o&repo=r` → `o/r`.
fn project_slug(value: &str) -> Result<String, Error> {
    let parsed = parse_repo_url(value)?;
    let part = |k: &str| {
        parsed
            .get_attr(k)
            .ok()
            .filter(|v| !v.is_undefined())
            .map(|v| v.to_string())
    };
    let owner = part("owner").or_else(|| part("project")).unwrap_or_default();
    Ok(format!("{owner}/{}", part("repo").unwrap_or_default()))
}

/// `[kind:][namespace/]name` → `{kind, namespace, name}`, case kept, with optional
/// `{defaultKind, defaultNamespace}`. A reference given as a mapping is completed the same way.
fn parse_entity_ref(value: &Value, defaults: Option<Value>) -> Result<Value, Error> {
    let default = |key: &str| {
        defaults
            .as_ref()
            .and_then(|d| d.get_attr(key).ok())
            .and_then(|v| v.as_str().map(str::to_string))
    };
    let (kind, namespace, name) = if let Some(text) = value.as_str() {
        split_entity_ref(text)?
    } else if value.kind() == ValueKind::Map {
        let part = |k: &str| value.get_attr(k).ok().and_then(|v| v.as_str().map(str::to_string));
        let name = part("name").ok_or_else(|| invalid("parseEntityRef: the mapping has no `name`".into()))?;
        (part("kind"), part("namespace"), name)
    } else {
        return Err(invalid(format!("parseEntityRef: expected text, got {}", value.kind())));
    };
    let kind = kind.or_else(|| default("defaultKind")).ok_or_else(|| {
        invalid(format!(
            "parseEntityRef: entity reference `{value}` has no kind (it should start with e.g. `component:`, or give defaultKind)"
        ))
    })?;
    let namespace = namespace
        .or_else(|| default("defaultNamespace"))
        .unwrap_or_else(|| "default".into());
    Ok(Value::from_serialize(serde_json::json!({
        "kind": kind, "namespace": namespace, "name": name,
    })))
}

type RefParts = (Option<String>, Option<String>, String);

fn split_entity_ref(text: &str) -> Result<RefParts, Error> {
    let malformed = || {
        invalid(format!(
            "parseEntityRef: `{text}` is not of the form [<kind>:][<namespace>/]<name>"
        ))
    };
    let (kind, rest) = match text.split_once(':') {
        Some((k, rest)) if !k.contains('/') => (Some(k), rest),
        _ => (None, text),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, rest),
    };
    if kind == Some("") || namespace == Some("") || name.is_empty() || name.contains('/') {
        return Err(malformed());
    }
    Ok((
        kind.map(str::to_string),
        namespace.map(str::to_string),
        name.to_string(),
    ))
}

/// lodash `get`: a property by path (`name`, `metadata.name`, `items[0].id`); undefined if absent.
fn pick(value: &Value, path: &str) -> Value {
    let mut current = value.clone();
    for segment in path.split(['.', '[', ']']).filter(|s| !s.is_empty()) {
        let next = match segment.parse::<usize>() {
            Ok(index) if current.kind() == ValueKind::Seq => current.get_item(&Value::from(index)),
            _ => current.get_attr(segment),
        };
        current = match next {
            Ok(v) if !v.is_undefined() => v,
            _ => return Value::UNDEFINED,
        };
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: Value) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn parses_repo_urls() {
        let v = json(parse_repo_url("github.com?owner=acme&repo=svc%2Dx").unwrap());
        assert_eq!(
            v,
            serde_json::json!({"host": "github.com", "owner": "acme", "repo": "svc-x"})
        );
        let err = parse_repo_url("github.com?owner=acme").unwrap_err().to_string();
        assert!(err.contains("has no `repo`"), "{err}");
        assert_eq!(project_slug("github.com?repo=r&owner=o").unwrap(), "o/r");
    }

    #[test]
    fn parses_entity_refs_keeping_case() {
        let v = json(parse_entity_ref(&Value::from("group:Team-A"), None).unwrap());
        assert_eq!(
            v,
            serde_json::json!({"kind": "group", "namespace": "default", "name": "Team-A"})
        );
        let defaults = Value::from_serialize(serde_json::json!({"defaultKind": "user", "defaultNamespace": "ops"}));
        let v = json(parse_entity_ref(&Value::from("jane"), Some(defaults)).unwrap());
        assert_eq!(
            v,
            serde_json::json!({"kind": "user", "namespace": "ops", "name": "jane"})
        );
        let err = parse_entity_ref(&Value::from("jane"), None).unwrap_err().to_string();
        assert!(err.contains("has no kind"), "{err}");
        assert!(parse_entity_ref(&Value::from("a:/b"), None).is_err());
    }

    #[test]
    fn picks_paths() {
        let v = Value::from_serialize(serde_json::json!({"a": {"b": [{"c": 1}]}}));
        assert_eq!(pick(&v, "a.b[0].c"), Value::from(1));
        assert!(pick(&v, "a.x.c").is_undefined());
    }
}
