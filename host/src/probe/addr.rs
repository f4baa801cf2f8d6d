//! Which addresses a probe may connect to without the operator naming them.
//!
//! A granted *name* must resolve to public addresses only: loopback,
//! private, shared (CGNAT), link-local, cloud metadata, unspecified,
//! multicast, broadcast, reserved and documentation ranges are refused,
//! also when they hide inside an IPv6 address (IPv4-mapped, IPv4-compatible,
//! NAT64, 6to4). The operator reaches such an address only by naming it: an
//! IP literal in the granted URL, or `--endpoint-address HOST=IP`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, or `None` when it is a public address.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

const METADATA_V4: &[Ipv4Addr] = &[
    Ipv4Addr::new(169, 254, 169, 254), // AWS, GCP, Azure, OpenStack, ...
    Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
    Ipv4Addr::new(169, 254, 170, 2),   // AWS ECS task metadata
];

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    if METADATA_V4.contains(&ip) {
        return Some("a cloud metadata address");
    }
    let table: &[([u8; 4], u32, &'static str)] = &[
        ([0, 0, 0, 0], 32, "the unspecified address"),
        ([0, 0, 0, 0], 8, "a \"this network\" address (0.0.0.0/8)"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        ([10, 0, 0, 0], 8, "a private address (10.0.0.0/8)"),
        ([172, 16, 0, 0], 12, "a private address (172.16.0.0/12)"),
        ([192, 168, 0, 0], 16, "a private address (192.168.0.0/16)"),
        (
            [100, 64, 0, 0],
            10,
            "a shared (CGNAT) address (100.64.0.0/10)",
        ),
        (
            [169, 254, 0, 0],
            16,
            "a link-local address (169.254.0.0/16)",
        ),
        (
            [192, 0, 0, 0],
            24,
            "an IETF protocol address (192.0.0.0/24)",
        ),
        ([192, 0, 2, 0], 24, "a documentation address"),
        ([198, 51, 100, 0], 24, "a documentation address"),
        ([203, 0, 113, 0], 24, "a documentation address"),
        (
            [198, 18, 0, 0],
            15,
            "a benchmarking address (198.18.0.0/15)",
        ),
        ([255, 255, 255, 255], 32, "the broadcast address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([240, 0, 0, 0], 4, "a reserved address (240.0.0.0/4)"),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    (u128::from(ip) & mask) == (u128::from(Ipv6Addr::from(net)) & mask)
}

fn embedded(ip: Ipv6Addr, why: &'static str) -> Option<&'static str> {
    let o = ip.octets();
    let v4 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    refused_v4(v4).map(|_| why)
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some("a cloud metadata address");
    }
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated): the
    // IPv4 address is what is reached.
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) {
        return embedded(ip, "an IPv4-mapped form of a refused IPv4 address");
    }
    if in_v6(ip, [0; 8], 96) {
        return Some("an IPv4-compatible address (deprecated, ::/96)");
    }
    // 64:ff9b::/96 (NAT64) carries an IPv4 address in its last 32 bits.
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        return embedded(ip, "a NAT64 form of a refused IPv4 address");
    }
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let o = ip.octets();
        let v4 = Ipv4Addr::new(o[2], o[3], o[4], o[5]);
        return refused_v4(v4).map(|_| "a 6to4 form of a refused IPv4 address");
    }
    let table: &[([u16; 8], u32, &'static str)] = &[
        (
            [0xfc00, 0, 0, 0, 0, 0, 0, 0],
            7,
            "a unique local (private) address (fc00::/7)",
        ),
        (
            [0xfe80, 0, 0, 0, 0, 0, 0, 0],
            10,
            "a link-local address (fe80::/10)",
        ),
        (
            [0xfec0, 0, 0, 0, 0, 0, 0, 0],
            10,
            "a site-local address (fec0::/10, deprecated)",
        ),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "a multicast address"),
        (
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32,
            "a documentation address",
        ),
        (
            [0x0100, 0, 0, 0, 0, 0, 0, 0],
            64,
            "a discard-only address (100::/64)",
        ),
        (
            [0x2001, 0, 0, 0, 0, 0, 0, 0],
            23,
            "an IETF protocol address (2001::/23)",
        ),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Option<&'static str> {
        refused(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "11.0.0.0",
            "9.255.255.255",
            "126.255.255.255",
            "128.0.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(r(ip), None, "{ip} should be public");
        }
    }

    #[test]
    fn every_special_range_is_refused_at_its_edges() {
        let cases: &[(&str, &str)] = &[
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "this network"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.255", "loopback"),
            ("10.0.0.0", "private"),
            ("10.255.255.255", "private"),
            ("172.16.0.0", "private"),
            ("172.31.255.255", "private"),
            ("192.168.0.0", "private"),
            ("192.168.255.255", "private"),
            ("100.64.0.0", "shared"),
            ("100.127.255.255", "shared"),
            ("169.254.0.0", "link-local"),
            ("169.254.255.255", "link-local"),
            ("169.254.169.254", "metadata"),
            ("169.254.170.2", "metadata"),
            ("100.100.100.200", "metadata"),
            ("192.0.0.8", "IETF"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.1", "documentation"),
            ("203.0.113.255", "documentation"),
            ("198.18.0.0", "benchmarking"),
            ("198.19.255.255", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.255", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.254", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fd00:ec2::254", "metadata"),
            ("fc00::1", "unique local"),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique local"),
            ("fe80::1", "link-local"),
            ("febf:ffff::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("100::1", "discard"),
            ("2001::1", "IETF"),
            ("::ffff:127.0.0.1", "IPv4-mapped"),
            ("::ffff:10.1.2.3", "IPv4-mapped"),
            ("::ffff:169.254.169.254", "IPv4-mapped"),
            ("::ffff:100.100.100.200", "IPv4-mapped"),
            ("::ffff:0.0.0.0", "IPv4-mapped"),
            ("::ffff:255.255.255.255", "IPv4-mapped"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("::8.8.8.8", "IPv4-compatible"),
            ("64:ff9b::7f00:1", "NAT64"),
            ("64:ff9b::a9fe:a9fe", "NAT64"),
            ("2002:7f00:1::", "6to4"),
            ("2002:c0a8:101::1", "6to4"),
        ];
        for (ip, what) in cases {
            let why = r(ip).unwrap_or_else(|| panic!("{ip} should be refused"));
            assert!(why.contains(what), "{ip}: {why:?} should say {what}");
        }
    }

    #[test]
    fn every_loopback_and_private_v4_address_is_refused_also_when_mapped() {
        // Exhaustive over the first and last 256 addresses of each range,
        // and a stride through the whole of it.
        for (net, prefix) in [
            ([127u8, 0, 0, 0], 8u32),
            ([10, 0, 0, 0], 8),
            ([172, 16, 0, 0], 12),
            ([192, 168, 0, 0], 16),
            ([100, 64, 0, 0], 10),
            ([169, 254, 0, 0], 16),
        ] {
            let base = u32::from(Ipv4Addr::from(net));
            let size = 1u64 << (32 - prefix);
            let mut offsets: Vec<u64> = (0..256).chain(size - 256..size).collect();
            offsets.extend((0..size).step_by(4099));
            for off in offsets {
                let v4 = Ipv4Addr::from(base + off as u32);
                assert!(refused(IpAddr::V4(v4)).is_some(), "{v4}");
                let mapped = v4.to_ipv6_mapped();
                assert!(refused(IpAddr::V6(mapped)).is_some(), "{mapped}");
            }
            // The addresses just outside the range are public (or another range).
            let after = Ipv4Addr::from(base.wrapping_add(size as u32));
            if !matches!(
                after.octets(),
                [128, ..]
                    | [11, ..]
                    | [172, 32, ..]
                    | [192, 169, ..]
                    | [100, 128, ..]
                    | [169, 255, ..]
            ) {
                panic!("unexpected neighbour {after}");
            }
            assert_eq!(refused(IpAddr::V4(after)), None, "{after}");
        }
    }
}
