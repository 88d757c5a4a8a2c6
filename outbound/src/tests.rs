//! The policy end to end: hosts, paths, addresses, and what refusals say.

use super::*;

fn policy(hosts: &[&str], private: bool) -> ReadingPolicy {
    ReadingPolicy {
        allow: hosts.iter().map(|h| AllowRule::host(*h)).collect(),
        allow_private_networks: private,
    }
}

#[tokio::test]
async fn a_host_not_allowed_is_refused_before_anything_is_resolved() {
    let p = ReadingPolicy::default();
    for url in [
        "https://example.com/acme/shop/blob/main/catalog-info.yaml",
        "http://127.0.0.2:9/acme/shop/blob/main/catalog-info.yaml",
        "https://github.com.evil.net/acme/shop",
        "https://github.com:8443/acme/shop",
    ] {
        let refused = p.check(url).await.expect_err(url);
        assert!(matches!(refused, Refused::NotAllowed(_)), "{url}: {refused}");
        assert!(refused.to_string().contains("backend.reading.allow"), "{refused}");
    }
    let refused = p
        .check_repository("git@example.com:acme/shop.git")
        .await
        .expect_err("scp-like");
    assert!(matches!(refused, Refused::NotAllowed(_)), "{refused}");
}

#[tokio::test]
async fn private_addresses_need_the_setting() {
    let strict = policy(&["127.0.0.2:9", "10.1.2.3", "localhost:8080", "[::1]:3000"], false);
    for url in [
        "http://127.0.0.2:9/acme/shop",
        "https://10.1.2.3/acme/shop",
        "http://localhost:8080/acme/shop",
        "http://[::1]:3000/acme/shop",
    ] {
        let refused = strict.check(url).await.expect_err(url);
        assert!(matches!(refused, Refused::Private(_)), "{url}: {refused}");
        assert!(refused.to_string().contains("allowPrivateNetworks"), "{refused}");
        assert!(!refused.to_string().contains("port"), "nothing about ports: {refused}");
    }
    let open = ReadingPolicy {
        allow_private_networks: true,
        ..strict
    };
    let resolved = open.check("http://127.0.0.2:9/acme/shop").await.expect("allowed");
    assert_eq!((resolved.port, resolved.literal), (9, true));
    assert_eq!(resolved.curl_resolve(), None, "an IP literal needs no pinning");
    let local = open.check("http://localhost:8080/x").await.expect("allowed");
    assert!(
        !local.literal && local.addrs.iter().all(|a| a.is_loopback()),
        "{local:?}"
    );
    let pin = local.curl_resolve().expect("a name is pinned");
    assert!(pin.starts_with("localhost:8080:"), "{pin}");
}

#[tokio::test]
async fn metadata_addresses_are_refused_even_with_private_networks_allowed() {
    let open = policy(
        &["169.254.169.254", "[fd00:ec2::254]", "100.100.100.200", "169.254.170.2"],
        true,
    );
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://169.254.170.2/v2/credentials",
    ] {
        let refused = open.check(url).await.expect_err(url);
        assert!(matches!(refused, Refused::Metadata(_)), "{url}: {refused}");
    }
}

#[tokio::test]
async fn hosts_written_in_ambiguous_forms_are_refused() {
    let open = ReadingPolicy {
        allow: vec![AllowRule::host("*.example.com")],
        allow_private_networks: true,
    };
    for url in [
        "http://2130706433/x",
        "http://0x7f.1/x",
        "http://%31%32%37.0.0.1/x",
        "http://017700000001/x",
        "not a url",
        "https:///nohost",
    ] {
        let refused = open.check(url).await.expect_err(url);
        assert!(matches!(refused, Refused::Invalid(_)), "{url}: {refused}");
    }
}

#[tokio::test]
async fn path_patterns_apply_to_urls_and_around_repositories() {
    let p = ReadingPolicy {
        allow: vec![AllowRule {
            host: "github.com".into(),
            paths: vec!["/acme/".into()],
        }],
        allow_private_networks: false,
    };
    assert!(matches!(
        p.check_without_dns("https://github.com/other/shop/blob/main/x.yaml", Hosts::Allowed),
        Err(Refused::NotAllowed(_))
    ));
    assert!(
        p.check_without_dns("https://github.com/acme/shop/blob/main/x.yaml", Hosts::Allowed)
            .is_ok()
    );
    assert!(matches!(
        p.check_without_dns("https://github.com/acme/../other/x", Hosts::Allowed),
        Err(Refused::NotAllowed(_))
    ));
    assert!(matches!(
        p.check_repository("https://github.com/other/shop").await,
        Err(Refused::NotAllowed(_))
    ));
}

#[test]
fn checks_without_dns_vet_literals_and_hosts() {
    let p = ReadingPolicy::default();
    assert!(matches!(
        p.check_without_dns("http://10.0.0.1/", Hosts::Any),
        Err(Refused::Private(_))
    ));
    assert!(matches!(
        p.check_without_dns("http://169.254.169.254/", Hosts::Any),
        Err(Refused::Metadata(_))
    ));
    assert!(p.check_without_dns("https://login.example.org/", Hosts::Any).is_ok());
    assert!(matches!(
        p.check_without_dns("https://login.example.org/", Hosts::Allowed),
        Err(Refused::NotAllowed(_))
    ));
}

#[test]
fn refusals_never_show_credentials() {
    let p = ReadingPolicy::default();
    let refused = p
        .check_without_dns("https://user:hunter2@example.com/acme/shop", Hosts::Allowed)
        .expect_err("not allowed");
    assert!(!refused.to_string().contains("hunter2"), "{refused}");
    assert!(
        refused.to_string().starts_with("https://example.com/acme/shop "),
        "{refused}"
    );
    let refused = p
        .check_without_dns("https://user:hunter2@/", Hosts::Allowed)
        .expect_err("invalid");
    assert!(!refused.to_string().contains("hunter2"), "{refused}");
}

#[test]
fn integration_hosts_join_the_defaults_once() {
    let p = ReadingPolicy::default().with_hosts(["ghe.example.com".to_string(), "github.com".to_string()]);
    let hosts: Vec<&str> = p.allow.iter().map(|r| r.host.as_str()).collect();
    assert_eq!(hosts, ["github.com", "gitlab.com", "ghe.example.com"]);
}
