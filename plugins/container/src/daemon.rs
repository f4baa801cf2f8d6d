//! Docker daemon settings: `daemon.json` plus the dockerd flags in systemd
//! units and drop-ins (`docker.service`, `docker.service.d/*.conf`),
//! merged the way the daemon merges them. Flags take precedence; dockerd
//! itself refuses to start when a directive is given both ways, which is
//! reported as a diagnostic.

use std::collections::{BTreeMap, HashMap};

use aicomply_sdk::{Location, Scan, Severity};
use serde_json::{Map, Value};

use aicomply_sdk::yaml;

use crate::checks;

/// Where a setting came from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: String,
    pub line: u32,
}

/// The effective daemon configuration.
#[derive(Debug, Default)]
pub struct Settings {
    pub values: Map<String, Value>,
    pub origins: BTreeMap<String, Origin>,
    pub files: Vec<String>,
}

impl Settings {
    fn origin(&self, key: &str) -> Location {
        match self.origins.get(key) {
            Some(o) => Location::target(o.file.clone()).line(o.line),
            None => Location::target(self.files.first().cloned().unwrap_or_default()).line(1),
        }
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.values.get(key).and_then(Value::as_bool)
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.values
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    }
}

/// Read a daemon.json into `settings`. False when it is not a JSON object,
/// after a diagnostic (or, past the JSON reader's nesting limit, listing it
/// as not examined): the daemon checks are then incomplete, since what
/// dockerd runs with is not known.
pub fn read_json(path: &str, text: &str, settings: &mut Settings, scan: &mut Scan) -> bool {
    let config: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = e.line() as u32;
            let e = yaml::Error::from(e);
            if let yaml::Error::Syntax(why) = &e {
                scan.diagnostic(
                    Location::target(path).line(line),
                    format!("not valid JSON: {why}"),
                );
            }
            yaml::record_unread(scan, path, checks::DAEMON_CHECKS, &e);
            return false;
        }
    };
    let Value::Object(map) = config else {
        scan.diagnostic(
            Location::target(path),
            "not a JSON object; dockerd would refuse it",
        );
        let e = yaml::Error::Syntax("not a JSON object".into());
        yaml::record_unread(scan, path, checks::DAEMON_CHECKS, &e);
        return false;
    };
    let lines = string_lines(text);
    for (k, v) in map {
        settings.origins.insert(
            k.clone(),
            Origin {
                file: path.into(),
                line: lines.get(k.as_str()).copied().unwrap_or(1),
            },
        );
        settings.values.insert(k, v);
    }
    settings.files.push(path.into());
    true
}

/// Read dockerd flags from the `ExecStart=` lines of a systemd unit.
pub fn read_unit(path: &str, text: &str, settings: &mut Settings, scan: &mut Scan) -> bool {
    let mut found = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let Some(cmd) = line.strip_prefix("ExecStart=") else {
            continue;
        };
        if !cmd.contains("dockerd") {
            continue;
        }
        found = true;
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let origin = Origin {
            file: path.into(),
            line: i as u32 + 1,
        };
        let mut j = 0;
        while j < words.len() {
            let w = words[j];
            j += 1;
            let (flag, inline) = match w.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (w, None),
            };
            let mut value = || {
                inline.clone().or_else(|| {
                    words.get(j).map(|v| {
                        j += 1;
                        v.to_string()
                    })
                })
            };
            let (key, v) = match flag {
                "-H" | "--host" => ("hosts", Value::String(value().unwrap_or_default())),
                "--insecure-registry" => (
                    "insecure-registries",
                    Value::String(value().unwrap_or_default()),
                ),
                "--userns-remap" => ("userns-remap", Value::String(value().unwrap_or_default())),
                "--icc"
                | "--tlsverify"
                | "--no-new-privileges"
                | "--live-restore"
                | "--userland-proxy"
                | "--experimental" => {
                    let b = inline.as_deref() != Some("false");
                    (flag.trim_start_matches("--"), Value::Bool(b))
                }
                _ => continue,
            };
            let list = matches!(key, "hosts" | "insecure-registries");
            if settings.files.iter().any(|f| f.ends_with("daemon.json"))
                && settings
                    .origins
                    .get(key)
                    .is_some_and(|o| o.file.ends_with("daemon.json"))
            {
                scan.diagnostic(Location::target(path).line(origin.line), format!("{key} is set both in daemon.json and as a dockerd flag; dockerd refuses to start with such a conflict"));
            }
            if list {
                let entry = settings
                    .values
                    .entry(key.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = entry {
                    a.push(v);
                }
            } else {
                settings.values.insert(key.to_string(), v);
            }
            settings.origins.insert(key.to_string(), origin.clone());
        }
    }
    if found {
        settings.files.push(path.into());
    }
    found
}

/// Evaluate the merged settings (dockerd's defaults for what is unset).
pub fn check(settings: &Settings, scan: &mut Scan) {
    match settings.values.get("userns-remap").and_then(Value::as_str) {
        Some(v) if !v.trim().is_empty() => {}
        _ => {
            scan.finding(
                checks::DAEMON_USERNS,
                "userns-remap is not set: root in a container is root on the host",
            )
            .at(settings.origin("userns-remap"));
        }
    }
    for name in settings.list("insecure-registries") {
        scan.finding(
            checks::DAEMON_INSECURE_REGISTRY,
            format!(
                "images are pulled from {name} over plain HTTP or without certificate verification"
            ),
        )
        .at(settings.origin("insecure-registries"))
        .evidence(format!("insecure registry {name}"));
    }
    let tlsverify = settings.flag("tlsverify") == Some(true);
    for host in settings.list("hosts") {
        if host.starts_with("tcp://") && !tlsverify {
            scan.finding(checks::DAEMON_TCP_NO_TLS, format!("dockerd listens on {host} without tlsverify: anyone who reaches the port controls the host"))
                .at(settings.origin("hosts"))
                .evidence(format!("host {host}, tlsverify unset"));
        }
    }
    if settings.flag("icc") != Some(false) {
        scan.finding(
            checks::DAEMON_ICC,
            "icc is not false: every container on the default bridge can reach every other",
        )
        .at(settings.origin("icc"));
    }
    for (key, want, why) in [
        (
            "no-new-privileges",
            true,
            "containers may gain privileges through setuid binaries",
        ),
        (
            "live-restore",
            true,
            "containers stop whenever the daemon restarts or is upgraded",
        ),
        (
            "userland-proxy",
            false,
            "published ports go through the userland proxy instead of iptables",
        ),
    ] {
        if settings.flag(key) != Some(want) {
            scan.finding(
                checks::DAEMON_HARDENING,
                format!("{key} is not {want}: {why}"),
            )
            .at(settings.origin(key));
        }
    }
    if settings.flag("experimental") == Some(true) {
        scan.finding(
            checks::DAEMON_HARDENING,
            "experimental features are enabled on a production daemon",
        )
        .at(settings.origin("experimental"))
        .severity(Severity::Medium);
    }
}

/// The 1-based line where each JSON string (a key, for what is looked up)
/// first appears, in one pass: searching the text again for every key took
/// time quadratic in the file.
fn string_lines(text: &str) -> HashMap<&str, u32> {
    let bytes = text.as_bytes();
    let mut lines = HashMap::new();
    let (mut i, mut line) = (0, 1);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'"' => {
                // (The text is valid JSON: a string holds no raw line break.)
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(bytes.len());
                if let Some(s) = text.get(start..end) {
                    lines.entry(s).or_insert(line);
                }
            }
            _ => {}
        }
        i += 1;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str, unit: Option<&str>) -> Vec<(String, String, u32)> {
        let mut scan = Scan::new(checks::catalogue());
        let mut s = Settings::default();
        assert!(read_json("etc/docker/daemon.json", json, &mut s, &mut scan));
        if let Some(u) = unit {
            assert!(read_unit(
                "etc/systemd/system/docker.service.d/override.conf",
                u,
                &mut s,
                &mut scan
            ));
        }
        check(&s, &mut scan);
        scan.into_output()
            .findings
            .into_iter()
            .map(|f| {
                let l = f.location.unwrap();
                (f.check_id, l.path, l.line.unwrap())
            })
            .collect()
    }

    #[test]
    fn flags_missing_userns_insecure_registries_and_plain_tcp() {
        let f = run(
            "{\n  \"hosts\": [\"unix:///var/run/docker.sock\", \"tcp://0.0.0.0:2375\"],\n  \"insecure-registries\": [\"registry.internal:5000\"],\n  \"icc\": false, \"no-new-privileges\": true, \"live-restore\": true, \"userland-proxy\": false\n}\n",
            None,
        );
        let ids: Vec<_> = f.iter().map(|(c, _, l)| (c.as_str(), *l)).collect();
        assert_eq!(
            ids,
            vec![
                ("CONT-DAEMON-USERNS-REMAP", 1),
                ("CONT-DAEMON-INSECURE-REGISTRY", 3),
                ("CONT-DAEMON-TCP-NO-TLS", 2)
            ]
        );
    }

    #[test]
    fn dockerd_flags_override_the_file() {
        let json = r#"{"userns-remap": "default", "icc": false, "no-new-privileges": true, "live-restore": true, "userland-proxy": false}"#;
        assert!(run(json, None).is_empty());
        let unit = "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375 --icc=true --containerd=/run/containerd/containerd.sock\n";
        let f = run(json, Some(unit));
        let ids: Vec<_> = f
            .iter()
            .map(|(c, p, l)| (c.as_str(), p.as_str(), *l))
            .collect();
        assert_eq!(
            ids,
            vec![
                (
                    "CONT-DAEMON-TCP-NO-TLS",
                    "etc/systemd/system/docker.service.d/override.conf",
                    3
                ),
                (
                    "CONT-DAEMON-ICC",
                    "etc/systemd/system/docker.service.d/override.conf",
                    3
                ),
            ]
        );
    }

    #[test]
    fn invalid_json_is_a_diagnostic_not_a_pass() {
        let mut scan = Scan::new(checks::catalogue());
        assert!(!read_json(
            "daemon.json",
            "{ \"icc\": false,, }",
            &mut Settings::default(),
            &mut scan
        ));
        assert_eq!(scan.diagnostics().len(), 1);
        // Whatever else is read, what dockerd runs with is not known.
        for check in checks::DAEMON_CHECKS {
            let reason = scan.incomplete_checks().get(*check);
            assert!(
                reason.is_some_and(|r| r.contains("daemon.json could not be parsed")),
                "{check}: {reason:?}"
            );
        }
        // Nested past the JSON reader's limit, it is not examined.
        let mut scan = Scan::new(checks::catalogue());
        let deep = format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(!read_json(
            "daemon.json",
            &deep,
            &mut Settings::default(),
            &mut scan
        ));
        let skipped = &scan.skipped_paths()[0];
        assert_eq!(skipped.reason, aicomply_sdk::SkipReason::ParseLimit);
        assert!(
            skipped.detail.contains("nested deeper than 128"),
            "{}",
            skipped.detail
        );
        assert!(scan.incomplete_checks().contains_key(checks::DAEMON_ICC));
    }

    #[test]
    fn many_keys_take_linear_time() {
        // 100,000 keys (1.3 MB): finding each key's line by searching the
        // text again was 10^11 byte comparisons.
        let keys: Vec<String> = (0..100_000).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{\n{},\n\"icc\": true\n}}\n", keys.join(",\n"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut settings = Settings::default();
            let mut scan = Scan::new(checks::catalogue());
            assert!(read_json(
                "etc/docker/daemon.json",
                &text,
                &mut settings,
                &mut scan
            ));
            tx.send((settings.origins["icc"].line, settings.origins["k99"].line))
        });
        let lines = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("read within 20 s");
        assert_eq!(lines, (100_002, 101));
    }
}
