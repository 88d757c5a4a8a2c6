//! A catalog made of hostile strings, for the tests that render every page with them
//! (`server/tests/hostile_strings.rs` on the server's HTML, `end2end/tests/hostile.spec.ts` in
//! Chromium). Every field a page shows carries one of [`CORPUS`]; every address field one of
//! [`URLS`]. Documents are written as JSON, which is YAML, so nothing here needs YAML quoting.
//!
//! What a page must never contain, however these strings are rendered: an element or attribute
//! named `x-evil…`, a `<meta http-equiv>`, an event-handler attribute, a script or style without
//! the response's nonce, an address outside http(s), `mailto:` and this site; and in the browser,
//! `window.cairnPwned` set, a dialog, a navigation or a request to another host.

use std::path::Path;

use serde_json::{Value, json};

/// Strings that break out of every context a page writes text into, if it forgets to escape.
pub const CORPUS: &[&str] = &[
    "T1 </title><meta http-equiv=refresh content=0;url=https://evil.example>",
    "<script>window.cairnPwned=1</script><x-evil-script>",
    "<img src=x onerror=window.cairnPwned=1><x-evil-img>",
    "\"><x-evil-dq x-evil-attr=1>",
    "'><x-evil-sq x-evil-attr=1>",
    "\" x-evil-attr=\"1\" onmouseover=\"window.cairnPwned=1",
    "' x-evil-attr='1' onfocus='window.cairnPwned=1' autofocus='",
    "</textarea><x-evil-textarea>",
    "</style><x-evil-style><style>*{background:url(https://evil.example/s)}</style>",
    "</script><script>window.cairnPwned=1</script><x-evil-close>",
    "<svg onload=window.cairnPwned=1><x-evil-svg/></svg>",
    "</text></svg><x-evil-svgtext>",
    "<!-- --><x-evil-comment> -->",
    "<![CDATA[<x-evil-cdata>]]>",
    "<iframe src=https://evil.example/frame></iframe><x-evil-iframe>",
    "<a href=//evil.example/a>x</a><x-evil-a>",
    "<base href=https://evil.example/><x-evil-base>",
    "<form action=https://evil.example/f><button>go</button></form><x-evil-form>",
    "<link rel=stylesheet href=https://evil.example/l.css><x-evil-link>",
    "javascript:window.cairnPwned=1",
    "{{ 7*7 }} ${{ 7*7 }} ${7*7} #{7*7} <x-evil-template>",
    "\u{202e}evil\u{202c} \u{200b}zero\u{feff}width <x-evil-unicode>",
    "\u{FF1C}x-evil-fullwidth\u{FF1E} &lt;x-evil-entity&gt; &amp;",
    "\\u003cx-evil-json\\u003e \\\"}); window.cairnPwned=1; //",
];

/// Addresses that must never become a link.
pub const URLS: &[&str] = &[
    "javascript:window.cairnPwned=1",
    "JaVaScRiPt:window.cairnPwned=1",
    " javascript:window.cairnPwned=1",
    "java\tscript:window.cairnPwned=1",
    "data:text/html,<script>window.cairnPwned=1</script>",
    "vbscript:msgbox(1)",
    "//evil.example/protocol-relative",
    "/\\evil.example/backslash",
];

/// The entities written by [`write_catalog`], as (kind, name), all in namespace `default`.
pub const ENTITIES: &[(&str, &str)] = &[
    ("domain", "hostile-domain"),
    ("system", "hostile-system"),
    ("group", "hostile-team"),
    ("user", "hostile-user"),
    ("component", "hostile-service"),
    ("api", "hostile-openapi"),
    ("api", "hostile-graphql"),
    ("resource", "hostile-db"),
    ("template", "hostile-template"),
];

/// The text of corpus entry `i` (cycling), so every field gets a different one.
pub fn text(i: usize) -> String {
    CORPUS[i % CORPUS.len()].to_string()
}

/// Writes `catalog-info.yaml` (every kind, plus one invalid document whose error names a hostile
/// string) into `dir`; returns its path.
pub fn write_catalog(dir: &Path) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let documents: Vec<String> = documents()
        .iter()
        .map(|d| serde_json::to_string_pretty(d).expect("json"))
        .collect();
    let path = dir.join("catalog-info.yaml");
    std::fs::write(&path, documents.join("\n---\n"))?;
    Ok(path)
}

fn metadata(name: &str, n: usize) -> Value {
    json!({
        "name": name,
        "title": text(n),
        "description": format!("{} {}", text(n + 1), text(n + 2)),
        "labels": {"tier": "web"},
        "annotations": {
            "cairn.dev/note": text(n + 3),
            "backstage.io/source-location": format!("url:{}", URLS[0]),
            "github.com/project-slug": text(n + 4),
            // The fixtures' crash-looping workload is shown on this entity's Deployments tab.
            "backstage.io/kubernetes-id": "payments-service",
        },
        "tags": ["hostile"],
        "links": links(n),
    })
}

fn links(n: usize) -> Value {
    // Backstage's validation takes only absolute URLs here: the schemes, not the relative tricks.
    let mut links: Vec<Value> = [URLS[0], URLS[1], URLS[4], URLS[5]]
        .iter()
        .enumerate()
        .map(|(i, url)| json!({"url": url, "title": text(n + i), "icon": text(n + i + 1), "type": text(n + i + 2)}))
        .collect();
    links.push(json!({"url": "https://example.com/fine", "title": text(n + 5)}));
    Value::Array(links)
}

fn openapi() -> String {
    let mut paths = serde_json::Map::new();
    for (i, s) in CORPUS.iter().enumerate().take(8) {
        paths.insert(
            format!("/items/{i}/{s}"),
            json!({"get": {
                "summary": text(i + 1),
                "description": text(i + 2),
                "operationId": text(i + 3),
                "parameters": [{"name": text(i + 4), "in": "query", "description": text(i + 5), "schema": {"type": "string"}}],
                "responses": {"200": {"description": text(i + 6)}},
            }}),
        );
    }
    let doc = json!({
        "openapi": "3.0.0",
        "info": {"title": text(0), "description": text(1), "version": text(2)},
        "paths": paths,
    });
    serde_json::to_string_pretty(&doc).expect("json")
}

fn documents() -> Vec<Value> {
    let v1 = "backstage.io/v1alpha1";
    vec![
        json!({"apiVersion": v1, "kind": "Domain", "metadata": metadata("hostile-domain", 0),
               "spec": {"owner": "group:default/hostile-team"}}),
        json!({"apiVersion": v1, "kind": "System", "metadata": metadata("hostile-system", 1),
               "spec": {"owner": "group:default/hostile-team", "domain": "hostile-domain"}}),
        json!({"apiVersion": v1, "kind": "Group", "metadata": metadata("hostile-team", 2),
               "spec": {"type": text(3), "children": [],
                        "profile": {"displayName": text(4), "email": "team@example.com", "picture": URLS[0]}}}),
        json!({"apiVersion": v1, "kind": "User", "metadata": metadata("hostile-user", 5),
               "spec": {"memberOf": ["hostile-team"],
                        "profile": {"displayName": text(6), "email": "user@example.com", "picture": URLS[4]}}}),
        json!({"apiVersion": v1, "kind": "Component", "metadata": metadata("hostile-service", 0),
               "spec": {"type": text(7), "lifecycle": text(8), "owner": "group:default/hostile-team",
                        "system": "hostile-system", "providesApis": ["hostile-openapi", "hostile-graphql"],
                        "dependsOn": ["resource:hostile-db"]}}),
        json!({"apiVersion": v1, "kind": "API", "metadata": metadata("hostile-openapi", 9),
               "spec": {"type": "openapi", "lifecycle": text(10), "owner": "group:default/hostile-team",
                        "system": "hostile-system", "definition": openapi()}}),
        json!({"apiVersion": v1, "kind": "API", "metadata": metadata("hostile-graphql", 11),
               "spec": {"type": "graphql", "lifecycle": text(12), "owner": "user:default/hostile-user",
                        "definition": CORPUS.join("\n")}}),
        json!({"apiVersion": v1, "kind": "Resource", "metadata": metadata("hostile-db", 13),
               "spec": {"type": text(14), "owner": "group:default/hostile-team", "system": "hostile-system"}}),
        template(),
        // Refused: its errors (with the name in them) show on the locations page.
        json!({"apiVersion": v1, "kind": "Component",
               "metadata": {"name": text(15), "title": text(16)},
               "spec": {"type": text(17), "lifecycle": "production", "owner": text(18)}}),
    ]
}

fn template() -> Value {
    let field = |n: usize| {
        json!({"type": "string", "title": text(n), "description": text(n + 1),
               "default": text(n + 2), "ui:help": text(n + 3), "ui:placeholder": text(n + 4)})
    };
    json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": metadata("hostile-template", 19),
        "spec": {
            "owner": "group:default/hostile-team",
            "type": text(20),
            "parameters": [
                {"title": text(21), "description": text(22), "required": ["name"],
                 "properties": {
                     "name": field(0),
                     "note": field(5),
                     "choice": {"type": "string", "title": text(10), "enum": ["a", "b"], "enumNames": [text(11), text(12)]},
                 }},
            ],
            "steps": [
                {"id": "log", "name": text(13), "action": "debug:log", "input": {"message": "${{ parameters.name }}"}},
            ],
            "output": {
                "links": URLS.iter().enumerate().map(|(i, u)| json!({"title": text(i), "url": u})).collect::<Vec<_>>(),
                "text": [{"title": text(14), "content": text(15)}],
            },
        },
    })
}

/// Puts hostile strings into every free-text field of what a local Kubernetes API holds: the
/// `message` of events, pod and container states, conditions and Argo resources, and events'
/// `reason`. Open watches see the changes.
pub fn taint_cluster(api: &crate::kube_api::KubeApi) {
    let mut n = 0;
    for mut object in api.all() {
        let event = object["kind"] == "Event";
        rewrite(&mut object, event, &mut n);
        api.apply(object);
    }
}

fn rewrite(value: &mut Value, event: bool, n: &mut usize) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if v.is_string() && (key == "message" || (event && key == "reason")) {
                    *v = Value::String(text(*n));
                    *n += 1;
                } else {
                    rewrite(v, event, n);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, event, n)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_is_written_and_the_catalog_parses_as_json_documents() {
        let dir = std::env::temp_dir().join(format!("hostile-{}", std::process::id()));
        let path = write_catalog(&dir).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        let docs: Vec<Value> = text
            .split("\n---\n")
            .map(|d| serde_json::from_str(d).expect("json document"))
            .collect();
        assert_eq!(docs.len(), ENTITIES.len() + 1);
        let mut strings = Vec::new();
        docs.iter().for_each(|d| collect(d, &mut strings));
        for s in CORPUS {
            assert!(strings.iter().any(|v| v.contains(s)), "{s} is in no field");
        }
        std::fs::remove_dir_all(dir).ok();
    }

    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push(k.clone());
                collect(v, out)
            }),
            _ => {}
        }
    }
}
