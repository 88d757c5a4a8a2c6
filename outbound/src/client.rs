//! The rule for reqwest clients: a resolver that vets the addresses of every connection (so of
//! every redirect too), and a redirect policy that vets every hop's host and IP literal.

use std::sync::Arc;

use crate::{Hosts, ReadingPolicy, Refused};

/// Resolves names for reqwest and refuses any that resolve to a blocked address. reqwest asks it
/// for every new connection, so the addresses connected to are the ones vetted.
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    policy: ReadingPolicy,
}

impl GuardedResolver {
    pub fn new(policy: ReadingPolicy) -> GuardedResolver {
        GuardedResolver { policy }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = crate::lookup(&host, 0).await.map_err(|()| {
                Box::new(Refused::Unreachable(host.clone())) as Box<dyn std::error::Error + Send + Sync>
            })?;
            policy.vet(&addrs, &host).map_err(Box::new)?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter().map(|ip| std::net::SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// `builder` with the rule applied: names through [`GuardedResolver`], at most five redirects,
/// each hop's host and IP literal checked (`hosts` says whether the allow list applies), and no
/// proxy from the environment (a proxy would resolve names the rule cannot vet). Check the first
/// URL with [`ReadingPolicy::check_without_dns`] before sending: an IP literal is never resolved.
pub fn guarded(builder: reqwest::ClientBuilder, policy: &ReadingPolicy, hosts: Hosts) -> reqwest::ClientBuilder {
    let for_redirects = policy.clone();
    builder
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(policy.clone())))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("too many redirects");
            }
            match for_redirects.check_without_dns(attempt.url().as_str(), hosts) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        text
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_not_connected_to() {
        let client = guarded(reqwest::Client::builder(), &ReadingPolicy::default(), Hosts::Any)
            .build()
            .expect("client");
        let error = client.get("http://localhost:9/").send().await.expect_err("refused");
        let chain = chain(&error);
        assert!(chain.contains("private or loopback"), "{chain}");
    }

    #[tokio::test]
    async fn redirects_to_blocked_places_are_not_followed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let _ = socket.read(&mut buffer).await;
                let reply = "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        let open = ReadingPolicy {
            allow_private_networks: true,
            ..ReadingPolicy::default()
        };
        let client = guarded(reqwest::Client::builder(), &open, Hosts::Any)
            .build()
            .expect("client");
        let error = client.get(format!("http://{addr}/")).send().await.expect_err("refused");
        assert!(error.is_redirect(), "{error:?}");
        assert!(chain(&error).contains("cloud metadata"), "{error:?}");
    }
}
