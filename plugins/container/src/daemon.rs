//! Docker daemon configuration (`daemon.json`), read with dockerd's meaning
//! of each key. (dockerd flags in systemd drop-ins override the file; that is
//! the host-snapshot work of a later version.)

use aicomply_sdk::{Location, Scan};
use serde_json::Value;

use crate::checks;

/// Check one daemon.json. Returns false (after a diagnostic) when the file
/// is not a JSON object, so its checks are not counted as evaluated.
pub fn check(path: &str, text: &str, scan: &mut Scan) -> bool {
    let config: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            scan.diagnostic(
                Location::target(path).line(e.line() as u32),
                format!("not valid JSON: {e}"),
            );
            return false;
        }
    };
    let Some(config) = config.as_object() else {
        scan.diagnostic(
            Location::target(path),
            "not a JSON object; dockerd would refuse it",
        );
        return false;
    };
    let at = |key: &str| Location::target(path).line(line_of_key(text, key));

    match config.get("userns-remap").and_then(Value::as_str) {
        Some(v) if !v.trim().is_empty() => {}
        _ => {
            scan.finding(
                checks::DAEMON_USERNS,
                "userns-remap is not set: root in a container is root on the host",
            )
            .at(at("userns-remap"));
        }
    }

    for registry in config
        .get("insecure-registries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = registry.as_str().unwrap_or("?");
        scan.finding(
            checks::DAEMON_INSECURE_REGISTRY,
            format!(
                "images are pulled from {name} over plain HTTP or without certificate verification"
            ),
        )
        .at(at("insecure-registries"))
        .evidence(format!("\"insecure-registries\": [\"{name}\", ...]"));
    }

    let tlsverify = config.get("tlsverify").and_then(Value::as_bool) == Some(true);
    for host in config
        .get("hosts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(host) = host.as_str() else { continue };
        if host.starts_with("tcp://") && !tlsverify {
            scan.finding(
                checks::DAEMON_TCP_NO_TLS,
                format!("dockerd listens on {host} without tlsverify: anyone who reaches the port controls the host"),
            )
            .at(at("hosts"))
            .evidence(format!("\"hosts\": [\"{host}\"], tlsverify unset"));
        }
    }
    true
}

/// The 1-based line where `"key"` first appears, or 1 when it does not
/// (a missing key is reported at the top of the file).
fn line_of_key(text: &str, key: &str) -> u32 {
    let needle = format!("\"{key}\"");
    text.lines()
        .position(|l| l.contains(&needle))
        .map_or(1, |i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<(String, u32)> {
        let mut scan = Scan::new(checks::catalogue());
        assert!(check("etc/docker/daemon.json", text, &mut scan));
        scan.into_output()
            .findings
            .into_iter()
            .map(|f| (f.check_id, f.location.unwrap().line.unwrap()))
            .collect()
    }

    #[test]
    fn flags_missing_userns_insecure_registries_and_plain_tcp() {
        let f = run(
            "{\n  \"hosts\": [\"unix:///var/run/docker.sock\", \"tcp://0.0.0.0:2375\"],\n  \"insecure-registries\": [\"registry.internal:5000\"]\n}\n",
        );
        assert_eq!(
            f,
            vec![
                ("CONT-DAEMON-USERNS-REMAP".into(), 1),
                ("CONT-DAEMON-INSECURE-REGISTRY".into(), 3),
                ("CONT-DAEMON-TCP-NO-TLS".into(), 2),
            ]
        );
    }

    #[test]
    fn hardened_config_passes() {
        assert!(run(r#"{"userns-remap": "default", "hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true, "tlscacert": "/ca.pem"}"#).is_empty());
    }

    #[test]
    fn invalid_json_is_a_diagnostic_not_a_pass() {
        let mut scan = Scan::new(checks::catalogue());
        assert!(!check("daemon.json", "{ \"icc\": false,, }", &mut scan));
        assert_eq!(scan.diagnostics().len(), 1);
        assert!(scan.findings().is_empty());
    }
}
