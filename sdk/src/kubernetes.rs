//! Kubernetes objects in manifests, read once for every plugin: which files
//! may hold them, every object in a file (multi-document YAML, JSON, `List`
//! items), and what could not be read, said the same way by every plugin.
//!
//! A tree's manifests are read into [`Manifests`] and judged as rendered:
//! Kustomize overlays applied to their bases ([`crate::kustomize`]), each
//! node remembering the file it came from. Templates (Helm charts and the
//! like) are not rendered here: a file that is one is reported as such, and
//! the checks that would have judged it are incomplete rather than passed.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

use crate::yaml::{self, Node, Value};
use crate::{Location, Scan, fs, helm, kustomize};

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
    // `.tpl` in a `templates/` folder: the helpers of Helm charts
    // (`templates/_helpers.tpl`); elsewhere they are other programs'.
    if lower.ends_with(".yaml")
        || lower.ends_with(".yml")
        || (lower.ends_with(".tpl") && is_chart_template(relative))
        || name == "Kustomization"
    {
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

/// The objects among `docs`, `List` items in place of their list.
pub fn objects_of(docs: Vec<Node>) -> Vec<Node> {
    flatten(docs)
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

/// Every manifest of a tree: files are added as they are read, then
/// rendered together, Kustomize overlays applied to their bases.
#[derive(Default)]
pub struct Manifests {
    files: Vec<String>,
    /// The documents kept of each file (its objects; a kustomization's or
    /// a JSON 6902 patch's documents), by file index.
    docs: Vec<Vec<Node>>,
    by_path: HashMap<String, u32>,
    kustomizations: BTreeMap<String, u32>,
    /// Helm: each chart's folder with its Chart.yaml, values.yaml by
    /// folder, and the text of template files (rendered with their chart,
    /// or read as they are when no chart holds them).
    charts: BTreeMap<String, Node>,
    values: BTreeMap<String, Node>,
    templates: BTreeMap<String, String>,
    /// The chart (its Chart.yaml) that rendered a file, by file index.
    rendered_by: HashMap<u32, String>,
}

/// One object of a tree, as judged: read from a file alone, or rendered
/// by a kustomization.
#[derive(Debug, Clone)]
pub struct Object {
    pub node: Node,
    /// The file the object was read from (a rendered one: its resource).
    pub file: String,
    /// The file that rendered it: a kustomization, or a chart's Chart.yaml.
    pub rendered_by: Option<String>,
    /// How many other kustomizations render the very same object (one
    /// base that several overlays use unchanged is judged once).
    pub also_rendered_by: usize,
    files: Rc<[String]>,
}

impl Object {
    /// An object read from `file` alone, outside any [`Manifests`].
    pub fn alone(file: &str, node: Node) -> Self {
        Object {
            node,
            file: file.to_string(),
            rendered_by: None,
            also_rendered_by: 0,
            files: Rc::from(Vec::new()),
        }
    }

    /// The file a node of this object came from: a patch for what a patch
    /// set, the base for what it left as it was.
    pub fn source(&self, node: &Node) -> &str {
        self.files
            .get(node.origin as usize)
            .map_or(self.file.as_str(), String::as_str)
    }

    /// Where a finding about `node` points.
    pub fn at(&self, node: &Node) -> Location {
        Location::target(self.source(node)).line(node.line)
    }

    /// `title` with the file that rendered the object, so that one base
    /// rendered by two overlays gives two findings told apart.
    pub fn named(&self, title: impl std::fmt::Display) -> String {
        match (&self.rendered_by, self.also_rendered_by) {
            (Some(k), 0) => format!("{title} (as {k} renders it)"),
            (Some(k), 1) => format!("{title} (as {k} and 1 other kustomization render it)"),
            (Some(k), n) => format!("{title} (as {k} and {n} other kustomizations render it)"),
            (None, _) => title.to_string(),
        }
    }
}

impl Manifests {
    pub fn new() -> Self {
        Self::default()
    }

    fn keep(&mut self, path: &str, mut docs: Vec<Node>) -> u32 {
        let index = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        for d in &mut docs {
            slim(d);
            d.set_origin(index);
        }
        self.files.push(path.to_string());
        self.docs.push(docs);
        self.by_path.insert(path.to_string(), index);
        index
    }

    /// Read one YAML or JSON file (told apart by its name): the number of
    /// objects in it, or why a file that looks like a manifest was not
    /// read. Kustomizations and JSON 6902 patches are kept for rendering.
    pub fn add(&mut self, path: &str, text: &str) -> Result<usize, Unread> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let dir = kustomize::parent(path);
        if name == "Chart.yaml" || name == "values.yaml" {
            let doc = yaml::parse(text)
                .map_err(Unread::Invalid)?
                .into_iter()
                .next()
                .unwrap_or(Node {
                    line: 1,
                    origin: 0,
                    value: Value::Map(Vec::new()),
                });
            let into = if name == "Chart.yaml" {
                &mut self.charts
            } else {
                &mut self.values
            };
            into.insert(dir.to_string(), doc);
            return Ok(0);
        }
        if is_chart_template(path) && (text.contains("{{") || name.ends_with(".tpl")) {
            self.templates.insert(path.to_string(), text.to_string());
            return Ok(0);
        }
        if kustomize::is_kustomization(path) {
            let docs = yaml::parse(text).map_err(Unread::Invalid)?;
            let index = self.keep(path, docs);
            self.kustomizations
                .insert(kustomize::parent(path).to_string(), index);
            return Ok(0);
        }
        match read(path, text) {
            Manifest::Objects(objects) if !objects.is_empty() => {
                let n = objects.len();
                self.keep(path, objects);
                Ok(n)
            }
            Manifest::Objects(_) | Manifest::NotManifest => {
                // A JSON 6902 patch: a list of operations.
                if (text.contains("op:") || text.contains("\"op\""))
                    && let Ok(docs) = yaml::parse(text)
                    && docs.first().is_some_and(|d| {
                        !d.items().is_empty() && d.items().iter().all(|i| i.get("op").is_some())
                    })
                {
                    self.keep(path, docs);
                }
                Ok(0)
            }
            Manifest::Unread(u) => Err(u),
        }
    }

    /// Whether `path` is held for rendering (a kustomization, a patch, a
    /// chart template): a plugin reads nothing else from it.
    pub fn holds(&self, path: &str) -> bool {
        self.templates.contains_key(path)
            || self
                .by_path
                .get(path)
                .is_some_and(|i| self.kustomizations.values().any(|k| k == i))
    }

    /// Render each chart's templates with its default values; a template
    /// no chart holds is read as it is.
    fn render_charts(&mut self, scan: &mut Scan, checks: &[&str]) {
        let templates = std::mem::take(&mut self.templates);
        let mut done: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        // Parents before subcharts: a subchart's values start from its
        // parent's values under its name.
        let mut chart_values: BTreeMap<String, helm::V> = BTreeMap::new();
        let dirs: Vec<String> = self.charts.keys().cloned().collect();
        for dir in &dirs {
            let mut values = self
                .values
                .get(dir)
                .map(helm::from_yaml)
                .filter(|v| matches!(v, helm::V::Map(_)))
                .unwrap_or(helm::V::Map(Vec::new()));
            if let Some((parent_charts, sub)) = dir.rsplit_once('/')
                && let Some(parent) = parent_charts
                    .strip_suffix("/charts")
                    .or((parent_charts == "charts").then_some(""))
                && let Some(over) = chart_values.get(parent).and_then(|v| {
                    let name = self.charts[dir]
                        .get("name")
                        .and_then(Node::as_str)
                        .unwrap_or(sub);
                    v.get(name).cloned()
                })
            {
                helm::merge(&mut values, &over);
            }
            chart_values.insert(dir.clone(), values.clone());
            let prefix = if dir.is_empty() {
                "templates/".to_string()
            } else {
                format!("{dir}/templates/")
            };
            let base = prefix.trim_end_matches('/').to_string();
            let mut chart = helm::Chart::new(self.charts.get(dir), values, &base);
            let mine: Vec<(&String, &String)> = templates
                .range(prefix.clone()..)
                .take_while(|(p, _)| p.starts_with(&prefix))
                .collect();
            let mut parsed = Vec::new();
            for (path, text) in &mine {
                done.insert(path.as_str());
                chart.files.insert(path.to_string(), text.to_string());
                match helm::parse(text) {
                    Ok(p) => {
                        chart.add_defines(&p);
                        parsed.push((path.as_str(), Ok(p)));
                    }
                    Err(e) => parsed.push((path.as_str(), Err(e))),
                }
            }
            let chart_file = if dir.is_empty() {
                "Chart.yaml".to_string()
            } else {
                format!("{dir}/Chart.yaml")
            };
            for (path, p) in parsed {
                let name = path.rsplit('/').next().unwrap_or(path);
                // Helpers render nothing; NOTES.txt is no manifest.
                if name.starts_with('_') || !may_hold_manifests(path) || name.ends_with(".tpl") {
                    continue;
                }
                let rendered = p.and_then(|p| helm::render(&chart, path, &p));
                let index = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
                let docs = rendered.and_then(|out| {
                    helm::documents(&out, index)
                        .map_err(|e| format!("renders to YAML that does not parse: {e}"))
                });
                match docs {
                    Ok(docs) => {
                        let objects = flatten(docs);
                        if !objects.is_empty() {
                            let i = self.keep(path, objects);
                            self.rendered_by.insert(i, chart_file.clone());
                        }
                    }
                    Err(e) => {
                        // Errors start with the template line they are about.
                        let line = e
                            .strip_prefix("line ")
                            .and_then(|r| r.split(':').next())
                            .and_then(|n| n.parse().ok());
                        let mut at = Location::target(path);
                        if let Some(line) = line {
                            at = at.line(line);
                        }
                        scan.diagnostic(
                            at,
                            format!("Helm template not evaluated with {chart_file}'s default values: {e}"),
                        );
                        for check in checks {
                            scan.incomplete(
                                check,
                                format!("{path}: Helm template not evaluated: {e}"),
                            );
                        }
                    }
                }
            }
        }
        for (path, text) in &templates {
            if done.contains(path.as_str()) || path.ends_with(".tpl") {
                continue;
            }
            match read(path, text) {
                Manifest::Objects(objects) if !objects.is_empty() => {
                    self.keep(path, objects);
                }
                Manifest::Unread(u) => record_unread(scan, path, checks, &u),
                _ => {}
            }
        }
    }

    /// Every object of the tree as it is judged: objects of files no
    /// kustomization uses as they are, each root kustomization's
    /// rendering, and each chart's templates rendered with its default
    /// values. What a kustomization or a template asks for that is not
    /// rendered is a diagnostic, and leaves `checks` incomplete.
    pub fn render(mut self, scan: &mut Scan, checks: &[&str]) -> Vec<Object> {
        self.render_charts(scan, checks);
        let out = kustomize::render(&kustomize::Sources {
            files: &self.files,
            docs: &self.docs,
            by_path: &self.by_path,
            kustomizations: &self.kustomizations,
        });
        let files: Rc<[String]> = Rc::from(self.files);
        for note in &out.notes {
            let path = &files[note.file as usize];
            scan.diagnostic(
                Location::target(path.as_str()).line(note.line),
                note.message.clone(),
            );
            if note.partial {
                for check in checks {
                    scan.incomplete(check, format!("{path}: {}", note.message));
                }
            }
        }
        let kustomizations: std::collections::BTreeSet<u32> =
            self.kustomizations.values().copied().collect();
        let mut objects = Vec::new();
        for (index, docs) in self.docs.into_iter().enumerate() {
            let index = index as u32;
            if out.used.contains(&index) || kustomizations.contains(&index) {
                continue;
            }
            // Beside or below a kustomization, a fragment is a patch.
            let path = files[index as usize].as_str();
            let mut dir = kustomize::parent(path);
            let under_kustomize = loop {
                if self.kustomizations.contains_key(dir) {
                    break true;
                }
                if dir.is_empty() {
                    break false;
                }
                dir = kustomize::parent(dir);
            };
            for node in flatten(docs) {
                if let Some(why) = partial_workload(&node).filter(|_| under_kustomize) {
                    scan.diagnostic(
                        Location::target(files[index as usize].as_str()).line(node.line),
                        format!(
                            "{}/{} {why}: a Kustomize patch that no kustomization in the target uses, not a workload; not judged",
                            kind(&node),
                            name(&node)
                        ),
                    );
                    continue;
                }
                objects.push(Object {
                    node,
                    file: files[index as usize].clone(),
                    rendered_by: self.rendered_by.get(&index).cloned(),
                    also_rendered_by: 0,
                    files: files.clone(),
                });
            }
        }
        // The same object rendered the same way by several overlays (the
        // same nodes from the same files) is one object to judge.
        let mut seen: HashMap<(u32, String, String, String), Vec<usize>> = HashMap::new();
        for (root, rendered) in out.roots {
            for r in rendered {
                let key = (
                    r.file,
                    kind(&r.node).to_string(),
                    name(&r.node).to_string(),
                    namespace(&r.node).unwrap_or("").to_string(),
                );
                let same = seen
                    .get(&key)
                    .and_then(|at| at.iter().copied().find(|&i| objects[i].node == r.node));
                if let Some(i) = same {
                    let o: &mut Object = &mut objects[i];
                    o.also_rendered_by += 1;
                    continue;
                }
                seen.entry(key).or_default().push(objects.len());
                objects.push(Object {
                    node: r.node,
                    file: files[r.file as usize].clone(),
                    rendered_by: Some(files[root as usize].clone()),
                    also_rendered_by: 0,
                    files: files.clone(),
                });
            }
        }
        objects
    }
}

/// Drop what no check reads from objects that are large: a
/// CustomResourceDefinition's schema (often megabytes, and held for every
/// kustomization that renders it) is left out; its names stay, so that
/// patches still find it.
fn slim(obj: &mut Node) {
    if kind(obj) != "CustomResourceDefinition" {
        return;
    }
    if let Value::Map(entries) = &mut obj.value
        && let Some((_, spec)) = entries.iter_mut().find(|(k, _)| k.as_str() == Some("spec"))
        && let Value::Map(fields) = &mut spec.value
    {
        fields.retain(|(k, _)| matches!(k.as_str(), Some("group" | "names" | "scope")));
    }
}

/// Why a workload read alone is a fragment rather than an object the API
/// server would take: its pod spec has no containers, or a container
/// without an image (the shape of a strategic-merge patch).
fn partial_workload(obj: &Node) -> Option<&'static str> {
    let spec = workload(obj)?.pod_spec?;
    let Some(containers) = spec.get("containers") else {
        return Some("has a pod spec without containers");
    };
    let lists = [Some(containers), spec.get("initContainers")];
    lists
        .into_iter()
        .flatten()
        .flat_map(Node::items)
        .any(|c| matches!(c.value, Value::Map(_)) && c.get("image").is_none())
        .then_some("has a container without an image")
}

/// Whether `path` is in a chart's `templates/` folder.
fn is_chart_template(path: &str) -> bool {
    path.starts_with("templates/") || path.contains("/templates/")
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

/// `metadata.name`; for an object named by the API server from a prefix,
/// its `generateName`; otherwise says that the manifest names none.
pub fn name(obj: &Node) -> &str {
    obj.path(&["metadata", "name"])
        .or_else(|| obj.path(&["metadata", "generateName"]))
        .and_then(Node::as_str)
        .unwrap_or("(no metadata.name)")
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
    /// `Deployment/inference`, with `in namespace ml` when the manifest
    /// names one: the same name in two namespaces is two workloads.
    pub fn title(&self) -> String {
        title(self.object, self.kind, self.name)
    }
}

/// How findings name an object: kind, name and, when set, namespace.
pub fn title(obj: &Node, kind: &str, name: &str) -> String {
    match obj.path(&["metadata", "namespace"]).and_then(Node::as_str) {
        Some(ns) if !ns.is_empty() => format!("{kind}/{name} in namespace {ns}"),
        _ => format!("{kind}/{name}"),
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
pub fn embedded_pod_specs(obj: &Node) -> Vec<(String, Cow<'_, Node>)> {
    let mut out = Vec::new();
    if workload(obj).is_some() {
        return out;
    }
    if let Some(spec) = obj.get("spec") {
        walk_for_pods(spec, "spec".to_string(), 0, &mut out);
    }
    out
}

/// Keys under which workflow engines put one container of a step: Argo's
/// templates (`container:`, `script:`), with the step's own
/// `securityContext` as the pod's.
const SINGLE_CONTAINER_KEYS: &[&str] = &["container", "script"];

fn walk_for_pods<'a>(
    node: &'a Node,
    path: String,
    depth: usize,
    out: &mut Vec<(String, Cow<'a, Node>)>,
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
                out.push((path, Cow::Borrowed(node)));
                return;
            }
            // A step with one container: judged as a pod of that container.
            if let Some((key, c)) = SINGLE_CONTAINER_KEYS.iter().find_map(|k| {
                node.get(k)
                    .filter(|c| c.get("image").is_some_and(|i| i.as_str().is_some()))
                    .map(|c| (*k, c))
            }) {
                let mut entries = vec![(
                    synth("containers", c),
                    Node {
                        line: c.line,
                        origin: c.origin,
                        value: Value::Seq(vec![c.clone()]),
                    },
                )];
                if let Some(ctx) = node.get("securityContext") {
                    entries.push((synth("securityContext", ctx), ctx.clone()));
                }
                let pod = Node {
                    line: node.line,
                    origin: node.origin,
                    value: Value::Map(entries),
                };
                out.push((format!("{path}.{key}"), Cow::Owned(pod)));
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

/// A key for a node made here, at the node's place.
fn synth(key: &str, at: &Node) -> Node {
    Node {
        line: at.line,
        origin: at.origin,
        value: Value::Scalar(key.to_string(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_the_namespace_when_the_manifest_does() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ml}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n";
        let Manifest::Objects(objects) = read("p.yaml", text) else {
            panic!("not read");
        };
        assert_eq!(
            workload(&objects[0]).unwrap().title(),
            "Pod/a in namespace ml"
        );
        assert_eq!(workload(&objects[1]).unwrap().title(), "Pod/b");
    }

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
        // Argo: a template's one container, with the template's context.
        let wf = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: train-}\nspec:\n  templates:\n  - name: train\n    securityContext: {runAsNonRoot: true}\n    container:\n      image: python:3.12\n      command: [python, train.py]\n  - name: steps\n    steps: [[{name: a, template: train}]]\n";
        let Manifest::Objects(objects) = read("wf.yaml", wf) else {
            panic!("not read");
        };
        assert_eq!(name(&objects[0]), "train-");
        let pods = embedded_pod_specs(&objects[0]);
        assert_eq!(pods.len(), 1);
        assert_eq!(pods[0].0, "spec.templates[0].container");
        let pod = &pods[0].1;
        assert_eq!(pod.get("containers").unwrap().items()[0].line, 9);
        assert!(pod.path(&["securityContext", "runAsNonRoot"]).is_some());
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
        assert!(may_hold_manifests("chart/templates/_helpers.tpl"));
        assert!(!may_hold_manifests("terraform/config/kubeconfig.tpl"));
    }
}
