//! What the wizard's pages receive from the server: templates for the gallery and the form, the
//! outcome of a dry run or of creating a task, and picker options. Plain data, serialisable.

use serde::{Deserialize, Serialize};

pub use templates::model::Template;
pub use templates::model::schema::FieldError;

use crate::api::catalog::encode;

/// One template of the gallery, with whatever keeps it from running.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateCard {
    pub entity_ref: String,
    pub namespace: String,
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// The owner's full reference (`group:default/platform`).
    pub owner: Option<String>,
    pub template_type: Option<String>,
    /// `field: message` lines; a template with problems cannot be chosen.
    pub problems: Vec<String>,
}

impl TemplateCard {
    /// The form's URL.
    pub fn href(&self) -> String {
        template_href(&self.namespace, &self.name)
    }

    /// Whether the card passes the gallery's search and filters.
    pub fn matches(&self, query: &GalleryQuery) -> bool {
        let q = query.q.trim().to_lowercase();
        let text = q.is_empty()
            || [&self.title, &self.name]
                .into_iter()
                .chain(self.description.as_ref())
                .chain(self.tags.iter())
                .chain(self.template_type.as_ref())
                .any(|field| field.to_lowercase().contains(&q));
        let tag = query.tag.is_empty() || self.tags.iter().any(|t| t.eq_ignore_ascii_case(&query.tag));
        let owner = query.owner.is_empty()
            || self
                .owner
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(&query.owner));
        text && tag && owner
    }
}

/// `/create/templates/{namespace}/{name}`.
pub fn template_href(namespace: &str, name: &str) -> String {
    format!("/create/templates/{}/{}", encode(namespace), encode(name))
}

/// The gallery's search and filters, kept in the URL (`/create?q=&tag=&owner=`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryQuery {
    pub q: String,
    pub tag: String,
    /// An owner's full reference.
    pub owner: String,
}

impl GalleryQuery {
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> GalleryQuery {
        GalleryQuery {
            q: get("q").unwrap_or_default(),
            tag: get("tag").unwrap_or_default(),
            owner: get("owner").unwrap_or_default(),
        }
    }

    /// A copy with one parameter changed.
    pub fn with(&self, param: &str, value: &str) -> GalleryQuery {
        let mut next = self.clone();
        match param {
            "q" => next.q = value.into(),
            "tag" => next.tag = value.into(),
            "owner" => next.owner = value.into(),
            _ => {}
        }
        next
    }

    /// `/create?…` with only the parameters that are set.
    pub fn href(&self) -> String {
        let query: Vec<String> = [("q", &self.q), ("tag", &self.tag), ("owner", &self.owner)]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(p, v)| format!("{p}={}", encode(v)))
            .collect();
        if query.is_empty() {
            "/create".into()
        } else {
            format!("/create?{}", query.join("&"))
        }
    }
}

/// A template ready for its form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateForm {
    pub template: Template,
    /// `field: message` lines; a template with problems cannot run.
    pub problems: Vec<String>,
}

/// What creating a task came to: its id, or the values that do not fit the form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CreateOutcome {
    Created(String),
    Invalid(Vec<FieldError>),
}

/// A file a dry run generated; `text` is `None` for binary files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewFile {
    pub path: String,
    pub size: u64,
    pub executable: bool,
    pub text: Option<String>,
}

/// What a dry run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DryRunView {
    pub files: Vec<PreviewFile>,
    /// The run's log messages, in order.
    pub log: Vec<String>,
    /// What stopped the run before its end (the files so far are still listed).
    pub error: Option<String>,
    /// What each generated Helm chart will request per month (requests × replicas × rates).
    #[serde(default)]
    pub estimates: Vec<cost::estimate::Estimate>,
}

/// What a dry run came to: the files, or the values that do not fit the form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DryRunOutcome {
    Report(DryRunView),
    Invalid(Vec<FieldError>),
}

/// An entity a picker offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickerOption {
    pub entity_ref: String,
    /// Its title, or its name.
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> TemplateCard {
        TemplateCard {
            entity_ref: "template:default/rust-service".into(),
            namespace: "default".into(),
            name: "rust-service".into(),
            title: "Rust service".into(),
            description: Some("An axum service".into()),
            tags: vec!["rust".into(), "recommended".into()],
            owner: Some("group:default/platform".into()),
            template_type: Some("service".into()),
            problems: Vec::new(),
        }
    }

    #[test]
    fn search_and_filters_narrow_the_gallery() {
        let all = GalleryQuery::default();
        assert!(card().matches(&all));
        assert!(card().matches(&all.with("q", "AXUM")));
        assert!(!card().matches(&all.with("q", "python")));
        assert!(card().matches(&all.with("tag", "Rust")));
        assert!(!card().matches(&all.with("tag", "python")));
        assert!(card().matches(&all.with("owner", "group:default/platform")));
        assert!(!card().matches(&all.with("owner", "group:default/web")));
    }

    #[test]
    fn gallery_urls_keep_only_what_is_set() {
        let query = GalleryQuery::default().with("q", "a b").with("tag", "rust");
        assert_eq!(query.href(), "/create?q=a%20b&tag=rust");
        assert_eq!(GalleryQuery::default().href(), "/create");
        assert_eq!(card().href(), "/create/templates/default/rust-service");
    }
}
