//! Operating-system accounts of a root filesystem: extra UID 0 accounts
//! (`etc/passwd`), members of the root-equivalent `docker` group
//! (`etc/group`, and accounts whose primary group it is), and sudo rules
//! granting every command (`etc/sudoers` and what it includes).
//!
//! sudoers is read the way sudo reads it: `#include`/`@include` files and
//! `#includedir`/`@includedir` folders (files whose names hold no `.` and
//! do not end in `~`, in lexical order), relative paths resolved against
//! the including file's folder, at most [`MAX_INCLUDE_DEPTH`] deep, each
//! file once; lines continued with `\`; `Cmnd_Alias` names standing for
//! `ALL`; a `#` starting a comment unless it starts an include or a
//! numeric user id (`#1000`).

use std::collections::{BTreeMap, BTreeSet};

use aicomply_sdk::{Location, Scan};

use crate::checks;

/// sudo itself stops at 128; no real configuration nests this deep.
pub const MAX_INCLUDE_DEPTH: usize = 8;

/// Whether `relative` is read by one of these checks.
pub fn is_passwd(relative: &str) -> bool {
    relative == "etc/passwd"
}

pub fn is_group(relative: &str) -> bool {
    relative == "etc/group"
}

/// Extra UID 0 accounts.
pub fn check_passwd(path: &str, text: &str, scan: &mut Scan) {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.starts_with('+') || line.starts_with('-') {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 4 {
            continue;
        }
        if f[2].trim().parse::<u64>() == Ok(0) && f[0] != "root" {
            scan.finding(
                checks::OS_UID0,
                format!("account {} has UID 0: it is root under another name", f[0]),
            )
            .at(Location::target(path).line(i as u32 + 1))
            .evidence(format!("{}:{}:{}", f[0], f[2], f[3]));
        }
    }
}

/// Members of the docker group, including accounts whose primary group it
/// is (from `passwd`, when the target has it).
pub fn check_group(path: &str, text: &str, passwd: Option<&str>, scan: &mut Scan) {
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.trim_end_matches('\r').split(':').collect();
        if f.len() < 4 || f[0] != "docker" {
            continue;
        }
        let mut members: Vec<String> = f[3]
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(p) = passwd {
            for l in p.lines() {
                let pf: Vec<&str> = l.split(':').collect();
                if pf.len() >= 4 && pf[3] == f[2] && !members.iter().any(|m| m == pf[0]) {
                    members.push(format!("{} (primary group)", pf[0]));
                }
            }
        }
        if !members.is_empty() {
            scan.finding(
                checks::OS_DOCKER_GROUP,
                format!(
                    "{} in the docker group: access to the Docker socket is root on the host",
                    members.join(", ")
                ),
            )
            .at(Location::target(path).line(i as u32 + 1))
            .evidence(line.trim_end_matches('\r').to_string());
        }
    }
}

/// The sudoers files of a root, with their texts: read through `read`
/// (relative path → text, or None when absent or unreadable) and listed
/// through `files` (every file of the target).
pub struct Sudoers<'a> {
    pub read: &'a dyn Fn(&str) -> Result<Option<String>, String>,
    pub files: &'a [String],
    seen: BTreeSet<String>,
    pub read_count: usize,
    aliases: BTreeMap<String, Vec<String>>,
    /// `Defaults !authenticate`: for everyone (`None` in the set) or for
    /// the users named in `Defaults:user`.
    no_auth: BTreeSet<Option<String>>,
}

/// Groups whose members are the administrators by convention: an
/// unrestricted rule for them is the distribution's default.
const ADMIN_GROUPS: &[&str] = &["%sudo", "%wheel", "%admin", "%root"];

impl<'a> Sudoers<'a> {
    pub fn new(
        read: &'a dyn Fn(&str) -> Result<Option<String>, String>,
        files: &'a [String],
    ) -> Self {
        Sudoers {
            read,
            files,
            seen: BTreeSet::new(),
            read_count: 0,
            aliases: BTreeMap::new(),
            no_auth: BTreeSet::new(),
        }
    }

    /// Read `path` (relative to the root) and what it includes.
    pub fn file(&mut self, path: &str, depth: usize, scan: &mut Scan) {
        if !self.seen.insert(path.to_string()) {
            return;
        }
        if depth > MAX_INCLUDE_DEPTH {
            scan.diagnostic(
                Location::target(path),
                format!("sudoers includes nested deeper than {MAX_INCLUDE_DEPTH}; not read"),
            );
            for c in checks::SUDO_CHECKS {
                scan.incomplete(c, format!("{path}: includes nested too deep; not read"));
            }
            return;
        }
        let text = match (self.read)(path) {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(e) => {
                for c in checks::SUDO_CHECKS {
                    scan.incomplete(c, format!("{path} not examined: {e}"));
                }
                return;
            }
        };
        self.read_count += 1;
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for (line_no, line) in logical_lines(&text) {
            let trimmed = line.trim();
            if let Some((directive, arg)) = include(trimmed) {
                let arg = arg.trim().trim_matches('"');
                let Some(target) = aicomply_sdk::fs::join_relative(dir, arg) else {
                    continue;
                };
                if directive.ends_with("dir") {
                    let prefix = format!("{target}/");
                    let mut inside: Vec<&String> = self
                        .files
                        .iter()
                        .filter(|f| {
                            f.strip_prefix(&prefix).is_some_and(|n| {
                                !n.contains('/') && !n.contains('.') && !n.ends_with('~')
                            })
                        })
                        .collect();
                    inside.sort();
                    for f in inside {
                        self.file(f, depth + 1, scan);
                    }
                } else {
                    self.file(&target, depth + 1, scan);
                }
                continue;
            }
            let content = strip_comment(trimmed);
            if let Some(rest) = content.strip_prefix("Defaults") {
                // `Defaults !authenticate` (or `Defaults:alice !authenticate`)
                // makes every rule it applies to NOPASSWD.
                let (scope, settings) = match rest.strip_prefix(':') {
                    Some(r) => r
                        .split_once(char::is_whitespace)
                        .map_or((Some(r), ""), |(u, s)| (Some(u), s)),
                    None if rest.starts_with(['@', '>', '!']) => continue,
                    None => (None, rest),
                };
                if settings.split(',').any(|s| s.trim() == "!authenticate") {
                    match scope {
                        None => {
                            self.no_auth.insert(None);
                        }
                        Some(users) => {
                            for u in users.split(',') {
                                self.no_auth.insert(Some(u.trim().to_string()));
                            }
                        }
                    }
                }
                continue;
            }
            if content.is_empty() {
                continue;
            }
            if let Some(rest) = content.strip_prefix("Cmnd_Alias") {
                for def in rest.split(':') {
                    if let Some((name, cmds)) = def.split_once('=') {
                        self.aliases.insert(
                            name.trim().to_string(),
                            cmds.split(',').map(|c| c.trim().to_string()).collect(),
                        );
                    }
                }
                continue;
            }
            if ["User_Alias", "Runas_Alias", "Host_Alias"]
                .iter()
                .any(|a| content.starts_with(a))
            {
                continue;
            }
            self.rule(path, line_no, content, scan);
        }
    }

    fn is_all(&self, cmd: &str) -> bool {
        cmd == "ALL"
            || self
                .aliases
                .get(cmd)
                .is_some_and(|c| c.iter().any(|x| x == "ALL"))
    }

    fn rule(&mut self, path: &str, line: u32, content: &str, scan: &mut Scan) {
        let Some((who_hosts, spec)) = content.split_once('=') else {
            return;
        };
        let mut words: Vec<&str> = who_hosts.split_whitespace().collect();
        if words.len() < 2 {
            return;
        }
        words.pop(); // the host list
        let who = words.join(" ");
        // Command specs split on commas outside a runas list; each may
        // start with a runas list and tags (`NOPASSWD:`), which carry over
        // to the commands after it, as sudo applies them.
        let mut items = Vec::new();
        let (mut depth, mut from) = (0usize, 0usize);
        for (i, c) in spec.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    items.push(&spec[from..i]);
                    from = i + 1;
                }
                _ => {}
            }
        }
        items.push(&spec[from..]);
        let mut nopasswd =
            self.no_auth.contains(&None) || self.no_auth.contains(&Some(who.clone()));
        let (mut all, mut all_nopasswd) = (false, false);
        for item in items {
            let mut rest = item.trim();
            if rest.starts_with('(') {
                rest = rest.split_once(')').map_or("", |(_, r)| r).trim_start();
            }
            while let Some((tag, after)) = rest.split_once(':') {
                let tag = tag.trim();
                if tag == "NOPASSWD" {
                    nopasswd = true;
                } else if tag == "PASSWD" {
                    nopasswd = false;
                } else if !TAGS.contains(&tag) {
                    break;
                }
                rest = after.trim_start();
            }
            if self.is_all(rest.trim()) {
                all = true;
                all_nopasswd |= nopasswd;
            }
        }
        let at = Location::target(path).line(line);
        if all_nopasswd {
            scan.finding(
                checks::OS_SUDO_NOPASSWD,
                format!("sudo lets {who} run every command as root without a password"),
            )
            .at(at)
            .evidence(content.to_string());
        } else if all && who != "root" && !ADMIN_GROUPS.contains(&who.as_str()) {
            scan.finding(
                checks::OS_SUDO_ALL,
                format!("sudo lets {who} run every command as root"),
            )
            .at(at)
            .evidence(content.to_string());
        }
    }
}

const TAGS: &[&str] = &[
    "SETENV",
    "NOSETENV",
    "EXEC",
    "NOEXEC",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
];

/// An include directive and its argument.
fn include(line: &str) -> Option<(&str, &str)> {
    for d in ["#includedir", "@includedir", "#include", "@include"] {
        if let Some(rest) = line.strip_prefix(d)
            && rest.starts_with([' ', '\t'])
        {
            return Some((d, rest));
        }
    }
    None
}

/// A line without its comment (`#` not followed by a digit: `#1000` is
/// a user id).
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'#' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return line[..i].trim();
        }
    }
    line.trim()
}

/// Lines joined where they end in `\`, each with its first line number.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        let (start, mut acc) = current.take().unwrap_or((i as u32 + 1, String::new()));
        if let Some(head) = raw.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
            current = Some((start, acc));
        } else {
            acc.push_str(raw);
            out.push((start, acc));
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[(&str, &str)]) -> Vec<(String, String, u32)> {
        let map: BTreeMap<String, String> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let names: Vec<String> = map.keys().cloned().collect();
        let read = |p: &str| Ok(map.get(p).cloned());
        let mut scan = Scan::new(checks::catalogue());
        let mut s = Sudoers::new(&read, &names);
        s.file("etc/sudoers", 0, &mut scan);
        scan.findings()
            .iter()
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                (f.check_id.clone(), l.path.clone(), l.line.unwrap())
            })
            .collect()
    }

    #[test]
    fn sudoers_rules_includes_and_loops() {
        let found = run(&[
            (
                "etc/sudoers",
                "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n# alice ALL=(ALL) NOPASSWD: ALL\n@includedir /etc/sudoers.d\n#include extra\n",
            ),
            ("etc/sudoers.d/90-cloud", "ubuntu ALL=(ALL) NOPASSWD:ALL\n"),
            ("etc/sudoers.d/README", "# nothing\n"),
            (
                "etc/sudoers.d/50-ci",
                "Defaults:ci !authenticate\nci ALL=(ALL) ALL\n",
            ),
            ("etc/sudoers.d/ignored.bak", "eve ALL=(ALL) NOPASSWD: ALL\n"),
            (
                "etc/extra",
                "Cmnd_Alias EVERYTHING = ALL\n%ml-ops ALL = (root) \\\n  EVERYTHING\ndeploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart api\n#include /etc/sudoers\n",
            ),
        ]);
        assert_eq!(
            found,
            vec![
                (
                    "IAM-OS-SUDO-NOPASSWD-ALL".into(),
                    "etc/sudoers.d/50-ci".into(),
                    2
                ),
                (
                    "IAM-OS-SUDO-NOPASSWD-ALL".into(),
                    "etc/sudoers.d/90-cloud".into(),
                    1
                ),
                ("IAM-OS-SUDO-UNRESTRICTED".into(), "etc/extra".into(), 2),
            ]
        );
    }

    #[test]
    fn passwd_and_group() {
        let mut scan = Scan::new(checks::catalogue());
        let passwd = "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nci:x:1001:998::/home/ci:/bin/sh\n";
        check_passwd("etc/passwd", passwd, &mut scan);
        check_group(
            "etc/group",
            "root:x:0:\ndocker:x:998:alice\n",
            Some(passwd),
            &mut scan,
        );
        let f = scan.findings();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].location.as_ref().unwrap().line, Some(2));
        assert!(
            f[1].message.contains("alice, ci (primary group)"),
            "{}",
            f[1].message
        );
    }
}
