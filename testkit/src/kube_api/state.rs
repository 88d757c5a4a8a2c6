//! What the server holds, and its changes as the API server makes them: a new revision per write,
//! events to the open watches that select the object, history for resumed watches.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::requests::event_line;
use super::{Change, ResourceType, State, fields_selected, selected, str_at};

/// Changes kept for watches to resume from; older ones are compacted away (`410 Gone`), as the
/// API server's watch cache forgets, so a long benchmark holds a bounded history.
const HISTORY_LIMIT: usize = 50_000;

impl State {
    pub(super) fn installed(&self, kind: ResourceType) -> bool {
        !(kind.custom && self.removed.contains(&kind.name()))
    }

    pub(super) fn apply(&mut self, mut object: Value) -> Result<u64, String> {
        let (api_version, kind_name) = (str_at(&object, "/apiVersion"), str_at(&object, "/kind"));
        let kind = ResourceType::by_kind(api_version, kind_name)
            .ok_or_else(|| format!("no resource type of apiVersion {api_version:?} and kind {kind_name:?}"))?;
        let (namespace, name) = (
            str_at(&object, "/metadata/namespace"),
            str_at(&object, "/metadata/name"),
        );
        if name.is_empty() || namespace.is_empty() == kind.namespaced {
            return Err(if kind.namespaced {
                format!("a {} needs metadata.namespace and metadata.name", kind.kind)
            } else {
                format!("a {} has metadata.name and no metadata.namespace", kind.kind)
            });
        }
        let id = (kind.name(), namespace.to_owned(), name.to_owned());
        let previous = self.objects.get(&id).cloned();
        self.revision += 1;
        self.uids += 1;
        let revision = self.revision;
        let generated = format!("00000000-0000-4000-8000-{:012x}", self.uids);
        let metadata = object["metadata"].as_object_mut().ok_or("metadata is not an object")?;
        metadata.insert("resourceVersion".into(), revision.to_string().into());
        // A replaced object keeps its identity; a new one keeps the uid its manifest gives (so
        // fixtures' ownerReferences hold), or gets one.
        let uid = match (&previous, metadata.get("uid")) {
            (Some(previous), _) => previous["metadata"]["uid"].clone(),
            (None, Some(Value::String(uid))) if !uid.is_empty() => uid.clone().into(),
            (None, _) => generated.into(),
        };
        metadata.insert("uid".into(), uid);
        metadata
            .entry("creationTimestamp")
            .or_insert("2026-12-05T09:00:00Z".into());
        self.objects.insert(id, object.clone());
        let event = if previous.is_some() { "MODIFIED" } else { "ADDED" };
        self.publish(Change {
            revision,
            kind,
            event,
            object,
        });
        Ok(revision)
    }

    pub(super) fn delete(&mut self, type_name: &str, namespace: &str, name: &str) -> Result<u64, String> {
        let kind = ResourceType::by_name(type_name).ok_or_else(|| format!("no resource type {type_name:?}"))?;
        let mut object = self
            .objects
            .remove(&(type_name.to_owned(), namespace.to_owned(), name.to_owned()))
            .ok_or_else(|| format!("no {type_name} {namespace}/{name}"))?;
        self.revision += 1;
        let revision = self.revision;
        object["metadata"]["resourceVersion"] = revision.to_string().into();
        self.publish(Change {
            revision,
            kind,
            event: "DELETED",
            object,
        });
        Ok(revision)
    }

    pub(super) fn compact(&mut self) {
        self.revision += 1;
        self.compacted = self.revision;
        self.history.clear();
    }

    pub(super) fn drop_connections(&mut self) {
        self.watches.clear();
        for connection in self.connections.drain(..) {
            connection.abort();
        }
    }

    pub(super) fn bookmark(&mut self) {
        let revision = self.revision;
        self.watches.retain(|watch| {
            if !watch.bookmarks || watch.silent.load(Ordering::Relaxed) {
                return true;
            }
            let object = json!({
                "kind": watch.kind.kind, "apiVersion": watch.kind.api_version(),
                "metadata": { "resourceVersion": revision.to_string() },
            });
            watch.lines.send(event_line("BOOKMARK", &object)).is_ok()
        });
    }

    pub(super) fn silence_watches(&mut self) {
        for watch in &self.watches {
            watch.silent.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn publish(&mut self, change: Change) {
        let Change {
            kind, event, object, ..
        } = &change;
        let namespace = str_at(object, "/metadata/namespace");
        self.watches.retain(|watch| {
            if watch.kind != *kind
                || watch.silent.load(Ordering::Relaxed)
                || watch.namespace.as_deref().is_some_and(|ns| ns != namespace)
                || !selected(object, watch.selector.as_deref())
                || !fields_selected(object, watch.fields.as_deref())
            {
                return true;
            }
            watch.lines.send(event_line(event, object)).is_ok()
        });
        self.history.push(change);
        if self.history.len() > HISTORY_LIMIT {
            let forgotten: Vec<Change> = self.history.drain(..HISTORY_LIMIT / 2).collect();
            self.compacted = forgotten.last().map_or(self.compacted, |c| c.revision);
        }
    }
}
