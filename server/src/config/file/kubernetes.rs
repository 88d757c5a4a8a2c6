//! `kubernetes.*`: the clusters whose workloads the Deployments views show. Backstage's shape
//! (`clusterLocatorMethods: [{type: config, clusters: [...]}]`, with `url`, `serviceAccountToken`,
//! `caData`, `caFile`, `skipTLSVerify`), plus two ways Backstage lacks: a kubeconfig context
//! (`kubeconfig: {path, context}`) and the pod's own service account (`inCluster: true`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use base64::Engine;
use catalog::service::Secret;
use deployments::entities::ClusterEntity;
use deployments::{ClusterConfig, ClusterSettings, ClusterSource, ServerTrust};
use serde::Deserialize;

use super::{Env, FileConfig, expand, value_error};
use crate::config::ConfigError;

/// More clusters than this is a mistake in the file, not a fleet one portal watches.
const MAX_CLUSTERS: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct KubernetesSection {
    /// Backstage's `multiTenant`; accepted, and the only way Cairn locates services.
    #[serde(rename = "serviceLocatorMethod")]
    _service_locator_method: Option<serde_json::Value>,
    #[serde(default)]
    cluster_locator_methods: Vec<ClusterLocator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterLocator {
    #[serde(rename = "type")]
    locator_type: String,
    #[serde(default)]
    clusters: Vec<ClusterEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClusterEntry {
    name: String,
    url: Option<String>,
    /// `serviceAccount` (Backstage's default for configured clusters) is the only one supported.
    auth_provider: Option<String>,
    service_account_token: Option<String>,
    /// Base64 of the CA's PEM, as in a kubeconfig's `certificate-authority-data`.
    ca_data: Option<String>,
    ca_file: Option<String>,
    /// Accepted for loopback API servers only (`kubectl proxy`, tests).
    #[serde(rename = "skipTLSVerify")]
    skip_tls_verify: Option<bool>,
    /// Cairn's: a context of a kubeconfig file (default file: `$KUBECONFIG`, then `~/.kube/config`).
    kubeconfig: Option<KubeconfigEntry>,
    /// Cairn's: the service account of the pod Cairn runs in.
    in_cluster: Option<bool>,
    /// Cairn's: the owner of the cluster's Resource entity (an entity reference or a group name).
    owner: Option<String>,
    /// Backstage's; accepted and unused.
    #[serde(rename = "skipMetricsLookup")]
    _skip_metrics_lookup: Option<bool>,
    #[serde(rename = "dashboardUrl")]
    _dashboard_url: Option<String>,
    #[serde(rename = "dashboardApp")]
    _dashboard_app: Option<String>,
    /// Backstage's; Argo CD Applications and Argo Rollouts are watched wherever their CRDs exist.
    #[serde(rename = "customResources")]
    _custom_resources: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KubeconfigEntry {
    path: Option<String>,
    context: Option<String>,
}

impl std::fmt::Debug for ClusterEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterEntry")
            .field("name", &self.name)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl FileConfig {
    /// The configured clusters, each checked: a unique name, exactly one way to reach it.
    pub(in crate::config) fn kubernetes_clusters(&self, env: Env) -> Result<Vec<ClusterConfig>, ConfigError> {
        let mut out = Vec::new();
        let mut names = BTreeSet::new();
        for locator in &self.kubernetes.cluster_locator_methods {
            if locator.locator_type != "config" {
                return Err(value_error(
                    "kubernetes.clusterLocatorMethods.type",
                    format!(
                        "`{}` is not supported; list clusters under `type: config`",
                        locator.locator_type
                    ),
                ));
            }
            for entry in &locator.clusters {
                let cluster = cluster(entry, env)?;
                if !names.insert(cluster.name.clone()) {
                    return Err(value_error(
                        "kubernetes.clusterLocatorMethods.clusters.name",
                        format!("cluster `{}` is configured twice", cluster.name),
                    ));
                }
                let endpoint = match &cluster.source {
                    ClusterSource::Url { api_url, .. } => api_url.clone(),
                    ClusterSource::Kubeconfig { context, .. } => {
                        format!("kubeconfig context {}", context.as_deref().unwrap_or("(current)"))
                    }
                    ClusterSource::InCluster => "in-cluster service account".into(),
                };
                let entity = ClusterEntity {
                    name: cluster.name.clone(),
                    owner: entry.owner.clone(),
                    endpoint,
                };
                out.push(ClusterConfig {
                    settings: cluster,
                    entity,
                });
            }
        }
        if out.len() > MAX_CLUSTERS {
            return Err(value_error(
                "kubernetes.clusterLocatorMethods.clusters",
                format!(
                    "{} clusters is more than the {MAX_CLUSTERS} one portal watches",
                    out.len()
                ),
            ));
        }
        Ok(out)
    }
}

fn cluster(entry: &ClusterEntry, env: Env) -> Result<ClusterSettings, ConfigError> {
    let name = entry.name.trim();
    let named = |message: &str| format!("cluster `{name}`: {message}");
    let key = "kubernetes.clusterLocatorMethods.clusters";
    // The name becomes part of a Resource entity's name: keep it to what entity names allow.
    if name.is_empty()
        || name.len() > 63
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(value_error(
            "kubernetes.clusterLocatorMethods.clusters.name",
            format!("`{name}` must be 1–63 letters, digits, `-`, `_` or `.`"),
        ));
    }
    if let Some(provider) = &entry.auth_provider
        && provider != "serviceAccount"
    {
        return Err(value_error(
            key,
            named(&format!(
                "authProvider `{provider}` is not supported; use `serviceAccount` (a token), a kubeconfig context or inCluster"
            )),
        ));
    }
    let ways = [
        entry.url.is_some(),
        entry.kubeconfig.is_some(),
        entry.in_cluster == Some(true),
    ];
    let source = match ways {
        [true, false, false] => {
            let url = expand(
                entry.url.as_deref().unwrap_or_default(),
                "kubernetes.clusterLocatorMethods.clusters.url",
                env,
            )?;
            let token = entry
                .service_account_token
                .as_deref()
                .map(|t| expand(t, "kubernetes.clusterLocatorMethods.clusters.serviceAccountToken", env))
                .transpose()?
                .filter(|t| !t.trim().is_empty())
                .map(|t| Secret(t.trim().to_string()));
            let skip_tls_verify = entry.skip_tls_verify == Some(true);
            let trust = match (&entry.ca_data, &entry.ca_file, skip_tls_verify) {
                (Some(_), Some(_), _) => return Err(value_error(key, named("set caData or caFile, not both"))),
                (Some(_), None, true) | (None, Some(_), true) => {
                    return Err(value_error(key, named("skipTLSVerify cannot be combined with a CA")));
                }
                (None, None, true) => ServerTrust::InsecureSkipVerifyOnLoopback,
                (Some(data), None, false) => {
                    let data = expand(data, "kubernetes.clusterLocatorMethods.clusters.caData", env)?;
                    let pem = base64::engine::general_purpose::STANDARD
                        .decode(data.trim())
                        .ok()
                        .and_then(|bytes| String::from_utf8(bytes).ok())
                        .ok_or_else(|| value_error(key, named("caData is not base64 of a PEM certificate")))?;
                    ServerTrust::CaPem(pem)
                }
                (None, Some(file), false) => {
                    let path = expand(file, "kubernetes.clusterLocatorMethods.clusters.caFile", env)?;
                    let pem = read_small(&path).map_err(|e| value_error(key, named(&format!("caFile {path}: {e}"))))?;
                    ServerTrust::CaPem(pem)
                }
                (None, None, false) => ServerTrust::SystemRoots,
            };
            ClusterSource::Url {
                api_url: url,
                token,
                trust,
            }
        }
        [false, true, false] => {
            let kubeconfig = entry.kubeconfig.as_ref().expect("checked above");
            if entry.service_account_token.is_some() || entry.ca_data.is_some() || entry.ca_file.is_some() {
                return Err(value_error(
                    key,
                    named(
                        "a kubeconfig context brings its own credentials; remove serviceAccountToken, caData and caFile",
                    ),
                ));
            }
            ClusterSource::Kubeconfig {
                path: kubeconfig
                    .path
                    .as_deref()
                    .map(|p| {
                        expand(p, "kubernetes.clusterLocatorMethods.clusters.kubeconfig.path", env).map(PathBuf::from)
                    })
                    .transpose()?,
                context: kubeconfig
                    .context
                    .as_deref()
                    .map(|c| expand(c, "kubernetes.clusterLocatorMethods.clusters.kubeconfig.context", env))
                    .transpose()?,
            }
        }
        [false, false, true] => ClusterSource::InCluster,
        [false, false, false] => {
            return Err(value_error(
                key,
                named("say how to reach it: `url` (with serviceAccountToken), `kubeconfig` or `inCluster: true`"),
            ));
        }
        _ => {
            return Err(value_error(
                key,
                named("use only one of `url`, `kubeconfig` and `inCluster`"),
            ));
        }
    };
    Ok(ClusterSettings {
        name: name.to_string(),
        source,
    })
}

/// A CA bundle: a few kilobytes at most.
fn read_small(path: &str) -> Result<String, String> {
    const MAX_CA_BYTES: u64 = 1024 * 1024;
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_CA_BYTES {
        return Err(format!("{size} bytes is larger than {MAX_CA_BYTES}"));
    }
    std::fs::read_to_string(path).map_err(|e| e.to_string())
}
