//! YAML documents as a tree that remembers line numbers.
//!
//! yaml-rust2 does the parsing; this module builds nodes from its events so
//! that findings can point at a line. Anchors and aliases are resolved (an
//! alias is a copy of the anchored node), `<<` merge keys are applied the way
//! Kubernetes' YAML 1.1 reader applies them, and alias expansion is bounded
//! so a "billion laughs" document costs an error, not the plugin's memory.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nodes created (aliases counted at their full size) before giving up.
const MAX_NODES: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line where the node starts.
    pub line: u32,
    pub value: Value,
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

    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Scalar(..) => 0,
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
        }
    }
}

enum Frame {
    Seq {
        line: u32,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: u32,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    error: Option<String>,
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }

    fn count(&mut self, n: usize) {
        self.nodes += n;
        if self.nodes > MAX_NODES && self.error.is_none() {
            self.error = Some(format!(
                "more than {MAX_NODES} nodes after expanding aliases; not read"
            ));
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line() as u32;
        match ev {
            Event::Scalar(s, style, anchor, _) => {
                self.count(1);
                let plain = style == TScalarStyle::Plain;
                self.push(
                    Node {
                        line,
                        value: Value::Scalar(s, plain),
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                line,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                line,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    line,
                    anchor,
                    items,
                }) = self.stack.pop()
                {
                    self.count(1);
                    self.push(
                        Node {
                            line,
                            value: Value::Seq(items),
                        },
                        anchor,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    line,
                    anchor,
                    entries,
                    ..
                }) = self.stack.pop()
                {
                    self.count(1);
                    self.push(
                        Node {
                            line,
                            value: Value::Map(merge_keys(entries)),
                        },
                        anchor,
                    );
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => {
                    self.count(node.size());
                    if self.error.is_none() {
                        self.push(node, 0);
                    }
                }
                None => self.error = Some("alias to an unknown anchor".into()),
            },
            _ => {}
        }
    }
}

/// Apply `<<: *base` / `<<: [*a, *b]`: keys of the merged maps are added
/// unless the mapping sets them itself.
fn merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    if !entries
        .iter()
        .any(|(k, _)| k.value == Value::Scalar("<<".into(), true))
    {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(k, _)| k.value == Value::Scalar("<<".into(), true));
    for (_, merged) in merges {
        let sources: Vec<Node> = match merged.value {
            Value::Seq(items) => items,
            other => vec![Node {
                line: merged.line,
                value: other,
            }],
        };
        for source in sources {
            if let Value::Map(src) = source.value {
                for (k, v) in src {
                    if !own.iter().any(|(ok, _)| ok.value == k.value) {
                        own.push((k, v));
                    }
                }
            }
        }
    }
    own
}

/// Parse all documents of a YAML stream.
pub fn parse(text: &str) -> Result<Vec<Node>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder::default();
    Parser::new_from_str(text)
        .load(&mut builder, true)
        .map_err(|e| e.to_string())?;
    match builder.error {
        Some(e) => Err(e),
        None => Ok(builder.docs),
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
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.contains("expanding aliases"), "{err}");
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(parse("a: [1, 2\nb: c").is_err());
    }
}
