//! Which workloads belong to which catalog entity, Backstage's way: the entity's annotation
//! `backstage.io/kubernetes-label-selector` if it has one, else the label
//! `backstage.io/kubernetes-id=<annotation backstage.io/kubernetes-id>`, else
//! `backstage.io/kubernetes-id=<entity name>`; `backstage.io/kubernetes-namespace` restricts the
//! namespace. `EntitySelector` is one entity's side (its page), `EntityIndex` the reverse for every
//! workload of every cluster (the Deployments page), built once from the catalog.

use std::collections::{BTreeMap, HashMap};

use super::label_selector::{LabelSelector, SelectorError};
use super::{Mapped, WorkloadMeta};
use catalog::model::{Entity, EntityRef};

pub const LABEL_SELECTOR_ANNOTATION: &str = "backstage.io/kubernetes-label-selector";
pub const ID_ANNOTATION: &str = "backstage.io/kubernetes-id";
pub const NAMESPACE_ANNOTATION: &str = "backstage.io/kubernetes-namespace";
/// The label workloads carry to name their entity.
pub const ID_LABEL: &str = "backstage.io/kubernetes-id";

/// Why an entity's annotations cannot select workloads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("{entity}: annotation {annotation} is not a valid label selector: {source}")]
    InvalidSelector {
        entity: String,
        annotation: &'static str,
        #[source]
        source: SelectorError,
    },
    #[error("{entity}: annotation {annotation} is empty")]
    Empty { entity: String, annotation: &'static str },
}

/// Where an entity's selector came from; earlier wins when several entities claim a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SelectorSource {
    LabelSelectorAnnotation,
    IdAnnotation,
    EntityName,
}

/// What selects one entity's workloads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitySelector {
    /// `component:default/checkout`.
    pub entity: String,
    /// `group:default/payments`.
    pub owner: Option<String>,
    pub source: SelectorSource,
    pub selector: LabelSelector,
    /// Only workloads in this namespace, when set.
    pub namespace: Option<String>,
}

impl EntitySelector {
    /// From an entity's parts: its reference, its `metadata.name` as written (label values are
    /// case-sensitive, references are not), its owner and its annotations.
    pub fn new(
        entity: impl Into<String>,
        name: &str,
        owner: Option<String>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<EntitySelector, MappingError> {
        let entity = entity.into();
        let annotation = |key: &'static str| -> Result<Option<&str>, MappingError> {
            match annotations.get(key).map(|v| v.trim()) {
                Some("") => Err(MappingError::Empty {
                    entity: entity.clone(),
                    annotation: key,
                }),
                other => Ok(other),
            }
        };
        let (source, selector) = if let Some(text) = annotation(LABEL_SELECTOR_ANNOTATION)? {
            let selector = LabelSelector::parse(text).map_err(|source| MappingError::InvalidSelector {
                entity: entity.clone(),
                annotation: LABEL_SELECTOR_ANNOTATION,
                source,
            })?;
            (SelectorSource::LabelSelectorAnnotation, selector)
        } else if let Some(id) = annotation(ID_ANNOTATION)? {
            (SelectorSource::IdAnnotation, LabelSelector::equals(ID_LABEL, id))
        } else {
            (SelectorSource::EntityName, LabelSelector::equals(ID_LABEL, name))
        };
        let namespace = annotation(NAMESPACE_ANNOTATION)?.map(str::to_string);
        Ok(EntitySelector {
            entity,
            owner,
            source,
            selector,
            namespace,
        })
    }

    /// From a catalog entity; its owner is its `ownedBy` relation, else `spec.owner`.
    pub fn for_entity(entity: &Entity) -> Result<EntitySelector, MappingError> {
        let owner = entity.related("ownedBy").next().map(str::to_string).or_else(|| {
            let owner = entity.spec_str("owner")?;
            EntityRef::parse(owner, Some("group"), &entity.metadata.namespace)
                .ok()
                .map(|r| r.to_string())
        });
        EntitySelector::new(
            entity.entity_ref().to_string(),
            &entity.metadata.name,
            owner,
            &entity.metadata.annotations,
        )
    }

    pub fn matches(&self, workload: &WorkloadMeta<'_>) -> bool {
        self.namespace.as_deref().is_none_or(|ns| ns == workload.namespace) && self.selector.matches(workload.labels)
    }

    /// For `project::workloads`: this entity's workloads, and no others.
    pub fn select(&self, workload: &WorkloadMeta<'_>) -> Option<Mapped> {
        self.matches(workload).then(|| Mapped {
            entity: Some(self.entity.clone()),
            owner: self.owner.clone(),
        })
    }
}

/// Every entity's selector, to find the entity of any workload. Selectors that are only
/// `backstage.io/kubernetes-id=X` (most) are looked up by X; the others are tried in turn.
#[derive(Clone, Debug, Default)]
pub struct EntityIndex {
    selectors: Vec<EntitySelector>,
    by_id: HashMap<String, Vec<usize>>,
    general: Vec<usize>,
}

impl EntityIndex {
    pub fn new(selectors: impl IntoIterator<Item = EntitySelector>) -> EntityIndex {
        let mut selectors: Vec<EntitySelector> = selectors.into_iter().collect();
        // Ties between entities claiming one workload go to the most explicit claim, then to
        // one restricted to a namespace, then to the smallest reference: the same every time.
        selectors.sort_by(|a, b| {
            (a.source, a.namespace.is_none(), &a.entity).cmp(&(b.source, b.namespace.is_none(), &b.entity))
        });
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        let mut general = Vec::new();
        for (i, s) in selectors.iter().enumerate() {
            match s.selector.only_equals(ID_LABEL) {
                Some(id) => by_id.entry(id.to_string()).or_default().push(i),
                None => general.push(i),
            }
        }
        EntityIndex {
            selectors,
            by_id,
            general,
        }
    }

    /// From catalog entities; those whose annotations are invalid are left out and returned with
    /// why, for the caller to report.
    pub fn from_entities<'a>(entities: impl IntoIterator<Item = &'a Entity>) -> (EntityIndex, Vec<MappingError>) {
        let mut errors = Vec::new();
        let selectors: Vec<EntitySelector> = entities
            .into_iter()
            .filter_map(|e| EntitySelector::for_entity(e).map_err(|err| errors.push(err)).ok())
            .collect();
        (EntityIndex::new(selectors), errors)
    }

    pub fn len(&self) -> usize {
        self.selectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.selectors.is_empty()
    }

    /// The entity a workload belongs to, if any.
    pub fn find(&self, workload: &WorkloadMeta<'_>) -> Option<&EntitySelector> {
        let by_id = workload
            .labels
            .get(ID_LABEL)
            .and_then(|id| self.by_id.get(id))
            .map(Vec::as_slice);
        by_id
            .unwrap_or_default()
            .iter()
            .chain(&self.general)
            .copied()
            .filter(|&i| self.selectors[i].matches(workload))
            .min()
            .map(|i| &self.selectors[i])
    }

    /// For `project::workloads`: every workload, with its entity and owner where one is found.
    pub fn select(&self, workload: &WorkloadMeta<'_>) -> Option<Mapped> {
        Some(match self.find(workload) {
            Some(s) => Mapped {
                entity: Some(s.entity.clone()),
                owner: s.owner.clone(),
            },
            None => Mapped::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkloadKind;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn workload<'a>(namespace: &'a str, labels: &'a BTreeMap<String, String>) -> WorkloadMeta<'a> {
        WorkloadMeta {
            namespace,
            kind: WorkloadKind::Deployment,
            name: "w",
            labels,
        }
    }

    fn selector(name: &str, annotations: &[(&str, &str)]) -> EntitySelector {
        EntitySelector::new(format!("component:default/{name}"), name, None, &map(annotations)).unwrap()
    }

    #[test]
    fn the_label_selector_annotation_wins_over_the_id_and_the_name() {
        let s = selector(
            "checkout",
            &[
                (LABEL_SELECTOR_ANNOTATION, "app=shop,tier in (api)"),
                (ID_ANNOTATION, "x"),
            ],
        );
        assert_eq!(s.source, SelectorSource::LabelSelectorAnnotation);
        assert!(s.matches(&workload("shop", &map(&[("app", "shop"), ("tier", "api")]))));
        assert!(!s.matches(&workload("shop", &map(&[(ID_LABEL, "x")]))));
        assert!(!s.matches(&workload("shop", &map(&[(ID_LABEL, "checkout")]))));
    }

    #[test]
    fn the_id_annotation_wins_over_the_name() {
        let s = selector("checkout", &[(ID_ANNOTATION, "checkout-v2")]);
        assert_eq!(s.source, SelectorSource::IdAnnotation);
        assert!(s.matches(&workload("shop", &map(&[(ID_LABEL, "checkout-v2")]))));
        assert!(!s.matches(&workload("shop", &map(&[(ID_LABEL, "checkout")]))));
    }

    #[test]
    fn the_name_is_the_default_id_as_written() {
        let s = EntitySelector::new("component:default/checkout", "Checkout", None, &BTreeMap::new()).unwrap();
        assert_eq!(s.source, SelectorSource::EntityName);
        assert!(s.matches(&workload("any", &map(&[(ID_LABEL, "Checkout")]))));
        assert!(!s.matches(&workload("any", &map(&[(ID_LABEL, "checkout")]))));
        assert!(!s.matches(&workload("any", &map(&[]))));
    }

    #[test]
    fn the_namespace_annotation_restricts() {
        let s = selector("checkout", &[(NAMESPACE_ANNOTATION, "shop")]);
        let labels = map(&[(ID_LABEL, "checkout")]);
        assert!(s.matches(&workload("shop", &labels)));
        assert!(!s.matches(&workload("staging", &labels)));
        let m = s.select(&workload("shop", &labels)).unwrap();
        assert_eq!(m.entity.as_deref(), Some("component:default/checkout"));
    }

    #[test]
    fn invalid_annotations_name_the_annotation_and_the_problem() {
        let err = EntitySelector::new(
            "component:default/checkout",
            "checkout",
            None,
            &map(&[(LABEL_SELECTOR_ANNOTATION, "app in (a,")]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "component:default/checkout: annotation backstage.io/kubernetes-label-selector is not a valid \
             label selector: a set of values is missing its \")\" (at character 11 of \"app in (a,\")"
        );
        let err = EntitySelector::new("component:default/c", "c", None, &map(&[(ID_ANNOTATION, " ")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "component:default/c: annotation backstage.io/kubernetes-id is empty"
        );
    }

    #[test]
    fn entities_give_their_owner() {
        let entity: Entity = serde_json::from_value(serde_json::json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "checkout", "namespace": "shop",
                "annotations": {"backstage.io/kubernetes-id": "checkout-svc"}},
            "spec": {"type": "service", "owner": "payments", "lifecycle": "production"}
        }))
        .unwrap();
        let s = EntitySelector::for_entity(&entity).unwrap();
        assert_eq!(s.entity, "component:shop/checkout");
        assert_eq!(s.owner.as_deref(), Some("group:shop/payments"));
        assert_eq!(s.source, SelectorSource::IdAnnotation);
    }

    #[test]
    fn the_index_finds_each_workloads_entity() {
        let index = EntityIndex::new([
            selector("checkout", &[]),
            selector(
                "checkout-staging",
                &[(ID_ANNOTATION, "checkout"), (NAMESPACE_ANNOTATION, "staging")],
            ),
            selector(
                "ledger",
                &[(LABEL_SELECTOR_ANNOTATION, "app.kubernetes.io/name=ledger")],
            ),
            selector("broken-twin", &[(ID_ANNOTATION, "ledger")]),
        ]);
        let find = |ns: &str, pairs: &[(&str, &str)]| {
            let labels = map(pairs);
            index.find(&workload(ns, &labels)).map(|s| s.entity.clone())
        };
        assert_eq!(
            find("shop", &[(ID_LABEL, "checkout")]).as_deref(),
            Some("component:default/checkout")
        );
        // The explicit annotation, restricted to its namespace, wins there over the name.
        assert_eq!(
            find("staging", &[(ID_LABEL, "checkout")]).as_deref(),
            Some("component:default/checkout-staging")
        );
        // A label selector is more explicit than an id.
        assert_eq!(
            find("fin", &[("app.kubernetes.io/name", "ledger"), (ID_LABEL, "ledger")]).as_deref(),
            Some("component:default/ledger")
        );
        assert_eq!(
            find("fin", &[(ID_LABEL, "ledger")]).as_deref(),
            Some("component:default/broken-twin")
        );
        assert_eq!(find("shop", &[(ID_LABEL, "nobody")]), None);
        let unmapped = index.select(&workload("shop", &map(&[]))).unwrap();
        assert_eq!(unmapped, Mapped::default());
    }
}
