//! Which IP addresses the server may connect to: not its own machine, its private networks or
//! the cloud's metadata service (unless allowed), whatever form the address is written in.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not connected to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// Loopback, private, shared (CGNAT), link-local, unique-local, multicast, broadcast,
    /// unspecified, documentation, benchmarking or reserved: allowed by `allowPrivateNetworks`.
    Private,
    /// A cloud metadata service (AWS, GCP, Azure, ECS, Alibaba): never.
    Metadata,
}

/// Addresses of cloud metadata services, refused whatever the configuration says.
const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
];
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)];

/// `None` when the address is a public unicast one.
pub fn classify(ip: IpAddr) -> Option<Blocked> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Blocked> {
    if METADATA_V4.contains(&ip) {
        return Some(Blocked::Metadata);
    }
    let [a, b, c, _] = ip.octets();
    let private = a == 0 // "this network", 0.0.0.0 included
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    private.then_some(Blocked::Private)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Blocked> {
    if METADATA_V6.contains(&ip) {
        return Some(Blocked::Metadata);
    }
    let s = ip.segments();
    // Forms that carry an IPv4 address: judged by that address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return classify_v4(embedded_v4(s[6], s[7])); // IPv4-compatible (deprecated)
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded_v4(s[6], s[7])); // NAT64, well-known prefix
    }
    if s[0] == 0x2002 {
        return classify_v4(embedded_v4(s[1], s[2])); // 6to4
    }
    let private = ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // NAT64, local use
        || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // discard-only
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to an address that cannot be vetted
        || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0) // benchmarking
        || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
        || (s[0] == 0x3fff && s[1] < 0x1000); // documentation (2024)
    private.then_some(Blocked::Private)
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> Option<Blocked> {
        classify(ip.parse().expect("an address"))
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "140.82.121.3",
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "2606:50c0:8000::153",
            "2a00:1450:4001:82b::200e",
            "::ffff:140.82.121.3",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_private_class_is_refused() {
        for ip in [
            "127.0.0.1",
            "127.0.0.2",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.255",
            "192.88.99.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:2::1",
            "2001:0:4136:e378::1",
            "100::1",
            "64:ff9b:1::1",
            "3fff::1",
            // IPv4 inside IPv6: mapped, compatible, NAT64, 6to4.
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:192.168.0.1",
            "::127.0.0.1",
            "::10.1.2.3",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
        ] {
            assert_eq!(class(ip), Some(Blocked::Private), "{ip}");
        }
    }

    #[test]
    fn cloud_metadata_is_its_own_class_in_every_form() {
        for ip in [
            "169.254.169.254",
            "169.254.170.2",
            "100.100.100.200",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
        ] {
            assert_eq!(class(ip), Some(Blocked::Metadata), "{ip}");
        }
    }
}
