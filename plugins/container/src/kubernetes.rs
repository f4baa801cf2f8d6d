//! Kubernetes workload manifests: the pod spec of every Pod, Deployment,
//! StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and
//! CronJob (also inside a `List`), with the API server's defaults and
//! precedence (a container's securityContext overrides the pod's).
//! Manifests are YAML or JSON, read by the SDK's [`kubernetes`] reader.

use aicomply_sdk::kubernetes::{self, Manifests, Object};
use aicomply_sdk::yaml::Node;
use aicomply_sdk::{Scan, Severity};

use crate::checks;

/// Host paths whose mount hands the pod the container runtime.
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run",
    "/run",
    "/var/run/docker",
    "/run/containerd",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
];

/// Check one YAML or JSON file alone (told apart by its name); returns
/// the number of workloads found in it.
pub fn check(path: &str, text: &str, scan: &mut Scan) -> usize {
    let mut manifests = Manifests::new();
    if let Err(why) = manifests.add(path, text) {
        kubernetes::record_unread(scan, path, checks::K8S_CHECKS, &why);
        return 0;
    }
    let objects = manifests.render(scan, checks::K8S_CHECKS);
    check_objects(&objects, scan)
}

/// Check the objects of a tree as rendered; returns the number of
/// workloads among them.
pub fn check_objects(objects: &[Object], scan: &mut Scan) -> usize {
    let mut count = 0;
    for o in objects {
        let obj = &o.node;
        let Some(workload) = kubernetes::workload(obj) else {
            // Custom resources that embed pod templates (operators).
            for (at, spec) in kubernetes::embedded_pod_specs(obj) {
                let title = o.named(format!(
                    "{} ({at})",
                    kubernetes::title(obj, kubernetes::kind(obj), kubernetes::name(obj))
                ));
                check_pod_spec(o, &title, &spec, scan);
                count += 1;
            }
            continue;
        };
        let Some(spec) = workload.pod_spec else {
            scan.diagnostic(
                o.at(obj),
                format!(
                    "{} has no pod spec at {}",
                    o.named(workload.title()),
                    workload.spec_path
                ),
            );
            continue;
        };
        check_pod_spec(o, &o.named(workload.title()), spec, scan);
        count += 1;
    }
    count
}

fn check_pod_spec(o: &Object, workload: &str, spec: &Node, scan: &mut Scan) {
    let at = |node: &Node| o.at(node);

    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(v) = spec.get(key).filter(|v| v.as_bool() == Some(true)) {
            scan.finding(
                checks::K8S_HOST_NAMESPACE,
                format!("{workload} sets {key}: true"),
            )
            .at(at(v))
            .evidence(format!("{key}: true"));
        }
    }

    for (i, volume) in spec
        .get("volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let Some(host_path) = volume.path(&["hostPath", "path"]) else {
            continue;
        };
        let p = host_path.as_str().unwrap_or("");
        let normalised = if p.len() > 1 {
            p.trim_end_matches('/')
        } else {
            p
        };
        if RUNTIME_SOCKETS.contains(&normalised) {
            // A volume without a name is named by its place in the list.
            let vol = volume
                .get("name")
                .and_then(Node::as_str)
                .map_or(format!("volumes[{i}]"), str::to_string);
            scan.finding(
                checks::K8S_RUNTIME_SOCKET,
                format!("{workload} mounts the host path {p} (volume {vol})"),
            )
            .at(at(host_path))
            .evidence(format!("hostPath.path: {p}"));
        }
    }

    if spec.get("hostUsers").and_then(Node::as_bool) != Some(false) {
        let loc = spec.get("hostUsers").map_or(o.at(spec), &at);
        scan.finding(
            checks::K8S_HOST_USERS,
            format!(
                "{workload} does not set hostUsers: false, so root in the pod is root on the node"
            ),
        )
        .at(loc);
    }

    let pod_ctx = spec.get("securityContext");
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, container) in spec
            .get(list)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            // A container without a name is named by its place in the list.
            let who = match container.get("name").and_then(Node::as_str) {
                Some(cname) => format!("{workload} container {cname}"),
                None => format!("{workload} {list}[{i}]"),
            };
            let ctx = container.get("securityContext");
            if let Some(p) = ctx
                .and_then(|c| c.get("privileged"))
                .filter(|v| v.as_bool() == Some(true))
            {
                scan.finding(
                    checks::K8S_PRIVILEGED,
                    format!("{who} is privileged: it has every capability and all host devices"),
                )
                .at(at(p))
                .evidence("securityContext.privileged: true");
            }
            check_run_as_root(&who, container, ctx, pod_ctx, o, scan);
            hardening(&who, container, ctx, pod_ctx, o, scan);
        }
    }
}

/// The per-container settings of the Pod Security Standards' restricted profile.
fn hardening(
    who: &str,
    container: &Node,
    ctx: Option<&Node>,
    pod_ctx: Option<&Node>,
    o: &Object,
    scan: &mut Scan,
) {
    let here = |n: Option<&Node>| o.at(n.unwrap_or(container));
    let name_line = container.get("name");
    let get = |key: &str| ctx.and_then(|c| c.get(key));
    if get("allowPrivilegeEscalation").and_then(Node::as_bool) != Some(false) {
        scan.finding(
            checks::K8S_PRIV_ESC,
            format!("{who} does not set allowPrivilegeEscalation: false"),
        )
        .at(here(get("allowPrivilegeEscalation").or(name_line)));
    }
    if get("readOnlyRootFilesystem").and_then(Node::as_bool) != Some(true) {
        scan.finding(
            checks::K8S_READONLY,
            format!("{who} has a writable root filesystem"),
        )
        .at(here(get("readOnlyRootFilesystem").or(name_line)));
    }
    let drops_all = get("capabilities")
        .and_then(|c| c.get("drop"))
        .is_some_and(|d| {
            d.items()
                .iter()
                .any(|i| i.as_str().is_some_and(|s| s.eq_ignore_ascii_case("all")))
        });
    if !drops_all {
        scan.finding(
            checks::K8S_CAPS,
            format!("{who} does not drop ALL capabilities"),
        )
        .at(here(get("capabilities").or(name_line)));
    }
    let seccomp = get("seccompProfile").or_else(|| pod_ctx.and_then(|c| c.get("seccompProfile")));
    let seccomp_type = seccomp.and_then(|s| s.get("type")).and_then(Node::as_str);
    if !matches!(seccomp_type, Some("RuntimeDefault") | Some("Localhost")) {
        let what = seccomp_type.map_or("no seccomp profile".to_string(), |t| {
            format!("seccomp profile {t}")
        });
        scan.finding(checks::K8S_SECCOMP, format!("{who} runs with {what}"))
            .at(here(seccomp.or(name_line)));
    }
    let limits = container.path(&["resources", "limits"]);
    let missing: Vec<&str> = ["cpu", "memory"]
        .into_iter()
        .filter(|k| limits.and_then(|l| l.get(k)).is_none())
        .collect();
    if !missing.is_empty() {
        scan.finding(
            checks::K8S_LIMITS,
            format!("{who} has no {} limit", missing.join(" or ")),
        )
        .at(here(container.get("resources").or(name_line)));
    }
    if let Some(image) = container.get("image") {
        let img = image.as_str().unwrap_or("");
        let (base, tag, digest) = crate::dockerfile::image_parts(img);
        if crate::dockerfile::unevaluated_image(img) {
            crate::dockerfile::not_evaluated(
                scan,
                o.source(image),
                image.line,
                img,
                checks::K8S_IMAGE,
            );
        } else if digest.is_none() {
            let (msg, sev) = match tag {
                None | Some("latest") => (
                    format!("{who} runs {base} without a version (latest)"),
                    Severity::Medium,
                ),
                Some(_) => (
                    format!("{who} image {img} is not pinned by digest"),
                    Severity::Low,
                ),
            };
            scan.finding(checks::K8S_IMAGE, msg)
                .at(here(Some(image)))
                .severity(sev)
                .evidence(format!("image: {img}"));
        }
    }
}

/// The kubelet refuses to start a container as UID 0 only when
/// runAsNonRoot is true; a non-zero runAsUser also keeps it off root.
fn check_run_as_root(
    who: &str,
    container: &Node,
    ctx: Option<&Node>,
    pod_ctx: Option<&Node>,
    o: &Object,
    scan: &mut Scan,
) {
    let effective = |key: &str| {
        ctx.and_then(|c| c.get(key))
            .or_else(|| pod_ctx.and_then(|c| c.get(key)))
    };
    let run_as_user = effective("runAsUser");
    if let Some(uid) = run_as_user.filter(|u| u.as_i64() == Some(0)) {
        scan.finding(
            checks::K8S_RUN_AS_ROOT,
            format!("{who} runs as UID 0 (runAsUser: 0)"),
        )
        .at(o.at(uid))
        .evidence("runAsUser: 0");
        return;
    }
    let non_root = effective("runAsNonRoot").and_then(Node::as_bool) == Some(true);
    let non_zero_uid = run_as_user.and_then(Node::as_i64).is_some_and(|u| u > 0);
    if !non_root && !non_zero_uid {
        scan.finding(
            checks::K8S_RUN_AS_ROOT,
            format!("{who} sets neither runAsNonRoot: true nor a non-zero runAsUser, so it runs as the image's user, often root"),
        )
        .at(o.at(container.get("name").unwrap_or(container)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings of the four original checks (the restricted-profile
    /// hardening checks are tested on their own).
    fn run(text: &str) -> (usize, Vec<(String, u32)>) {
        let (n, f) = all(text);
        let core = [
            checks::K8S_PRIVILEGED,
            checks::K8S_RUN_AS_ROOT,
            checks::K8S_HOST_NAMESPACE,
            checks::K8S_RUNTIME_SOCKET,
        ];
        (
            n,
            f.into_iter()
                .filter(|(c, _)| core.contains(&c.as_str()))
                .collect(),
        )
    }

    fn all(text: &str) -> (usize, Vec<(String, u32)>) {
        let mut scan = Scan::new(checks::catalogue());
        let n = check("deploy.yaml", text, &mut scan);
        let f = scan
            .into_output()
            .findings
            .into_iter()
            .map(|f| (f.check_id, f.location.unwrap().line.unwrap()))
            .collect();
        (n, f)
    }

    #[test]
    fn restricted_profile_settings() {
        let hardened = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostUsers: false\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n  containers:\n  - name: a\n    image: r.example.com/a:1@sha256:00\n    resources: {limits: {cpu: 1, memory: 1Gi}}\n    securityContext:\n      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      capabilities: {drop: [ALL]}\n";
        assert_eq!(all(hardened), (1, vec![]));
        let loose = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsNonRoot: true}\n  containers:\n  - name: a\n    image: nginx\n";
        let (_, f) = all(loose);
        let ids: Vec<&str> = f.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "CONT-K8S-HOST-USERS",
                "CONT-K8S-PRIVILEGE-ESCALATION",
                "CONT-K8S-READONLY-ROOTFS",
                "CONT-K8S-CAPABILITIES",
                "CONT-K8S-SECCOMP",
                "CONT-K8S-RESOURCE-LIMITS",
                "CONT-K8S-IMAGE-UNPINNED"
            ]
        );
    }

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: inference
spec:
  template:
    spec:
      hostNetwork: yes
      containers:
        - name: server
          image: registry.example.com/llm:1.0
          securityContext:
            privileged: true
      volumes:
        - name: docker
          hostPath:
            path: /var/run/docker.sock/
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: retrain}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          securityContext: {runAsNonRoot: true}
          containers:
            - name: train
              securityContext: {runAsUser: 0}
";

    #[test]
    fn deployment_and_cronjob() {
        let (n, f) = run(DEPLOYMENT);
        assert_eq!(n, 2);
        assert_eq!(
            f,
            vec![
                ("CONT-K8S-HOST-NAMESPACE".into(), 8),
                ("CONT-K8S-RUNTIME-SOCKET".into(), 17),
                ("CONT-K8S-PRIVILEGED".into(), 13),
                ("CONT-K8S-RUN-AS-ROOT".into(), 10),
                ("CONT-K8S-RUN-AS-ROOT".into(), 30),
            ]
        );
    }

    #[test]
    fn custom_resources_with_pod_templates_are_judged() {
        let text = "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: rc}\nspec:\n  workerGroupSpecs:\n  - groupName: gpu\n    template:\n      spec:\n        containers:\n        - image: rayproject/ray:2.9@sha256:aa\n          securityContext:\n            privileged: true\n";
        let mut scan = Scan::new(checks::catalogue());
        assert_eq!(check("ray.yaml", text, &mut scan), 1);
        let f = scan
            .findings()
            .iter()
            .find(|f| f.check_id == checks::K8S_PRIVILEGED)
            .expect("privileged worker");
        assert_eq!(f.location.as_ref().unwrap().line, Some(12));
        assert!(
            f.message.starts_with(
                "RayCluster/rc (spec.workerGroupSpecs[0].template.spec) containers[0] is privileged"
            ),
            "{}",
            f.message
        );
    }

    #[test]
    fn pod_level_context_applies_to_containers() {
        let (n, f) = run(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n    runAsNonRoot: true\n  containers:\n  - name: a\n    image: x\n  - name: b\n    securityContext: {runAsUser: 1000}\n",
        );
        assert_eq!((n, f), (1, vec![]));
    }

    #[test]
    fn lists_and_non_workloads() {
        let (n, _) = run(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers: []\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n",
        );
        assert_eq!(n, 1);
        assert_eq!(run("name: ci\non: push\n").0, 0);
    }

    #[test]
    fn templates_are_diagnosed_not_passed() {
        let mut scan = Scan::new(checks::catalogue());
        let n = check(
            "chart/templates/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{- include \"x\" . | nindent 4 }}\n",
            &mut scan,
        );
        assert_eq!(n, 0);
        assert!(
            scan.diagnostics()[0].message.contains("Helm"),
            "{:?}",
            scan.diagnostics()
        );
        // Not understood, the file leaves every Kubernetes check incomplete.
        assert_k8s_incomplete(
            &scan,
            "chart/templates/d.yaml is a template (Helm or similar) that was not rendered",
        );
        // YAML that is no manifest is nobody's business, valid or not.
        let (n, scan) = scan_file("notes.yaml", "a: [1, 2\nb: c");
        assert_eq!(n, 0);
        assert!(scan.diagnostics().is_empty() && scan.incomplete_checks().is_empty());
    }

    /// Every Kubernetes check is incomplete, for a reason that says `why`.
    fn assert_k8s_incomplete(scan: &Scan, why: &str) {
        for check in checks::K8S_CHECKS {
            let reason = scan.incomplete_checks().get(*check);
            assert!(
                reason.is_some_and(|r| r.contains(why)),
                "{check}: {reason:?}"
            );
        }
    }

    /// (path, reason, detail) of each path not examined.
    fn skipped(scan: &Scan) -> Vec<(String, aicomply_sdk::SkipReason, String)> {
        scan.skipped_paths()
            .iter()
            .map(|s| (s.location.path.clone(), s.reason, s.detail.clone()))
            .collect()
    }

    fn scan_file(path: &str, text: &str) -> (usize, Scan) {
        let mut scan = Scan::new(checks::catalogue());
        let n = check(path, text, &mut scan);
        (n, scan)
    }

    const JSON_DEPLOYMENT: &str = r#"{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {"name": "inference"},
  "spec": {
    "template": {
      "spec": {
        "containers": [
          {
            "name": "server",
            "image": "registry.example.com/llm:1.0",
            "securityContext": {
              "privileged": true
            }
          }
        ]
      }
    }
  }
}
"#;

    #[test]
    fn json_manifests_are_judged_like_yaml_ones() {
        let (n, scan) = scan_file("deploy/inference.json", JSON_DEPLOYMENT);
        assert_eq!(n, 1);
        let privileged: Vec<_> = scan
            .findings()
            .iter()
            .filter(|f| f.check_id == checks::K8S_PRIVILEGED)
            .map(|f| {
                let loc = f.location.as_ref().unwrap();
                (loc.path.clone(), loc.line)
            })
            .collect();
        assert_eq!(privileged, vec![("deploy/inference.json".into(), Some(13))]);
        // The same manifest as YAML gives the same findings.
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: inference}\nspec:\n  template:\n    spec:\n      containers:\n      - name: server\n        image: registry.example.com/llm:1.0\n        securityContext:\n          privileged: true\n";
        let ids = |scan: &Scan| -> Vec<String> {
            scan.findings().iter().map(|f| f.check_id.clone()).collect()
        };
        assert_eq!(ids(&scan), ids(&scan_file("d.yaml", yaml).1));
        assert!(scan.diagnostics().is_empty());
    }

    #[test]
    fn json_lists_of_workloads() {
        let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}},
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
   "spec": {"hostNetwork": true, "containers": []}}
]}"#;
        let (n, scan) = scan_file("all.json", list);
        assert_eq!(n, 1);
        let f = &scan.findings()[0];
        assert_eq!(f.check_id, checks::K8S_HOST_NAMESPACE);
        assert_eq!(f.location.as_ref().unwrap().line, Some(4));
    }

    #[test]
    fn json_that_is_no_manifest_is_passed_over() {
        for (path, text) in [
            (
                "package.json",
                r#"{"name": "web", "scripts": {"kind": "apiVersion"}, "version": "1.0.0"}"#,
            ),
            (
                "tsconfig.json",
                "{\n  // comments: not JSON\n  \"compilerOptions\": {}\n}",
            ),
            (
                "nb.json",
                r#"{"cells": [{"cell_type": "code", "source": ["\"apiVersion\": 1, \"kind\": 2"]}], "nbformat": 4}"#,
            ),
            (
                "schema.json",
                r#"{"properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}}"#,
            ),
            ("array.json", r#"[{"apiVersion": "v1", "kind": "Pod"}]"#),
            ("binary.json", "\u{0}\u{1}garbage"),
        ] {
            let (n, scan) = scan_file(path, text);
            assert_eq!(n, 0, "{path}");
            assert!(scan.findings().is_empty(), "{path}: {:?}", scan.findings());
            assert!(
                scan.diagnostics().is_empty(),
                "{path}: {:?}",
                scan.diagnostics()
            );
            assert!(scan.incomplete_checks().is_empty(), "{path}");
        }
        // A manifest that is not valid JSON is said so, and its checks
        // cannot pass.
        let (_, scan) = scan_file("bad.json", r#"{"apiVersion": "v1", "kind": "Pod", }"#);
        assert!(scan.diagnostics()[0].message.contains("not valid JSON"));
        assert_k8s_incomplete(&scan, "bad.json could not be parsed");
        // One past the JSON reader's nesting limit is not examined.
        let deep = format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"x\": {}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        let (_, scan) = scan_file("deep.json", &deep);
        let s = skipped(&scan);
        assert_eq!(
            (s[0].0.as_str(), s[0].1),
            ("deep.json", aicomply_sdk::SkipReason::ParseLimit)
        );
        assert!(s[0].2.contains("nested deeper than 128"), "{s:?}");
        assert_k8s_incomplete(&scan, "deep.json not examined");
        assert!(scan.diagnostics().is_empty());
    }

    #[test]
    fn escaped_names_are_the_names_the_api_server_reads() {
        let text = r#"{"\u0061piVersion": "v1", "kin\u0064": "Pod", "metadata": {"name": "p"},
 "spec": {"hostPID": true, "containers": []}}"#;
        let (n, scan) = scan_file("p.json", text);
        assert_eq!(n, 1);
        assert_eq!(scan.findings()[0].check_id, checks::K8S_HOST_NAMESPACE);
        assert_eq!(scan.findings()[0].location.as_ref().unwrap().line, Some(2));
    }

    #[test]
    fn a_yaml_bomb_is_reported_as_not_examined() {
        // 9 levels of 9 aliases: 387 million nodes if expanded.
        let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(", ");
            text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let (n, scan) = scan_file("values.yaml", &text);
        assert_eq!(n, 0);
        let s = skipped(&scan);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(
            (s[0].0.as_str(), s[0].1),
            ("values.yaml", aicomply_sdk::SkipReason::ParseLimit)
        );
        assert!(
            s[0].2
                .contains("more than 1000000 nodes after expanding aliases"),
            "{s:?}"
        );
        assert_k8s_incomplete(&scan, "values.yaml not examined");
        // Listed as not examined, not said again as a diagnostic.
        assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
    }

    #[test]
    fn lists_nested_in_lists_stay_within_the_stack() {
        // List inside List inside ...: each a level of recursion in the
        // checks, bounded by what the readers accept.
        let nested = |levels: usize| {
            let mut t = String::new();
            for _ in 0..levels {
                t.push_str("{apiVersion: v1, kind: List, items: [");
            }
            t.push_str("{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostPID: true, containers: []}}");
            for _ in 0..levels {
                t.push_str("]}");
            }
            t
        };
        let run = |text: String| {
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || {
                    let (n, scan) = scan_file("l.yaml", &text);
                    let limits: Vec<String> = skipped(&scan).into_iter().map(|s| s.2).collect();
                    (n, limits)
                })
                .unwrap()
                .join()
                .unwrap()
        };
        // 60 levels (120 collections) are read, and the pod found.
        assert_eq!(run(nested(60)), (1, vec![]));
        // 100 levels (200 collections) are refused; so are 100,000 (by the
        // YAML library's limit on flow collections, 255).
        let (n, limits) = run(nested(100));
        assert_eq!(n, 0);
        assert!(limits[0].contains("nested deeper than 128"), "{limits:?}");
        let (n, limits) = run(nested(100_000));
        assert_eq!(n, 0);
        assert!(limits[0].contains("nested deeper than 255"), "{limits:?}");
    }
}
