//! Kustomize overlays, rendered as `kustomize build` renders them, from
//! what the tree holds: a kustomization's resources (manifest files, and
//! folders with a kustomization of their own) and components, then its
//! patches (strategic merge and JSON 6902, from files or inline),
//! `images:`, name prefixes and suffixes, `namespace:` and labels.
//!
//! A patch is not a workload: it is never judged on its own, and a field it
//! leaves out is not missing. A resource is judged as each kustomization
//! that uses it renders it. Every node keeps the file it came from
//! ([`Node::origin`]), so a finding points at the patch that set a field or
//! at the base that lacks one. What cannot be rendered here (remote bases,
//! bases outside the tree, Helm charts) is returned as a note, and the
//! checks that would have judged it are incomplete.
//!
//! Hand-written rather than a dependency: kustomize itself is Go, and no
//! Rust crate renders it; this covers the transformers that decide what a
//! security check sees, with the strategic-merge keys of the core API.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::yaml::{self, Node, Value};

/// The names `kustomize build` looks for in a folder.
pub const FILE_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Kustomizations nest (overlay → base → base); deeper than this is a cycle
/// or a hostile tree.
const MAX_DEPTH: usize = 16;
/// Rendered objects per root kustomization: bounds what a tree of folders
/// that each include all the others can cost.
const MAX_OBJECTS: usize = 20_000;

/// Whether `relative` is a kustomization file.
pub fn is_kustomization(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    FILE_NAMES.contains(&name)
}

/// The folder of a `/`-separated path ("" at the top).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `base` joined with `relative`, `.` and `..` resolved; None when it
/// leaves the tree (or is absolute: kustomize refuses those).
pub fn join(base: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') {
        return None;
    }
    crate::fs::join_relative(base, relative)
}

/// Whether a resource names something kustomize fetches (a Git repository
/// or a URL), which is not in the tree.
fn is_remote(resource: &str) -> bool {
    resource.contains("://")
        || resource.starts_with("github.com/")
        || resource.starts_with("gitlab.com/")
        || resource.starts_with("git@")
        || resource.contains("?ref=")
        || resource.contains(".git//")
}

/// What the tree holds for rendering: the documents of each file read (by
/// its index, which is the origin of its nodes), and where kustomizations
/// are.
pub struct Sources<'a> {
    pub files: &'a [String],
    /// The YAML documents of each file, by file index.
    pub docs: &'a [Vec<Node>],
    /// File index of each file, by path.
    pub by_path: &'a HashMap<String, u32>,
    /// The kustomization file of each folder that has one.
    pub kustomizations: &'a BTreeMap<String, u32>,
}

/// An object as a kustomization renders it.
pub struct Rendered {
    pub node: Node,
    /// The resource file it came from.
    pub file: u32,
    /// Names and namespaces it had before a prefix, suffix or `namespace:`
    /// changed them: an overlay's patch may name the object by any of
    /// them, as kustomize matches by the original name too.
    pub former: Vec<(String, String)>,
}

impl Rendered {
    fn new(node: Node, file: u32) -> Self {
        Rendered {
            node,
            file,
            former: Vec::new(),
        }
    }

    /// The object's name and namespace now, and before.
    fn ids(&self) -> Vec<(String, String)> {
        let get = |p: &[&str]| {
            self.node
                .path(p)
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string()
        };
        let mut ids = vec![(get(&["metadata", "name"]), get(&["metadata", "namespace"]))];
        ids.extend(self.former.iter().cloned());
        ids
    }

    /// Remember the current name and namespace before they change.
    fn remember(&mut self) {
        let now = self.ids().swap_remove(0);
        if !self.former.contains(&now) {
            self.former.push(now);
        }
    }
}

/// Something a kustomization asks for that was not rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The kustomization file.
    pub file: u32,
    pub line: u32,
    pub message: String,
    /// Whether something was left out of the rendering (the checks are
    /// then incomplete), or only something did not apply.
    pub partial: bool,
}

/// The result of rendering every kustomization of a tree.
#[derive(Default)]
pub struct Output {
    /// Each root kustomization (one no other uses) with what it renders.
    pub roots: Vec<(u32, Vec<Rendered>)>,
    /// Files used as resources or patches by some kustomization: judged
    /// only as rendered, never alone.
    pub used: BTreeSet<u32>,
    pub notes: Vec<Note>,
}

/// Render every root kustomization in `src`.
pub fn render(src: &Sources) -> Output {
    let mut out = Output::default();
    // Folders some kustomization refers to (as a resource or a component)
    // are not roots.
    let mut referenced: BTreeSet<&str> = BTreeSet::new();
    for (dir, &file) in src.kustomizations {
        let Some(k) = src.docs[file as usize].first() else {
            continue;
        };
        for field in ["resources", "bases", "components"] {
            for r in k.get(field).map(Node::items).unwrap_or_default() {
                if let Some(p) = r.as_str().and_then(|r| join(dir, r))
                    && let Some((d, _)) = src.kustomizations.get_key_value(p.as_str())
                {
                    referenced.insert(d.as_str());
                }
            }
        }
    }
    for (dir, &file) in src.kustomizations {
        if referenced.contains(dir.as_str()) {
            continue;
        }
        let mut r = Renderer {
            src,
            used: &mut out.used,
            notes: &mut out.notes,
            stack: Vec::new(),
            count: 0,
        };
        let objects = r.build(dir, file);
        out.roots.push((file, objects));
    }
    out.notes.sort_by_key(|n| (n.file, n.line));
    out.notes.dedup();
    out
}

struct Renderer<'s, 'o> {
    src: &'s Sources<'s>,
    used: &'o mut BTreeSet<u32>,
    notes: &'o mut Vec<Note>,
    /// Folders being built, to refuse cycles.
    stack: Vec<String>,
    count: usize,
}

impl Renderer<'_, '_> {
    /// Something left out of the rendering.
    fn note(&mut self, file: u32, line: u32, message: String) {
        self.notes.push(Note {
            file,
            line,
            message,
            partial: true,
        });
    }

    /// Something that did not apply (the rendering is whole).
    fn remark(&mut self, file: u32, line: u32, message: String) {
        self.notes.push(Note {
            file,
            line,
            message,
            partial: false,
        });
    }

    /// The objects the kustomization in `dir` (file `file`) renders.
    fn build(&mut self, dir: &str, file: u32) -> Vec<Rendered> {
        let Some(k) = self.src.docs[file as usize].first() else {
            return Vec::new();
        };
        if self.stack.len() >= MAX_DEPTH || self.stack.iter().any(|d| d == dir) {
            self.note(
                file,
                1,
                format!("kustomization {dir:?} includes itself or nests deeper than {MAX_DEPTH} levels; not rendered again"),
            );
            return Vec::new();
        }
        self.stack.push(dir.to_string());
        let mut objects = Vec::new();
        for field in ["resources", "bases"] {
            for r in k.get(field).map(Node::items).unwrap_or_default() {
                self.resource(dir, file, r, &mut objects);
            }
        }
        self.generators(k, file, &mut objects);
        for c in k.get("components").map(Node::items).unwrap_or_default() {
            self.component(dir, file, c, &mut objects);
        }
        self.transform(dir, file, k, &mut objects);
        self.stack.pop();
        if self.count > MAX_OBJECTS {
            self.note(
                file,
                1,
                format!("renders more than {MAX_OBJECTS} objects; the rest are not judged"),
            );
            objects.truncate(MAX_OBJECTS);
        }
        objects
    }

    fn resource(&mut self, dir: &str, file: u32, r: &Node, objects: &mut Vec<Rendered>) {
        let Some(name) = r.as_str() else {
            return;
        };
        if is_remote(name) {
            self.note(
                file,
                r.line,
                format!("resource {name} is fetched from outside the target; rendered without it"),
            );
            return;
        }
        let Some(path) = join(dir, name) else {
            self.note(
                file,
                r.line,
                format!("resource {name} is outside the target; rendered without it"),
            );
            return;
        };
        if let Some(&k) = self.src.kustomizations.get(&path) {
            let rendered = self.build(&path, k);
            self.count += rendered.len();
            objects.extend(rendered);
        } else if let Some(&f) = self.src.by_path.get(&path) {
            self.used.insert(f);
            for node in crate::kubernetes::objects_of(self.src.docs[f as usize].clone()) {
                self.count += 1;
                objects.push(Rendered::new(node, f));
            }
        } else {
            self.note(
                file,
                r.line,
                format!(
                    "resource {name} is not in the target (or was not read); rendered without it"
                ),
            );
        }
    }

    /// A component adds its resources and applies its transformations to
    /// everything rendered so far.
    fn component(&mut self, dir: &str, file: u32, c: &Node, objects: &mut Vec<Rendered>) {
        let Some(name) = c.as_str() else {
            return;
        };
        let Some((path, &k)) =
            join(dir, name).and_then(|p| self.src.kustomizations.get_key_value(&p))
        else {
            self.note(
                file,
                c.line,
                format!(
                    "component {name} is not a kustomization in the target; rendered without it"
                ),
            );
            return;
        };
        let Some(doc) = self.src.docs[k as usize].first() else {
            return;
        };
        if self.stack.iter().any(|d| d == path) || self.stack.len() >= MAX_DEPTH {
            return;
        }
        self.stack.push(path.clone());
        for field in ["resources", "bases"] {
            for r in doc.get(field).map(Node::items).unwrap_or_default() {
                self.resource(path, k, r, objects);
            }
        }
        self.transform(path, k, doc, objects);
        self.stack.pop();
    }

    /// ConfigMaps from `configMapGenerator` literals: what checks read in
    /// ConfigMaps (settings that turn authentication off) is often there.
    fn generators(&mut self, k: &Node, file: u32, objects: &mut Vec<Rendered>) {
        for g in k
            .get("configMapGenerator")
            .map(Node::items)
            .unwrap_or_default()
        {
            let Some(name) = g.get("name").and_then(Node::as_str) else {
                continue;
            };
            let mut data = Vec::new();
            for lit in g.get("literals").map(Node::items).unwrap_or_default() {
                if let Some((key, val)) = lit.as_str().and_then(|l| l.split_once('=')) {
                    data.push((scalar(key, lit), scalar(val, lit)));
                }
            }
            let meta = map(g, vec![("name", scalar(name, g))]);
            let obj = map(
                g,
                vec![
                    ("apiVersion", scalar("v1", g)),
                    ("kind", scalar("ConfigMap", g)),
                    ("metadata", meta),
                    (
                        "data",
                        Node {
                            line: g.line,
                            origin: g.origin,
                            value: Value::Map(data),
                        },
                    ),
                ],
            );
            objects.push(Rendered::new(obj, file));
        }
    }

    fn transform(&mut self, dir: &str, file: u32, k: &Node, objects: &mut [Rendered]) {
        // Patches name objects as the resources name them, before this
        // level's prefix and namespace.
        for p in k
            .get("patchesStrategicMerge")
            .map(Node::items)
            .unwrap_or_default()
        {
            self.patch(dir, file, p, None, objects);
        }
        for p in k.get("patches").map(Node::items).unwrap_or_default() {
            let content = p.get("path").or_else(|| p.get("patch"));
            match content {
                Some(c) => self.patch(dir, file, c, p.get("target"), objects),
                // A bare string is a path, as in patchesStrategicMerge.
                None if p.as_str().is_some() => self.patch(dir, file, p, None, objects),
                None => {}
            }
        }
        for p in k
            .get("patchesJson6902")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(c) = p.get("path").or_else(|| p.get("patch")) {
                self.patch(dir, file, c, p.get("target"), objects);
            }
        }
        for image in k.get("images").map(Node::items).unwrap_or_default() {
            for o in objects.iter_mut() {
                set_images(&mut o.node, image, 0);
            }
        }
        let prefix = k.get("namePrefix").and_then(Node::as_str).unwrap_or("");
        let suffix = k.get("nameSuffix").and_then(Node::as_str).unwrap_or("");
        if !prefix.is_empty() || !suffix.is_empty() {
            rename(
                objects,
                prefix,
                suffix,
                k.get("namePrefix").or(k.get("nameSuffix")),
            );
        }
        if let Some(ns) = k
            .get("namespace")
            .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
        {
            set_namespace(objects, ns);
        }
        if let Some(labels) = k.get("commonLabels") {
            add_labels(objects, labels, true, true);
        }
        for l in k.get("labels").map(Node::items).unwrap_or_default() {
            if let Some(pairs) = l.get("pairs") {
                let selectors = l.get("includeSelectors").and_then(Node::as_bool) == Some(true);
                let templates =
                    selectors || l.get("includeTemplates").and_then(Node::as_bool) == Some(true);
                add_labels(objects, pairs, selectors, templates);
            }
        }
        if let Some(h) = k.get("helmCharts").or(k.get("helmChartInflationGenerator")) {
            self.note(
                file,
                h.line,
                "Helm charts inflated by kustomize are not rendered here; render them (kustomize build --enable-helm) and scan the output".into(),
            );
        }
    }

    /// Apply one patch, given as a path (`content` a string that names a
    /// file) or inline (a string of YAML, or a mapping).
    fn patch(
        &mut self,
        dir: &str,
        file: u32,
        content: &Node,
        target: Option<&Node>,
        objects: &mut [Rendered],
    ) {
        let docs: Vec<Node> = match &content.value {
            Value::Scalar(s, _)
                if !s.contains('\n') && !s.trim_start().starts_with('[') && !s.contains(": ") =>
            {
                let Some(path) = join(dir, s.trim()) else {
                    self.note(
                        file,
                        content.line,
                        format!("patch {s} is outside the target; not applied"),
                    );
                    return;
                };
                let Some(&f) = self.src.by_path.get(&path) else {
                    self.note(
                        file,
                        content.line,
                        format!("patch {s} is not in the target (or was not read); not applied"),
                    );
                    return;
                };
                self.used.insert(f);
                self.src.docs[f as usize].clone()
            }
            // Inline YAML in a string: its lines count from the string's
            // first (for a block scalar, the reader marks its first line).
            Value::Scalar(s, _) => match yaml::parse(s) {
                Ok(mut docs) => {
                    for d in &mut docs {
                        restamp(d, file, content.line.saturating_sub(1));
                    }
                    docs
                }
                Err(e) => {
                    self.note(
                        file,
                        content.line,
                        format!("inline patch is not valid YAML ({e}); not applied"),
                    );
                    return;
                }
            },
            _ => vec![content.clone()],
        };
        for doc in docs {
            let matched = match &doc.value {
                // JSON 6902: a list of operations, on the target.
                Value::Seq(ops) => {
                    let Some(t) = target else {
                        self.note(
                            file,
                            content.line,
                            "JSON 6902 patch without a target; not applied".into(),
                        );
                        continue;
                    };
                    let mut n = 0;
                    for o in objects.iter_mut().filter(|o| selects(t, o)) {
                        for op in ops {
                            json6902(&mut o.node, op);
                        }
                        n += 1;
                    }
                    n
                }
                Value::Map(_) => {
                    let mut n = 0;
                    for o in objects.iter_mut() {
                        let hit = match target {
                            Some(t) => selects(t, o),
                            None => same_object(&doc, o),
                        };
                        if hit {
                            let builtin = is_builtin(&o.node);
                            strategic_merge(&mut o.node, &doc, builtin, 0);
                            n += 1;
                        }
                    }
                    n
                }
                Value::Scalar(..) => continue,
            };
            if matched == 0 {
                let what = crate::kubernetes::kind(&doc);
                let name = doc
                    .path(&["metadata", "name"])
                    .and_then(Node::as_str)
                    .unwrap_or("");
                let desc = if what.is_empty() {
                    "a patch".to_string()
                } else {
                    format!("the patch of {what}/{name}")
                };
                self.remark(
                    file,
                    content.line,
                    format!("{desc} matches no object the kustomization renders; not applied"),
                );
            }
        }
    }
}

/// Re-stamp a node parsed from an inline string: its file is the
/// kustomization's and its lines follow the string's first line.
fn restamp(node: &mut Node, origin: u32, offset: u32) {
    node.origin = origin;
    node.line += offset;
    match &mut node.value {
        Value::Scalar(..) => {}
        Value::Seq(items) => items.iter_mut().for_each(|i| restamp(i, origin, offset)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            restamp(k, origin, offset);
            restamp(v, origin, offset);
        }),
    }
}

fn scalar(s: &str, at: &Node) -> Node {
    Node {
        line: at.line,
        origin: at.origin,
        value: Value::Scalar(s.to_string(), false),
    }
}

fn map(at: &Node, entries: Vec<(&str, Node)>) -> Node {
    Node {
        line: at.line,
        origin: at.origin,
        value: Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (scalar(k, at), v))
                .collect(),
        ),
    }
}

fn get_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// Set `key` of a mapping to `value` (added when absent).
fn set(node: &mut Node, key: &str, value: Node) {
    if let Some(v) = get_mut(node, key) {
        *v = value;
    } else if let Value::Map(entries) = &mut node.value {
        let k = scalar(key, &value);
        entries.push((k, value));
    }
}

/// The mapping under `key`, made when absent (or not a mapping).
fn map_at<'a>(node: &'a mut Node, key: &str, at: &Node) -> &'a mut Node {
    if !matches!(get_mut(node, key).map(|n| &n.value), Some(Value::Map(_))) {
        set(node, key, map(at, Vec::new()));
    }
    get_mut(node, key).expect("just set")
}

fn is_null(node: &Node) -> bool {
    matches!(&node.value, Value::Scalar(s, true) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
}

/// Whether a strategic-merge patch without a target names `o`: same kind
/// and name (and namespace, when the patch gives one), now or before a
/// prefix or namespace changed them.
fn same_object(patch: &Node, o: &Rendered) -> bool {
    let kind = |n: &Node| n.get("kind").and_then(Node::as_str).map(str::to_string);
    if kind(patch).is_none() || kind(patch) != kind(&o.node) {
        return false;
    }
    let name = patch
        .path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or("");
    let ns = patch
        .path(&["metadata", "namespace"])
        .and_then(Node::as_str);
    o.ids()
        .iter()
        .any(|(n, s)| n == name && ns.is_none_or(|ns| ns == s))
}

/// A patch `target`: kind, name (a regular expression in kustomize; exact
/// names and `.*` wildcards here), namespace, group, version and an
/// equality label selector.
fn selects(target: &Node, o: &Rendered) -> bool {
    let obj = &o.node;
    let want = |k: &str| target.get(k).and_then(Node::as_str);
    let (group, version) = match obj.get("apiVersion").and_then(Node::as_str) {
        Some(av) => match av.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", av),
        },
        None => ("", ""),
    };
    let field = |path: &[&str]| obj.path(path).and_then(Node::as_str).unwrap_or("");
    let named = o.ids().iter().any(|(n, s)| {
        want("name").is_none_or(|w| name_matches(w, n)) && want("namespace").is_none_or(|w| w == s)
    });
    if want("kind").is_some_and(|k| k != field(&["kind"]))
        || want("group").is_some_and(|g| g != group)
        || want("version").is_some_and(|v| v != version)
        || !named
    {
        return false;
    }
    if let Some(sel) = want("labelSelector") {
        let labels = obj.path(&["metadata", "labels"]);
        for term in sel.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let ok = match term.split_once('=') {
                Some((k, v)) => labels
                    .and_then(|l| l.get(k.trim_end_matches('!').trim()))
                    .and_then(Node::as_str)
                    .is_some_and(|x| (x == v.trim_start_matches('=').trim()) != k.ends_with('!')),
                None => labels.and_then(|l| l.get(term)).is_some(),
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// A kustomize target name: a regular expression anchored at both ends.
/// Exact names, and `.*` anywhere in them, are what manifests use.
fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split(".*").collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether `obj` is of the core API (its group has no dot, or is a
/// `*.k8s.io` group), whose lists merge by key; custom resources merge as
/// JSON merge patches (lists replaced whole).
fn is_builtin(obj: &Node) -> bool {
    let av = obj.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    match av.split_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

/// The merge key of a list of the core API, by the list's field name.
fn merge_key(field: &str, items: &[Node]) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        "volumeMounts" | "volumeDevices" => "mountPath",
        "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => "containerPort",
        "ports" => "port",
        "hostAliases" => "ip",
        _ => return None,
    })
}

/// Merge a strategic-merge patch into `base` (kubectl's rules: maps merge,
/// `null` deletes, lists of the core API merge by key, `$patch: replace`
/// and `$patch: delete` directives).
fn strategic_merge(base: &mut Node, patch: &Node, builtin: bool, depth: usize) {
    if depth > yaml::MAX_DEPTH {
        return;
    }
    let (Value::Map(_), Value::Map(pentries)) = (&base.value, &patch.value) else {
        *base = patch.clone();
        return;
    };
    if patch.get("$patch").and_then(Node::as_str) == Some("replace") {
        *base = without_directives(patch);
        return;
    }
    for (k, pv) in pentries {
        let Some(key) = k.as_str() else {
            continue;
        };
        if key.starts_with('$') {
            continue;
        }
        if is_null(pv) {
            if let Value::Map(entries) = &mut base.value {
                entries.retain(|(bk, _)| bk.as_str() != Some(key));
            }
            continue;
        }
        match get_mut(base, key) {
            None => {
                if pv.get("$patch").and_then(Node::as_str) != Some("delete")
                    && let Value::Map(entries) = &mut base.value
                {
                    entries.push((k.clone(), without_directives(pv)));
                }
            }
            Some(bv) => match (&mut bv.value, &pv.value) {
                (Value::Map(_), Value::Map(_)) => {
                    if pv.get("$patch").and_then(Node::as_str) == Some("delete") {
                        if let Value::Map(entries) = &mut base.value {
                            entries.retain(|(bk, _)| bk.as_str() != Some(key));
                        }
                    } else {
                        strategic_merge(bv, pv, builtin, depth + 1);
                    }
                }
                (Value::Seq(bitems), Value::Seq(pitems)) => {
                    match merge_key(key, pitems).filter(|_| builtin) {
                        Some(mk) => merge_list(bitems, pitems, mk, depth),
                        None => *bv = pv.clone(),
                    }
                }
                // The same value again (a merge key, a field repeated for
                // context) is the base's: the patch did not introduce it.
                (Value::Scalar(a, _), Value::Scalar(b, _)) if a == b => {}
                _ => *bv = pv.clone(),
            },
        }
    }
}

fn merge_list(base: &mut Vec<Node>, patch: &[Node], key: &str, depth: usize) {
    let id = |n: &Node| n.get(key).and_then(Node::as_str).map(str::to_string);
    if patch
        .iter()
        .any(|p| p.get("$patch").and_then(Node::as_str) == Some("replace"))
    {
        *base = patch
            .iter()
            .filter(|p| p.get("$patch").is_none())
            .cloned()
            .collect();
        return;
    }
    for p in patch {
        let pid = id(p);
        let at = pid
            .as_ref()
            .and_then(|pid| base.iter().position(|b| id(b).as_ref() == Some(pid)));
        let delete = p.get("$patch").and_then(Node::as_str) == Some("delete");
        match (at, delete) {
            (Some(i), true) => {
                base.remove(i);
            }
            (Some(i), false) => strategic_merge(&mut base[i], p, true, depth + 1),
            (None, true) => {}
            (None, false) => base.push(without_directives(p)),
        }
    }
}

fn without_directives(node: &Node) -> Node {
    let mut n = node.clone();
    if let Value::Map(entries) = &mut n.value {
        entries.retain(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with('$')));
    }
    n
}

/// Apply one JSON 6902 operation (add, replace, remove, copy, move; test
/// is not judged). A path that does not resolve leaves the object as it is,
/// as kustomize would refuse the build.
fn json6902(obj: &mut Node, op: &Node) {
    let Some(path) = op.get("path").and_then(Node::as_str) else {
        return;
    };
    let value = op.get("value");
    match op.get("op").and_then(Node::as_str) {
        Some("add") => {
            if let Some(v) = value {
                pointer_put(obj, path, v.clone(), true);
            }
        }
        Some("replace") => {
            if let Some(v) = value {
                pointer_put(obj, path, v.clone(), false);
            }
        }
        Some("remove") => {
            pointer_take(obj, path);
        }
        Some(kind @ ("copy" | "move")) => {
            let Some(from) = op.get("from").and_then(Node::as_str) else {
                return;
            };
            let taken = if kind == "move" {
                pointer_take(obj, from)
            } else {
                pointer_get(obj, from).cloned()
            };
            if let Some(v) = taken {
                pointer_put(obj, path, v, true);
            }
        }
        _ => {}
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn tokens(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(unescape).collect())
}

fn child_mut<'a>(node: &'a mut Node, token: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|(k, _)| k.as_str() == Some(token))
            .map(|(_, v)| v),
        Value::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        Value::Scalar(..) => None,
    }
}

fn pointer_get<'a>(node: &'a Node, pointer: &str) -> Option<&'a Node> {
    let mut at = node;
    for t in tokens(pointer)? {
        at = match &at.value {
            Value::Map(_) => at.get(&t)?,
            Value::Seq(items) => items.get(t.parse::<usize>().ok()?)?,
            Value::Scalar(..) => return None,
        };
    }
    Some(at)
}

fn pointer_put(node: &mut Node, pointer: &str, value: Node, insert: bool) {
    let Some(mut toks) = tokens(pointer) else {
        return;
    };
    let Some(last) = toks.pop() else {
        return;
    };
    let mut at = node;
    for t in &toks {
        match child_mut(at, t) {
            Some(c) => at = c,
            None => return,
        }
    }
    match &mut at.value {
        Value::Map(_) => set(at, &last, value),
        Value::Seq(items) => {
            if last == "-" {
                items.push(value);
            } else if let Ok(i) = last.parse::<usize>() {
                if insert && i <= items.len() {
                    items.insert(i, value);
                } else if !insert && i < items.len() {
                    items[i] = value;
                }
            }
        }
        Value::Scalar(..) => {}
    }
}

fn pointer_take(node: &mut Node, pointer: &str) -> Option<Node> {
    let mut toks = tokens(pointer)?;
    let last = toks.pop()?;
    let mut at = node;
    for t in &toks {
        at = child_mut(at, t)?;
    }
    match &mut at.value {
        Value::Map(entries) => {
            let i = entries
                .iter()
                .rposition(|(k, _)| k.as_str() == Some(last.as_str()))?;
            Some(entries.remove(i).1)
        }
        Value::Seq(items) => {
            let i = last.parse::<usize>().ok().filter(|&i| i < items.len())?;
            Some(items.remove(i))
        }
        Value::Scalar(..) => None,
    }
}

/// Apply one `images:` entry to every container image of `node` that it
/// names (at any depth: workloads and custom resources alike). The new
/// value comes from the kustomization's line.
fn set_images(node: &mut Node, entry: &Node, depth: usize) {
    if depth > yaml::MAX_DEPTH {
        return;
    }
    let Some(name) = entry.get("name").and_then(Node::as_str) else {
        return;
    };
    match &mut node.value {
        Value::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                if k.as_str() == Some("image")
                    && let Some(image) = v.as_str()
                    && let Some(new) = retag(image, name, entry)
                {
                    *v = scalar(&new, entry);
                } else {
                    set_images(v, entry, depth + 1);
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|i| set_images(i, entry, depth + 1)),
        Value::Scalar(..) => {}
    }
}

/// `image` with the entry's newName, newTag and digest, when its name is
/// the entry's name.
fn retag(image: &str, name: &str, entry: &Node) -> Option<String> {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    // A tag is after the last colon that follows the last slash (a
    // registry port is not a tag).
    let (repo, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if repo != name {
        return None;
    }
    let get = |k: &str| entry.get(k).and_then(Node::as_str);
    let repo = get("newName").unwrap_or(repo);
    if let Some(d) = get("digest") {
        return Some(format!("{repo}@{d}"));
    }
    Some(match (get("newTag"), tag, digest) {
        (Some(t), _, _) => format!("{repo}:{t}"),
        (None, Some(t), Some(d)) => format!("{repo}:{t}@{d}"),
        (None, Some(t), None) => format!("{repo}:{t}"),
        (None, None, Some(d)) => format!("{repo}@{d}"),
        (None, None, None) => repo.to_string(),
    })
}

/// Kinds that live outside namespaces: `namespace:` leaves them alone.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "Node",
    "ClusterIssuer",
];

fn kind_of(node: &Node) -> &str {
    node.get("kind").and_then(Node::as_str).unwrap_or("")
}

/// `namespace:`: every namespaced object, and the service-account
/// subjects of bindings that name accounts the kustomization renders.
fn set_namespace(objects: &mut [Rendered], ns: &Node) {
    let accounts: BTreeSet<String> = objects
        .iter()
        .filter(|o| kind_of(&o.node) == "ServiceAccount")
        .filter_map(|o| {
            o.node
                .path(&["metadata", "name"])
                .and_then(Node::as_str)
                .map(str::to_string)
        })
        .collect();
    for o in objects.iter_mut() {
        let kind = kind_of(&o.node).to_string();
        if matches!(kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
            && let Some(Value::Seq(subjects)) =
                get_mut(&mut o.node, "subjects").map(|s| &mut s.value)
        {
            for s in subjects.iter_mut() {
                let is_ours = s.get("kind").and_then(Node::as_str) == Some("ServiceAccount")
                    && s.get("name")
                        .and_then(Node::as_str)
                        .is_some_and(|n| accounts.contains(n));
                if is_ours {
                    set(s, "namespace", ns.clone());
                }
            }
        }
        if CLUSTER_SCOPED.contains(&kind.as_str()) {
            continue;
        }
        o.remember();
        let meta = map_at(&mut o.node, "metadata", ns);
        set(meta, "namespace", ns.clone());
    }
}

/// `namePrefix` / `nameSuffix`: every object but CRDs (a Namespace too, as
/// kubebuilder projects rely on: `system` becomes `project-system`), and
/// the references to renamed objects that checks follow (service
/// accounts of pods and bindings, roles of bindings, Ingress backends).
fn rename(objects: &mut [Rendered], prefix: &str, suffix: &str, at: Option<&Node>) {
    let mut renamed: HashMap<(String, String), String> = HashMap::new();
    for o in objects.iter_mut() {
        let kind = kind_of(&o.node).to_string();
        if kind == "CustomResourceDefinition" {
            continue;
        }
        o.remember();
        let Some(meta) = get_mut(&mut o.node, "metadata") else {
            continue;
        };
        let Some(name_node) = get_mut(meta, "name") else {
            continue;
        };
        let Some(old) = name_node.as_str().map(str::to_string) else {
            continue;
        };
        let new = format!("{prefix}{old}{suffix}");
        let mut n = name_node.clone();
        n.value = Value::Scalar(new.clone(), false);
        if let Some(at) = at {
            n.origin = at.origin;
            n.line = at.line;
        }
        *name_node = n;
        renamed.insert((kind, old), new);
    }
    let lookup =
        |kind: &str, name: &str| renamed.get(&(kind.to_string(), name.to_string())).cloned();
    for o in objects.iter_mut() {
        rename_refs(&mut o.node, &lookup, 0);
    }
}

/// Follow the references a check reads, renaming what was renamed.
fn rename_refs(node: &mut Node, lookup: &dyn Fn(&str, &str) -> Option<String>, depth: usize) {
    if depth > yaml::MAX_DEPTH {
        return;
    }
    let rewrite = |n: &mut Node, kind: &str| {
        if let Some(new) = n.as_str().and_then(|s| lookup(kind, s)) {
            n.value = Value::Scalar(new, false);
        }
    };
    // Which kind of object a reference field under this map names.
    let sibling_kind = node.get("kind").and_then(Node::as_str).map(str::to_string);
    if let Value::Map(entries) = &mut node.value {
        for (k, v) in entries.iter_mut() {
            match k.as_str() {
                Some("serviceAccountName" | "serviceAccount") => rewrite(v, "ServiceAccount"),
                Some("roleRef") => {
                    if let Some(kind) = v.get("kind").and_then(Node::as_str).map(str::to_string)
                        && let Some(n) = get_mut(v, "name")
                    {
                        rewrite(n, &kind);
                    }
                }
                Some("serviceName") => rewrite(v, "Service"),
                Some("service") if v.get("name").is_some() => {
                    if let Some(n) = get_mut(v, "name") {
                        rewrite(n, "Service");
                    }
                }
                Some("name") => {
                    if sibling_kind.as_deref() == Some("ServiceAccount") {
                        rewrite(v, "ServiceAccount");
                    }
                }
                _ => rename_refs(v, lookup, depth + 1),
            }
        }
    } else if let Value::Seq(items) = &mut node.value {
        for i in items.iter_mut() {
            rename_refs(i, lookup, depth + 1);
        }
    }
}

/// Labels on every object; with `selectors`, also in workload selectors
/// and Service selectors; with `templates`, on pod templates.
fn add_labels(objects: &mut [Rendered], labels: &Node, selectors: bool, templates: bool) {
    let pairs: Vec<(Node, Node)> = labels.entries().to_vec();
    if pairs.is_empty() {
        return;
    }
    let put = |target: &mut Node| {
        for (k, v) in &pairs {
            if let Some(key) = k.as_str() {
                set(target, key, v.clone());
            }
        }
    };
    for o in objects.iter_mut() {
        let kind = kind_of(&o.node).to_string();
        put(map_at(
            map_at(&mut o.node, "metadata", labels),
            "labels",
            labels,
        ));
        let template: &[&str] = match kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                &["spec", "template"]
            }
            "CronJob" => &["spec", "jobTemplate", "spec", "template"],
            _ => &[],
        };
        if templates && !template.is_empty() {
            let mut at = &mut o.node;
            for key in template {
                at = map_at(at, key, labels);
            }
            put(map_at(map_at(at, "metadata", labels), "labels", labels));
        }
        if selectors {
            if kind == "Service" {
                put(map_at(
                    map_at(&mut o.node, "spec", labels),
                    "selector",
                    labels,
                ));
            } else if matches!(
                kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
            ) {
                let spec = map_at(&mut o.node, "spec", labels);
                put(map_at(
                    map_at(spec, "selector", labels),
                    "matchLabels",
                    labels,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::kubernetes::{Manifests, Object};
    use crate::{Check, Scan, Severity};

    fn scan() -> Scan {
        Scan::new(vec![Check::new(
            "K-1",
            "CONT-2",
            Severity::High,
            "k",
            "fix k",
            &[],
        )])
    }

    fn render(files: &[(&str, &str)]) -> (Vec<Object>, Scan) {
        let mut m = Manifests::new();
        for (path, text) in files {
            m.add(path, text).expect("read");
        }
        let mut s = scan();
        let objects = m.render(&mut s, &["K-1"]);
        (objects, s)
    }

    const BASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      serviceAccountName: runner\n      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.0\n        ports: [{containerPort: 8000}]\n      - name: sidecar\n        image: envoyproxy/envoy:v1.30\n";

    #[test]
    fn an_overlay_patches_renames_retags_and_attributes_each_field() {
        let overlay = "resources:\n- ../../base\nnamePrefix: prod-\nnamespace: prod\nimages:\n- name: ghcr.io/acme/api\n  newTag: \"2.0\"\npatches:\n- path: privileged.yaml\n";
        let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        securityContext:\n          privileged: true\n";
        let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n";
        let (objects, scan) = render(&[
            ("k/base/deploy.yaml", BASE),
            ("k/base/sa.yaml", sa),
            (
                "k/base/kustomization.yaml",
                "resources: [deploy.yaml, sa.yaml]\n",
            ),
            ("k/overlays/prod/kustomization.yaml", overlay),
            ("k/overlays/prod/privileged.yaml", patch),
        ]);
        assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
        // The patch is no object of its own, nor is the base judged alone.
        assert_eq!(objects.len(), 2, "{objects:#?}");
        let d = &objects[0];
        assert_eq!(
            d.rendered_by.as_deref(),
            Some("k/overlays/prod/kustomization.yaml")
        );
        assert_eq!(d.file, "k/base/deploy.yaml");
        assert_eq!(
            d.node.path(&["metadata", "name"]).unwrap().as_str(),
            Some("prod-api")
        );
        assert_eq!(
            d.node.path(&["metadata", "namespace"]).unwrap().as_str(),
            Some("prod")
        );
        let spec = d.node.path(&["spec", "template", "spec"]).unwrap();
        assert_eq!(
            spec.get("serviceAccountName").unwrap().as_str(),
            Some("prod-runner")
        );
        let containers = spec.get("containers").unwrap().items();
        assert_eq!(containers.len(), 2, "merged by name, not appended");
        let api = &containers[0];
        let privileged = api.path(&["securityContext", "privileged"]).unwrap();
        assert_eq!(privileged.as_bool(), Some(true));
        assert_eq!(d.source(privileged), "k/overlays/prod/privileged.yaml");
        assert_eq!(privileged.line, 11);
        let image = api.get("image").unwrap();
        assert_eq!(image.as_str(), Some("ghcr.io/acme/api:2.0"));
        assert_eq!(d.at(image).line, Some(6));
        assert_eq!(d.source(image), "k/overlays/prod/kustomization.yaml");
        // What the patch left alone is the base's.
        assert_eq!(d.source(&containers[1]), "k/base/deploy.yaml");
        assert_eq!(containers[1].line, 17);
        assert_eq!(api.get("ports").unwrap().items().len(), 1);
        assert_eq!(
            d.named("Deployment/prod-api"),
            "Deployment/prod-api (as k/overlays/prod/kustomization.yaml renders it)"
        );
    }

    #[test]
    fn overlays_that_render_a_base_alike_give_one_object() {
        let (objects, _) = render(&[
            ("base/deploy.yaml", BASE),
            (
                "base/kustomization.yaml",
                "resources: [deploy.yaml]\nnamespace: ml\n",
            ),
            ("a/kustomization.yaml", "resources: [../base]\n"),
            ("b/kustomization.yaml", "resources: [../base]\n"),
            ("c/kustomization.yaml", "resources: [../base]\n"),
        ]);
        assert_eq!(objects.len(), 1);
        assert_eq!(
            objects[0].named("Deployment/api"),
            "Deployment/api (as a/kustomization.yaml and 2 other kustomizations render it)"
        );
    }

    #[test]
    fn two_overlays_render_the_base_twice_and_a_lone_file_stays_alone() {
        let (objects, scan) = render(&[
            ("base/deploy.yaml", BASE),
            ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
            (
                "dev/kustomization.yaml",
                "resources: [../base]\nnameSuffix: -dev\n",
            ),
            (
                "staging/kustomization.yaml",
                "bases: [../base]\ncommonLabels: {env: staging}\n",
            ),
            (
                "other/pod.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: lone}\nspec: {containers: [{name: a, image: x}]}\n",
            ),
            // A patch beside a kustomization that does not use it.
            (
                "dev/unused-patch.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers: [{name: api, args: [--debug]}]\n",
            ),
        ]);
        let names: Vec<_> = objects
            .iter()
            .map(|o| {
                o.node
                    .path(&["metadata", "name"])
                    .unwrap()
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(names, ["lone", "api-dev", "api"]);
        assert!(
            scan.diagnostics()[0]
                .message
                .contains("a Kustomize patch that no kustomization in the target uses")
        );
        assert!(objects[0].rendered_by.is_none());
        let staging = &objects[2].node;
        for path in [
            &["metadata", "labels", "env"][..],
            &["spec", "selector", "matchLabels", "env"],
            &["spec", "template", "metadata", "labels", "env"],
        ] {
            assert_eq!(
                staging.path(path).and_then(|n| n.as_str()),
                Some("staging"),
                "{path:?}"
            );
        }
    }

    #[test]
    fn an_overlay_patch_names_an_object_by_its_name_before_the_base_prefixed_it() {
        let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      hostPID: true\n";
        let (objects, scan) = render(&[
            ("app/deploy.yaml", BASE),
            (
                "app/kustomization.yaml",
                "resources: [deploy.yaml]\nnamePrefix: profiles-\nnamespace: profiles\n",
            ),
            (
                "overlay/kustomization.yaml",
                "resources: [../app]\npatches:\n- path: p.yaml\n- target: {kind: Deployment, name: api, namespace: profiles}\n  patch: |-\n    - op: add\n      path: /spec/template/spec/hostIPC\n      value: true\n",
            ),
            ("overlay/p.yaml", patch),
        ]);
        assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
        let spec = objects[0].node.path(&["spec", "template", "spec"]).unwrap();
        assert_eq!(spec.get("hostPID").unwrap().as_bool(), Some(true));
        assert_eq!(spec.get("hostIPC").unwrap().as_bool(), Some(true));
    }

    #[test]
    fn json6902_and_inline_patches_apply_to_their_targets() {
        let k = "resources: [deploy.yaml]\npatches:\n- target: {kind: Deployment, name: api}\n  patch: |-\n    - op: add\n      path: /spec/template/spec/hostNetwork\n      value: true\n    - op: remove\n      path: /spec/template/spec/containers/1\n- path: ops.yaml\n  target: {kind: Deployment, name: \"a.*\"}\npatchesJson6902:\n- target: {group: apps, version: v1, kind: Deployment, name: nothing}\n  path: ops.yaml\n";
        let ops = "- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: ghcr.io/acme/api@sha256:abc\n";
        let (objects, scan) = render(&[
            ("app/deploy.yaml", BASE),
            ("app/kustomization.yaml", k),
            ("app/ops.yaml", ops),
        ]);
        assert_eq!(objects.len(), 1);
        let o = &objects[0];
        let spec = o.node.path(&["spec", "template", "spec"]).unwrap();
        let host = spec.get("hostNetwork").unwrap();
        assert_eq!(host.as_bool(), Some(true));
        assert_eq!(o.source(host), "app/kustomization.yaml");
        assert_eq!(host.line, 7, "the line inside the inline patch");
        let containers = spec.get("containers").unwrap().items();
        assert_eq!(containers.len(), 1);
        let image = containers[0].get("image").unwrap();
        assert_eq!(image.as_str(), Some("ghcr.io/acme/api@sha256:abc"));
        assert_eq!(o.source(image), "app/ops.yaml");
        // The third patch matched nothing: said, and the rendering is whole.
        assert_eq!(scan.diagnostics().len(), 1, "{:?}", scan.diagnostics());
        assert!(scan.diagnostics()[0].message.contains("matches no object"));
        assert!(scan.incomplete_checks().is_empty());
    }

    #[test]
    fn what_is_not_in_the_tree_is_said_and_leaves_the_checks_incomplete() {
        let k = "resources:\n- github.com/acme/infra//base?ref=v1\n- ../../outside\n- missing.yaml\n- deploy.yaml\nhelmCharts:\n- name: redis\n";
        let (objects, scan) = render(&[("deploy.yaml", BASE), ("kustomization.yaml", k)]);
        assert_eq!(objects.len(), 1);
        let lines: Vec<u32> = scan
            .diagnostics()
            .iter()
            .map(|d| d.location.line.unwrap_or(0))
            .collect();
        assert_eq!(lines, [2, 3, 4, 7], "{:?}", scan.diagnostics());
        assert!(
            scan.incomplete_checks()["K-1"].starts_with("kustomization.yaml: resource github.com/")
        );
    }

    #[test]
    fn custom_resources_merge_lists_whole_and_cycles_end() {
        let cr = "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: rc}\nspec:\n  workerGroupSpecs:\n  - groupName: a\n  - groupName: b\n";
        let patch = "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: rc}\nspec:\n  workerGroupSpecs:\n  - groupName: c\n";
        let (objects, scan) = render(&[
            ("a/cr.yaml", cr),
            ("a/p.yaml", patch),
            (
                "a/kustomization.yaml",
                "resources: [cr.yaml, ../b]\npatchesStrategicMerge: [p.yaml]\n",
            ),
            ("b/kustomization.yaml", "resources: [../a]\n"),
            ("c/kustomization.yaml", "resources: [../a]\n"),
        ]);
        let groups = objects[0]
            .node
            .path(&["spec", "workerGroupSpecs"])
            .unwrap()
            .items();
        assert_eq!(groups.len(), 1);
        assert!(
            scan.diagnostics()
                .iter()
                .any(|d| d.message.contains("includes itself"))
        );
    }

    #[test]
    fn paths_join_within_the_tree_only() {
        assert_eq!(
            super::join("k/overlays/prod", "../../base").as_deref(),
            Some("k/base")
        );
        assert_eq!(super::join("", "./a/b.yaml").as_deref(), Some("a/b.yaml"));
        assert_eq!(super::join("k", "../../x"), None);
        assert_eq!(super::join("k", "/etc/x"), None);
        assert!(super::name_matches("a.*", "api"));
        assert!(!super::name_matches("api", "api-2"));
        assert!(super::name_matches(".*-worker", "gpu-worker"));
    }
}
