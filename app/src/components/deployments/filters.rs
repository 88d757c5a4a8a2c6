//! The Deployments page's filters: owner (team), cluster, namespace and state, kept in the query
//! string so links and reloads keep them; a plain GET form, so they work before the wasm loads.

use deployments::model::{ClusterState, Workload};
use leptos::prelude::*;
use leptos_router::components::Form;

/// Longest filter value read from a URL; longer ones match nothing anyway.
const MAX_VALUE: usize = 256;

/// The chosen filters; an empty value matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// An owner's entity ref: `group:default/team-checkout`.
    pub owner: String,
    pub cluster: String,
    pub namespace: String,
    /// A health (`degraded`, `progressing`, `unknown`, `healthy`), or `problems`.
    pub state: String,
}

/// The state filter's values, with their labels.
pub const STATES: [(&str, &str); 5] = [
    ("problems", "With problems"),
    ("degraded", "Degraded"),
    ("progressing", "Progressing"),
    ("unknown", "Unknown"),
    ("healthy", "Healthy"),
];

impl Filters {
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let value = |name: &str| {
            let v = get(name).unwrap_or_default();
            let v = v.trim();
            if v.len() > MAX_VALUE {
                String::new()
            } else {
                v.to_string()
            }
        };
        Filters {
            owner: value("owner"),
            cluster: value("cluster"),
            namespace: value("namespace"),
            state: value("state"),
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &Filters::default()
    }

    pub fn matches(&self, workload: &Workload) -> bool {
        let is = |chosen: &str, value: &str| chosen.is_empty() || chosen == value;
        is(&self.owner, workload.owner.as_deref().unwrap_or_default())
            && is(&self.cluster, &workload.key.cluster)
            && is(&self.namespace, &workload.key.namespace)
            && match self.state.as_str() {
                "" => true,
                "problems" => !workload.problems.is_empty(),
                health => workload.health.as_str() == health,
            }
    }
}

/// The values each filter offers: those present, and the chosen one even when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choices {
    pub owners: Vec<String>,
    pub clusters: Vec<String>,
    pub namespaces: Vec<String>,
}

/// What the filters' choices need of a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub owner: Option<String>,
    pub cluster: String,
    pub namespace: String,
}

impl Place {
    pub fn of(workload: &Workload) -> Place {
        Place {
            owner: workload.owner.clone(),
            cluster: workload.key.cluster.clone(),
            namespace: workload.key.namespace.clone(),
        }
    }
}

pub fn choices(places: &[Place], clusters: &[ClusterState], chosen: &Filters) -> Choices {
    let sorted = |mut values: Vec<String>, chosen: &str| {
        if !chosen.is_empty() {
            values.push(chosen.to_string());
        }
        values.sort();
        values.dedup();
        values
    };
    Choices {
        owners: sorted(places.iter().filter_map(|p| p.owner.clone()).collect(), &chosen.owner),
        clusters: sorted(
            clusters
                .iter()
                .map(|c| c.name.clone())
                .chain(places.iter().map(|p| p.cluster.clone()))
                .collect(),
            &chosen.cluster,
        ),
        namespaces: sorted(places.iter().map(|p| p.namespace.clone()).collect(), &chosen.namespace),
    }
}

/// `group:default/team-checkout` → `team-checkout`.
pub fn short_ref(entity_ref: &str) -> &str {
    entity_ref
        .split_once(':')
        .map_or(entity_ref, |(_, rest)| rest.strip_prefix("default/").unwrap_or(rest))
}

#[component]
pub fn FilterForm(filters: Filters, choices: Signal<Choices>) -> impl IntoView {
    let owners = move || choices.with(|c| c.owners.iter().map(|o| (o.clone(), short_ref(o).to_string())).collect());
    let clusters = move || choices.with(|c| c.clusters.iter().map(|v| (v.clone(), v.clone())).collect());
    let namespaces = move || choices.with(|c| c.namespaces.iter().map(|v| (v.clone(), v.clone())).collect());
    let states = || STATES.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect();
    view! {
        <Form method="get" action="/deployments" attr:class="deployment-filters" attr:role="search" attr:data-testid="filters">
            <FilterSelect name="owner" label="Owner" chosen=filters.owner.clone() options=Signal::derive(owners) />
            <FilterSelect name="cluster" label="Cluster" chosen=filters.cluster.clone() options=Signal::derive(clusters) />
            <FilterSelect name="namespace" label="Namespace" chosen=filters.namespace.clone() options=Signal::derive(namespaces) />
            <FilterSelect name="state" label="State" chosen=filters.state.clone() options=Signal::derive(states) />
            <button type="submit" class="button">"Filter"</button>
            {(!filters.is_empty()).then(|| view! { <a href="/deployments" class="button secondary">"Clear"</a> })}
        </Form>
    }.into_any()
}

/// A select of `(value, label)` options with "Any" first.
#[component]
fn FilterSelect(
    name: &'static str,
    label: &'static str,
    chosen: String,
    options: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div class="filter">
            <label for=id.clone()>{label}</label>
            <select id=id name=name>
                <option value="" selected=chosen.is_empty()>"Any"</option>
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = value == chosen;
                            view! { <option value=value selected=selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use deployments::model::{Health, Update};

    use super::*;

    fn workload(cluster: &str, namespace: &str, owner: Option<&str>, health: Health) -> Workload {
        let json = serde_json::json!({
            "type": "workload",
            "key": {"cluster": cluster, "namespace": namespace, "kind": "Deployment", "name": "api"},
            "entity": null, "owner": owner, "created_ms": null,
            "replicas": {"desired": 1, "updated": 1, "ready": 1, "available": 1},
            "revision": null, "revision_since_ms": null, "images": [],
            "rollout": {"phase": "Complete", "message": null, "since_ms": null, "strategy": null},
            "pods": [], "autoscaler": null, "events": [], "argo_cd": null, "argo_rollout": null,
            "health": health, "problems": [], "stale_since_ms": null
        });
        // The live stream's wire format, as the page reads it.
        match serde_json::from_value::<Update>(json).expect("a workload update") {
            Update::Workload(w) => *w,
            other => panic!("not a workload: {other:?}"),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Filters {
        Filters::from_params(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn each_filter_narrows_and_empty_ones_match_all() {
        let a = workload("dev", "checkout", Some("group:default/team-checkout"), Health::Degraded);
        let b = workload("prod", "payments", None, Health::Healthy);
        assert!(params(&[]).is_empty());
        assert!(params(&[]).matches(&a) && params(&[]).matches(&b));
        let team = params(&[("owner", "group:default/team-checkout")]);
        assert!(team.matches(&a) && !team.matches(&b));
        let prod = params(&[("cluster", " prod "), ("namespace", "payments")]);
        assert!(!prod.matches(&a) && prod.matches(&b));
        let degraded = params(&[("state", "degraded")]);
        assert!(degraded.matches(&a) && !degraded.matches(&b));
        assert!(
            !params(&[("state", "problems")]).matches(&a),
            "degraded without listed problems"
        );
        let huge = "x".repeat(MAX_VALUE + 1);
        assert!(params(&[("cluster", &huge)]).is_empty());
    }

    #[test]
    fn choices_list_what_is_there_and_what_was_chosen() {
        let a = workload("dev", "checkout", Some("group:default/team-checkout"), Health::Healthy);
        let clusters = vec![ClusterState {
            name: "prod".into(),
            reachability: deployments::model::Reachability::Reachable,
            forbidden: Vec::new(),
        }];
        let chosen = params(&[("namespace", "gone")]);
        let c = choices(&[Place::of(&a)], &clusters, &chosen);
        assert_eq!(c.owners, ["group:default/team-checkout"]);
        assert_eq!(c.clusters, ["dev", "prod"]);
        assert_eq!(c.namespaces, ["checkout", "gone"]);
        assert_eq!(short_ref("group:default/team-checkout"), "team-checkout");
        assert_eq!(short_ref("group:ops/sre"), "ops/sre");
    }
}
