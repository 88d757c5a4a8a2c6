//! Clusters as catalog entities: each configured cluster a Resource (`type: kubernetes-cluster`),
//! and each workload that carries the standard labels and an owner but that no entity claims a
//! Component marked as discovered in the cluster, so the catalog shows what runs even where
//! nobody wrote a descriptor. The documents are JSON (valid YAML), read like any catalog file.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Which annotation says where a discovered entity came from.
pub const DISCOVERED_ANNOTATION: &str = crate::store::ANNOTATION_DISCOVERED;
/// Labels, in order of preference, naming a workload's owning team.
const OWNER_LABELS: [&str; 3] = ["backstage.io/owner", "owner", "team"];
/// Most discovered Components written: a cluster full of unlabelled one-offs is not a catalog.
const MAX_DISCOVERED: usize = 5_000;

/// A configured cluster, as its Resource entity shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterEntity {
    pub name: String,
    /// An entity reference or a group name; `unknown` when the configuration names none.
    pub owner: Option<String>,
    /// Where it is reached (`https://…`, `kubeconfig context kind-dev`, `in-cluster`).
    pub endpoint: String,
}

/// A workload no entity claims, with what its labels say.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Discovered {
    /// `app.kubernetes.io/name`: the Component's name.
    pub name: String,
    pub cluster: String,
    pub namespace: String,
    /// `Deployment/checkout`.
    pub workload: String,
    pub owner: String,
    /// `app.kubernetes.io/part-of`: the System.
    pub part_of: Option<String>,
}

impl Discovered {
    /// From an unclaimed workload's labels: only with `app.kubernetes.io/name` and an owner, both
    /// valid entity names.
    pub fn from_labels(
        cluster: &str,
        namespace: &str,
        workload: String,
        labels: &BTreeMap<String, String>,
    ) -> Option<Discovered> {
        let name = labels.get("app.kubernetes.io/name").filter(|n| valid_name(n))?;
        let owner = OWNER_LABELS
            .iter()
            .find_map(|l| labels.get(*l))
            .filter(|o| valid_name(o))?;
        Some(Discovered {
            name: name.clone(),
            cluster: cluster.to_string(),
            namespace: namespace.to_string(),
            workload,
            owner: owner.clone(),
            part_of: labels
                .get("app.kubernetes.io/part-of")
                .filter(|p| valid_name(p))
                .cloned(),
        })
    }
}

/// Label values are at most 63 of `[A-Za-z0-9._-]`: entity names accept them all.
fn valid_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The catalog file: clusters first, then discovered Components (one per name: the same app in
/// several namespaces or clusters is one Component), sorted, so unchanged input writes the same bytes.
pub fn documents(clusters: &[ClusterEntity], discovered: &[Discovered]) -> String {
    let mut out = String::new();
    for cluster in clusters {
        push(&mut out, cluster_resource(cluster));
    }
    let mut by_name: BTreeMap<&str, Vec<&Discovered>> = BTreeMap::new();
    for d in discovered {
        by_name.entry(&d.name).or_default().push(d);
    }
    for places in by_name.values().take(MAX_DISCOVERED) {
        let mut places = places.clone();
        places.sort();
        push(&mut out, discovered_component(&places));
    }
    out
}

fn push(out: &mut String, document: Value) {
    out.push_str("---\n");
    out.push_str(&serde_json::to_string_pretty(&document).unwrap_or_default());
    out.push('\n');
}

fn cluster_resource(cluster: &ClusterEntity) -> Value {
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Resource",
        "metadata": {
            "name": cluster.name,
            "title": format!("Kubernetes cluster {}", cluster.name),
            "description": format!("Configured in Cairn ({}); its workloads appear on the Deployments page.", cluster.endpoint),
            "annotations": { DISCOVERED_ANNOTATION: "kubernetes-configuration" },
        },
        "spec": {
            "type": "kubernetes-cluster",
            "owner": cluster.owner.clone().unwrap_or_else(|| "unknown".into()),
        },
    })
}

fn discovered_component(places: &[&Discovered]) -> Value {
    let first = places[0];
    let namespaces: std::collections::BTreeSet<&str> = places.iter().map(|d| d.namespace.as_str()).collect();
    let mut annotations = serde_json::Map::new();
    annotations.insert(
        DISCOVERED_ANNOTATION.into(),
        Value::String(
            places
                .iter()
                .map(|d| format!("{}/{}/{}", d.cluster, d.namespace, d.workload))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    annotations.insert(
        "backstage.io/kubernetes-label-selector".into(),
        Value::String(format!("app.kubernetes.io/name={}", first.name)),
    );
    if namespaces.len() == 1 {
        annotations.insert(
            "backstage.io/kubernetes-namespace".into(),
            Value::String(first.namespace.clone()),
        );
    }
    let mut depends_on: Vec<String> = places
        .iter()
        .map(|d| format!("resource:default/{}", d.cluster))
        .collect();
    depends_on.dedup();
    let mut spec = json!({
        "type": "service",
        "lifecycle": "discovered",
        "owner": first.owner,
        "dependsOn": depends_on,
    });
    if let Some(system) = &first.part_of {
        spec["system"] = Value::String(system.clone());
    }
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {
            "name": first.name,
            "description": format!(
                "Discovered running in Kubernetes ({}); no catalog-info.yaml describes it yet.",
                places.iter().map(|d| format!("{} in {}/{}", d.workload, d.cluster, d.namespace)).collect::<Vec<_>>().join(", ")
            ),
            "tags": ["discovered"],
            "annotations": annotations,
        },
        "spec": spec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn only_named_and_owned_workloads_are_discovered() {
        let found = Discovered::from_labels(
            "prod",
            "legacy",
            "Deployment/promo".into(),
            &labels(&[
                ("app.kubernetes.io/name", "promo-engine"),
                ("app.kubernetes.io/part-of", "marketing"),
                ("team", "team-growth"),
            ]),
        )
        .expect("discovered");
        assert_eq!(found.owner, "team-growth");
        assert_eq!(found.part_of.as_deref(), Some("marketing"));
        assert!(
            Discovered::from_labels(
                "prod",
                "x",
                "Deployment/a".into(),
                &labels(&[("app.kubernetes.io/name", "a")])
            )
            .is_none()
        );
        assert!(Discovered::from_labels("prod", "x", "Deployment/a".into(), &labels(&[("team", "t")])).is_none());
    }

    #[test]
    fn documents_are_catalog_entities_the_reader_accepts() {
        let clusters = [ClusterEntity {
            name: "prod-eu".into(),
            owner: Some("group:default/platform".into()),
            endpoint: "https://k8s.example".into(),
        }];
        let discovered = [Discovered {
            name: "promo-engine".into(),
            cluster: "prod-eu".into(),
            namespace: "legacy".into(),
            workload: "Deployment/promo".into(),
            owner: "team-growth".into(),
            part_of: None,
        }];
        let text = documents(&clusters, &discovered);
        let docs: Vec<Value> = text
            .split("---\n")
            .filter(|d| !d.trim().is_empty())
            .map(|d| serde_json::from_str(d).expect("json"))
            .collect();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["spec"]["type"], "kubernetes-cluster");
        assert_eq!(
            docs[1]["metadata"]["annotations"]["backstage.io/kubernetes-namespace"],
            "legacy"
        );
        for doc in docs {
            catalog::model::validate::validate_entity(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
        }
    }
}
