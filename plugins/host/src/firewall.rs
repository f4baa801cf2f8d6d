//! Host firewall state from ufw, iptables-save and nftables files.
//! Hand-written readers of the small subsets these files use for inbound
//! policy: default policies and rules that accept TCP ports.

/// An inbound rule that accepts traffic to a port.
#[derive(Debug, Clone, PartialEq)]
pub struct Open {
    pub port: String,
    /// A source restriction (`-s 10.0.0.0/8`, `ip saddr ...`), if any.
    pub source: Option<String>,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Default)]
pub struct Inbound {
    /// Default input policy is to accept (`ACCEPT`, `accept`).
    pub default_accept: Option<(bool, String, u32)>,
    pub forward_accept: Option<(bool, String, u32)>,
    pub enabled: Option<(bool, String, u32)>,
    /// ufw's `LOGLEVEL=` (false: `off`), where ufw.conf sets it.
    pub logging: Option<(bool, String, u32)>,
    pub open: Vec<Open>,
}

/// iptables-save format (also ufw's user.rules).
pub fn iptables(text: &str, file: &str, fw: &mut Inbound) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i as u32 + 1;
        if let Some(rest) = line.strip_prefix(':') {
            let mut parts = rest.split_whitespace();
            let (chain, policy) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            match chain {
                "INPUT" => fw.default_accept = Some((policy == "ACCEPT", file.into(), n)),
                "FORWARD" => fw.forward_accept = Some((policy == "ACCEPT", file.into(), n)),
                _ => {}
            }
            continue;
        }
        if !line.starts_with("-A") || !line.contains("-j ACCEPT") {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let chain = words.get(1).copied().unwrap_or("");
        if !(chain == "INPUT" || chain.ends_with("-user-input") || chain.ends_with("-input")) {
            continue;
        }
        let arg = |flag: &str| {
            words
                .iter()
                .position(|w| *w == flag)
                .and_then(|p| words.get(p + 1))
                .map(|s| s.to_string())
        };
        let source = arg("-s")
            .or_else(|| arg("--source"))
            .filter(|s| s != "0.0.0.0/0" && s != "::/0");
        let ports = arg("--dport").or_else(|| arg("--dports"));
        if let Some(ports) = ports {
            for port in ports.split(',') {
                fw.open.push(Open {
                    port: port.to_string(),
                    source: source.clone(),
                    file: file.into(),
                    line: n,
                });
            }
        }
    }
}

/// nftables: `policy` of input/forward chains and `tcp dport ... accept`.
pub fn nftables(text: &str, file: &str, fw: &mut Inbound) {
    let mut chain = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        let n = i as u32 + 1;
        if let Some(rest) = line.strip_prefix("chain ") {
            chain = rest.trim_end_matches('{').trim().to_string();
        }
        if line.contains("type filter hook input") || line.contains("hook input") {
            chain = "input".into();
        } else if line.contains("hook forward") {
            chain = "forward".into();
        }
        if let Some(p) = line.find("policy ") {
            let policy = line[p + 7..].trim_end_matches(';').trim();
            let accept = policy.starts_with("accept");
            match chain.as_str() {
                "input" => fw.default_accept = Some((accept, file.into(), n)),
                "forward" => fw.forward_accept = Some((accept, file.into(), n)),
                _ => {}
            }
        }
        if chain == "input" && line.contains("dport") && line.ends_with("accept") {
            let after = &line[line.find("dport").expect("checked") + 5..];
            let after = after.trim();
            // `dport 22`, or a set: `dport { 22, 443 }`.
            let spec = if let Some(set) = after.strip_prefix('{') {
                set.split('}').next().unwrap_or("")
            } else {
                after.split_whitespace().next().unwrap_or("")
            };
            let source = line.find("saddr").map(|p| {
                line[p + 5..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string()
            });
            for port in spec.split(',') {
                let port = port.trim();
                if !port.is_empty() {
                    fw.open.push(Open {
                        port: port.to_string(),
                        source: source.clone(),
                        file: file.into(),
                        line: n,
                    });
                }
            }
        }
    }
}

/// ufw.conf `ENABLED=` and `LOGLEVEL=`, and /etc/default/ufw default
/// policies.
pub fn ufw_settings(text: &str, file: &str, fw: &mut Inbound) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i as u32 + 1;
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"');
        match k.trim() {
            "ENABLED" => fw.enabled = Some((v.eq_ignore_ascii_case("yes"), file.into(), n)),
            // ufw logs at `low` unless LOGLEVEL says otherwise.
            "LOGLEVEL" => fw.logging = Some((!v.eq_ignore_ascii_case("off"), file.into(), n)),
            "DEFAULT_INPUT_POLICY" => fw.default_accept = Some((v == "ACCEPT", file.into(), n)),
            "DEFAULT_FORWARD_POLICY" => fw.forward_accept = Some((v == "ACCEPT", file.into(), n)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iptables_and_nft() {
        let mut fw = Inbound::default();
        iptables(
            "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n-A INPUT -p tcp --dport 443 -j ACCEPT\n-A INPUT -p tcp -s 10.0.0.0/8 --dport 22 -j ACCEPT\n-A ufw-user-input -p tcp -m multiport --dports 80,8080 -j ACCEPT\nCOMMIT\n",
            "rules.v4",
            &mut fw,
        );
        assert!(!fw.default_accept.as_ref().unwrap().0);
        assert!(fw.forward_accept.as_ref().unwrap().0);
        let ports: Vec<_> = fw
            .open
            .iter()
            .map(|o| (o.port.as_str(), o.source.is_some()))
            .collect();
        assert_eq!(
            ports,
            vec![("443", false), ("22", true), ("80", false), ("8080", false)]
        );
        let mut fw = Inbound::default();
        nftables(
            "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport { 22, 443 } accept\n  }\n}\n",
            "nftables.conf",
            &mut fw,
        );
        assert!(fw.default_accept.as_ref().unwrap().0);
        assert_eq!(fw.open.len(), 2);
    }
}
