//! A cluster's settings (API URL with token and CA, a kubeconfig context, or the pod's own service
//! account) turned into a `kube::Client`.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use kube::config::AuthInfo;

use super::{KubernetesError, kubeconfig};
use catalog::service::Secret;

/// How to reach one cluster's API server.
#[derive(Clone, Debug)]
pub struct ClusterSettings {
    /// The name the catalog knows the cluster by.
    pub name: String,
    pub source: ClusterSource,
}

/// Where a cluster's address and credentials come from.
#[derive(Clone, Debug)]
pub enum ClusterSource {
    Url {
        /// `https://…`; plain `http://` only to a loopback address (tests, `kubectl proxy`).
        api_url: String,
        /// The service account's bearer token.
        token: Option<Secret>,
        trust: ServerTrust,
    },
    /// A context of a kubeconfig file: its server, CA and user (token, client certificate, exec).
    Kubeconfig {
        /// Default: `$KUBECONFIG` (its first file), then `~/.kube/config`.
        path: Option<PathBuf>,
        /// Default: the file's `current-context`.
        context: Option<String>,
    },
    /// The service account of the pod Cairn runs in (`KUBERNETES_SERVICE_HOST`, the mounted token).
    InCluster,
}

/// Which server certificates the client accepts.
#[derive(Clone, Debug)]
pub enum ServerTrust {
    /// The platform's root certificates.
    SystemRoots,
    /// The cluster's own CA, PEM-encoded (a kubeconfig's `certificate-authority-data`, decoded).
    CaPem(String),
    /// Any certificate: refused unless the API URL is a loopback address, so it serves tests only.
    InsecureSkipVerifyOnLoopback,
}

impl ClusterSettings {
    /// A client for this cluster with no read timeout; connects lazily, on its first request.
    pub fn client(&self) -> Result<kube::Client, KubernetesError> {
        self.client_with(None)
    }

    /// A client whose responses (watch streams included) fail after `read_timeout` of silence.
    pub(crate) fn client_with(&self, read_timeout: Option<Duration>) -> Result<kube::Client, KubernetesError> {
        let mut config = match &self.source {
            ClusterSource::Url { api_url, token, trust } => self.url_config(api_url, token.as_ref(), trust)?,
            ClusterSource::Kubeconfig { path, context } => {
                kubeconfig::config(&self.name, path.as_deref(), context.as_deref())?
            }
            ClusterSource::InCluster => kube::Config::incluster().map_err(|e| KubernetesError::InCluster {
                cluster: self.name.clone(),
                reason: e.to_string(),
            })?,
        };
        self.check_scheme(&config.cluster_url)?;
        config.read_timeout = read_timeout;
        // Counts from each request, not from when a pooled connection went idle.
        config.reset_reader_on_write = true;
        kube::Client::try_from(config).map_err(|source| KubernetesError::Client {
            cluster: self.name.clone(),
            source,
        })
    }

    fn url_config(
        &self,
        api_url: &str,
        token: Option<&Secret>,
        trust: &ServerTrust,
    ) -> Result<kube::Config, KubernetesError> {
        let url: http::Uri = api_url.parse().map_err(|_| self.invalid_url(api_url, "not a URL"))?;
        let loopback = is_loopback(&url);
        let mut config = kube::Config::new(url);
        match trust {
            ServerTrust::SystemRoots => {}
            ServerTrust::CaPem(pem) => {
                config.root_cert = Some(pem_certificates(pem).map_err(|reason| self.invalid_trust(reason))?)
            }
            ServerTrust::InsecureSkipVerifyOnLoopback if loopback => config.accept_invalid_certs = true,
            ServerTrust::InsecureSkipVerifyOnLoopback => {
                return Err(self.invalid_trust("skipping certificate checks is allowed for loopback addresses only"));
            }
        }
        config.auth_info = AuthInfo {
            token: token.map(|t| t.0.clone().into()),
            ..AuthInfo::default()
        };
        Ok(config)
    }

    /// Plain http would send the token in clear: loopback only, whatever the source.
    fn check_scheme(&self, url: &http::Uri) -> Result<(), KubernetesError> {
        match url.scheme_str() {
            Some("https") => Ok(()),
            Some("http") if is_loopback(url) => Ok(()),
            Some("http") => {
                Err(self.invalid_url(&url.to_string(), "plain http would send the token in clear; use https"))
            }
            _ => Err(self.invalid_url(&url.to_string(), "the scheme must be https")),
        }
    }

    fn invalid_url(&self, url: &str, reason: &str) -> KubernetesError {
        KubernetesError::InvalidUrl {
            cluster: self.name.clone(),
            url: url.into(),
            reason: reason.into(),
        }
    }

    fn invalid_trust(&self, reason: &str) -> KubernetesError {
        KubernetesError::InvalidTrust {
            cluster: self.name.clone(),
            reason: reason.into(),
        }
    }
}

fn is_loopback(url: &http::Uri) -> bool {
    let host = url
        .host()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The DER bytes of every certificate in a PEM bundle.
fn pem_certificates(pem: &str) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut certificates = Vec::new();
    let mut body: Option<String> = None;
    for line in pem.lines().map(str::trim) {
        match (line, &mut body) {
            ("-----BEGIN CERTIFICATE-----", None) => body = Some(String::new()),
            ("-----END CERTIFICATE-----", Some(text)) => {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|_| "the CA is not valid PEM")?;
                certificates.push(der);
                body = None;
            }
            (line, Some(text)) => text.push_str(line),
            _ => {}
        }
    }
    if certificates.is_empty() || body.is_some() {
        return Err("the CA holds no complete PEM certificate");
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(api_url: &str, trust: ServerTrust) -> ClusterSettings {
        ClusterSettings {
            name: "test".into(),
            source: ClusterSource::Url {
                api_url: api_url.into(),
                token: None,
                trust,
            },
        }
    }

    #[test]
    fn plain_http_and_skipped_checks_only_reach_loopback() {
        assert!(matches!(
            settings("http://k8s.example:6443", ServerTrust::SystemRoots).client(),
            Err(KubernetesError::InvalidUrl { .. })
        ));
        assert!(matches!(
            settings("https://k8s.example:6443", ServerTrust::InsecureSkipVerifyOnLoopback).client(),
            Err(KubernetesError::InvalidTrust { .. })
        ));
    }

    #[test]
    fn in_cluster_outside_a_pod_says_so() {
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            return; // Inside a pod: the settings are valid here.
        }
        let settings = ClusterSettings {
            name: "here".into(),
            source: ClusterSource::InCluster,
        };
        let Err(error) = settings.client() else {
            panic!("a client outside a pod")
        };
        assert!(
            error
                .to_string()
                .starts_with("cluster here: not running in a Kubernetes pod with a service account: "),
            "{error}"
        );
    }

    #[test]
    fn a_kubeconfig_context_too_may_use_plain_http_only_to_loopback() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config");
        let file = "apiVersion: v1\nkind: Config\nclusters:\n- name: far\n  cluster: {server: 'http://k8s.example:8080'}\nusers:\n- name: me\n  user: {token: t}\ncontexts:\n- name: far\n  context: {cluster: far, user: me}\n";
        std::fs::write(&path, file).expect("kubeconfig");
        let settings = ClusterSettings {
            name: "far".into(),
            source: ClusterSource::Kubeconfig {
                path: Some(path),
                context: Some("far".into()),
            },
        };
        assert!(matches!(settings.client(), Err(KubernetesError::InvalidUrl { .. })));
    }

    #[test]
    fn a_bundle_yields_each_certificate() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBA==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_certificates(pem), Ok(vec![vec![0, 1, 2, 3], vec![4]]));
        assert!(pem_certificates("-----BEGIN CERTIFICATE-----\nAAEC").is_err());
    }
}
