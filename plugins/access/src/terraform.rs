//! IAM in Terraform: policy documents in any attribute (`policy =
//! jsonencode({...})`, a heredoc or a string of JSON, as `aws_iam_policy`,
//! `aws_iam_role_policy`, `aws_iam_role`'s `inline_policy` and the rest
//! write them), `data "aws_iam_policy_document"` statement blocks (effect
//! `Allow` when unset), and GCP bindings of basic roles
//! (`google_*_iam_binding`/`_member`, `data "google_iam_policy"`).
//!
//! HCL is parsed by hcl-edit, which keeps byte spans (turned into lines
//! here) and bounds nesting depth. HCL expressions become the same
//! line-numbered tree the YAML and JSON readers build, so one set of rules
//! judges policies in every format. Expressions that need evaluating
//! (references, function calls other than `jsonencode`, conditionals)
//! stand in as `${...}` text, which never matches a wildcard.

use aicomply_sdk::yaml::{Node, Value};
use aicomply_sdk::{Location, Scan};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::{Element, Template};

use crate::checks;
use crate::cloud::{self, Found};

/// Byte offsets to 1-based lines.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines(starts)
    }
    fn line(&self, offset: usize) -> u32 {
        (self.0.partition_point(|&s| s <= offset)) as u32
    }
    fn of(&self, span: Option<std::ops::Range<usize>>) -> u32 {
        span.map_or(1, |r| self.line(r.start))
    }
}

fn scalar(text: impl Into<String>, line: u32) -> Node {
    Node {
        line,
        origin: 0,
        value: Value::Scalar(text.into(), false),
    }
}

fn template_text(t: &Template) -> String {
    let mut s = String::new();
    for e in t.iter() {
        match e {
            Element::Literal(l) => s.push_str(l.value()),
            _ => s.push_str("${...}"),
        }
    }
    s
}

/// An HCL expression as a tree.
fn to_node(e: &Expression, lines: &Lines) -> Node {
    let line = lines.of(e.span());
    match e {
        Expression::Null(_) => scalar("null", line),
        Expression::Bool(b) => scalar(b.value().to_string(), line),
        Expression::Number(n) => scalar(n.value().to_string(), line),
        Expression::String(s) => scalar(s.value().clone(), line),
        Expression::StringTemplate(t) => scalar(template_text(t), line),
        Expression::HeredocTemplate(h) => scalar(template_text(&h.template), line),
        Expression::Parenthesis(p) => to_node(p.inner(), lines),
        Expression::Array(a) => Node {
            line,
            origin: 0,
            value: Value::Seq(a.iter().map(|i| to_node(i, lines)).collect()),
        },
        Expression::Object(o) => Node {
            line,
            origin: 0,
            value: Value::Map(
                o.iter()
                    .map(|(k, v)| {
                        let vline = lines.of(v.expr().span());
                        let key = match k {
                            ObjectKey::Ident(i) => i.value().as_str().to_string(),
                            ObjectKey::Expression(x) => match x {
                                Expression::String(s) => s.value().clone(),
                                other => to_node(other, lines)
                                    .as_str()
                                    .unwrap_or("${...}")
                                    .to_string(),
                            },
                        };
                        (scalar(key, vline), to_node(v.expr(), lines))
                    })
                    .collect(),
            ),
        },
        Expression::FuncCall(f) if f.name.name.value().as_str() == "jsonencode" => f
            .args
            .iter()
            .next()
            .map_or_else(|| scalar("${...}", line), |a| to_node(a, lines)),
        _ => scalar("${...}", line),
    }
}

/// The text of a heredoc or string and the line its text starts on.
fn literal_text(e: &Expression, lines: &Lines) -> Option<(String, u32)> {
    match e {
        Expression::HeredocTemplate(h) => {
            // The text begins on the line after `<<EOF`.
            let line = h
                .template
                .span()
                .map_or(lines.of(h.span()) + 1, |r| lines.line(r.start));
            Some((template_text(&h.template), line))
        }
        Expression::String(s) => Some((s.value().clone(), lines.of(e.span()))),
        Expression::StringTemplate(t) => Some((template_text(t), lines.of(e.span()))),
        _ => None,
    }
}

fn labels(b: &Block) -> Vec<&str> {
    b.labels.iter().map(|l| l.as_str()).collect()
}

/// Judge one Terraform file.
pub fn check(path: &str, text: &str, found: &mut Found, scan: &mut Scan) {
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(b) => b,
        Err(e) => {
            scan.diagnostic(
                Location::target(path),
                format!("not valid HCL: {}", e.message()),
            );
            for c in checks::CLOUD_CHECKS {
                scan.incomplete(c, format!("{path} could not be parsed as HCL"));
            }
            return;
        }
    };
    let lines = Lines::new(text);
    walk(path, &body, None, &lines, found, scan);
}

fn walk(
    path: &str,
    body: &Body,
    top: Option<(&str, &str)>,
    lines: &Lines,
    found: &mut Found,
    scan: &mut Scan,
) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => attribute(path, &a.value, lines, found, scan),
            Structure::Block(b) => {
                let ident = b.ident.value().as_str();
                let l = labels(b);
                let here = top.or(match (ident, l.first()) {
                    ("resource" | "data", Some(t)) => Some((ident, *t)),
                    _ => None,
                });
                if ident == "data" && l.first() == Some(&"aws_iam_policy_document") {
                    policy_document(path, b, lines, found, scan);
                    continue;
                }
                let gcp_resource = ident == "resource"
                    && l.first()
                        .is_some_and(|t| t.starts_with("google_") && t.contains("_iam_"));
                if gcp_resource
                    || (ident == "binding" && here == Some(("data", "google_iam_policy")))
                {
                    gcp_binding(path, &b.body, lines, found, scan);
                    continue;
                }
                walk(path, &b.body, here, lines, found, scan);
            }
        }
    }
}

fn attribute(path: &str, value: &Expression, lines: &Lines, found: &mut Found, scan: &mut Scan) {
    match value {
        Expression::FuncCall(f) if f.name.name.value().as_str() == "jsonencode" => {
            let node = to_node(value, lines);
            cloud::search(path, &node, found, scan);
        }
        Expression::Object(_) | Expression::Array(_) => {
            cloud::search(path, &to_node(value, lines), found, scan);
        }
        _ => {
            if let Some((text, line)) = literal_text(value, lines)
                && text.contains("\"Statement\"")
            {
                let json = text.trim_start_matches(['\n', '\r']);
                let skipped = text[..text.len() - json.len()].matches('\n').count() as u32;
                if let Ok(Some(mut n)) = aicomply_sdk::yaml::json::parse(json) {
                    cloud::shift(&mut n, line - 1 + skipped);
                    cloud::search(path, &n, found, scan);
                }
            }
        }
    }
}

/// `data "aws_iam_policy_document"`: each `statement` block, as the
/// provider builds it into JSON.
fn policy_document(path: &str, b: &Block, lines: &Lines, found: &mut Found, scan: &mut Scan) {
    for s in b.body.iter() {
        let Structure::Block(st) = s else { continue };
        if st.ident.value().as_str() != "statement" {
            continue;
        }
        let line = lines.of(st.span());
        let mut entries = Vec::new();
        let mut effect = None;
        for item in st.body.iter() {
            match item {
                Structure::Attribute(a) => {
                    let name = match a.key.value().as_str() {
                        "effect" => "Effect",
                        "actions" => "Action",
                        "not_actions" => "NotAction",
                        "resources" => "Resource",
                        "not_resources" => "NotResource",
                        "sid" => "Sid",
                        _ => continue,
                    };
                    let v = to_node(&a.value, lines);
                    if name == "Effect" {
                        effect = Some(v.line);
                    }
                    entries.push((scalar(name, v.line), v));
                }
                Structure::Block(inner) => {
                    let name = match inner.ident.value().as_str() {
                        "condition" => "Condition",
                        "principals" => "Principal",
                        "not_principals" => "NotPrincipal",
                        _ => continue,
                    };
                    let l = lines.of(inner.span());
                    entries.push((scalar(name, l), scalar("${...}", l)));
                }
            }
        }
        if effect.is_none() {
            entries.push((scalar("Effect", line), scalar("Allow", line)));
        }
        let node = Node {
            line,
            origin: 0,
            value: Value::Map(entries),
        };
        found.statements += 1;
        cloud::statement(path, &node, scan);
    }
}

fn gcp_binding(path: &str, body: &Body, lines: &Lines, found: &mut Found, scan: &mut Scan) {
    let mut entries = Vec::new();
    for item in body.iter() {
        if let Structure::Attribute(a) = item {
            let v = to_node(&a.value, lines);
            entries.push((scalar(a.key.value().as_str(), v.line), v));
        }
    }
    let node = Node {
        line: entries.first().map_or(1, |(k, _)| k.line),
        origin: 0,
        value: Value::Map(entries),
    };
    if let Some(role) = node.get("role").and_then(Node::as_str) {
        found.bindings += 1;
        cloud::primitive_role(path, &node, role, scan);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(String, u32)> {
        let mut scan = Scan::new(checks::catalogue());
        let mut found = Found::default();
        check("main.tf", text, &mut found, &mut scan);
        scan.findings()
            .iter()
            .map(|f| {
                (
                    f.check_id.clone(),
                    f.location.as_ref().unwrap().line.unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn jsonencode_heredoc_and_policy_documents() {
        let tf = r#"resource "aws_iam_policy" "a" {
  name = "a"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy" "b" {
  role   = aws_iam_role.r.id
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": ["s3:*"],
    "Resource": "arn:aws:s3:::bucket/*"
  }
}
EOF
}

data "aws_iam_policy_document" "c" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::b/*"]
  }
  statement {
    not_actions = ["iam:*"]
    resources   = ["*"]
  }
}

resource "google_project_iam_member" "d" {
  project = "p"
  role    = "roles/editor"
  member  = "serviceAccount:ci@p.iam.gserviceaccount.com"
}
"#;
        assert_eq!(
            ids(tf),
            vec![
                ("IAM-CLOUD-ADMIN-POLICY".to_string(), 7),
                ("IAM-CLOUD-ACTION-WILDCARD".to_string(), 20),
                ("IAM-CLOUD-ADMIN-POLICY".to_string(), 33),
                ("IAM-CLOUD-PRIMITIVE-ROLE".to_string(), 40),
            ]
        );
    }
}
