//! Kubernetes RBAC: every rule of every Role and ClusterRole, every
//! RoleBinding and ClusterRoleBinding, ServiceAccounts, and the service
//! account each workload runs as. Objects are collected from every
//! manifest first (a binding may sit in another file than its workload),
//! then judged together.
//!
//! Token mounting follows the API server: the pod spec's
//! `automountServiceAccountToken` wins over the ServiceAccount's, and a
//! token is mounted when neither says `false`.
//!
//! Objects Kubernetes manages itself (labelled
//! `kubernetes.io/bootstrapping: rbac-defaults`) are not judged. Objects are
//! judged as kustomize renders them (the SDK's [`kubernetes::Manifests`]):
//! a patch is never an object of its own.

use std::collections::BTreeSet;

use aicomply_sdk::kubernetes::{self, Manifests, Object};
use aicomply_sdk::yaml::Node;
use aicomply_sdk::{Location, Scan};

use crate::checks;

#[derive(Debug)]
struct Subject {
    kind: String,
    name: String,
    namespace: Option<String>,
    line: u32,
}

#[derive(Debug)]
struct Binding {
    path: String,
    title: String,
    namespace: Option<String>,
    role_kind: String,
    role_name: String,
    role_line: u32,
    subjects: Vec<Subject>,
}

#[derive(Debug)]
struct Role {
    kind: String,
    name: String,
    namespace: Option<String>,
    /// Some rule has `*` in verbs, resources and apiGroups.
    full: bool,
}

#[derive(Debug)]
struct ServiceAccount {
    name: String,
    namespace: Option<String>,
    path: String,
    automount: Option<(bool, u32)>,
}

#[derive(Debug)]
struct Workload {
    path: String,
    title: String,
    namespace: Option<String>,
    /// The service account and the line naming it (None: implicit default).
    account: (String, Option<u32>),
    automount: Option<(bool, u32)>,
    spec_line: u32,
}

/// Everything read from the tree's manifests.
#[derive(Debug, Default)]
pub struct Rbac {
    roles: Vec<Role>,
    bindings: Vec<Binding>,
    accounts: Vec<ServiceAccount>,
    workloads: Vec<Workload>,
    /// Files holding roles (judged as read) and bindings.
    pub role_files: usize,
    pub binding_files: usize,
    /// Manifests that could not be read (templates, invalid): bindings
    /// may be among them.
    pub unread: usize,
}

fn ns(obj: &Node) -> Option<String> {
    kubernetes::namespace(obj).map(str::to_string)
}

fn bootstrap(obj: &Node) -> bool {
    obj.path(&["metadata", "labels", "kubernetes.io/bootstrapping"])
        .and_then(Node::as_str)
        == Some("rbac-defaults")
}

fn strings(rule: &Node, key: &str) -> Vec<String> {
    rule.get(key)
        .map(|n| n.strings().into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The line of the first item of `rule[key]` equal to one of `wanted`.
fn line_of(rule: &Node, key: &str, wanted: &[&str]) -> u32 {
    match rule.get(key) {
        Some(n) => n
            .items()
            .iter()
            .find(|i| i.as_str().is_some_and(|s| wanted.contains(&s)))
            .map_or(n.line, |i| i.line),
        None => rule.line,
    }
}

impl Rbac {
    /// Read one YAML or JSON file into `manifests`; what cannot be read
    /// is recorded.
    pub fn read(&mut self, manifests: &mut Manifests, path: &str, text: &str, scan: &mut Scan) {
        if let Err(why) = manifests.add(path, text) {
            kubernetes::record_unread(scan, path, checks::K8S_CHECKS, &why);
            self.unread += 1;
        }
    }

    /// Take in every object of the tree, as rendered.
    pub fn objects(&mut self, objects: &[Object], scan: &mut Scan) {
        let (mut roles, mut bindings) = (BTreeSet::new(), BTreeSet::new());
        for o in objects {
            let obj = &o.node;
            let path = o.source(obj);
            match kubernetes::kind(obj) {
                "Role" | "ClusterRole" => {
                    roles.insert(o.file.as_str());
                    if !bootstrap(obj) {
                        self.role(o, scan);
                    }
                }
                "RoleBinding" | "ClusterRoleBinding" => {
                    bindings.insert(o.file.as_str());
                    if !bootstrap(obj) {
                        self.binding(o);
                    }
                }
                "ServiceAccount" => self.accounts.push(ServiceAccount {
                    name: kubernetes::name(obj).to_string(),
                    namespace: ns(obj),
                    path: path.to_string(),
                    automount: obj
                        .get("automountServiceAccountToken")
                        .and_then(|n| n.as_bool().map(|b| (b, n.line))),
                }),
                _ => {
                    if let Some(w) = kubernetes::workload(obj) {
                        self.workload(o, &w, scan);
                    }
                }
            }
        }
        self.role_files += roles.len();
        self.binding_files += bindings.len();
    }

    fn workload(&mut self, o: &Object, w: &kubernetes::Workload, scan: &mut Scan) {
        let Some(spec) = w.pod_spec else {
            scan.diagnostic(
                o.at(w.object),
                format!("{} has no pod spec at {}", o.named(w.title()), w.spec_path),
            );
            return;
        };
        // A field a patch set points at the patch.
        let path = o.source(spec);
        let named = spec
            .get("serviceAccountName")
            .or_else(|| spec.get("serviceAccount"))
            .and_then(|n| n.as_str().filter(|s| !s.is_empty()).map(|s| (s, n.line)));
        self.workloads.push(Workload {
            path: path.to_string(),
            title: o.named(w.title()),
            namespace: ns(w.object),
            account: named.map_or(("default".to_string(), None), |(s, l)| {
                (s.to_string(), Some(l))
            }),
            automount: spec
                .get("automountServiceAccountToken")
                .and_then(|n| n.as_bool().map(|b| (b, n.line))),
            spec_line: spec.line,
        });
    }

    fn role(&mut self, o: &Object, scan: &mut Scan) {
        let obj = &o.node;
        let path = o.source(obj);
        let title = o.named(format!(
            "{} {}",
            kubernetes::kind(obj),
            kubernetes::name(obj)
        ));
        let mut full = false;
        for (i, rule) in obj
            .get("rules")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let n = i + 1;
            let verbs = strings(rule, "verbs");
            let resources = strings(rule, "resources");
            let groups = strings(rule, "apiGroups");
            let names = strings(rule, "resourceNames");
            let star = |v: &[String]| v.iter().any(|s| s == "*");
            let wild: Vec<&str> = [
                ("verbs", &verbs),
                ("resources", &resources),
                ("apiGroups", &groups),
            ]
            .iter()
            .filter(|(_, v)| star(v))
            .map(|(k, _)| *k)
            .collect();
            if star(&verbs) && star(&resources) && star(&groups) {
                full = true;
            }
            if let Some(first) = wild.first() {
                scan.finding(
                    checks::RBAC_WILDCARD,
                    format!("{title} rule {n} has `*` in {}", wild.join(", ")),
                )
                .at(Location::target(path).line(line_of(rule, first, &["*"])))
                .evidence(format!(
                    "apiGroups: {groups:?} resources: {resources:?} verbs: {verbs:?}"
                ));
            }
            let core = groups.is_empty() || groups.iter().any(|g| g.is_empty() || g == "*");
            let reads = ["get", "list", "watch", "*"];
            let read_verbs: Vec<&String> = verbs
                .iter()
                .filter(|v| reads.contains(&v.as_str()))
                .collect();
            if core
                && names.is_empty()
                && resources.iter().any(|r| r == "secrets")
                && !read_verbs.is_empty()
            {
                scan.finding(
                    checks::RBAC_SECRETS,
                    format!(
                        "{title} rule {n} can {} every Secret{}",
                        read_verbs
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join("/"),
                        if kubernetes::kind(obj) == "ClusterRole" {
                            " (cluster-wide when bound by a ClusterRoleBinding)"
                        } else {
                            " of its namespace"
                        }
                    ),
                )
                .at(Location::target(path).line(line_of(rule, "resources", &["secrets"])))
                .evidence(format!("resources: {resources:?} verbs: {verbs:?}"));
            }
            let exec: Vec<&String> = resources
                .iter()
                .filter(|r| ["pods/exec", "pods/attach", "pods/*"].contains(&r.as_str()))
                .collect();
            if core
                && !exec.is_empty()
                && verbs
                    .iter()
                    .any(|v| ["create", "get", "*"].contains(&v.as_str()))
            {
                scan.finding(
                    checks::RBAC_EXEC,
                    format!(
                        "{title} rule {n} allows {}",
                        exec.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .at(Location::target(path).line(line_of(
                    rule,
                    "resources",
                    &["pods/exec", "pods/attach", "pods/*"],
                )))
                .evidence(format!("resources: {resources:?} verbs: {verbs:?}"));
            }
            let escalate: Vec<&String> = verbs
                .iter()
                .filter(|v| ["escalate", "bind", "impersonate"].contains(&v.as_str()))
                .collect();
            if !escalate.is_empty() {
                scan.finding(
                    checks::RBAC_ESCALATE,
                    format!(
                        "{title} rule {n} grants {} on {}",
                        escalate
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        resources.join(", ")
                    ),
                )
                .at(Location::target(path).line(line_of(
                    rule,
                    "verbs",
                    &["escalate", "bind", "impersonate"],
                )))
                .evidence(format!("resources: {resources:?} verbs: {verbs:?}"));
            }
        }
        self.roles.push(Role {
            kind: kubernetes::kind(obj).to_string(),
            name: kubernetes::name(obj).to_string(),
            namespace: ns(obj),
            full,
        });
    }

    fn binding(&mut self, o: &Object) {
        let obj = &o.node;
        let path = o.source(obj);
        let role_ref = obj.get("roleRef");
        let field = |k: &str| {
            role_ref
                .and_then(|r| r.get(k))
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string()
        };
        let subjects = obj
            .get("subjects")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(|s| {
                let f = |k: &str| s.get(k).and_then(Node::as_str).map(str::to_string);
                Subject {
                    kind: f("kind").unwrap_or_default(),
                    name: f("name").unwrap_or_default(),
                    namespace: f("namespace"),
                    line: s.get("name").map_or(s.line, |n| n.line),
                }
            })
            .collect();
        self.bindings.push(Binding {
            path: path.to_string(),
            title: o.named(format!(
                "{} {}",
                kubernetes::kind(obj),
                kubernetes::name(obj)
            )),
            namespace: ns(obj),
            role_kind: field("kind"),
            role_name: field("name"),
            role_line: role_ref
                .and_then(|r| r.get("name"))
                .map_or(obj.line, |n| n.line),
            subjects,
        });
    }

    /// Judge what needs every file: bindings against roles, workloads
    /// against bindings and service accounts. Then mark each check
    /// evaluated or not checked.
    pub fn judge(&self, scan: &mut Scan) {
        for b in &self.bindings {
            self.judge_binding(b, scan);
        }
        for w in &self.workloads {
            self.judge_workload(w, scan);
        }
        let mark = |scan: &mut Scan, n: usize, group: &[&str], why: &str| {
            for c in group {
                if n > 0 {
                    scan.evaluated(c);
                } else {
                    scan.not_checked(c, why);
                }
            }
        };
        mark(
            scan,
            self.role_files,
            &[
                checks::RBAC_WILDCARD,
                checks::RBAC_SECRETS,
                checks::RBAC_EXEC,
                checks::RBAC_ESCALATE,
            ],
            "no Kubernetes Role or ClusterRole in the target",
        );
        mark(
            scan,
            self.binding_files,
            &[checks::RBAC_CLUSTER_ADMIN, checks::DEFAULT_SA_BOUND],
            "no Kubernetes RoleBinding or ClusterRoleBinding in the target",
        );
        mark(
            scan,
            self.workloads.len(),
            checks::WORKLOAD_CHECKS,
            "no Kubernetes workload manifests in the target",
        );
    }

    fn judge_binding(&self, b: &Binding, scan: &mut Scan) {
        let at = |line| Location::target(b.path.clone()).line(line);
        let full_role = self.roles.iter().any(|r| {
            r.full
                && r.name == b.role_name
                && r.kind == b.role_kind
                && (r.kind == "ClusterRole" || same_ns(&r.namespace, &b.namespace))
        });
        if (b.role_kind == "ClusterRole" && b.role_name == "cluster-admin") || full_role {
            let who: Vec<String> = b
                .subjects
                .iter()
                .map(|s| format!("{} {}", s.kind, s.name))
                .collect();
            let scope = if b.title.starts_with("RoleBinding") {
                " (every permission in its namespace)"
            } else {
                " (every permission in the cluster)"
            };
            scan.finding(
                checks::RBAC_CLUSTER_ADMIN,
                format!(
                    "{} grants {} {}{scope} to {}",
                    b.title,
                    b.role_kind,
                    b.role_name,
                    if who.is_empty() {
                        "no subject yet".to_string()
                    } else {
                        who.join(", ")
                    }
                ),
            )
            .at(at(b.role_line))
            .evidence(format!("roleRef: {} {}", b.role_kind, b.role_name));
        }
        for s in &b.subjects {
            let everyone = match s.kind.as_str() {
                "ServiceAccount" => s.name == "default",
                "Group" => {
                    s.name == "system:serviceaccounts"
                        || s.name.starts_with("system:serviceaccounts:")
                        || s.name == "system:authenticated"
                        || s.name == "system:unauthenticated"
                }
                "User" => s.name == "system:anonymous",
                _ => false,
            };
            if everyone {
                let what = if s.kind == "ServiceAccount" {
                    let sns = s.namespace.as_ref().or(b.namespace.as_ref());
                    format!(
                        "the default service account{} (shared by every pod of the namespace that names no other)",
                        sns.map(|n| format!(" of {n}")).unwrap_or_default()
                    )
                } else {
                    format!("{} {} (every member)", s.kind, s.name)
                };
                scan.finding(
                    checks::DEFAULT_SA_BOUND,
                    format!(
                        "{} grants {} {} to {what}",
                        b.title, b.role_kind, b.role_name
                    ),
                )
                .at(at(s.line))
                .evidence(format!("subject: {} {}", s.kind, s.name));
            }
        }
    }

    /// Whether some binding names the service account `name` of `ns`.
    fn bound(&self, name: &str, ns: &Option<String>) -> bool {
        self.bindings.iter().any(|b| {
            b.subjects.iter().any(|s| match s.kind.as_str() {
                "ServiceAccount" => {
                    s.name == name && same_ns(&s.namespace.clone().or(b.namespace.clone()), ns)
                }
                "Group" => {
                    s.name == "system:serviceaccounts"
                        || ns
                            .as_ref()
                            .is_some_and(|n| s.name == format!("system:serviceaccounts:{n}"))
                }
                _ => false,
            })
        })
    }

    fn judge_workload(&self, w: &Workload, scan: &mut Scan) {
        let (account, account_line) = (&w.account.0, w.account.1);
        let sa = self
            .accounts
            .iter()
            .find(|a| &a.name == account && same_ns(&a.namespace, &w.namespace));
        // The pod's setting wins; then the ServiceAccount's; then true.
        let (mounted, mount_at) = match (w.automount, sa.and_then(|a| a.automount)) {
            (Some((b, line)), _) => (b, Location::target(w.path.clone()).line(line)),
            (None, Some((b, line))) => (b, Location::target(sa.unwrap().path.clone()).line(line)),
            (None, None) => (
                true,
                Location::target(w.path.clone()).line(account_line.unwrap_or(w.spec_line)),
            ),
        };
        let here = Location::target(w.path.clone()).line(account_line.unwrap_or(w.spec_line));
        if account == "default" {
            // A pod without the token has no API identity: the default
            // account is "used" only when its token is mounted (CIS 5.1.5).
            if mounted {
                scan.finding(
                    checks::DEFAULT_SA,
                    format!(
                        "{} runs as the default service account ({}) with its token mounted",
                        w.title,
                        if account_line.is_some() {
                            "serviceAccountName: default"
                        } else {
                            "no serviceAccountName"
                        }
                    ),
                )
                .at(here);
                scan.finding(
                    checks::TOKEN_AUTOMOUNT,
                    format!(
                        "{} gets the default service account's API token mounted (automountServiceAccountToken is {} on the pod{})",
                        w.title,
                        if w.automount.is_some() { "true" } else { "not set" },
                        match sa.and_then(|a| a.automount) {
                            Some((true, _)) => " and true on the ServiceAccount",
                            _ if w.automount.is_some() => "",
                            _ => " and not false on the ServiceAccount",
                        }
                    ),
                )
                .at(mount_at);
            }
            return;
        }
        if !mounted || self.bound(account, &w.namespace) {
            return;
        }
        if self.unread > 0 {
            scan.incomplete(
                checks::SA_UNBOUND,
                "some manifests were not read (templates or invalid files); their bindings are unknown",
            );
            return;
        }
        scan.finding(
            checks::SA_UNBOUND,
            format!(
                "{} runs as service account {account}, whose mounted token no RoleBinding or ClusterRoleBinding in the tree grants anything",
                w.title
            ),
        )
        .at(here);
    }
}

/// Namespaces match when equal or when either is left to the deployment
/// (unset: `kubectl apply -n`, Kustomize's `namespace:`, Helm's release).
fn same_ns(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}
