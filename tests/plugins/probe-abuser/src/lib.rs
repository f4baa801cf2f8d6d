//! Hostile test plugin: abuses `host.probe-*`. It probes URLs it was not
//! granted (cloud metadata, a loopback port, a name), every granted
//! endpoint (the test grants a server streaming an endless body and one
//! streaming endless headers), and then probes in a loop far past the
//! probe limit. Each outcome is reported as a finding, so the test can
//! check every attack was contained.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Capability, Check, Context, Plugin, PluginInfo, Scan, Severity};

struct ProbeAbuser;

fn name(f: aicomply_sdk::ProbeFailure) -> String {
    format!("{f:?}")
        .trim_start_matches("ProbeFailure::")
        .to_string()
}

const UNGRANTED: &[&str] = &[
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://127.0.0.1:1/",
    "https://localhost:1/",
    "http://user:secret@127.0.0.1:1/",
    "gopher://127.0.0.1:1/",
];

impl Plugin for ProbeAbuser {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "probe-abuser".into(),
            name: "Probe abuser".into(),
            version: "0.0.0".into(),
            domain: "network".into(),
            description: "Test plugin: probes what it may not, and too much.".into(),
            checks: vec![Check::new(
                "ABUSE-1",
                "NET-2",
                Severity::Info,
                "an attack's outcome",
                "none",
                &[],
            )],
            capabilities: vec![Capability::net_probe("abuses it")],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let granted = ctx.endpoints();
        scan.finding("ABUSE-1", format!("granted {}", granted.len()));
        for url in UNGRANTED {
            let got = match ctx.probe_http(url) {
                Ok(r) => format!("ok status={}", r.status),
                Err(e) => format!("err {}", name(e.failure)),
            };
            scan.finding("ABUSE-1", format!("ungranted {url} {got}"));
        }
        for url in &granted {
            let got = match ctx.probe_http(url) {
                Ok(r) => format!(
                    "ok status={} body_bytes={} truncated={}",
                    r.status, r.body_bytes, r.truncated
                ),
                Err(e) => format!("err {}", name(e.failure)),
            };
            scan.finding("ABUSE-1", format!("granted {url} {got}"));
        }
        // Far past the limit: every probe after it must be refused at once.
        let target = granted
            .first()
            .cloned()
            .unwrap_or_else(|| "http://127.0.0.1:1/".into());
        let (mut made, mut limited, mut first_limited) = (0u32, 0u32, None);
        for i in 0..10_000u32 {
            match ctx.probe_tls(&target) {
                Err(e) if matches!(e.failure, aicomply_sdk::ProbeFailure::LimitReached) => {
                    limited += 1;
                    first_limited.get_or_insert(i);
                }
                _ => made += 1,
            }
        }
        scan.finding(
            "ABUSE-1",
            format!(
                "loop made={made} limited={limited} first_limited={}",
                first_limited.map_or(-1, |i| i as i64)
            ),
        );
        scan.evaluated("ABUSE-1");
        Ok(())
    }
}

aicomply_sdk::export_plugin!(ProbeAbuser);
