//! aicomply's first-party plugin for the access domain (IAM-1, IAM-2).
//!
//! Reads the scan target as a repository and as a root filesystem:
//! modes of keys, credentials, models and configuration (through the
//! host's `file-meta`), Kubernetes RBAC and the service accounts of
//! workloads (YAML, JSON, multi-document files, `List`s; Helm templates
//! are reported as not rendered; Kustomize patches are partial objects),
//! cloud IAM policies (AWS JSON, CloudFormation, Terraform, GCP bindings)
//! and the OS accounts of a root filesystem (`etc/passwd`, `etc/group`,
//! `etc/sudoers` and its includes). Everything here is plain Rust: it
//! compiles natively for tests and to `wasm32-wasip2` as a plugin.

pub mod checks;
pub mod cloud;
pub mod os;
pub mod perms;
pub mod rbac;
pub mod terraform;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use aicomply_sdk::fs::{self, WalkOptions};
use aicomply_sdk::{Capability, Context, FileMetadata, Location, Plugin, PluginInfo, Scan};

/// Reads a file's mode and owner, by its path relative to the target.
pub type MetaFn<'a> = &'a dyn Fn(&str) -> Result<FileMetadata, String>;

/// Configuration files larger than this are reported, not read.
const MAX_CONFIG_BYTES: u64 = 4 << 20;
/// What is read of a `.pem` or `.key` file to tell a key from a certificate.
const KEY_PEEK: u64 = 64 << 10;

pub struct AccessPlugin;

impl Plugin for AccessPlugin {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "access".into(),
            name: "Access and identity".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            domain: "access".into(),
            description: "File modes of keys, credentials and models, Kubernetes RBAC and service \
                          accounts, cloud IAM policies (AWS, CloudFormation, Terraform, GCP), \
                          sudoers, UID 0 accounts and the docker group (IAM-1, IAM-2)."
                .into(),
            checks: checks::catalogue(),
            capabilities: vec![
                Capability::fs_read(
                    "target",
                    "reads manifests, IAM policies, Terraform and etc/passwd, etc/group, etc/sudoers",
                ),
                Capability::file_meta(
                    "target",
                    "reads the modes of keys, credentials, models and configuration",
                ),
            ],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let root = ctx.target()?;
        let meta = |p: &str| ctx.file_meta("target", p);
        let meta: Option<MetaFn> = ctx.granted("file-meta", "target").then_some(&meta);
        scan_tree(root, &WalkOptions::for_run(ctx), meta, scan);
        Ok(())
    }
}

aicomply_sdk::export_plugin!(AccessPlugin);

/// What kind of file the plugin reads, decided by name and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// YAML or JSON: Kubernetes manifests and cloud policies.
    Yaml,
    /// A CloudFormation template not named .yaml/.json.
    Template,
    Terraform,
    Passwd,
    Group,
    Sudoers,
}

fn classify_path(relative: &str) -> Option<Kind> {
    let lower = relative.to_ascii_lowercase();
    if os::is_passwd(relative) {
        return Some(Kind::Passwd);
    }
    if os::is_group(relative) {
        return Some(Kind::Group);
    }
    if relative == "etc/sudoers" || relative.starts_with("etc/sudoers.d/") {
        return Some(Kind::Sudoers);
    }
    if lower.ends_with(".tf") {
        return Some(Kind::Terraform);
    }
    if lower.ends_with(".template") && !lower.contains("node_modules/") {
        return Some(Kind::Template);
    }
    aicomply_sdk::kubernetes::may_hold_manifests(relative).then_some(Kind::Yaml)
}

fn checks_of(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Yaml => [checks::K8S_CHECKS, checks::CLOUD_CHECKS].concat(),
        Kind::Template | Kind::Terraform => checks::CLOUD_CHECKS.to_vec(),
        Kind::Passwd => [checks::PASSWD_CHECKS, checks::GROUP_CHECKS].concat(),
        Kind::Group => checks::GROUP_CHECKS.to_vec(),
        Kind::Sudoers => checks::SUDO_CHECKS.to_vec(),
    }
}

fn affected(skip: &fs::Skip) -> Vec<&'static str> {
    use aicomply_sdk::SkipReason as R;
    if skip.could_be_anything() {
        return [
            checks::FILE_CHECKS,
            checks::K8S_CHECKS,
            checks::CLOUD_CHECKS,
            checks::PASSWD_CHECKS,
            checks::SUDO_CHECKS,
            checks::GROUP_CHECKS,
        ]
        .concat();
    }
    let mut out = classify_path(&skip.relative).map_or(Vec::new(), checks_of);
    // A link's own mode means nothing and its target, when inside the
    // target, is judged at its own path: a link not followed leaves no
    // mode unseen.
    if skip.reason != R::Symlink && perms::classify(&skip.relative).is_some() {
        out.extend_from_slice(checks::FILE_CHECKS);
    }
    out
}

/// Read a file's text, or record why not (listed, and its checks
/// incomplete).
fn read(entry: &fs::Entry, group: &[&str], scan: &mut Scan) -> Option<String> {
    match fs::read_text(&entry.path, MAX_CONFIG_BYTES) {
        Ok(t) => Some(t),
        Err(fs::ReadError::TooLarge { .. })
            if entry.relative.to_ascii_lowercase().ends_with(".json")
                && !aicomply_sdk::kubernetes::large_json_may_be_manifest(&entry.path) =>
        {
            None
        }
        Err(e) => {
            scan.skipped(
                Location::target(entry.relative.clone()),
                e.skip_reason(),
                e.to_string(),
            );
            for check in group {
                scan.incomplete(check, format!("{} not examined: {e}", entry.relative));
            }
            None
        }
    }
}

/// The first bytes of a file, as text.
fn peek(path: &Path) -> Result<String, fs::ReadError> {
    let (file, _) = fs::open_regular(path)?;
    let mut buf = Vec::new();
    file.take(KEY_PEEK)
        .read_to_end(&mut buf)
        .map_err(fs::ReadError::Io)?;
    Ok(aicomply_sdk::text::decode(&buf))
}

/// Scan every relevant file under `root` and record the results on `scan`.
/// `meta` reads a file's mode and owner (the host's `file-meta`); without
/// it the mode checks are not checked.
pub fn scan_tree(root: &Path, options: &WalkOptions, meta: Option<MetaFn>, scan: &mut Scan) {
    let walk = fs::walk(root, options);
    walk.report_gaps(scan, "target", affected);
    // In a version-control checkout, modes are the checkout's umask (git
    // keeps none but the executable bit), not how anything is deployed.
    let checkout = walk
        .skipped
        .iter()
        .find(|s| fs::VCS_DIRS.contains(&s.relative.as_str()));
    let meta = if checkout.is_some() { None } else { meta };

    // Manifests are judged together, as kustomize renders them.
    let mut manifests = aicomply_sdk::kubernetes::Manifests::new();
    let mut k8s = rbac::Rbac::default();
    let mut found = cloud::Found::default();
    let (mut secrets, mut sensitive) = (0usize, 0usize);
    let mut passwd: Option<(String, String)> = None;
    let mut group: Option<(String, String)> = None;
    let mut sudoers_files = false;
    let mut model_dirs = BTreeSet::new();

    let progress = aicomply_sdk::Progress::new(u32::try_from(walk.files.len()).ok());
    for entry in &walk.files {
        progress.file_done();
        scan.checkpoint();
        let rel = entry.relative.as_str();

        if let (Some(meta), Some((what, by_content))) = (meta, perms::classify(rel)) {
            let what = if by_content {
                match peek(&entry.path) {
                    Ok(t) if perms::holds_private_key(&t) => Some(what),
                    Ok(_) => None,
                    Err(e) => {
                        for c in checks::FILE_CHECKS {
                            scan.incomplete(c, format!("{rel} not examined: {e}"));
                        }
                        None
                    }
                }
            } else {
                Some(what)
            };
            if let Some(what) = what {
                if entry.link.is_none() {
                    match meta(rel) {
                        Ok(m) => {
                            perms::check_file(rel, what, &m, scan);
                            sensitive += 1;
                            if what == perms::Sensitive::Secret {
                                secrets += 1;
                            }
                        }
                        Err(e) => {
                            for c in checks::FILE_CHECKS {
                                scan.incomplete(c, format!("mode of {rel} not read: {e}"));
                            }
                        }
                    }
                }
                if what == perms::Sensitive::Model
                    && let Some((dir, _)) = rel.rsplit_once('/')
                {
                    model_dirs.insert(dir.to_string());
                }
            }
        }

        let Some(kind) = classify_path(rel) else {
            continue;
        };
        match kind {
            Kind::Sudoers => sudoers_files = true,
            Kind::Yaml | Kind::Template => {
                let group = checks_of(kind);
                let Some(text) = read(entry, &group, scan) else {
                    continue;
                };
                if kind == Kind::Yaml {
                    k8s.read(&mut manifests, rel, &text, scan);
                }
                cloud::check_text(rel, &text, &mut found, scan);
            }
            Kind::Terraform => {
                if let Some(text) = read(entry, checks::CLOUD_CHECKS, scan) {
                    terraform::check(rel, &text, &mut found, scan);
                }
            }
            Kind::Passwd => {
                if let Some(text) = read(entry, &checks_of(kind), scan) {
                    os::check_passwd(rel, &text, scan);
                    passwd = Some((rel.to_string(), text));
                }
            }
            Kind::Group => {
                if let Some(text) = read(entry, checks::GROUP_CHECKS, scan) {
                    group = Some((rel.to_string(), text));
                }
            }
        }
    }
    progress.finish();

    if let Some(meta) = meta {
        for dir in &model_dirs {
            match meta(dir) {
                Ok(m) => perms::check_model_dir(dir, &m, scan),
                Err(e) => scan.incomplete(
                    checks::WORLD_WRITABLE,
                    format!("mode of {dir}/ not read: {e}"),
                ),
            }
        }
    }

    if let Some((path, text)) = &group {
        os::check_group(path, text, passwd.as_ref().map(|(_, t)| t.as_str()), scan);
    }

    // sudoers: from etc/sudoers through its includes; a snapshot with
    // only etc/sudoers.d is read as the distributions' sudoers reads it.
    let mut sudo_read = 0;
    if sudoers_files {
        let files: Vec<String> = walk.files.iter().map(|e| e.relative.clone()).collect();
        let by_path: BTreeMap<&str, &fs::Entry> = walk
            .files
            .iter()
            .map(|e| (e.relative.as_str(), e))
            .collect();
        let reader = |p: &str| -> Result<Option<String>, String> {
            match by_path.get(p) {
                None => Ok(None),
                Some(e) => fs::read_text(&e.path, MAX_CONFIG_BYTES)
                    .map(Some)
                    .map_err(|e| e.to_string()),
            }
        };
        let mut s = os::Sudoers::new(&reader, &files);
        if by_path.contains_key("etc/sudoers") {
            s.file("etc/sudoers", 0, scan);
        } else {
            let mut inside: Vec<&String> = files
                .iter()
                .filter(|f| {
                    f.strip_prefix("etc/sudoers.d/")
                        .is_some_and(|n| !n.contains('/') && !n.contains('.') && !n.ends_with('~'))
                })
                .collect();
            inside.sort();
            for f in inside {
                s.file(f, 1, scan);
            }
        }
        sudo_read = s.read_count;
    }

    let objects = manifests.render(scan, checks::K8S_CHECKS);
    k8s.objects(&objects, scan);
    k8s.judge(scan);

    if meta.is_some() {
        scan.evaluated_if(
            secrets,
            &[checks::SECRET_READABLE, checks::KEY_GROUP_WRITABLE],
            "no private keys or credentials files in the target",
        );
        scan.evaluated_if(
            sensitive + model_dirs.len(),
            &[checks::WORLD_WRITABLE],
            "no models, keys or configuration files in the target",
        );
    } else if let Some(vcs) = checkout {
        for c in checks::FILE_CHECKS {
            scan.not_checked(
                c,
                format!(
                    "the target is a version-control checkout ({}): its file modes come from the checkout, not from a deployment; scan the deployed tree or image",
                    vcs.relative
                ),
            );
        }
    } else {
        for c in checks::FILE_CHECKS {
            scan.not_checked(
                c,
                "file modes need the file-meta capability on the target (--grant access=file-meta:target)",
            );
        }
    }
    scan.evaluated_if(
        found.statements,
        &[
            checks::CLOUD_ADMIN,
            checks::CLOUD_ACTION_WILDCARD,
            checks::CLOUD_RESOURCE_WILDCARD,
        ],
        "no AWS IAM policy documents (JSON, CloudFormation or Terraform) in the target",
    );
    scan.evaluated_if(
        found.bindings,
        &[checks::CLOUD_PRIMITIVE_ROLE],
        "no GCP IAM bindings in the target",
    );
    scan.evaluated_if(
        usize::from(passwd.is_some()),
        checks::PASSWD_CHECKS,
        "no etc/passwd in the target",
    );
    scan.evaluated_if(
        usize::from(group.is_some()),
        checks::GROUP_CHECKS,
        "no etc/group in the target",
    );
    scan.evaluated_if(
        sudo_read,
        checks::SUDO_CHECKS,
        "no etc/sudoers or etc/sudoers.d in the target",
    );
}

#[cfg(test)]
mod tests;
