//! A cluster's settings (API URL, bearer token, how to trust the server) turned into a `kube::Client`.

use base64::Engine;
use kube::config::AuthInfo;

use super::KubernetesError;
use crate::service::Secret;

/// How to reach one cluster's API server.
#[derive(Clone, Debug)]
pub struct ClusterSettings {
    /// The name the catalog knows the cluster by.
    pub name: String,
    /// `https://…`; plain `http://` only to a loopback address (tests, `kubectl proxy`).
    pub api_url: String,
    /// The service account's bearer token.
    pub token: Option<Secret>,
    pub trust: ServerTrust,
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
    /// A client for this cluster; connects lazily, on its first request.
    pub fn client(&self) -> Result<kube::Client, KubernetesError> {
        let invalid_url = |reason: &str| KubernetesError::InvalidUrl {
            cluster: self.name.clone(),
            url: self.api_url.clone(),
            reason: reason.into(),
        };
        let url: http::Uri = self.api_url.parse().map_err(|_| invalid_url("not a URL"))?;
        let loopback = is_loopback(&url);
        match url.scheme_str() {
            Some("https") => {}
            Some("http") if loopback => {}
            Some("http") => return Err(invalid_url("plain http would send the token in clear; use https")),
            _ => return Err(invalid_url("the scheme must be https")),
        }
        let mut config = kube::Config::new(url);
        match &self.trust {
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
            token: self.token.as_ref().map(|t| t.0.clone().into()),
            ..AuthInfo::default()
        };
        kube::Client::try_from(config).map_err(|source| KubernetesError::Client {
            cluster: self.name.clone(),
            source,
        })
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
            api_url: api_url.into(),
            token: None,
            trust,
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
    fn a_bundle_yields_each_certificate() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBA==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_certificates(pem), Ok(vec![vec![0, 1, 2, 3], vec![4]]));
        assert!(pem_certificates("-----BEGIN CERTIFICATE-----\nAAEC").is_err());
    }
}
