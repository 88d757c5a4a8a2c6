//! Discovery as the API server answers it: `/api` (APIVersions), `/apis` (APIGroupList), and each
//! group version's resources (APIResourceList). A custom type whose definition is removed is left
//! out, and a group left with no type is absent (its paths answer 404).

use serde_json::{Value, json};

use super::{State, TYPES, types::ResourceType};

pub(super) fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443" }],
    })
}

fn installed(state: &State) -> impl Iterator<Item = ResourceType> + '_ {
    TYPES.iter().copied().filter(|kind| state.installed(*kind))
}

pub(super) fn groups(state: &State) -> Value {
    let mut groups: Vec<Value> = Vec::new();
    for kind in installed(state).filter(|k| !k.group.is_empty()) {
        if groups.iter().any(|g| g["name"] == kind.group) {
            continue;
        }
        let version = json!({ "groupVersion": kind.api_version(), "version": kind.version });
        groups.push(json!({
            "name": kind.group,
            "versions": [version.clone()],
            "preferredVersion": version,
        }));
    }
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// The resources of `group`/`version`, or `None` when the server serves no such group version.
pub(super) fn resources(state: &State, group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = installed(state)
        .filter(|k| k.group == group && k.version == version)
        .flat_map(|kind| {
            if kind.is_metrics() {
                // metrics-server serves measurements: get and list, no watch, no status.
                let resource = json!({
                    "name": kind.plural, "singularName": kind.singular, "namespaced": kind.namespaced,
                    "kind": kind.kind, "verbs": ["get", "list"],
                });
                return vec![resource];
            }
            let verbs = [
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ];
            let resource = json!({
                "name": kind.plural, "singularName": kind.singular, "namespaced": kind.namespaced,
                "kind": kind.kind, "verbs": verbs, "storageVersionHash": "",
            });
            let status = json!({
                "name": format!("{}/status", kind.plural), "singularName": "", "namespaced": kind.namespaced,
                "kind": kind.kind, "verbs": ["get", "patch", "update"],
            });
            vec![resource, status]
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": group_version, "resources": resources,
    }))
}
