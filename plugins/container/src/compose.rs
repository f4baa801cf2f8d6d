//! docker-compose files: services that are privileged, mount the runtime
//! socket, share the host network, use unpinned images or publish ports on
//! every interface. Long and short syntaxes of `volumes` and `ports` are
//! both read; YAML anchors and merge keys are resolved by the YAML reader.

use aicomply_sdk::{Location, Scan, Severity};

use crate::checks;
use crate::dockerfile::image_parts;
use aicomply_sdk::yaml::{self, Node, Value};

const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
];

/// Is this file name a compose file?
pub fn is_compose(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    (n.starts_with("docker-compose") || n.starts_with("compose"))
        && (n.ends_with(".yml") || n.ends_with(".yaml"))
}

/// Check one compose file; false when it could not be read as one.
pub fn check(path: &str, text: &str, scan: &mut Scan) -> bool {
    let docs = match yaml::parse(text) {
        Ok(d) => d,
        Err(e) => {
            if let yaml::Error::Syntax(why) = &e {
                scan.diagnostic(Location::target(path), format!("not valid YAML: {why}"));
            }
            yaml::record_unread(scan, path, checks::COMPOSE_CHECKS, &e);
            return false;
        }
    };
    let Some(services) = docs.first().and_then(|d| d.get("services")) else {
        return false;
    };
    let Value::Map(entries) = &services.value else {
        return false;
    };
    let at = |n: &Node| Location::target(path).line(n.line);
    for (name, svc) in entries {
        let name = name.as_str().unwrap_or("?");
        if let Some(p) = svc.get("privileged").filter(|v| v.as_bool() == Some(true)) {
            scan.finding(
                checks::COMPOSE_PRIVILEGED,
                format!("service {name} is privileged"),
            )
            .at(at(p))
            .evidence("privileged: true");
        }
        if let Some(n) = svc
            .get("network_mode")
            .filter(|v| v.as_str() == Some("host"))
        {
            scan.finding(
                checks::COMPOSE_HOST_NETWORK,
                format!("service {name} uses the host network"),
            )
            .at(at(n))
            .evidence("network_mode: host");
        }
        for key in ["pid", "ipc", "userns_mode"] {
            if let Some(n) = svc.get(key).filter(|v| v.as_str() == Some("host")) {
                scan.finding(
                    checks::COMPOSE_HOST_NAMESPACE,
                    format!("service {name} sets {key}: host"),
                )
                .at(at(n))
                .evidence(format!("{key}: host"));
            }
        }
        for opt in svc.get("security_opt").map(Node::items).unwrap_or_default() {
            let Some(o) = opt.as_str() else { continue };
            // `seccomp:unconfined` and the `seccomp=unconfined` form.
            let norm = o.replace('=', ":").to_ascii_lowercase();
            if matches!(
                norm.as_str(),
                "seccomp:unconfined"
                    | "apparmor:unconfined"
                    | "label:disable"
                    | "systempaths:unconfined"
            ) {
                scan.finding(
                    checks::COMPOSE_UNCONFINED,
                    format!("service {name} sets security_opt {o}"),
                )
                .at(at(opt))
                .evidence(format!("security_opt: {o}"));
            }
        }
        for cap in svc.get("cap_add").map(Node::items).unwrap_or_default() {
            let Some(c) = cap.as_str() else { continue };
            let bare = c.to_ascii_uppercase();
            let bare = bare.trim_start_matches("CAP_");
            if matches!(
                bare,
                "ALL"
                    | "SYS_ADMIN"
                    | "SYS_MODULE"
                    | "SYS_PTRACE"
                    | "SYS_RAWIO"
                    | "DAC_READ_SEARCH"
                    | "NET_ADMIN"
                    | "BPF"
                    | "SYS_BOOT"
                    | "PERFMON"
            ) {
                scan.finding(
                    checks::COMPOSE_CAP_ADD,
                    format!("service {name} adds capability {c}"),
                )
                .at(at(cap))
                .evidence(format!("cap_add: {c}"));
            }
        }
        for v in svc.get("volumes").map(Node::items).unwrap_or_default() {
            let source = match &v.value {
                Value::Scalar(s, _) => s.split(':').next().unwrap_or("").to_string(),
                Value::Map(_) => v
                    .get("source")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                Value::Seq(_) => String::new(),
            };
            if SOCKETS.contains(&source.as_str()) {
                scan.finding(
                    checks::COMPOSE_SOCKET,
                    format!("service {name} mounts {source}"),
                )
                .at(at(v))
                .evidence(source.clone());
            }
        }
        if let Some(image) = svc.get("image") {
            let img = image.as_str().unwrap_or("");
            let (base, tag, digest) = image_parts(img);
            if crate::dockerfile::unevaluated_image(img) {
                crate::dockerfile::not_evaluated(
                    scan,
                    path,
                    image.line,
                    img,
                    checks::COMPOSE_IMAGE,
                );
            } else if digest.is_none() {
                let (msg, sev) = match tag {
                    None | Some("latest") => (
                        format!("service {name} uses {base} without a version (latest)"),
                        Severity::Medium,
                    ),
                    Some(_) => (
                        format!("service {name} image {img} is not pinned by digest"),
                        Severity::Low,
                    ),
                };
                scan.finding(checks::COMPOSE_IMAGE, msg)
                    .at(at(image))
                    .severity(sev)
                    .evidence(format!("image: {img}"));
            }
        }
        for p in svc.get("ports").map(Node::items).unwrap_or_default() {
            let all_interfaces = match &p.value {
                // "8080:80", "0.0.0.0:8080:80", "80" (random host port)
                Value::Scalar(s, _) => {
                    let parts: Vec<&str> = s.split(':').collect();
                    parts.len() == 2
                        || parts
                            .first()
                            .is_some_and(|h| *h == "0.0.0.0" || *h == "::" || *h == "[::]")
                        || parts.len() == 1
                }
                Value::Map(_) => p
                    .get("host_ip")
                    .is_none_or(|h| matches!(h.as_str(), Some("0.0.0.0") | Some("::"))),
                Value::Seq(_) => false,
            };
            if all_interfaces {
                let spec = p
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| "long syntax".into());
                scan.finding(
                    checks::COMPOSE_PORTS,
                    format!("service {name} publishes {spec} on every interface"),
                )
                .at(at(p))
                .evidence(spec);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services() {
        let mut scan = Scan::new(checks::catalogue());
        let text = "services:\n  api:\n    image: registry.example.com/api:1.2@sha256:ab\n    ports:\n      - \"127.0.0.1:8000:8000\"\n  db:\n    image: postgres\n    privileged: true\n    network_mode: host\n    ports: [\"5432:5432\"]\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n      - type: bind\n        source: /run/docker.sock\n        target: /s\n";
        assert!(check("docker-compose.yml", text, &mut scan));
        let f: Vec<_> = scan
            .into_output()
            .findings
            .into_iter()
            .map(|f| (f.check_id, f.location.unwrap().line.unwrap()))
            .collect();
        assert_eq!(
            f,
            vec![
                ("CONT-COMPOSE-PRIVILEGED".into(), 8),
                ("CONT-COMPOSE-HOST-NETWORK".into(), 9),
                ("CONT-COMPOSE-RUNTIME-SOCKET".into(), 12),
                ("CONT-COMPOSE-RUNTIME-SOCKET".into(), 13),
                ("CONT-COMPOSE-IMAGE-UNPINNED".into(), 7),
                ("CONT-COMPOSE-PORT-ALL-INTERFACES".into(), 10),
            ]
        );
        let mut scan = Scan::new(checks::catalogue());
        let text = "services:\n  gpu:\n    image: r.example.com/gpu:1@sha256:ab\n    pid: host\n    ipc: host\n    security_opt:\n      - seccomp:unconfined\n      - no-new-privileges:true\n      - apparmor=unconfined\n    cap_add: [SYS_ADMIN, NET_BIND_SERVICE, CAP_SYS_PTRACE]\n";
        assert!(check("compose.yaml", text, &mut scan));
        let f: Vec<_> = scan
            .into_output()
            .findings
            .into_iter()
            .map(|f| (f.check_id, f.location.unwrap().line.unwrap()))
            .collect();
        assert_eq!(
            f,
            vec![
                ("CONT-COMPOSE-HOST-NAMESPACE".into(), 4),
                ("CONT-COMPOSE-HOST-NAMESPACE".into(), 5),
                ("CONT-COMPOSE-UNCONFINED".into(), 7),
                ("CONT-COMPOSE-UNCONFINED".into(), 9),
                ("CONT-COMPOSE-CAP-ADD".into(), 10),
                ("CONT-COMPOSE-CAP-ADD".into(), 10),
            ]
        );
        assert!(
            is_compose("docker-compose.prod.yml")
                && is_compose("compose.yaml")
                && !is_compose("deploy.yaml")
        );
    }

    #[test]
    fn files_not_understood_leave_the_compose_checks_incomplete() {
        let incomplete = |scan: &Scan, why: &str| {
            checks::COMPOSE_CHECKS.iter().all(|c| {
                scan.incomplete_checks()
                    .get(*c)
                    .is_some_and(|r| r.contains(why))
            })
        };
        let mut scan = Scan::new(checks::catalogue());
        assert!(!check("compose.yaml", "services: [a\n", &mut scan));
        assert!(scan.diagnostics()[0].message.contains("not valid YAML"));
        assert!(incomplete(&scan, "compose.yaml could not be parsed"));
        // Each alias level nine copies of the one before: 9^9 nodes.
        let mut bomb = String::from("x-a: &a [l, l, l, l, l, l, l, l, l]\n");
        for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            let refs = vec![format!("*{prev}"); 9].join(", ");
            bomb.push_str(&format!("x-{name}: &{name} [{refs}]\n"));
        }
        bomb.push_str("services:\n  db:\n    privileged: true\n");
        let mut scan = Scan::new(checks::catalogue());
        assert!(!check("docker-compose.yml", &bomb, &mut scan));
        let s = &scan.skipped_paths()[0];
        assert_eq!(
            (s.location.path.as_str(), s.reason),
            ("docker-compose.yml", aicomply_sdk::SkipReason::ParseLimit)
        );
        assert!(incomplete(&scan, "docker-compose.yml not examined"));
        assert!(scan.diagnostics().is_empty() && scan.findings().is_empty());
    }
}
