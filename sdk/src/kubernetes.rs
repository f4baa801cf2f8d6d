//! Kubernetes objects in manifests, read once for every plugin: which files
//! may hold them, every object in a file (multi-document YAML, JSON, `List`
//! items), and what could not be read, said the same way by every plugin.
//!
//! Templates (Helm charts and the like) are not rendered here: a file that
//! is one is reported as such, and the checks that would have judged it are
//! incomplete rather than passed.

use std::path::Path;

use crate::yaml::{self, Node, Value};
use crate::{Location, Scan, fs};

/// What a YAML or JSON file turned out to hold.
#[derive(Debug)]
pub enum Manifest {
    /// The Kubernetes objects in it (each has `apiVersion` and `kind`),
    /// with the items of every `List` in place of the list. May be empty
    /// for a YAML file of other objects.
    Objects(Vec<Node>),
    /// Valid YAML or JSON that is no manifest, or a file that could not be
    /// parsed and does not look like one: nothing to say about it.
    NotManifest,
    /// A file that looks like a manifest but was not read.
    Unread(Unread),
}

/// Why a file that looks like a manifest was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum Unread {
    /// A template (Helm or similar: `{{ }}` that does not parse as YAML).
    Template(String),
    /// Not valid YAML or JSON, or past a reader's limit.
    Invalid(yaml::Error),
}

/// Whether `relative` (a `/`-separated path) is a file that may hold
/// manifests: YAML, or JSON other than lockfiles, tokenizers and the JSON
/// of installed JavaScript packages (thousands of files, none a manifest
/// of this target).
pub fn may_hold_manifests(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return true;
    }
    lower.ends_with(".json")
        && !NEVER_MANIFESTS.contains(&lower.as_str())
        && !relative.split('/').any(|c| c == "node_modules")
}

/// JSON files that are never manifests and are often large: read, they
/// would be reported as too large to examine (and leave the Kubernetes
/// checks incomplete): lockfiles, and the tokenizers beside AI models.
const NEVER_MANIFESTS: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "tokenizer.json",
    "vocab.json",
];

/// Whether a JSON file too large to read could be a Kubernetes manifest:
/// one that names no `apiVersion` in its first or last 64 KiB (where
/// `kubectl get -o json` and every generator put it) is not one, and is
/// passed over like any other file that is not a manifest. A file that
/// cannot be peeked at may be one.
pub fn large_json_may_be_manifest(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    const PEEK: u64 = 64 << 10;
    let Ok((mut file, size)) = fs::open_regular(path) else {
        return true;
    };
    let mut peek = |from: u64| {
        let mut buf = Vec::new();
        file.seek(SeekFrom::Start(from))
            .and_then(|_| (&mut file).take(PEEK).read_to_end(&mut buf))
            .map(|_| buf)
    };
    match (peek(0), peek(size.saturating_sub(PEEK))) {
        (Ok(head), Ok(tail)) => [head, tail]
            .iter()
            .any(|b| b.windows(12).any(|w| w == b"\"apiVersion\"")),
        _ => true,
    }
}

/// Read the objects of one YAML or JSON file (told apart by its name).
pub fn read(path: &str, text: &str) -> Manifest {
    if path.to_ascii_lowercase().ends_with(".json") {
        return read_json(text);
    }
    match yaml::parse(text) {
        Ok(docs) => Manifest::Objects(flatten(docs)),
        // Whatever the file is, it was not examined: it could have been a
        // manifest.
        Err(e @ yaml::Error::Limit(_)) => Manifest::Unread(Unread::Invalid(e)),
        // Only worth saying for files that would have been manifests.
        Err(e) if text.contains("apiVersion") || text.contains("kind:") => {
            if text.contains("{{") {
                Manifest::Unread(Unread::Template(e.to_string()))
            } else {
                Manifest::Unread(Unread::Invalid(e))
            }
        }
        Err(_) => Manifest::NotManifest,
    }
}

/// A JSON file is a manifest when its top-level object has `apiVersion`
/// and `kind` (however escaped: the tree holds the decoded names); most
/// JSON files are not (package.json, tsconfig.json, notebooks).
fn read_json(text: &str) -> Manifest {
    match yaml::json::parse(text) {
        Ok(Some(doc)) => match flatten(vec![doc]) {
            objects if objects.is_empty() => Manifest::NotManifest,
            objects => Manifest::Objects(objects),
        },
        Ok(None) => Manifest::NotManifest,
        // What cannot be read is worth saying only for a file that would
        // have been a manifest (JSON with comments is common and is none).
        Err(e) if text.contains("\"apiVersion\"") && text.contains("\"kind\"") => {
            Manifest::Unread(Unread::Invalid(e))
        }
        Err(_) => Manifest::NotManifest,
    }
}

/// The objects among `docs`, `List` items in place of their list. The
/// readers bound nesting (yaml::MAX_DEPTH, serde_json's 128), and lists
/// are unwrapped with an explicit stack.
fn flatten(docs: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack: Vec<Node> = docs.into_iter().rev().collect();
    while let Some(obj) = stack.pop() {
        let Some(kind) = obj.get("kind").and_then(Node::as_str) else {
            continue;
        };
        if obj.get("apiVersion").is_none() {
            continue;
        }
        if kind == "List" || kind.ends_with("List") {
            if let Some(items) = obj.get("items") {
                stack.extend(items.items().iter().rev().cloned());
            }
            continue;
        }
        out.push(obj);
    }
    out
}

/// Record a file that looks like a manifest but was not read: a diagnostic
/// that says why, and each of `checks` incomplete (a parser limit also
/// lists the file as not examined).
pub fn record_unread(scan: &mut Scan, path: &str, checks: &[&str], unread: &Unread) {
    match unread {
        Unread::Template(e) => {
            scan.diagnostic(
                Location::target(path),
                format!(
                    "looks like a Helm or other template; render it (helm template) and scan the output: {e}"
                ),
            );
            for check in checks {
                scan.incomplete(
                    check,
                    format!("{path} is a template (Helm or similar) that was not rendered"),
                );
            }
        }
        Unread::Invalid(e) => {
            if let yaml::Error::Syntax(why) = e {
                let what = if path.to_ascii_lowercase().ends_with(".json") {
                    "JSON"
                } else {
                    "YAML"
                };
                scan.diagnostic(Location::target(path), format!("not valid {what}: {why}"));
            }
            yaml::record_unread(scan, path, checks, e);
        }
    }
}

/// An object's `kind`, `metadata.name` and `metadata.namespace`.
pub fn kind(obj: &Node) -> &str {
    obj.get("kind").and_then(Node::as_str).unwrap_or("")
}

pub fn name(obj: &Node) -> &str {
    obj.path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or("(unnamed)")
}

pub fn namespace(obj: &Node) -> Option<&str> {
    obj.path(&["metadata", "namespace"]).and_then(Node::as_str)
}

/// A workload: an object that runs pods.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    pub object: &'a Node,
    /// `Deployment/name`.
    pub kind: &'a str,
    pub name: &'a str,
    /// The pod spec, where the object has one.
    pub pod_spec: Option<&'a Node>,
    /// Where the pod spec is expected, e.g. `spec.template.spec`.
    pub spec_path: &'static str,
    /// The labels of the pods it runs (the pod template's, or a Pod's own).
    pub pod_labels: Option<&'a Node>,
}

impl Workload<'_> {
    /// `Kind/name`, as reports name a workload.
    pub fn title(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// The workload `obj` is, when it is one: Pod, Deployment, StatefulSet,
/// DaemonSet, ReplicaSet, ReplicationController, Job or CronJob.
pub fn workload(obj: &Node) -> Option<Workload<'_>> {
    let kind = obj.get("kind").and_then(Node::as_str)?;
    let spec_path: &[&str] = match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    };
    let metadata_path = &spec_path[..spec_path.len() - 1];
    let pod_labels = if kind == "Pod" {
        obj.path(&["metadata", "labels"])
    } else {
        obj.path(metadata_path)
            .and_then(|t| t.path(&["metadata", "labels"]))
    };
    Some(Workload {
        object: obj,
        kind,
        name: name(obj),
        pod_spec: obj.path(spec_path),
        spec_path: match kind {
            "Pod" => "spec",
            "CronJob" => "spec.jobTemplate.spec.template.spec",
            _ => "spec.template.spec",
        },
        pod_labels,
    })
}

/// Pod specs embedded in a custom resource, found by shape: every map at
/// any depth whose `containers` is a list of maps with an `image` (Ray's
/// head and worker groups, KServe predictors, Knative services, Argo
/// templates, Kubeflow replica specs), with the dotted path to it
/// (`spec.workerGroupSpecs[0].template.spec`). Empty for the built-in
/// workload kinds, which [`workload`] reads.
pub fn embedded_pod_specs(obj: &Node) -> Vec<(String, &Node)> {
    let mut out = Vec::new();
    if workload(obj).is_some() {
        return out;
    }
    if let Some(spec) = obj.get("spec") {
        walk_for_pods(spec, "spec".to_string(), 0, &mut out);
    }
    out
}

fn walk_for_pods<'a>(
    node: &'a Node,
    path: String,
    depth: usize,
    out: &mut Vec<(String, &'a Node)>,
) {
    // Manifests nest a pod spec a few levels down; a bound keeps a hostile
    // document from costing more than its size.
    if depth > 12 {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            let is_pod = node.get("containers").is_some_and(|c| {
                !c.items().is_empty() && c.items().iter().all(|i| i.get("image").is_some())
            });
            if is_pod {
                out.push((path, node));
                return;
            }
            for (k, v) in entries {
                if let Some(k) = k.as_str() {
                    walk_for_pods(v, format!("{path}.{k}"), depth + 1, out);
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_for_pods(item, format!("{path}[{i}]"), depth + 1, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_specs_embedded_in_custom_resources_are_found_by_shape() {
        let text = "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: rc}\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        containers: [{name: head, image: rayproject/ray:2.9}]\n  workerGroupSpecs:\n  - groupName: gpu\n    template:\n      spec:\n        containers: [{name: w, image: rayproject/ray:2.9}]\n";
        let Manifest::Objects(objects) = read("ray.yaml", text) else {
            panic!("not read");
        };
        let paths: Vec<_> = embedded_pod_specs(&objects[0])
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            paths,
            [
                "spec.headGroupSpec.template.spec",
                "spec.workerGroupSpecs[0].template.spec"
            ]
        );
        let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n";
        let Manifest::Objects(objects) = read("d.yaml", dep) else {
            panic!("not read");
        };
        assert!(embedded_pod_specs(&objects[0]).is_empty());
    }

    #[test]
    fn lists_are_unwrapped_and_other_documents_passed_over() {
        let text = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n  - apiVersion: v1\n    kind: ServiceList\n    items:\n      - {apiVersion: v1, kind: Service, metadata: {name: s}}\n---\nfoo: bar\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {x: y}}\nspec:\n  template:\n    metadata: {labels: {app: d}}\n    spec: {containers: []}\n";
        let Manifest::Objects(objects) = read("m.yaml", text) else {
            panic!("not read");
        };
        let names: Vec<_> = objects.iter().map(|o| (kind(o), name(o))).collect();
        assert_eq!(names, [("Pod", "a"), ("Service", "s"), ("Deployment", "d")]);
        let w = workload(&objects[2]).unwrap();
        assert_eq!(w.title(), "Deployment/d");
        assert_eq!(
            w.pod_labels.unwrap().get("app").unwrap().as_str(),
            Some("d")
        );
        assert!(w.pod_spec.is_some());
        assert!(workload(&objects[1]).is_none());
    }

    #[test]
    fn templates_invalid_files_and_json() {
        let helm = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n{{ include \"x\" . | indent 4 }}\n";
        assert!(matches!(
            read("t.yaml", helm),
            Manifest::Unread(Unread::Template(_))
        ));
        assert!(matches!(
            read("b.yaml", "apiVersion: v1\nkind: [\n"),
            Manifest::Unread(Unread::Invalid(yaml::Error::Syntax(_)))
        ));
        assert!(matches!(read("c.yaml", "a: [\n"), Manifest::NotManifest));
        assert!(matches!(
            read("p.json", "{\"name\": \"pkg\"}"),
            Manifest::NotManifest
        ));
        assert!(matches!(
            read("p.json", "{\"apiVersion\": 1, \"kind\": }"),
            Manifest::Unread(_)
        ));
        let Manifest::Objects(o) = read("r.json", "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\"}")
        else {
            panic!()
        };
        assert_eq!(kind(&o[0]), "Pod");
    }

    #[test]
    fn which_files_may_hold_manifests() {
        assert!(may_hold_manifests("deploy/app.yaml"));
        assert!(may_hold_manifests("k8s/pod.JSON"));
        assert!(!may_hold_manifests("web/package-lock.json"));
        assert!(!may_hold_manifests("web/node_modules/x/package.json"));
        assert!(!may_hold_manifests("README.md"));
    }
}
