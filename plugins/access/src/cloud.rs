//! Cloud IAM policies wherever they are written: AWS policy documents in
//! raw JSON, in CloudFormation (YAML with `!Sub`-style tags, or JSON), in
//! strings holding JSON (a Kubernetes custom resource's policy, a
//! CloudFormation `!Sub |` block) and, through [`crate::terraform`], in
//! Terraform; GCP bindings of basic roles.
//!
//! A policy document is found by shape, not by file name: a mapping with a
//! `Statement` (an object or a list) whose statements carry `Effect`.
//! Each `Allow` statement is judged with `Action`/`NotAction` and
//! `Resource`/`NotResource` as a string or a list; `NotAction` allows
//! everything it does not list, `NotResource` every other resource.

use aicomply_sdk::yaml::{self, Node, Value};
use aicomply_sdk::{Location, Scan};

use crate::checks;

/// Actions that take no resource-level permission or only read metadata:
/// `Resource: "*"` is what AWS requires for them.
fn needs_no_resource(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    let verb = a.split_once(':').map_or("", |(_, v)| v);
    verb.starts_with("describe")
        || verb.starts_with("list")
        || [
            "sts:getcalleridentity",
            "ecr:getauthorizationtoken",
            "cloudwatch:putmetricdata",
            "cloudwatch:getmetricdata",
            "cloudwatch:getmetricstatistics",
            "xray:puttracesegments",
            "xray:puttelemetryrecords",
            "logs:createloggroup",
            "ec2:createtags",
            "iam:getaccountsummary",
            "tag:getresources",
        ]
        .contains(&a.as_str())
}

/// How many policy statements were judged.
#[derive(Debug, Default)]
pub struct Found {
    pub statements: usize,
    pub bindings: usize,
}

/// Search a parsed document for policies and bindings.
pub fn search(path: &str, node: &Node, found: &mut Found, scan: &mut Scan) {
    match &node.value {
        Value::Map(entries) => {
            if let Some(st) = node.get("Statement") {
                let list: Vec<&Node> = match &st.value {
                    Value::Map(_) => vec![st],
                    Value::Seq(items) => items.iter().collect(),
                    Value::Scalar(..) => Vec::new(),
                };
                if list.iter().any(|s| s.get("Effect").is_some()) {
                    for s in list {
                        statement(path, s, scan);
                        found.statements += 1;
                    }
                    return;
                }
            }
            if let Some(role) = node.get("role").and_then(Node::as_str)
                && role.starts_with("roles/")
                && (node.get("members").is_some() || node.get("member").is_some())
            {
                found.bindings += 1;
                primitive_role(path, node, role, scan);
            }
            for (_, v) in entries {
                search(path, v, found, scan);
            }
        }
        Value::Seq(items) => {
            for i in items {
                search(path, i, found, scan);
            }
        }
        Value::Scalar(s, _) => {
            if s.contains("\"Statement\"")
                && let Ok(Some(mut inner)) = yaml::json::parse(s)
            {
                shift(&mut inner, node.line.saturating_sub(1));
                search(path, &inner, found, scan);
            }
        }
    }
}

/// Renumber the lines of a tree read from a string that starts at line
/// `by + 1` of its file.
pub fn shift(node: &mut Node, by: u32) {
    node.line += by;
    match &mut node.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                shift(k, by);
                shift(v, by);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|i| shift(i, by)),
        Value::Scalar(..) => {}
    }
}

pub fn primitive_role(path: &str, node: &Node, role: &str, scan: &mut Scan) {
    if role == "roles/owner" || role == "roles/editor" {
        let members: Vec<&str> = node
            .get("members")
            .or_else(|| node.get("member"))
            .map(Node::strings)
            .unwrap_or_default();
        let line = node.get("role").map_or(node.line, |n| n.line);
        scan.finding(
            checks::CLOUD_PRIMITIVE_ROLE,
            format!(
                "{role} is granted to {}",
                if members.is_empty() {
                    "its members".to_string()
                } else {
                    members.join(", ")
                }
            ),
        )
        .at(Location::target(path).line(line))
        .evidence(format!("role: {role}"));
    }
}

/// The line of the first item of `node` (a string or list) matching.
fn line_where(node: &Node, pred: impl Fn(&str) -> bool) -> u32 {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .find(|i| i.as_str().is_some_and(&pred))
            .map_or(node.line, |i| i.line),
        _ => node.line,
    }
}

/// Judge one statement.
pub fn statement(path: &str, s: &Node, scan: &mut Scan) {
    if s.get("Effect").and_then(Node::as_str) != Some("Allow") {
        return;
    }
    let sid = s
        .get("Sid")
        .and_then(Node::as_str)
        .map(|x| format!("statement {x}"))
        .unwrap_or_else(|| "a statement".to_string());
    let action = s.get("Action");
    let not_action = s.get("NotAction");
    let resource = s.get("Resource");
    let not_resource = s.get("NotResource");
    let actions: Vec<&str> = action.map(Node::strings).unwrap_or_default();
    let is_star = |a: &str| a == "*" || a == "*:*";
    let every_resource =
        not_resource.is_some() || resource.is_some_and(|r| r.strings().contains(&"*"));
    let every_action = not_action.is_some() || actions.iter().any(|a| is_star(a));
    let action_line = match (not_action, action) {
        (Some(n), _) => n.line,
        (None, Some(a)) => line_where(a, is_star),
        (None, None) => s.line,
    };
    let how = if let Some(n) = not_action {
        format!("NotAction {:?} (every action except those)", n.strings())
    } else {
        "Action \"*\"".to_string()
    };
    let where_ = if not_resource.is_some() {
        "NotResource (every other resource)"
    } else {
        "Resource \"*\""
    };
    if every_action && every_resource {
        scan.finding(
            checks::CLOUD_ADMIN,
            format!("{sid} allows {how} on {where_}: full administrative access"),
        )
        .at(Location::target(path).line(action_line))
        .evidence(format!("Effect: Allow, {how}, {where_}"));
        return;
    }
    if every_action {
        scan.finding(
            checks::CLOUD_ACTION_WILDCARD,
            format!("{sid} allows {how} on its resources"),
        )
        .at(Location::target(path).line(action_line))
        .evidence(how.clone());
    }
    let service_wild: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| !is_star(a) && a.ends_with(":*"))
        .collect();
    if !service_wild.is_empty() {
        let line = action.map_or(s.line, |a| line_where(a, |x| x.ends_with(":*")));
        scan.finding(
            checks::CLOUD_ACTION_WILDCARD,
            format!("{sid} allows every action of {}", service_wild.join(", ")),
        )
        .at(Location::target(path).line(line))
        .evidence(format!("Action: {service_wild:?}"));
    }
    if every_resource
        && !every_action
        && s.get("Condition").is_none()
        && actions.iter().any(|a| !needs_no_resource(a))
    {
        let line = match (not_resource, resource) {
            (Some(n), _) => n.line,
            (None, Some(r)) => line_where(r, |x| x == "*"),
            (None, None) => s.line,
        };
        let scoped: Vec<&str> = actions
            .iter()
            .copied()
            .filter(|a| !needs_no_resource(a))
            .collect();
        scan.finding(
            checks::CLOUD_RESOURCE_WILDCARD,
            format!(
                "{sid} allows {} on {where_}, with no Condition",
                scoped.join(", ")
            ),
        )
        .at(Location::target(path).line(line))
        .evidence(format!("Action: {scoped:?}, {where_}"));
    }
}

/// Read a YAML (or CloudFormation) or JSON file and judge what it holds.
/// Returns false when it could not be parsed.
pub fn check_text(path: &str, text: &str, found: &mut Found, scan: &mut Scan) {
    if !text.contains("Statement") && !text.contains("roles/") {
        return;
    }
    let docs = if path.to_ascii_lowercase().ends_with(".json") {
        match yaml::json::parse(text) {
            Ok(Some(d)) => vec![d],
            Ok(None) => return,
            Err(e) => {
                if text.contains("\"Statement\"") {
                    yaml::record_unread(scan, path, checks::CLOUD_CHECKS, &e);
                }
                return;
            }
        }
    } else {
        match yaml::parse(text) {
            Ok(d) => d,
            Err(e) => {
                // Templates and invalid YAML holding a policy: not judged.
                if text.contains("Statement:") || text.contains("\"Statement\"") {
                    yaml::record_unread(scan, path, checks::CLOUD_CHECKS, &e);
                }
                return;
            }
        }
    };
    for d in &docs {
        search(path, d, found, scan);
    }
}
