//! YAML documents as a tree that remembers line numbers.
//!
//! yaml-rust2 does the parsing; this module builds nodes from its events so
//! that findings can point at a line. Anchors and aliases are resolved (an
//! alias is a copy of the anchored node), `<<` merge keys are applied the way
//! Kubernetes' YAML 1.1 reader applies them, and what a file may cost is
//! bounded: nodes and text after alias expansion (a "billion laughs"
//! document costs an error, not the plugin's memory) and nesting depth (a
//! deeply nested one costs an error, not the plugin's stack). A file past a
//! limit is not read at all: [`Error::Limit`] says which limit.
//!
//! JSON files (manifests, policies, configs) are read by [`json`] into the
//! same tree, so that one set of rules judges both.

pub mod json;

use std::collections::{HashMap, HashSet};

use yaml_rust2::parser::{Event, Parser};

use crate::{Location, Scan, SkipReason};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nodes held per file, copies made by aliases (and of anchored nodes,
/// kept for their aliases) included. Block YAML spends at least four bytes
/// a node (`k: v` and a line end), so the largest file read (4 MiB) stays
/// within it unless aliases multiply it (only a flow sequence of one-digit
/// items, two bytes each, could reach it unaided); it caps what a file can
/// cost at some 100 MB however it nests its aliases ("billion laughs").
const MAX_NODES: usize = 1_000_000;
/// Bytes of scalar text held per file, alias copies included: a few
/// hundred aliases of one long string are few nodes but much memory.
/// Four times the largest file read.
const MAX_TEXT: usize = 16 << 20;
/// Nesting of collections, aliases counted at their depth. Everything that
/// walks a node recurses once per level, so this bounds the stack; the
/// limit serde_json applies to JSON, far beyond what any manifest nests.
pub const MAX_DEPTH: usize = 128;

/// Why a stream was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Not YAML (or not YAML this reader accepts).
    Syntax(String),
    /// A limit on what a file may cost was reached; it says which.
    Limit(String),
}

impl From<serde_json::Error> for Error {
    /// JSON (manifests, daemon.json) is read by serde_json, whose nesting
    /// limit is a limit like the ones here.
    fn from(e: serde_json::Error) -> Self {
        let text = e.to_string();
        if text.starts_with("recursion limit exceeded") {
            Error::Limit(format!(
                "JSON nested deeper than 128 levels ({text}); not read"
            ))
        } else {
            Error::Syntax(text)
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Syntax(e) | Error::Limit(e) => f.write_str(e),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line where the node starts.
    pub line: u32,
    pub value: Value,
    /// Which file of a rendered set the node was read from (an index into
    /// the set's files; 0 for a file read alone). Kustomize overlays merge
    /// patches into their bases, and a finding points at the file and line
    /// that introduced what it judges: see `kubernetes::Object::at`.
    pub origin: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar and whether it was plain (unquoted), which decides whether
    /// `true` is a boolean or a string.
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Stamp `origin` on this node and everything under it.
    pub fn set_origin(&mut self, origin: u32) {
        self.origin = origin;
        match &mut self.value {
            Value::Scalar(..) => {}
            Value::Seq(items) => items.iter_mut().for_each(|i| i.set_origin(origin)),
            Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                k.set_origin(origin);
                v.set_origin(origin);
            }),
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follow a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// A boolean as Kubernetes reads it: its YAML library follows YAML 1.1,
    /// where plain `yes`, `on`, `y` are true too. Quoted strings are not
    /// booleans.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(s, true) => match s.as_str() {
                "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On"
                | "ON" => Some(true),
                "false" | "False" | "FALSE" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off"
                | "OFF" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(s, true) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The key/value pairs of a mapping, in file order (empty for others).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// A scalar, or each scalar of a sequence: fields that take either
    /// (`Action: "s3:*"` or `Action: ["s3:*", ...]`).
    pub fn strings(&self) -> Vec<&str> {
        match &self.value {
            Value::Scalar(s, _) => vec![s.as_str()],
            Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            Value::Map(_) => Vec::new(),
        }
    }
}

/// What a node costs: nodes and scalar bytes in it, and how deeply its
/// collections nest (0 for a scalar). Kept for anchored nodes, so that an
/// alias is charged without walking its copy.
#[derive(Clone, Copy, Default)]
struct Cost {
    nodes: usize,
    text: usize,
    depth: usize,
}

impl Cost {
    fn add(&mut self, child: Cost) {
        self.nodes += child.nodes;
        self.text += child.text;
        self.depth = self.depth.max(child.depth);
    }
}

enum Frame {
    Seq {
        line: u32,
        anchor: usize,
        items: Vec<Node>,
        cost: Cost,
    },
    Map {
        line: u32,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        cost: Cost,
    },
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, Cost)>,
    /// Spent so far in the file.
    nodes: usize,
    text: usize,
    error: Option<Error>,
}

impl Builder {
    /// Charge `cost` to the file; false (and the error set) past a limit.
    fn spend(&mut self, cost: Cost) -> bool {
        self.nodes += cost.nodes;
        self.text += cost.text;
        let limit = if self.nodes > MAX_NODES {
            format!("more than {MAX_NODES} nodes after expanding aliases; not read")
        } else if self.text > MAX_TEXT {
            format!("more than {MAX_TEXT} bytes of text after expanding aliases; not read")
        } else {
            return true;
        };
        self.error = Some(Error::Limit(limit));
        false
    }

    /// Would a node of `depth` placed here nest too deep? (Sets the error.)
    fn too_deep(&mut self, depth: usize) -> bool {
        if self.stack.len() + depth > MAX_DEPTH {
            self.error = Some(Error::Limit(format!(
                "collections nested deeper than {MAX_DEPTH} levels; not read"
            )));
            return true;
        }
        false
    }

    /// Place a finished node (already paid for) in its parent.
    fn push(&mut self, node: Node, cost: Cost, anchor: usize) {
        if anchor > 0 {
            // The copy kept for aliases costs as much again.
            if !self.spend(cost) {
                return;
            }
            self.anchors.insert(anchor, (node.clone(), cost));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, cost: c, .. }) => {
                c.add(cost);
                items.push(node);
            }
            Some(Frame::Map {
                entries,
                key,
                cost: c,
                ..
            }) => {
                c.add(cost);
                match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                }
            }
        }
    }

    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line() as u32;
        match ev {
            // Anchors belong to their document.
            Event::DocumentStart => self.anchors.clear(),
            Event::Scalar(s, style, anchor, _) => {
                let cost = Cost {
                    nodes: 1,
                    text: s.len(),
                    depth: 0,
                };
                if self.spend(cost) {
                    let plain = style == TScalarStyle::Plain;
                    let value = Value::Scalar(s, plain);
                    self.push(
                        Node {
                            line,
                            value,
                            origin: 0,
                        },
                        cost,
                        anchor,
                    );
                }
            }
            // Too deep, the error is set and nothing more is built.
            Event::SequenceStart(anchor, _) if !self.too_deep(1) => {
                self.stack.push(Frame::Seq {
                    line,
                    anchor,
                    items: Vec::new(),
                    cost: Cost::default(),
                });
            }
            Event::MappingStart(anchor, _) if !self.too_deep(1) => {
                self.stack.push(Frame::Map {
                    line,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    cost: Cost::default(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, mut cost, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        line,
                        anchor,
                        items,
                        cost,
                    }) => (
                        Node {
                            line,
                            origin: 0,
                            value: Value::Seq(items),
                        },
                        cost,
                        anchor,
                    ),
                    Some(Frame::Map {
                        line,
                        anchor,
                        entries,
                        cost,
                        ..
                    }) => (
                        Node {
                            line,
                            origin: 0,
                            value: Value::Map(merge_keys(entries)),
                        },
                        cost,
                        anchor,
                    ),
                    None => {
                        self.error =
                            Some(Error::Syntax("a collection ends that never began".into()));
                        return;
                    }
                };
                let own = Cost {
                    nodes: 1,
                    ..Cost::default()
                };
                cost.nodes += 1;
                cost.depth += 1;
                if self.spend(own) {
                    self.push(node, cost, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(&(_, cost)) => {
                    // Charged before copying: a bomb stops at the limit.
                    if !self.too_deep(cost.depth) && self.spend(cost) {
                        // A copy is where it is used: findings about what an
                        // alias brings point at the alias.
                        let mut node = self.anchors[&id].0.clone();
                        relocate(&mut node, line);
                        self.push(node, cost, 0);
                    }
                }
                None => self.error = Some(Error::Syntax("alias to an unknown anchor".into())),
            },
            _ => {}
        }
    }
}

/// Put `node` and everything under it on `line`.
fn relocate(node: &mut Node, line: u32) {
    node.line = line;
    match &mut node.value {
        Value::Scalar(..) => {}
        Value::Seq(items) => items.iter_mut().for_each(|i| relocate(i, line)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            relocate(k, line);
            relocate(v, line);
        }),
    }
}

/// Apply `<<: *base` / `<<: [*a, *b]`: keys of the merged maps are added
/// unless the mapping sets them itself.
fn merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let is_merge = |k: &Node| matches!(&k.value, Value::Scalar(s, true) if s == "<<");
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| is_merge(k));
    // Keys looked up by hash: merged maps can bring many keys, and
    // comparing each with every key so far took quadratic time. Keys that
    // are collections are never looked up ([`Node::get`] matches scalars),
    // so they are kept without comparing them: a mapping of 40,000 such keys
    // and one merge took a minute that way.
    let mut scalar_keys: HashSet<(String, bool)> = HashSet::new();
    let mut seen = |k: &Node| match &k.value {
        Value::Scalar(s, plain) => !scalar_keys.insert((s.clone(), *plain)),
        Value::Seq(_) | Value::Map(_) => false,
    };
    for (k, _) in &own {
        seen(k);
    }
    for (_, merged) in merges {
        let sources: Vec<Node> = match merged.value {
            Value::Seq(items) => items,
            other => vec![Node {
                line: merged.line,
                origin: 0,
                value: other,
            }],
        };
        for source in sources {
            if let Value::Map(src) = source.value {
                for (k, v) in src {
                    if !seen(&k) {
                        own.push((k, v));
                    }
                }
            }
        }
    }
    own
}

/// Parse all documents of a YAML stream.
///
/// The parser's events are consumed here, one by one: its own `load`
/// recurses once per nesting level of block collections, which a file
/// chooses (`- - - - x`), and would overflow the stack before any limit
/// here applied. (It resolves nothing itself: aliases arrive as events.)
pub fn parse(text: &str) -> Result<Vec<Node>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::default();
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            // The library's own bound on flow collections: it looks ahead
            // for keys, so it can meet it before this builder meets its own.
            if e.info() == "recursion limit exceeded" {
                Error::Limit(format!(
                    "flow collections nested deeper than 255 levels ({e}); not read"
                ))
            } else {
                Error::Syntax(e.to_string())
            }
        })?;
        if ev == Event::StreamEnd {
            break;
        }
        builder.on_event(ev, mark);
        if let Some(e) = builder.error.take() {
            return Err(e);
        }
    }
    Ok(builder.docs)
}

/// A file that was read but not understood, as an input of the checks in
/// `group`: none of them can pass on it, so each is incomplete. Past a
/// parser limit (an alias bomb, deep nesting) the file is also listed as
/// not examined; a syntax error is the reader's to describe in a
/// diagnostic, where it matters (see [`crate::kubernetes::read`]).
pub fn record_unread(scan: &mut Scan, path: &str, group: &[&str], error: &Error) {
    let reason = match error {
        Error::Limit(limit) => {
            scan.skipped(
                Location::target(path),
                SkipReason::ParseLimit,
                limit.clone(),
            );
            format!("{path} not examined: {limit}")
        }
        Error::Syntax(e) => format!("{path} could not be parsed: {e}"),
    };
    for check in group {
        scan.incomplete(check, reason.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_lines_anchors_and_merge_keys() {
        let docs =
            parse("a: 1\n---\nbase: &b\n  x: on\n  y: \"true\"\nuse:\n  <<: *b\n  y: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        let d = &docs[1];
        let used = d.get("use").unwrap();
        assert_eq!(used.get("x").unwrap().as_bool(), Some(true));
        assert_eq!(used.get("y").unwrap().as_i64(), Some(2));
        assert_eq!(d.path(&["base", "y"]).unwrap().as_bool(), None);
        assert_eq!(d.path(&["base", "x"]).unwrap().line, 4);
        // What an alias brings is where the alias is used.
        assert_eq!(used.get("x").unwrap().line, 7);
        let list = parse(
            "a: &v [1, 2]
b: *v
",
        )
        .unwrap();
        assert_eq!(list[0].get("b").unwrap().items()[1].line, 2);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("expanding aliases"), "{err}");
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(parse("a: [1, 2\nb: c").is_err());
    }

    /// Parse on a thread with a small native stack: in wasm the stack is
    /// about 1 MiB, so recursion whose depth a file chooses overflows
    /// there; here it overflows at a quarter of that.
    fn parse_on_small_stack(text: String) -> Result<usize, String> {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || parse(&text).map(|d| d.len()).map_err(|e| e.to_string()))
            .expect("thread")
            .join()
            .expect("parsing did not panic")
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        // `- - - - x`: block sequences, which the YAML library's own
        // loader followed with one level of recursion each.
        let err = parse_on_small_stack("- ".repeat(200_000) + "x\n").unwrap_err();
        assert!(err.contains("nested deeper than 128"), "{err}");
        let err = parse_on_small_stack("[".repeat(200) + &"]".repeat(200)).unwrap_err();
        assert!(err.contains("nested deeper than 128"), "{err}");
        // Each alias one level deeper than the anchor it copies.
        let mut text = String::from("a0: &a0 [x]\n");
        for i in 1..5000 {
            text.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
        }
        let err = parse_on_small_stack(text).unwrap_err();
        assert!(err.contains("nested deeper than 128"), "{err}");
        // As deep as allowed is read.
        let ok = "- ".repeat(127) + "x\n";
        assert_eq!(parse_on_small_stack(ok), Ok(1));
        // Past the library's own bound on flow collections, which it meets
        // first while looking ahead: a limit too, not a syntax error.
        match parse(&("[".repeat(100_000) + &"]".repeat(100_000))) {
            Err(Error::Limit(e)) => assert!(e.contains("nested deeper than 255"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn collections_as_keys_take_linear_time() {
        // 40,000 keys that are sequences, and a merge: comparing each with
        // every one before took a minute (4 MiB of them, hours).
        let keys: Vec<String> = (0..40_000).map(|i| format!("[{i}]: 0")).collect();
        let text = format!("m: {{{}, <<: {{k: 1}}}}\n", keys.join(", "));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(parse(&text).map(|d| {
                d[0].get("m").map(|m| match &m.value {
                    Value::Map(e) => (e.len(), m.get("k").and_then(Node::as_i64)),
                    _ => (0, None),
                })
            }))
        });
        let merged = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("parsed within 20 s");
        assert_eq!(
            merged.map_err(|e| e.to_string()),
            Ok(Some((40_001, Some(1))))
        );
    }

    #[test]
    fn the_nine_by_nine_alias_bomb_is_refused() {
        let mut text = String::from(
            "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(", ");
            text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let err = parse_on_small_stack(text).unwrap_err();
        assert!(err.contains("1000000 nodes"), "{err}");
    }

    #[test]
    fn aliased_long_scalars_count_by_their_bytes() {
        // A few hundred nodes, but each alias copies a 1 MiB string.
        let text = format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(1 << 20),
            vec!["*a"; 100].join(", ")
        );
        match parse(&text) {
            Err(Error::Limit(e)) => assert!(e.contains("bytes of text"), "{e}"),
            Err(e) => panic!("{e}"),
            Ok(docs) => panic!("read, {} documents", docs.len()),
        }
    }

    #[test]
    fn merging_many_keys_takes_linear_time() {
        // 10,000 keys merged 40 times over: within the node budget.
        let keys: Vec<String> = (0..10_000).map(|i| format!("k{i}: 0")).collect();
        let text = format!(
            "base: &b {{{}}}\nm:\n  <<: [{}]\n",
            keys.join(", "),
            vec!["*b"; 40].join(", ")
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(parse(&text).map(|d| {
                d[0].get("m").map(|m| match &m.value {
                    Value::Map(e) => e.len(),
                    _ => 0,
                })
            }))
        });
        let merged = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("parsed within 20 s");
        assert_eq!(merged.map_err(|e| e.to_string()), Ok(Some(10_000)));
    }
}
