//! What catalog pages receive from the server: plain data, serialisable, no logic beyond URLs.

use serde::{Deserialize, Serialize};

/// The catalog list's state, kept in the URL so a view can be shared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogQuery {
    /// Lower-case kind; empty means Component.
    pub kind: String,
    pub q: String,
    /// An owner's entity ref (`group:default/team-a`).
    pub owner: String,
    pub entity_type: String,
    pub lifecycle: String,
    pub namespace: String,
    pub tag: String,
    /// `name` (default), `owner`, `type`, `lifecycle` or `system`.
    pub sort: String,
    pub desc: bool,
    /// Opaque position for the next or previous page.
    pub cursor: String,
}

/// URL parameter names, in the order they are written.
const PARAMS: [&str; 10] = [
    "kind",
    "q",
    "owner",
    "type",
    "lifecycle",
    "namespace",
    "tag",
    "sort",
    "desc",
    "cursor",
];

impl CatalogQuery {
    /// Reads the state from URL parameters.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> CatalogQuery {
        let text = |k: &str| get(k).unwrap_or_default();
        CatalogQuery {
            kind: text("kind").to_lowercase(),
            q: text("q"),
            owner: text("owner"),
            entity_type: text("type"),
            lifecycle: text("lifecycle"),
            namespace: text("namespace"),
            tag: text("tag"),
            sort: text("sort"),
            desc: text("desc") == "true",
            cursor: text("cursor"),
        }
    }

    /// The kind shown (Component when none is chosen).
    pub fn kind_or_default(&self) -> String {
        if self.kind.is_empty() {
            "component".into()
        } else {
            self.kind.clone()
        }
    }

    fn value(&self, param: &str) -> String {
        match param {
            "kind" => self.kind.clone(),
            "q" => self.q.clone(),
            "owner" => self.owner.clone(),
            "type" => self.entity_type.clone(),
            "lifecycle" => self.lifecycle.clone(),
            "namespace" => self.namespace.clone(),
            "tag" => self.tag.clone(),
            "sort" => self.sort.clone(),
            "desc" => {
                if self.desc {
                    "true".into()
                } else {
                    String::new()
                }
            }
            "cursor" => self.cursor.clone(),
            _ => String::new(),
        }
    }

    /// A copy with one parameter changed; any change but the cursor starts again at page one.
    pub fn with(&self, param: &str, value: &str) -> CatalogQuery {
        let mut next = self.clone();
        match param {
            "kind" => {
                // Other kinds have other owners and types: start with a clean slate.
                next = CatalogQuery {
                    kind: value.to_string(),
                    q: self.q.clone(),
                    ..CatalogQuery::default()
                };
            }
            "q" => next.q = value.into(),
            "owner" => next.owner = value.into(),
            "type" => next.entity_type = value.into(),
            "lifecycle" => next.lifecycle = value.into(),
            "namespace" => next.namespace = value.into(),
            "tag" => next.tag = value.into(),
            "sort" => next.sort = value.into(),
            "desc" => next.desc = value == "true",
            "cursor" => next.cursor = value.into(),
            _ => {}
        }
        if param != "cursor" {
            next.cursor.clear();
        }
        next
    }

    /// `/catalog?…` with only the parameters that are set.
    pub fn href(&self) -> String {
        let query: Vec<String> = PARAMS
            .iter()
            .map(|p| (*p, self.value(p)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(p, v)| format!("{p}={}", encode(&v)))
            .collect();
        if query.is_empty() {
            "/catalog".into()
        } else {
            format!("/catalog?{}", query.join("&"))
        }
    }

    /// The value of a filter parameter (for marking the chosen facet).
    pub fn filter_value(&self, param: &str) -> String {
        self.value(param)
    }
}

/// Percent-encodes a URL query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The page URL of an entity, Backstage's scheme: `/catalog/{namespace}/{kind}/{name}`.
pub fn entity_href(entity_ref: &str) -> String {
    let (kind, rest) = entity_ref.split_once(':').unwrap_or(("component", entity_ref));
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    format!("/catalog/{}/{}/{}", encode(namespace), encode(kind), encode(name))
}

/// One line of the catalog table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityRow {
    pub entity_ref: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The owner's full reference.
    pub owner: Option<String>,
    pub entity_type: Option<String>,
    pub lifecycle: Option<String>,
    pub system: Option<String>,
    pub tags: Vec<String>,
    /// Gone from its source, kept for its grace period (`backstage.io/orphan`).
    #[serde(default)]
    pub orphan: bool,
}

impl EntityRow {
    pub fn href(&self) -> String {
        entity_href(&self.entity_ref)
    }

    pub fn label(&self) -> String {
        self.title.clone().unwrap_or_else(|| self.name.clone())
    }
}

/// A value of a facet and how many entities have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub count: i64,
}

/// The values of one filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetGroup {
    /// URL parameter it sets.
    pub param: String,
    pub label: String,
    pub values: Vec<FacetValue>,
}

/// A page of the catalog list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub rows: Vec<EntityRow>,
    pub total: usize,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub kinds: Vec<FacetValue>,
    pub facets: Vec<FacetGroup>,
}

/// A reference shown on a page: linked when the entity exists, marked when it does not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefLink {
    pub entity_ref: String,
    pub exists: bool,
}

impl RefLink {
    pub fn href(&self) -> String {
        entity_href(&self.entity_ref)
    }

    /// Just the name (with its namespace when not `default`), for columns whose kind is known.
    pub fn short_label(&self) -> String {
        let rest = self
            .entity_ref
            .split_once(':')
            .map_or(self.entity_ref.as_str(), |(_, r)| r);
        rest.strip_prefix("default/").unwrap_or(rest).to_string()
    }

    /// `kind:name`, with the namespace when it is not `default`.
    pub fn label(&self) -> String {
        let (kind, rest) = self.entity_ref.split_once(':').unwrap_or(("", &self.entity_ref));
        let rest = rest.strip_prefix("default/").unwrap_or(rest);
        format!("{kind}:{rest}")
    }
}

/// Relations of one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationGroup {
    pub relation_type: String,
    pub label: String,
    pub targets: Vec<RefLink>,
}

/// A metadata link; `safe` is false for schemes that must not become an `href` (e.g. `javascript:`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub url: String,
    pub title: String,
    pub safe: bool,
}

/// An API definition, ready to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiDefinition {
    OpenApi(OpenApiView),
    /// Any other definition (AsyncAPI, GraphQL, gRPC…), as highlighted lines.
    Text {
        language: String,
        lines: Vec<Vec<(String, String)>>,
    },
}

/// The browsable form of an OpenAPI document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenApiView {
    pub title: String,
    pub version: String,
    pub description: String,
    pub servers: Vec<String>,
    pub operations: Vec<Operation>,
}

/// One operation of an OpenAPI document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<Parameter>,
    pub request_body: Option<String>,
    pub responses: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub schema: String,
}

/// Everything the entity page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntityDetails {
    pub row: EntityRow,
    pub api_version: String,
    pub domain: Option<String>,
    /// The file it was read from, and the registered location that led there.
    pub source: String,
    pub location_target: String,
    /// The location comes from the configuration (it cannot be unregistered from the portal).
    pub from_config: bool,
    /// Why the latest read failed, when this is the last good version.
    pub errors: Vec<String>,
    pub relations: Vec<RelationGroup>,
    pub annotations: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub links: Vec<LinkView>,
    pub definition: Option<ApiDefinition>,
    /// Entities owned (a Group's, or a User's directly and through their groups).
    pub owned: Vec<EntityRow>,
    /// A Group's members.
    pub members: Vec<EntityRow>,
    pub email: Option<String>,
    /// Owner references (`ownedBy`), to show only the actions the viewer may take.
    #[serde(default)]
    pub owners: Vec<String>,
}

/// The relations graph around an entity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    pub width: f64,
    pub height: f64,
    /// More entities were reachable than shown.
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphNode {
    pub entity_ref: String,
    pub kind: String,
    pub label: String,
    pub x: f64,
    pub y: f64,
    pub root: bool,
    pub exists: bool,
}

/// Width of a graph node's box for its label: the server lays out and the page draws with it.
pub fn node_width(label: &str) -> f64 {
    (label.chars().count().min(28) as f64) * 7.2 + 24.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphEdge {
    pub from: usize,
    pub to: usize,
    pub label: String,
}

/// What a location provides (before or after registering it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationPreview {
    pub location_type: String,
    pub target: String,
    /// The first entities and problems, and how many of each in all.
    pub entities: Vec<RefLink>,
    pub entity_count: usize,
    pub problems: Vec<String>,
    pub problem_count: usize,
}

impl LocationPreview {
    #[cfg(feature = "ssr")]
    pub fn new(location_type: String, target: String, listing: catalog::service::Listing) -> LocationPreview {
        let entities = listing
            .entities
            .iter()
            .map(|e| {
                let kind = e["kind"].as_str().unwrap_or_default().to_lowercase();
                let namespace = e["metadata"]["namespace"].as_str().unwrap_or("default").to_lowercase();
                let name = e["metadata"]["name"].as_str().unwrap_or_default().to_lowercase();
                RefLink {
                    entity_ref: format!("{kind}:{namespace}/{name}"),
                    exists: true,
                }
            })
            .collect();
        LocationPreview {
            location_type,
            target,
            entities,
            entity_count: listing.entity_count,
            problems: listing.problems,
            problem_count: listing.problem_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_keeps_only_what_is_set_and_round_trips() {
        let q = CatalogQuery::default()
            .with("kind", "api")
            .with("owner", "group:default/team a")
            .with("desc", "true");
        assert_eq!(q.href(), "/catalog?kind=api&owner=group%3Adefault%2Fteam%20a&desc=true");
        let params: Vec<(String, String)> = vec![
            ("kind".into(), "api".into()),
            ("owner".into(), "group:default/team a".into()),
            ("desc".into(), "true".into()),
        ];
        let back = CatalogQuery::from_params(|k| params.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone()));
        assert_eq!(back, q);
    }

    #[test]
    fn changing_a_filter_returns_to_the_first_page_and_a_new_kind_clears_filters() {
        let q = CatalogQuery {
            cursor: "abc".into(),
            entity_type: "service".into(),
            ..Default::default()
        };
        assert_eq!(q.with("lifecycle", "production").cursor, "");
        assert_eq!(q.with("cursor", "def").entity_type, "service");
        assert_eq!(q.with("kind", "api").entity_type, "");
    }

    #[test]
    fn entity_urls_follow_backstage() {
        assert_eq!(
            entity_href("component:default/checkout"),
            "/catalog/default/component/checkout"
        );
        assert_eq!(
            RefLink {
                entity_ref: "group:default/team-a".into(),
                exists: true
            }
            .label(),
            "group:team-a"
        );
        assert_eq!(
            RefLink {
                entity_ref: "group:ops/sre".into(),
                exists: true
            }
            .label(),
            "group:ops/sre"
        );
    }
}

/// Every registered location with the outcome of its refreshes, for the admin page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocationsReport {
    /// The server's clock (ms) when this was read: ages are shown against it, so the page reads
    /// the same whether rendered on the server or in the browser.
    pub now_ms: i64,
    pub locations: Vec<LocationHealth>,
}

/// One location's refresh status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocationHealth {
    pub id: String,
    pub location_type: String,
    pub target: String,
    /// Who registered it, in words: "from config", "from api", "discovered by github-discovery:…".
    pub origin: String,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_duration_ms: Option<i64>,
    pub entity_count: i64,
    pub problem_count: i64,
    pub last_error: Option<String>,
    pub failures: i64,
    pub next_refresh_at: i64,
    pub refresh_requested: bool,
    pub refreshing: bool,
    /// The first problems of its last refresh: file (and line) and what is wrong.
    pub problems: Vec<String>,
}

impl LocationHealth {
    /// "failing", "refreshing", "pending" (never read yet), "problems" or "ok".
    pub fn state(&self) -> &'static str {
        if self.last_error.is_some() {
            "failing"
        } else if self.refreshing {
            "refreshing"
        } else if self.last_attempt_at.is_none() {
            "pending"
        } else if self.problem_count > 0 {
            "problems"
        } else {
            "ok"
        }
    }
}
