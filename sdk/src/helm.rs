//! Helm chart templates rendered with the chart's default values, as
//! `helm template` renders them: Go template actions (`if`/`else`,
//! `range`, `with`, variables, `define`/`include`/`template`, pipelines)
//! and the Sprig and Helm functions charts use for manifests (`default`,
//! `toYaml`, `nindent`, `quote`, `printf`, `tpl`, ...), with `.Values`,
//! `.Release`, `.Chart` and `.Capabilities` as `helm template` sets them.
//!
//! Hand-written: Helm is Go's text/template with Sprig, and no Rust crate
//! renders charts. Nothing here is guessed: a construct or function it
//! does not know, `fail`, a `required` value that is empty, or a file it
//! cannot read makes [`render`] return an error naming it, and the file is
//! reported as not evaluated rather than judged on a half-rendering.
//!
//! Each output line remembers the template line it came from, so findings
//! point into the template.

use std::collections::BTreeMap;

use crate::yaml::{self, Node as YNode, Value as YValue};

/// Output a template may produce (a chart that loops over its values
/// could otherwise grow without bound).
const MAX_OUTPUT: usize = 4 << 20;
/// Nesting of `include`/`template`/`tpl` calls.
const MAX_CALLS: usize = 64;
/// Steps (nodes evaluated) per file.
const MAX_STEPS: usize = 2_000_000;

/// A template value, as Go templates see Helm's values.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<V>),
    /// Keys in order; lookups take the last (like YAML).
    Map(Vec<(String, V)>),
}

impl V {
    fn truthy(&self) -> bool {
        match self {
            V::Nil => false,
            V::Bool(b) => *b,
            V::Int(i) => *i != 0,
            V::Float(f) => *f != 0.0,
            V::Str(s) => !s.is_empty(),
            V::List(l) => !l.is_empty(),
            V::Map(m) => !m.is_empty(),
        }
    }

    /// The value under `key` of a map.
    pub fn get(&self, key: &str) -> Option<&V> {
        match self {
            V::Map(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn set(&mut self, key: &str, value: V) {
        if let V::Map(m) = self {
            if let Some(slot) = m.iter_mut().rev().find(|(k, _)| k == key) {
                slot.1 = value;
            } else {
                m.push((key.to_string(), value));
            }
        }
    }

    /// Go's `%v` for the value; a missing value prints as nothing (Helm
    /// removes `<no value>` from its output).
    fn print(&self) -> String {
        match self {
            V::Nil => String::new(),
            V::Bool(b) => b.to_string(),
            V::Int(i) => i.to_string(),
            V::Float(f) => float_text(*f),
            V::Str(s) => s.clone(),
            V::List(l) => format!("[{}]", l.iter().map(V::print).collect::<Vec<_>>().join(" ")),
            V::Map(m) => format!(
                "map[{}]",
                sorted(m)
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", v.print()))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

fn sorted(m: &[(String, V)]) -> Vec<(String, V)> {
    let mut by: BTreeMap<&str, &V> = BTreeMap::new();
    for (k, v) in m {
        by.insert(k, v);
    }
    by.into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A YAML node as a value: plain scalars typed as Helm's YAML reader
/// (YAML 1.1) types them, quoted ones strings.
pub fn from_yaml(node: &YNode) -> V {
    match &node.value {
        YValue::Scalar(s, true) => match s.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => V::Nil,
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => V::Bool(true),
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
                V::Bool(false)
            }
            t => {
                if let Ok(i) = t.parse::<i64>() {
                    V::Int(i)
                } else if let Some(f) = t.parse::<f64>().ok().filter(|_| {
                    t.bytes()
                        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
                }) {
                    V::Float(f)
                } else {
                    V::Str(t.to_string())
                }
            }
        },
        YValue::Scalar(s, false) => V::Str(s.clone()),
        YValue::Seq(items) => V::List(items.iter().map(from_yaml).collect()),
        YValue::Map(entries) => V::Map(
            entries
                .iter()
                .filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), from_yaml(v))))
                .collect(),
        ),
    }
}

/// `over` merged into `base`, maps deeply (a subchart's values under the
/// parent's key for it, over the subchart's own).
pub fn merge(base: &mut V, over: &V) {
    match (base, over) {
        (b @ V::Map(_), V::Map(o)) => {
            for (k, v) in o {
                match b.get(k).cloned() {
                    Some(mut existing @ V::Map(_)) if matches!(v, V::Map(_)) => {
                        merge(&mut existing, v);
                        b.set(k, existing);
                    }
                    _ => b.set(k, v.clone()),
                }
            }
        }
        (b, o) if !matches!(o, V::Nil) => *b = o.clone(),
        _ => {}
    }
}

// ---------------------------------------------------------------- parsing

#[derive(Debug, Clone)]
enum Arg {
    /// `.a.b` (empty: `.`).
    Field(Vec<String>),
    /// `$x.a.b` (`$` alone: name "").
    Var(String, Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    Ident(String),
    /// `( pipeline )`, then fields read off its value.
    Sub(Box<Pipe>, Vec<String>),
}

#[derive(Debug, Clone, Default)]
struct Pipe {
    /// `$x :=` / `$i, $v :=` declarations, or `$x =` assignment.
    vars: Vec<String>,
    assign: bool,
    cmds: Vec<Vec<Arg>>,
}

#[derive(Debug, Clone)]
enum Item {
    Text(String, u32),
    Action(Pipe, u32),
    If(Vec<(Pipe, Vec<Item>)>, Vec<Item>, u32),
    Range(Pipe, Vec<Item>, Vec<Item>, u32),
    With(Pipe, Vec<Item>, Vec<Item>, u32),
    Template(String, Option<Pipe>, u32),
    /// `break` / `continue` of the innermost `range`.
    Break,
    Continue,
}

/// How a list of items ended: at its end, or at a `break`/`continue`
/// that the enclosing `range` takes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// A parsed template: its items and the `define`s it holds.
#[derive(Debug, Default, Clone)]
pub struct Parsed {
    items: Vec<Item>,
    defines: Vec<(String, Vec<Item>)>,
}

/// Parse template text (a file, a helper, or a `tpl` string).
pub fn parse(text: &str) -> Result<Parsed, String> {
    // Split into text and actions, applying `{{-` and `-}}` trimming.
    enum Piece {
        Text(String, u32),
        Action(String, u32),
    }
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut line = 1u32;
    let mut trim_next = false;
    while !rest.is_empty() {
        let (before, after) = match rest.find("{{") {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        let mut chunk = before;
        let mut start_line = line;
        line += before.matches('\n').count() as u32;
        if trim_next {
            let trimmed = chunk.trim_start();
            start_line += chunk[..chunk.len() - trimmed.len()].matches('\n').count() as u32;
            chunk = trimmed;
        }
        let Some(after) = after else {
            if !chunk.is_empty() {
                pieces.push(Piece::Text(chunk.to_string(), start_line));
            }
            break;
        };
        let trim_before = after.starts_with("- ")
            || after.starts_with("-\n")
            || after.starts_with("-\t")
            || after.starts_with("-/*");
        if trim_before {
            chunk = chunk.trim_end();
        }
        if !chunk.is_empty() {
            pieces.push(Piece::Text(chunk.to_string(), start_line));
        }
        let body_start = if trim_before { &after[1..] } else { after };
        let end = find_action_end(body_start)
            .ok_or_else(|| format!("line {line}: an action is not closed with }}}}"))?;
        let mut body = &body_start[..end];
        let after_close = &body_start[end + 2..];
        trim_next = body.ends_with(" -")
            || body.ends_with("\n-")
            || body.ends_with("\t-")
            || body.ends_with("*/-");
        if trim_next {
            body = &body[..body.len() - 1];
        }
        pieces.push(Piece::Action(body.trim().to_string(), line));
        line += body_start[..end + 2].matches('\n').count() as u32;
        rest = after_close;
    }

    // Build the tree.
    struct Frame {
        kind: &'static str,
        line: u32,
        pipe: Pipe,
        name: String,
        branches: Vec<(Pipe, Vec<Item>)>,
        items: Vec<Item>,
        in_else: bool,
        else_items: Vec<Item>,
    }
    let mut parsed = Parsed::default();
    let mut stack: Vec<Frame> = vec![Frame {
        kind: "top",
        line: 1,
        pipe: Pipe::default(),
        name: String::new(),
        branches: Vec::new(),
        items: Vec::new(),
        in_else: false,
        else_items: Vec::new(),
    }];
    let push = |stack: &mut Vec<Frame>, item: Item| {
        let f = stack.last_mut().expect("top frame");
        if f.in_else {
            f.else_items.push(item);
        } else {
            f.items.push(item);
        }
    };
    for piece in pieces {
        let (action, line) = match piece {
            Piece::Text(t, l) => {
                push(&mut stack, Item::Text(t, l));
                continue;
            }
            Piece::Action(a, l) => (a, l),
        };
        if action.starts_with("/*") {
            continue;
        }
        let (word, rest) = match action.find(|c: char| c.is_whitespace() || c == '(' || c == '"') {
            Some(i) => (&action[..i], action[i..].trim()),
            None => (action.as_str(), ""),
        };
        let at = |e: String| format!("line {line}: {e}");
        let open = |kind: &'static str, pipe: Pipe, name: String| Frame {
            kind,
            line,
            pipe,
            name,
            branches: Vec::new(),
            items: Vec::new(),
            in_else: false,
            else_items: Vec::new(),
        };
        match word {
            "if" => stack.push(open("if", parse_pipe(rest).map_err(at)?, String::new())),
            "range" => stack.push(open("range", parse_pipe(rest).map_err(at)?, String::new())),
            "with" => stack.push(open("with", parse_pipe(rest).map_err(at)?, String::new())),
            "define" | "block" => {
                let name = parse_pipe(rest).map_err(at)?;
                let Some(Arg::Str(n)) = name.cmds.first().and_then(|c| c.first()).cloned() else {
                    return Err(at(format!("{word} without a name")));
                };
                let kind = if word == "define" { "define" } else { "block" };
                let mut f = open(kind, Pipe::default(), n);
                if word == "block" {
                    f.pipe = Pipe {
                        cmds: name
                            .cmds
                            .first()
                            .map(|c| vec![c[1..].to_vec()])
                            .unwrap_or_default(),
                        ..Pipe::default()
                    };
                }
                stack.push(f);
            }
            "else" => {
                let f = stack.last_mut().expect("top frame");
                if !matches!(f.kind, "if" | "range" | "with") || f.in_else {
                    return Err(at("else outside if, range or with".into()));
                }
                let else_if = rest
                    .strip_prefix("if")
                    .filter(|r| r.starts_with(char::is_whitespace) || r.starts_with('('));
                match (f.kind, else_if) {
                    ("if", Some(cond)) => {
                        let pipe = std::mem::take(&mut f.pipe);
                        let items = std::mem::take(&mut f.items);
                        f.branches.push((pipe, items));
                        f.pipe = parse_pipe(cond.trim()).map_err(at)?;
                    }
                    (_, Some(_)) => return Err(at("else if outside if".into())),
                    (_, None) if rest.starts_with("with") => {
                        return Err(at("else with is not supported".into()));
                    }
                    (_, None) => f.in_else = true,
                }
            }
            "end" => {
                let mut f = stack.pop().expect("top frame");
                if f.kind == "top" {
                    return Err(at("end without a block".into()));
                }
                let item = match f.kind {
                    "if" => {
                        f.branches.push((f.pipe, f.items));
                        Item::If(f.branches, f.else_items, f.line)
                    }
                    "range" => Item::Range(f.pipe, f.items, f.else_items, f.line),
                    "with" => Item::With(f.pipe, f.items, f.else_items, f.line),
                    "define" => {
                        parsed.defines.push((f.name, f.items));
                        continue;
                    }
                    _ => {
                        // block: a define, and a call of it here.
                        parsed.defines.push((f.name.clone(), f.items));
                        let pipe = f.pipe;
                        Item::Template(f.name, Some(pipe), f.line)
                    }
                };
                push(&mut stack, item);
            }
            "template" => {
                let p = parse_pipe(rest).map_err(at)?;
                let mut cmd = p.cmds.into_iter().next().unwrap_or_default();
                let Some(Arg::Str(name)) = cmd.first().cloned() else {
                    return Err(at("template without a name".into()));
                };
                cmd.remove(0);
                let arg = (!cmd.is_empty()).then(|| Pipe {
                    cmds: vec![cmd],
                    ..Pipe::default()
                });
                push(&mut stack, Item::Template(name, arg, line));
            }
            "break" => push(&mut stack, Item::Break),
            "continue" => push(&mut stack, Item::Continue),
            _ => push(
                &mut stack,
                Item::Action(parse_pipe(&action).map_err(at)?, line),
            ),
        }
    }
    if stack.len() != 1 {
        let f = stack.last().expect("frame");
        return Err(format!("line {}: {} is never ended", f.line, f.kind));
    }
    parsed.items = stack.pop().expect("top frame").items;
    Ok(parsed)
}

/// Where an action's `}}` is, outside string literals.
fn find_action_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let close = s[i + 2..].find("*/")?;
                i += close + 3;
            }
            b'}' if b[i + 1] == b'}' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Num(String),
    Word(String),
    Field(Vec<String>),
    Var(String, Vec<String>),
    Open,
    Close,
    /// Fields read off a parenthesised value: `(...).a.b`.
    After(Vec<String>),
    Pipe,
    Declare,
    Assign,
    Comma,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let chain = |i: &mut usize| -> Vec<String> {
        let mut fields = Vec::new();
        while *i < b.len() && b[*i] == b'.' {
            let start = *i + 1;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j == start {
                *i = j;
                break;
            }
            fields.push(s[start..j].to_string());
            *i = j;
        }
        fields
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => {
                let mut v = String::new();
                i += 1;
                let mut chars = s[i..].char_indices();
                loop {
                    let Some((k, ch)) = chars.next() else {
                        return Err("unterminated string".into());
                    };
                    match ch {
                        '"' => {
                            i += k + 1;
                            break;
                        }
                        '\\' => match chars.next().map(|(_, e)| e) {
                            Some('n') => v.push('\n'),
                            Some('t') => v.push('\t'),
                            Some('r') => v.push('\r'),
                            Some('"') => v.push('"'),
                            Some('\\') => v.push('\\'),
                            Some(o) => {
                                v.push('\\');
                                v.push(o);
                            }
                            None => return Err("unterminated string".into()),
                        },
                        o => v.push(o),
                    }
                }
                out.push(Tok::Str(v));
            }
            b'`' => {
                let end = s[i + 1..].find('`').ok_or("unterminated raw string")?;
                out.push(Tok::Str(s[i + 1..i + 1 + end].to_string()));
                i += end + 2;
            }
            b'(' => {
                out.push(Tok::Open);
                i += 1;
            }
            b')' => {
                out.push(Tok::Close);
                i += 1;
                if i < b.len() && b[i] == b'.' {
                    out.push(Tok::After(chain(&mut i)));
                }
            }
            b'|' => {
                out.push(Tok::Pipe);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Declare);
                i += 2;
            }
            b'=' => {
                out.push(Tok::Assign);
                i += 1;
            }
            b'.' => {
                let fields = chain(&mut i);
                if fields.is_empty() {
                    i = i.max(1);
                }
                out.push(Tok::Field(fields));
            }
            b'$' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let name = s[start..j].to_string();
                i = j;
                out.push(Tok::Var(name, chain(&mut i)));
            }
            b'-' | b'+' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                out.push(Tok::Num(s[start..i].to_string()));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(Tok::Word(s[start..i].to_string()));
                // A method chain on a word is not template syntax.
                if i < b.len() && b[i] == b'.' {
                    return Err(format!("unexpected '.' after {}", &s[start..i]));
                }
            }
            c => return Err(format!("unexpected character {:?}", c as char)),
        }
    }
    Ok(out)
}

fn parse_pipe(s: &str) -> Result<Pipe, String> {
    let toks = lex(s)?;
    let mut pos = 0;
    let p = pipe_from(&toks, &mut pos, true)?;
    if pos != toks.len() {
        return Err(format!("unexpected {:?}", toks[pos]));
    }
    Ok(p)
}

fn pipe_from(toks: &[Tok], pos: &mut usize, top: bool) -> Result<Pipe, String> {
    let mut p = Pipe::default();
    // Declarations: `$a :=`, `$a, $b :=`, `$a =`.
    if top {
        let mut j = *pos;
        let mut names = Vec::new();
        while let Some(Tok::Var(n, f)) = toks.get(j) {
            if !f.is_empty() {
                break;
            }
            names.push(n.clone());
            j += 1;
            if toks.get(j) == Some(&Tok::Comma) {
                j += 1;
            } else {
                break;
            }
        }
        match toks.get(j) {
            Some(Tok::Declare) if !names.is_empty() => {
                p.vars = names;
                *pos = j + 1;
            }
            Some(Tok::Assign) if names.len() == 1 => {
                p.vars = names;
                p.assign = true;
                *pos = j + 1;
            }
            _ => {}
        }
    }
    let mut cmd: Vec<Arg> = Vec::new();
    while let Some(t) = toks.get(*pos) {
        *pos += 1;
        let arg = match t {
            Tok::Pipe => {
                if cmd.is_empty() {
                    return Err("empty command in pipeline".into());
                }
                p.cmds.push(std::mem::take(&mut cmd));
                continue;
            }
            Tok::Close if !top => {
                break;
            }
            Tok::Close => return Err("unbalanced )".into()),
            Tok::Open => {
                let inner = pipe_from(toks, pos, false)?;
                let after = match toks.get(*pos) {
                    Some(Tok::After(f)) => {
                        *pos += 1;
                        f.clone()
                    }
                    _ => Vec::new(),
                };
                Arg::Sub(Box::new(inner), after)
            }
            Tok::Str(s) => Arg::Str(s.clone()),
            Tok::Num(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    Arg::Int(i)
                } else if let Some(h) = n.strip_prefix("0x") {
                    Arg::Int(i64::from_str_radix(h, 16).map_err(|e| e.to_string())?)
                } else {
                    Arg::Float(n.parse::<f64>().map_err(|_| format!("bad number {n}"))?)
                }
            }
            Tok::Word(w) => match w.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                _ => Arg::Ident(w.clone()),
            },
            Tok::Field(f) => Arg::Field(f.clone()),
            Tok::Var(n, f) => Arg::Var(n.clone(), f.clone()),
            t => return Err(format!("unexpected {t:?}")),
        };
        cmd.push(arg);
    }
    if !cmd.is_empty() {
        p.cmds.push(cmd);
    }
    if p.cmds.is_empty() {
        return Err("empty pipeline".into());
    }
    Ok(p)
}

// ------------------------------------------------------------- evaluation

/// What a chart gives its templates.
pub struct Chart {
    /// `.Values`, `.Release`, `.Chart`, `.Capabilities`.
    pub root: V,
    /// Every `define` of the chart's templates and helpers.
    defines: BTreeMap<String, Vec<Item>>,
    /// The chart's template files, by path, for `include (print
    /// $.Template.BasePath "/x.yaml")`.
    pub files: BTreeMap<String, String>,
    /// `chart/templates`.
    pub base_path: String,
}

impl Chart {
    /// A chart from its Chart.yaml and values: `.Release` as `helm
    /// template` names it by default.
    pub fn new(chart_yaml: Option<&YNode>, values: V, base_path: &str) -> Self {
        let mut chart = V::Map(Vec::new());
        if let Some(V::Map(m)) = chart_yaml.map(from_yaml) {
            for (k, v) in m {
                // Chart.yaml's `name` is `.Chart.Name`.
                let mut c = k.chars();
                let key = match c.next() {
                    Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                    None => k,
                };
                chart.set(&key, v);
            }
        }
        let s = |x: &str| V::Str(x.to_string());
        let release = V::Map(vec![
            ("Name".into(), s("release-name")),
            ("Namespace".into(), s("default")),
            ("Service".into(), s("Helm")),
            ("IsInstall".into(), V::Bool(true)),
            ("IsUpgrade".into(), V::Bool(false)),
            ("Revision".into(), V::Int(1)),
        ]);
        let kube = V::Map(vec![
            ("Version".into(), s("v1.31.0")),
            ("GitVersion".into(), s("v1.31.0")),
            ("Major".into(), s("1")),
            ("Minor".into(), s("31")),
        ]);
        let caps = V::Map(vec![
            ("KubeVersion".into(), kube),
            ("APIVersions".into(), V::Map(Vec::new())),
        ]);
        let root = V::Map(vec![
            ("Values".into(), values),
            ("Release".into(), release),
            ("Chart".into(), chart),
            ("Capabilities".into(), caps),
            (
                "Template".into(),
                V::Map(vec![("BasePath".into(), s(base_path))]),
            ),
        ]);
        Chart {
            root,
            defines: BTreeMap::new(),
            files: BTreeMap::new(),
            base_path: base_path.to_string(),
        }
    }

    pub fn add_defines(&mut self, parsed: &Parsed) {
        for (name, items) in &parsed.defines {
            self.defines.insert(name.clone(), items.clone());
        }
    }
}

/// A rendered file: its text and, for each output line, the template line
/// it came from.
#[derive(Debug, Default)]
pub struct Output {
    pub text: String,
    pub lines: Vec<u32>,
}

impl Output {
    fn emit(&mut self, s: &str, mut line: u32, advance: bool) -> Result<(), String> {
        if self.text.len() + s.len() > MAX_OUTPUT {
            return Err(format!("renders more than {MAX_OUTPUT} bytes"));
        }
        for piece in s.split_inclusive('\n') {
            if self.text.is_empty() || self.text.ends_with('\n') {
                self.lines.push(line);
            }
            self.text.push_str(piece);
            if advance && piece.ends_with('\n') {
                line += 1;
            }
        }
        Ok(())
    }
}

struct Eval<'c> {
    chart: &'c Chart,
    vars: Vec<(String, V)>,
    calls: usize,
    steps: usize,
}

/// Render one template file of `chart` (`path` names it in `.Template`).
pub fn render(chart: &Chart, path: &str, parsed: &Parsed) -> Result<Output, String> {
    let mut root = chart.root.clone();
    if let Some(V::Map(_)) = root.get("Template").cloned() {
        root.set(
            "Template",
            V::Map(vec![
                ("Name".into(), V::Str(path.to_string())),
                ("BasePath".into(), V::Str(chart.base_path.clone())),
            ]),
        );
    }
    let mut e = Eval {
        chart,
        vars: vec![(String::new(), root.clone())],
        calls: 0,
        steps: 0,
    };
    let mut out = Output::default();
    e.items(&parsed.items, &root, &mut out)?;
    Ok(out)
}

impl Eval<'_> {
    fn items(&mut self, items: &[Item], dot: &V, out: &mut Output) -> Result<Flow, String> {
        let mark = self.vars.len();
        let mut flow = Flow::Normal;
        for item in items {
            if flow != Flow::Normal {
                break;
            }
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(format!("takes more than {MAX_STEPS} steps"));
            }
            match item {
                Item::Text(t, line) => out.emit(t, *line, true)?,
                Item::Action(p, line) => {
                    let v = self.pipe(p, dot).map_err(|e| format!("line {line}: {e}"))?;
                    if p.vars.is_empty() {
                        out.emit(&v.print(), *line, false)?;
                    }
                }
                Item::If(branches, else_items, line) => {
                    let mut taken = false;
                    for (cond, body) in branches {
                        let m = self.vars.len();
                        let v = self
                            .pipe(cond, dot)
                            .map_err(|e| format!("line {line}: {e}"))?;
                        if v.truthy() {
                            flow = self.items(body, dot, out)?;
                            self.vars.truncate(m);
                            taken = true;
                            break;
                        }
                        self.vars.truncate(m);
                    }
                    if !taken {
                        flow = self.items(else_items, dot, out)?;
                    }
                }
                Item::With(p, body, else_items, line) => {
                    let m = self.vars.len();
                    let v = self.pipe(p, dot).map_err(|e| format!("line {line}: {e}"))?;
                    flow = if v.truthy() {
                        self.items(body, &v, out)?
                    } else {
                        self.items(else_items, dot, out)?
                    };
                    self.vars.truncate(m);
                }
                Item::Range(p, body, else_items, line) => {
                    let mut head = p.clone();
                    let names = std::mem::take(&mut head.vars);
                    let v = self
                        .pipe(&head, dot)
                        .map_err(|e| format!("line {line}: {e}"))?;
                    let pairs: Vec<(V, V)> = match &v {
                        V::List(l) => l
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (V::Int(i as i64), x.clone()))
                            .collect(),
                        V::Map(m) => sorted(m).into_iter().map(|(k, x)| (V::Str(k), x)).collect(),
                        V::Int(n) => (0..*n).map(|i| (V::Int(i), V::Int(i))).collect(),
                        V::Nil => Vec::new(),
                        other => return Err(format!("line {line}: range over {}", other.print())),
                    };
                    if pairs.is_empty() {
                        flow = self.items(else_items, dot, out)?;
                    }
                    for (k, x) in pairs {
                        let m = self.vars.len();
                        match names.as_slice() {
                            [] => {}
                            [one] => self.vars.push((one.clone(), x.clone())),
                            [key, val, ..] => {
                                self.vars.push((key.clone(), k));
                                self.vars.push((val.clone(), x.clone()));
                            }
                        }
                        let f = self.items(body, &x, out)?;
                        self.vars.truncate(m);
                        if f == Flow::Break {
                            break;
                        }
                    }
                }
                Item::Template(name, arg, line) => {
                    let ctx = match arg {
                        Some(p) => self.pipe(p, dot).map_err(|e| format!("line {line}: {e}"))?,
                        None => V::Nil,
                    };
                    let text = self
                        .call(name, &ctx)
                        .map_err(|e| format!("line {line}: {e}"))?;
                    out.emit(&text, *line, false)?;
                }
                Item::Break => flow = Flow::Break,
                Item::Continue => flow = Flow::Continue,
            }
        }
        self.vars.truncate(mark);
        Ok(flow)
    }

    /// A named template's output, as `include` returns it.
    fn call(&mut self, name: &str, ctx: &V) -> Result<String, String> {
        if self.calls >= MAX_CALLS {
            return Err(format!("templates nest deeper than {MAX_CALLS} calls"));
        }
        let items = match self.chart.defines.get(name) {
            Some(items) => items.clone(),
            None => match self.chart.files.get(name) {
                Some(text) => parse(text).map_err(|e| format!("{name}: {e}"))?.items,
                None => return Err(format!("no template named {name:?}")),
            },
        };
        self.calls += 1;
        // A named template sees only its argument (and `$` is it).
        let saved = std::mem::replace(&mut self.vars, vec![(String::new(), ctx.clone())]);
        let mut out = Output::default();
        let r = self.items(&items, ctx, &mut out);
        self.vars = saved;
        self.calls -= 1;
        r.map(|_| out.text)
    }

    fn var(&self, name: &str) -> Result<V, String> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("undefined variable ${name}"))
    }

    fn pipe(&mut self, p: &Pipe, dot: &V) -> Result<V, String> {
        let mut value: Option<V> = None;
        for cmd in &p.cmds {
            value = Some(self.command(cmd, dot, value)?);
        }
        let v = value.unwrap_or(V::Nil);
        if !p.vars.is_empty() {
            if p.assign {
                let name = &p.vars[0];
                let slot = self
                    .vars
                    .iter_mut()
                    .rev()
                    .find(|(n, _)| n == name)
                    .ok_or_else(|| format!("assignment to undefined ${name}"))?;
                slot.1 = v.clone();
            } else {
                for n in &p.vars {
                    self.vars.push((n.clone(), v.clone()));
                }
            }
        }
        Ok(v)
    }

    fn fields(&self, mut v: V, fields: &[String]) -> Result<V, String> {
        for f in fields {
            v = match &v {
                V::Map(_) => v.get(f).cloned().unwrap_or(V::Nil),
                // Go errors on a field of nil only inside a nil pointer;
                // Helm values give nil for missing paths below missing maps
                // as errors: `.Values.a.b` with `a` unset fails to render.
                V::Nil => {
                    return Err(format!(
                        "nil pointer evaluating .{f} (a value the chart expects is not set)"
                    ));
                }
                other => return Err(format!("can't read .{f} of {}", other.print())),
            };
        }
        Ok(v)
    }

    fn arg(&mut self, a: &Arg, dot: &V) -> Result<V, String> {
        Ok(match a {
            Arg::Field(f) if f.first().map(String::as_str) == Some("Files") => {
                return Err("reads chart files (.Files), which is not supported".into());
            }
            Arg::Field(f) => self.fields(dot.clone(), f)?,
            Arg::Var(n, f) => {
                let v = self.var(n)?;
                self.fields(v, f)?
            }
            Arg::Str(s) => V::Str(s.clone()),
            Arg::Int(i) => V::Int(*i),
            Arg::Float(x) => V::Float(*x),
            Arg::Bool(b) => V::Bool(*b),
            Arg::Nil => V::Nil,
            Arg::Ident(name) => self.func(name, Vec::new(), &[], dot)?,
            Arg::Sub(p, f) => {
                let v = self.pipe(p, dot)?;
                self.fields(v, f)?
            }
        })
    }

    fn command(&mut self, cmd: &[Arg], dot: &V, piped: Option<V>) -> Result<V, String> {
        let Some(first) = cmd.first() else {
            return Err("empty command".into());
        };
        if let Arg::Field(f) | Arg::Var(_, f) = first
            && f.iter().any(|x| x == "Files")
        {
            return Err("reads chart files (.Files), which is not supported".into());
        }
        // `.Capabilities.APIVersions.Has "group/version"`: what `helm
        // template` knows without a cluster, the built-in APIs.
        if let Arg::Field(f) | Arg::Var(_, f) = first
            && f.len() >= 2
            && f[f.len() - 2] == "APIVersions"
            && f[f.len() - 1] == "Has"
        {
            let want = match cmd.get(1) {
                Some(a) => self.arg(a, dot)?,
                None => piped.unwrap_or(V::Nil),
            };
            let want = want.print();
            let group = want.split('/').next().unwrap_or("");
            let builtin = !want.contains('/') || !group.contains('.') || group.ends_with(".k8s.io");
            return Ok(V::Bool(builtin));
        }
        match first {
            Arg::Ident(name) => {
                // and/or short-circuit, as Go's templates do: the first
                // value that decides, or the last.
                if name == "and" || name == "or" {
                    let want_and = name == "and";
                    let mut last = V::Bool(want_and);
                    for a in &cmd[1..] {
                        let v = self.arg(a, dot)?;
                        if v.truthy() != want_and {
                            return Ok(v);
                        }
                        last = v;
                    }
                    return Ok(piped.unwrap_or(last));
                }
                let mut args = Vec::with_capacity(cmd.len());
                for a in &cmd[1..] {
                    args.push(self.arg(a, dot)?);
                }
                if let Some(p) = piped {
                    args.push(p);
                }
                self.func(name, args, &cmd[1..], dot)
            }
            _ if cmd.len() == 1 && piped.is_none() => self.arg(first, dot),
            _ => Err("a value cannot take arguments".into()),
        }
    }

    fn func(&mut self, name: &str, args: Vec<V>, _raw: &[Arg], dot: &V) -> Result<V, String> {
        let n = args.len();
        let arg = |i: usize| args.get(i).cloned().unwrap_or(V::Nil);
        let last = || args.last().cloned().unwrap_or(V::Nil);
        let s = |i: usize| arg(i).print();
        let int = |v: &V| -> Result<i64, String> {
            match v {
                V::Int(i) => Ok(*i),
                V::Float(f) => Ok(*f as i64),
                V::Str(s) => s.trim().parse::<i64>().or(Ok(0)),
                V::Bool(b) => Ok(i64::from(*b)),
                V::Nil => Ok(0),
                _ => Err("not a number".to_string()),
            }
        };
        Ok(match name {
            "default" => {
                if n < 2 || !arg(1).truthy() {
                    arg(0)
                } else {
                    arg(1)
                }
            }
            "required" => {
                let v = last();
                if matches!(v, V::Nil) || v == V::Str(String::new()) {
                    return Err(format!("requires a value: {}", s(0)));
                }
                v
            }
            "fail" => return Err(format!("the chart fails: {}", s(0))),
            "empty" => V::Bool(!last().truthy()),
            "not" => V::Bool(!last().truthy()),
            "eq" => {
                let first = arg(0);
                V::Bool(args[1..].iter().any(|b| loose_eq(&first, b)))
            }
            "ne" => V::Bool(!loose_eq(&arg(0), &arg(1))),
            "lt" | "gt" | "le" | "ge" => {
                let (a, b) = (num(&arg(0)), num(&arg(1)));
                V::Bool(match name {
                    "lt" => a < b,
                    "gt" => a > b,
                    "le" => a <= b,
                    _ => a >= b,
                })
            }
            "ternary" => {
                if arg(2).truthy() {
                    arg(0)
                } else {
                    arg(1)
                }
            }
            "coalesce" => args.iter().find(|v| v.truthy()).cloned().unwrap_or(V::Nil),
            "quote" => V::Str(
                args.iter()
                    .map(|v| format!("{:?}", v.print()))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "squote" => V::Str(
                args.iter()
                    .map(|v| format!("'{}'", v.print()))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "toYaml" => V::Str(to_yaml(&last()).trim_end_matches('\n').to_string()),
            "toJson" | "toRawJson" | "mustToJson" => V::Str(to_json(&last())),
            "toPrettyJson" => V::Str(to_json(&last())),
            "indent" => {
                let pad = " ".repeat(int(&arg(0))?.clamp(0, 512) as usize);
                V::Str(indent(&s(1), &pad))
            }
            "nindent" => {
                let pad = " ".repeat(int(&arg(0))?.clamp(0, 512) as usize);
                V::Str(format!("\n{}", indent(&s(1), &pad)))
            }
            "trim" => V::Str(s(0).trim().to_string()),
            "trimAll" => V::Str(s(1).trim_matches(|c| s(0).contains(c)).to_string()),
            "trimSuffix" => V::Str(s(1).strip_suffix(&s(0)).map_or(s(1), str::to_string)),
            "trimPrefix" => V::Str(s(1).strip_prefix(&s(0)).map_or(s(1), str::to_string)),
            "trunc" => {
                let k = int(&arg(0))?;
                let text = s(1);
                let chars: Vec<char> = text.chars().collect();
                let k = if k < 0 {
                    chars.len().saturating_sub((-k) as usize)
                } else {
                    (k as usize).min(chars.len())
                };
                V::Str(chars[..k].iter().collect())
            }
            "lower" => V::Str(s(0).to_lowercase()),
            "upper" => V::Str(s(0).to_uppercase()),
            "title" => V::Str(
                s(0).split(' ')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "replace" => V::Str(s(2).replace(&s(0), &s(1))),
            "contains" => V::Bool(s(1).contains(&s(0))),
            "hasPrefix" => V::Bool(s(1).starts_with(&s(0))),
            "hasSuffix" => V::Bool(s(1).ends_with(&s(0))),
            "print" => V::Str(args.iter().map(V::print).collect::<String>()),
            "println" => V::Str(args.iter().map(V::print).collect::<Vec<_>>().join(" ") + "\n"),
            "printf" => V::Str(printf(&s(0), &args[1.min(n)..])?),
            "cat" => V::Str(
                args.iter()
                    .filter(|v| !matches!(v, V::Nil))
                    .map(V::print)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "int" | "int64" | "atoi" => V::Int(int(&arg(0))?),
            "float64" => V::Float(num(&arg(0))),
            "toString" => V::Str(s(0)),
            "toStrings" => match arg(0) {
                V::List(l) => V::List(l.iter().map(|v| V::Str(v.print())).collect()),
                v => V::List(vec![V::Str(v.print())]),
            },
            "len" => V::Int(match arg(0) {
                V::Str(s) => s.len() as i64,
                V::List(l) => l.len() as i64,
                V::Map(m) => m.len() as i64,
                _ => 0,
            }),
            "list" | "tuple" => V::List(args),
            "dict" => {
                let mut m = V::Map(Vec::new());
                for pair in args.chunks(2) {
                    m.set(&pair[0].print(), pair.get(1).cloned().unwrap_or(V::Nil));
                }
                m
            }
            "get" => arg(0).get(&s(1)).cloned().unwrap_or(V::Str(String::new())),
            "hasKey" => V::Bool(arg(0).get(&s(1)).is_some()),
            "keys" => match arg(0) {
                V::Map(m) => V::List(sorted(&m).into_iter().map(|(k, _)| V::Str(k)).collect()),
                _ => V::List(Vec::new()),
            },
            "first" => match arg(0) {
                V::List(l) => l.first().cloned().unwrap_or(V::Nil),
                _ => V::Nil,
            },
            "last" => match arg(0) {
                V::List(l) => l.last().cloned().unwrap_or(V::Nil),
                _ => V::Nil,
            },
            "has" => match arg(1) {
                V::List(l) => V::Bool(l.iter().any(|x| loose_eq(x, &arg(0)))),
                _ => V::Bool(false),
            },
            "join" => match arg(1) {
                V::List(l) => V::Str(l.iter().map(V::print).collect::<Vec<_>>().join(&s(0))),
                v => V::Str(v.print()),
            },
            "splitList" => V::List(s(1).split(&s(0)).map(|p| V::Str(p.to_string())).collect()),
            "kindIs" => V::Bool(kind_name(&arg(1)) == s(0)),
            "typeOf" | "kindOf" => V::Str(kind_name(&arg(0)).to_string()),
            "semverCompare" => V::Bool(semver_compare(&s(0), &s(1))),
            // `helm template` talks to no cluster: lookup finds nothing.
            "lookup" => V::Map(Vec::new()),
            "include" => V::Str(self.call(&s(0), &arg(1))?),
            "tpl" => {
                let parsed = parse(&s(0)).map_err(|e| format!("tpl: {e}"))?;
                let mut out = Output::default();
                let ctx = arg(1);
                let saved = std::mem::replace(&mut self.vars, vec![(String::new(), ctx.clone())]);
                let r = self.items(&parsed.items, &ctx, &mut out);
                self.vars = saved;
                r?;
                V::Str(out.text)
            }
            "merge" | "mergeOverwrite" | "mustMerge" | "mustMergeOverwrite" => {
                let mut it = args.into_iter();
                let mut base = it.next().unwrap_or(V::Map(Vec::new()));
                let overwrite = name.contains("Overwrite");
                for other in it {
                    if overwrite {
                        merge(&mut base, &other);
                    } else {
                        let mut o = other;
                        merge(&mut o, &base);
                        base = o;
                    }
                }
                base
            }
            "deepCopy" | "mustDeepCopy" => arg(0),
            // Helm gives an empty map (and an Error key) for what does not
            // parse; so does this.
            "fromYaml" | "fromJson" => match yaml::parse(&s(0)) {
                Ok(docs) => docs.first().map_or(V::Map(Vec::new()), from_yaml),
                Err(e) => V::Map(vec![("Error".into(), V::Str(e.to_string()))]),
            },
            // Random at every install: no value is the deployed one, and
            // no check judges it; the rest of the file still renders.
            "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" => {
                V::Str("generated-at-install".to_string())
            }
            "sha256sum" => V::Str(crate::sha256_hex(s(0).as_bytes())),
            "b64enc" => V::Str(crate::base64::encode(s(0).as_bytes())),
            "regexMatch" | "regexReplaceAll" | "regexFind" => {
                return Err(format!("uses {name}, which is not supported"));
            }
            _ => {
                let _ = dot;
                return Err(format!("uses the function {name}, which is not supported"));
            }
        })
    }
}

fn kind_name(v: &V) -> &'static str {
    match v {
        V::Nil => "invalid",
        V::Bool(_) => "bool",
        V::Int(_) => "int64",
        V::Float(_) => "float64",
        V::Str(_) => "string",
        V::List(_) => "slice",
        V::Map(_) => "map",
    }
}

fn num(v: &V) -> f64 {
    match v {
        V::Int(i) => *i as f64,
        V::Float(f) => *f,
        V::Str(s) => s.trim().parse().unwrap_or(0.0),
        V::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

fn loose_eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => num(a) == num(b),
        (V::Nil, V::Str(s)) | (V::Str(s), V::Nil) => s.is_empty(),
        _ => a == b,
    }
}

fn indent(text: &str, pad: &str) -> String {
    text.split('\n')
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Go's fmt verbs that charts use: %s %d %v %q %%.
fn printf(format: &str, args: &[V]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags and width are read past (charts use none that matter).
        let mut verb = chars.next();
        while verb.is_some_and(|v| v.is_ascii_digit() || "-+# .".contains(v)) {
            verb = chars.next();
        }
        match verb {
            Some('%') => out.push('%'),
            Some('s' | 'v' | 'd' | 'g' | 'f') => {
                out.push_str(&it.next().map(V::print).unwrap_or_default());
            }
            Some('q') => out.push_str(&format!(
                "{:?}",
                it.next().map(V::print).unwrap_or_default()
            )),
            Some(v) => return Err(format!("printf verb %{v} is not supported")),
            None => out.push('%'),
        }
    }
    Ok(out)
}

/// Whether `version` meets a constraint such as `>=1.19-0` or `<1.22`
/// (comma- or space-separated terms all hold; `||` alternatives).
fn semver_compare(constraint: &str, version: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> {
        v.trim()
            .trim_start_matches('v')
            .split(['-', '+'])
            .next()
            .unwrap_or("")
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .chain(std::iter::repeat(0))
            .take(3)
            .collect()
    };
    let have = parse(version);
    constraint.split("||").any(|alt| {
        alt.split([',', ' '])
            .filter(|t| !t.trim().is_empty())
            .all(|term| {
                let term = term.trim();
                let (op, v) = match term.find(|c: char| c.is_ascii_digit() || c == 'v') {
                    Some(i) => (&term[..i], &term[i..]),
                    None => return true,
                };
                let want = parse(v);
                match op.trim() {
                    ">=" => have >= want,
                    ">" => have > want,
                    "<=" => have <= want,
                    "<" => have < want,
                    "!=" => have != want,
                    "^" => have >= want && have[0] == want[0],
                    "~" => have >= want && have[0] == want[0] && have[1] == want[1],
                    _ => have == want,
                }
            })
    })
}

/// YAML as Helm's `toYaml` writes it (sigs.k8s.io/yaml: keys sorted, lists
/// not indented under their key).
pub fn to_yaml(v: &V) -> String {
    let mut out = String::new();
    yaml_value(v, 0, &mut out);
    out
}

fn yaml_value(v: &V, level: usize, out: &mut String) {
    let pad = "  ".repeat(level);
    match v {
        V::Map(m) if !m.is_empty() => {
            for (k, x) in sorted(m) {
                out.push_str(&pad);
                out.push_str(&yaml_scalar(&V::Str(k)));
                out.push(':');
                yaml_child(&x, level, out);
            }
        }
        V::List(l) if !l.is_empty() => {
            for x in l {
                out.push_str(&pad);
                out.push('-');
                match x {
                    V::Map(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        yaml_value(x, level + 1, &mut inner);
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                    V::List(l2) if !l2.is_empty() => {
                        out.push('\n');
                        yaml_value(x, level + 1, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&yaml_scalar(x));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
}

fn yaml_child(x: &V, level: usize, out: &mut String) {
    match x {
        V::Map(m) if !m.is_empty() => {
            out.push('\n');
            yaml_value(x, level + 1, out);
        }
        V::List(l) if !l.is_empty() => {
            out.push('\n');
            yaml_value(x, level, out);
        }
        V::Str(s) if s.contains('\n') => {
            out.push_str(" |");
            if !s.ends_with('\n') {
                out.push('-');
            }
            out.push('\n');
            let pad = "  ".repeat(level + 1);
            for l in s.trim_end_matches('\n').split('\n') {
                out.push_str(&pad);
                out.push_str(l);
                out.push('\n');
            }
        }
        _ => {
            out.push(' ');
            out.push_str(&yaml_scalar(x));
            out.push('\n');
        }
    }
}

fn yaml_scalar(v: &V) -> String {
    match v {
        V::Nil => "null".into(),
        V::Bool(b) => b.to_string(),
        V::Int(i) => i.to_string(),
        V::Float(f) => float_text(*f),
        V::Map(_) => "{}".into(),
        V::List(_) => "[]".into(),
        V::Str(s) => {
            let plain = !s.is_empty()
                && !matches!(
                    from_yaml(&YNode {
                        line: 0,
                        origin: 0,
                        value: YValue::Scalar(s.clone(), true),
                    }),
                    V::Bool(_) | V::Int(_) | V::Float(_) | V::Nil
                )
                && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
                && !s.ends_with([' ', ':'])
                && !s.contains(": ")
                && !s.contains(" #")
                && !s.contains(['\n', '\t']);
            if plain { s.clone() } else { to_json(v) }
        }
    }
}

fn to_json(v: &V) -> String {
    match v {
        V::Nil => "null".into(),
        V::Bool(b) => b.to_string(),
        V::Int(i) => i.to_string(),
        V::Float(f) => float_text(*f),
        V::Str(s) => serde_json::Value::String(s.clone()).to_string(),
        V::List(l) => format!("[{}]", l.iter().map(to_json).collect::<Vec<_>>().join(",")),
        V::Map(m) => format!(
            "{{{}}}",
            sorted(m)
                .iter()
                .map(|(k, x)| format!("{}:{}", serde_json::Value::String(k.clone()), to_json(x)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// Parse a rendered file's YAML, its nodes' lines mapped back to the
/// template's and stamped with `origin`.
pub fn documents(out: &Output, origin: u32) -> Result<Vec<YNode>, yaml::Error> {
    let mut docs = yaml::parse(&out.text)?;
    for d in &mut docs {
        relocate(d, &out.lines, origin);
    }
    Ok(docs)
}

fn relocate(node: &mut YNode, lines: &[u32], origin: u32) {
    node.origin = origin;
    if let Some(l) = (node.line as usize)
        .checked_sub(1)
        .and_then(|i| lines.get(i))
    {
        node.line = *l;
    }
    match &mut node.value {
        YValue::Scalar(..) => {}
        YValue::Seq(items) => items.iter_mut().for_each(|i| relocate(i, lines, origin)),
        YValue::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            relocate(k, lines, origin);
            relocate(v, lines, origin);
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> V {
        from_yaml(&yaml::parse(text).unwrap()[0])
    }

    fn chart(values_yaml: &str, helpers: &str) -> Chart {
        let chart_yaml =
            yaml::parse("apiVersion: v2\nname: llm\nversion: 0.3.0\nappVersion: \"1.2\"\n")
                .unwrap();
        let mut c = Chart::new(chart_yaml.first(), values(values_yaml), "llm/templates");
        c.add_defines(&parse(helpers).unwrap());
        c
    }

    const HELPERS: &str = r#"{{/* Expand the name. */}}
{{- define "llm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- define "llm.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
"#;

    const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "llm.fullname" . }}
  labels:
    {{- include "llm.labels" . | nindent 4 }}
spec:
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          {{- if .Values.debug }}
          securityContext:
            privileged: true
          {{- end }}
          env:
            {{- range $k, $v := .Values.env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
"#;

    #[test]
    fn a_deployment_renders_with_default_values_and_template_lines() {
        let c = chart(
            "image: {repository: ghcr.io/acme/llm}\ndebug: true\npodSecurityContext: {runAsNonRoot: true, runAsUser: 1000}\nenv: {B: '2', A: one}\nresources:\n  limits: {cpu: 2, memory: 8Gi}\n",
            HELPERS,
        );
        let out = render(
            &c,
            "llm/templates/deployment.yaml",
            &parse(DEPLOYMENT).unwrap(),
        )
        .unwrap();
        let docs = documents(&out, 3).unwrap();
        let d = &docs[0];
        assert_eq!(
            d.path(&["metadata", "name"]).unwrap().as_str(),
            Some("release-name-llm")
        );
        assert_eq!(
            d.path(&["metadata", "labels", "app.kubernetes.io/version"])
                .unwrap()
                .as_str(),
            Some("1.2")
        );
        let spec = d.path(&["spec", "template", "spec"]).unwrap();
        assert_eq!(
            spec.path(&["securityContext", "runAsUser"])
                .unwrap()
                .as_i64(),
            Some(1000)
        );
        let c0 = &spec.get("containers").unwrap().items()[0];
        let image = c0.get("image").unwrap();
        assert_eq!(image.as_str(), Some("ghcr.io/acme/llm:1.2"));
        assert_eq!(image.line, 16, "the template's line");
        let privileged = c0.path(&["securityContext", "privileged"]).unwrap();
        assert_eq!((privileged.as_bool(), privileged.line), (Some(true), 19));
        assert_eq!(privileged.origin, 3);
        let env: Vec<_> = c0
            .get("env")
            .unwrap()
            .items()
            .iter()
            .map(|e| e.get("name").unwrap().as_str().unwrap().to_string())
            .collect();
        assert_eq!(env, ["A", "B"], "maps range in key order");
        let limits = c0.path(&["resources", "limits"]).unwrap();
        assert_eq!(limits.get("memory").unwrap().as_str(), Some("8Gi"));
        assert_eq!(limits.line, 27);
    }

    #[test]
    fn false_conditions_and_missing_values_render_nothing() {
        let c = chart("image: {repository: r, tag: v3}\n", HELPERS);
        let out = render(&c, "d.yaml", &parse(DEPLOYMENT).unwrap()).unwrap();
        let docs = documents(&out, 0).unwrap();
        let c0 = &docs[0]
            .path(&["spec", "template", "spec", "containers"])
            .unwrap()
            .items()[0];
        assert!(c0.get("securityContext").is_none());
        assert_eq!(c0.get("image").unwrap().as_str(), Some("r:v3"));
        assert!(
            docs[0]
                .path(&["spec", "template", "spec", "securityContext"])
                .is_none()
        );
    }

    #[test]
    fn what_cannot_be_evaluated_is_an_error_naming_it() {
        let c = chart("a: 1\n", "");
        for (text, says) in [
            ("x: {{ .Files.Get \"conf\" }}\n", ".Files"),
            ("x: {{ regexFind \"a\" .Values.a }}\n", "regexFind"),
            ("x: {{ frobnicate 1 }}\n", "frobnicate"),
            (
                "x: {{ required \"name is required\" .Values.name }}\n",
                "name is required",
            ),
            ("x: {{ .Values.missing.deeper }}\n", "nil pointer"),
            ("{{ if .Values.a }}\nx: 1\n", "never ended"),
            ("x: {{ include \"nope\" . }}\n", "no template named"),
        ] {
            let e = parse(text)
                .and_then(|p| render(&c, "t.yaml", &p))
                .unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn functions_charts_use() {
        let c = chart("n: 3\nlist: [a, b]\nname: x\nport: 8080\nempty: ''\n", "");
        let cases = [
            ("{{ .Values.port | toString | quote }}", "\"8080\""),
            ("{{ default \"d\" .Values.empty }}", "d"),
            (
                "{{ if and .Values.name (eq .Values.n 3) }}yes{{ end }}",
                "yes",
            ),
            (
                "{{ if or .Values.empty .Values.nope }}yes{{ else }}no{{ end }}",
                "no",
            ),
            ("{{ join \",\" .Values.list }}", "a,b"),
            ("{{ $x := .Values.name }}{{ $x | upper }}", "X"),
            ("{{ ternary \"on\" \"off\" (gt .Values.n 2) }}", "on"),
            (
                "{{ if semverCompare \">=1.19-0\" .Capabilities.KubeVersion.GitVersion }}new{{ end }}",
                "new",
            ),
            (
                "{{ if .Capabilities.APIVersions.Has \"networking.k8s.io/v1/Ingress\" }}v1{{ end }}",
                "v1",
            ),
            (
                "{{ if .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}x{{ else }}none{{ end }}",
                "none",
            ),
            ("{{ tpl \"{{ .Values.name }}-t\" . }}", "x-t"),
            ("{{ range .Values.list }}[{{ . }}]{{ end }}", "[a][b]"),
            (
                "{{ dict \"a\" 1 \"b\" (list 1 2) | toJson }}",
                "{\"a\":1,\"b\":[1,2]}",
            ),
            ("{{ \"abc\" | b64enc }}", "YWJj"),
            ("{{ (fromYaml \"a: {b: 2}\").a.b }}", "2"),
            ("{{- /* comment */ -}} ok", "ok"),
            (
                "{{ range .Values.list }}{{ if eq . \"a\" }}{{ continue }}{{ end }}{{ . }}{{ end }}",
                "b",
            ),
            ("{{ range .Values.list }}{{ . }}{{ break }}{{ end }}", "a"),
        ];
        for (t, want) in cases {
            let out = render(&c, "t", &parse(t).unwrap()).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert_eq!(out.text, want, "{t}");
        }
    }

    #[test]
    fn to_yaml_writes_what_helm_writes() {
        let v = values(
            "b: {y: 1, x: 'true'}\na: [one, {k: v, j: 'two words: here'}]\nc: \"multi\\nline\"\n",
        );
        assert_eq!(
            to_yaml(&v),
            "a:\n- one\n- j: \"two words: here\"\n  k: v\nb:\n  x: \"true\"\n  y: 1\nc: |-\n  multi\n  line\n"
        );
    }

    #[test]
    fn subchart_values_merge_over_their_own() {
        let mut base = values("image: {repository: a, tag: '1'}\nreplicas: 1\n");
        merge(&mut base, &values("image: {tag: '2'}\n"));
        assert_eq!(
            base,
            values("image: {repository: a, tag: '2'}\nreplicas: 1\n")
        );
    }
}
