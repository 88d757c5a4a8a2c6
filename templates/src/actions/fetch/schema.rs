//! The fetch actions' input schemas, as Backstage describes them on `GET /v2/actions`.

use serde_json::{Value, json};

use super::Kind;

/// JSON Schema of the input of the fetch action `kind`.
pub fn input(kind: Kind) -> Value {
    let file = matches!(kind, Kind::PlainFile | Kind::TemplateFile);
    let mut properties = json!({
        "url": {
            "title": "Fetch URL",
            "description": if file {
                "Relative path or absolute URL pointing to the single file to fetch."
            } else {
                "Relative path or absolute URL pointing to the directory tree to fetch."
            },
            "type": "string",
        },
        "targetPath": {
            "title": "Target Path",
            "description": if file {
                "Target path within the working directory to download the file as."
            } else {
                "Target path within the working directory to download the contents to. Defaults to the working directory root."
            },
            "type": "string",
        },
        "token": {
            "title": "Token",
            "description": "An optional token to use for authentication when reading the resources.",
            "type": "string",
        },
    });
    if matches!(kind, Kind::Template | Kind::TemplateFile) {
        templated(&mut properties, kind == Kind::Template);
    }
    if kind == Kind::PlainFile {
        properties["replace"] = json!({
            "title": "Replace",
            "description": "Whether to replace an existing file at targetPath (default true).",
            "type": "boolean",
        });
    }
    let required = if file {
        json!(["url", "targetPath"])
    } else {
        json!(["url"])
    };
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": true,
    })
}

fn templated(properties: &mut Value, tree: bool) {
    properties["values"] = json!({
        "title": "Template Values",
        "description": "Values to pass on to the templating engine (`${{ values.x }}`).",
        "type": "object",
    });
    properties["cookiecutterCompat"] = json!({
        "title": "Cookiecutter compatibility mode",
        "description": "Not supported by Cairn: a template setting it to true is refused.",
        "type": "boolean",
    });
    properties["replace"] = json!({
        "title": "Replace files",
        "description": "If set, replace files in targetPath instead of skipping existing ones.",
        "type": "boolean",
    });
    properties["trimBlocks"] = json!({
        "title": "Trim blocks",
        "description": "If set, the first newline after a block is removed (block, not variable tag!).",
        "type": "boolean",
    });
    properties["lstripBlocks"] = json!({
        "title": "Lstrip blocks",
        "description": "If set, leading spaces and tabs are stripped from the start of a line to a block.",
        "type": "boolean",
    });
    if !tree {
        return;
    }
    properties["copyWithoutRender"] = json!({
        "title": "[Deprecated] Copy Without Render",
        "description": "An array of glob patterns. Any files or directories which match are copied without being processed as templates, names included.",
        "type": "array",
        "items": {"type": "string"},
    });
    properties["copyWithoutTemplating"] = json!({
        "title": "Copy Without Templating",
        "description": "An array of glob patterns. Contents of matched files or directories are copied without being processed, but paths are subject to rendering.",
        "type": "array",
        "items": {"type": "string"},
    });
    properties["templateFileExtension"] = json!({
        "title": "Template File Extension",
        "description": "If set, only files with the given extension will be templated. If set to `true`, the default extension `.njk` is used.",
        "type": ["string", "boolean"],
    });
}
