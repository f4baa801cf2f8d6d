//! aicomply's first-party plugin for the host domain (HOST-1 … HOST-5).
//!
//! The scan target is read as a root filesystem: a host's `/etc` copied
//! into a repository, an exported image filesystem, or `/` of a live host
//! (`--target /`, or the `host` root mapped with `--root host=/`). Each
//! configuration file is read the way the program that consumes it reads
//! it; a control whose evidence is absent is *not checked*.

pub mod checks;
pub mod firewall;
pub mod osrelease;
pub mod packages;
pub mod sshd;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;

use aicomply_sdk::fs::read_text;
use aicomply_sdk::{Capability, Context, Location, Plugin, PluginInfo, Scan, Severity};
use packages::{Family, Packages};

const MAX_FILE: u64 = 8 << 20;

pub struct HostPlugin;

impl Plugin for HostPlugin {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "host".into(),
            name: "Host and infrastructure".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            domain: "host".into(),
            description: "OS support, patching, installed software, SSH, firewall, auditing, logs and backups of a \
                          host snapshot or root filesystem (HOST-1 … HOST-5)."
                .into(),
            checks: checks::catalogue(),
            capabilities: vec![
                Capability::fs_read("target", "reads the target as a root filesystem"),
                Capability::fs_read("host", "reads a live host's root filesystem instead, when the operator maps it"),
            ],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let (root, name) = match ctx.root("host") {
            Some(r) => (r, "host"),
            None => (ctx.target()?, "target"),
        };
        check_root(&Root::new(root.to_path_buf(), name), scan);
        Ok(())
    }
}

aicomply_sdk::export_plugin!(HostPlugin);

/// A root filesystem, read by absolute paths (`/etc/ssh/sshd_config`).
///
/// A file that is absent is evidence (of a default, or of a missing
/// setting); one that is there but could not be read (a FIFO, a device,
/// over the size limit, no permission) is not: it is recorded with the
/// checks being evaluated at the time, which [`Root::report_gaps`] marks
/// incomplete, so no check passes on a file it did not see.
pub struct Root {
    pub base: PathBuf,
    /// The root's name for locations (`target` or `host`).
    pub name: String,
    /// Counts the files read, for the host's progress display.
    pub progress: aicomply_sdk::Progress,
    /// The checks the files read now are evidence for.
    evidence_for: Cell<&'static [&'static str]>,
    /// Paths there but not examined: (path, reason, detail, checks).
    gaps: RefCell<Vec<Gap>>,
}

struct Gap {
    path: String,
    reason: aicomply_sdk::SkipReason,
    detail: String,
    checks: &'static [&'static str],
}

impl Root {
    pub fn new(base: PathBuf, name: &str) -> Self {
        Root {
            base,
            name: name.into(),
            progress: aicomply_sdk::Progress::new(None),
            evidence_for: Cell::new(&[]),
            gaps: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn path(&self, abs: &str) -> PathBuf {
        self.base.join(abs.trim_start_matches('/'))
    }

    /// The checks whose evidence is read from here on.
    fn reading_for(&self, checks: &'static [&'static str]) {
        self.evidence_for.set(checks);
    }

    fn gap(&self, abs: &str, reason: aicomply_sdk::SkipReason, detail: String) {
        let path = abs.trim_start_matches('/').to_string();
        let mut gaps = self.gaps.borrow_mut();
        if !gaps.iter().any(|g| g.path == path) {
            gaps.push(Gap {
                path,
                reason,
                detail,
                checks: self.evidence_for.get(),
            });
        }
    }

    /// The text of a file, or `None` when it is absent or was not read
    /// (recorded as a gap).
    pub(crate) fn read(&self, abs: &str) -> Option<String> {
        match read_text(&self.path(abs), MAX_FILE) {
            Ok(text) => {
                self.progress.file_done();
                Some(text)
            }
            Err(e) if e.is_missing() => None,
            // A folder where a file is looked for (a name met in a listing)
            // is not a file that went unread.
            Err(aicomply_sdk::fs::ReadError::NotRegular("folder")) => None,
            Err(e) => {
                self.gap(abs, e.skip_reason(), e.to_string());
                None
            }
        }
    }

    /// Whether anything is at the path (without opening it).
    fn exists(&self, abs: &str) -> bool {
        std::fs::symlink_metadata(self.path(abs)).is_ok()
    }

    /// The names in a folder; a folder there but not listable is a gap.
    fn list(&self, dir: &str) -> Vec<String> {
        if !self.exists(dir) {
            return Vec::new();
        }
        match aicomply_sdk::fs::list_names(&self.path(dir)) {
            Ok((names, problems)) => {
                for p in problems {
                    self.gap(&format!("{dir}/?"), aicomply_sdk::SkipReason::BadName, p);
                }
                names
            }
            Err(e) => {
                self.gap(
                    dir,
                    aicomply_sdk::SkipReason::Unreadable,
                    format!("folder not listed: {e}"),
                );
                Vec::new()
            }
        }
    }

    /// Report every gap, and mark the checks it was evidence for incomplete.
    pub fn report_gaps(&self, scan: &mut Scan) {
        for g in self.gaps.borrow().iter() {
            scan.skipped(self.at(&g.path, 0), g.reason, g.detail.clone());
            for check in g.checks {
                scan.incomplete(check, format!("{} was not examined: {}", g.path, g.detail));
            }
        }
    }

    fn at(&self, abs: &str, line: u32) -> Location {
        let mut loc = Location {
            root: self.name.clone(),
            ..Location::target(abs.trim_start_matches('/'))
        };
        if line > 0 {
            loc.line = Some(line);
        }
        loc
    }
}

impl sshd::Files for Root {
    fn read(&self, path: &str) -> Option<String> {
        Root::read(self, path)
    }
    fn list(&self, dir: &str) -> Vec<String> {
        Root::list(self, dir)
    }
}

fn mark(scan: &mut Scan, ids: &[&str], evaluated: bool, reason: &str) {
    for id in ids {
        if evaluated {
            scan.evaluated(id);
        } else {
            scan.not_checked(id, reason);
        }
    }
}

/// Evaluate every check against a root filesystem.
pub fn check_root(root: &Root, scan: &mut Scan) {
    check_sections(root, scan);
    root.report_gaps(scan);
}

fn check_sections(root: &Root, scan: &mut Scan) {
    use checks::*;
    root.reading_for(&[OS_EOL]);
    let os = root
        .read("/etc/os-release")
        .or_else(|| root.read("/usr/lib/os-release"));
    if os.is_none() && !root.exists("/etc/passwd") {
        let all: Vec<String> = checks::catalogue().into_iter().map(|c| c.id).collect();
        for id in &all {
            scan.not_checked(
                id,
                "the target is not a root filesystem (no etc/os-release or etc/passwd)",
            );
        }
        return;
    }
    // The package database is evidence for every check about software.
    root.reading_for(&[
        UNNEEDED_SERVICE,
        DEV_TOOLS,
        AUTO_UPDATES,
        FW_MISSING,
        AUDIT,
        AGENT,
        BACKUP,
        LOGGING,
    ]);
    let packages = packages::load(root).map_err(|(reason, unreadable)| {
        if let Some((path, message)) = unreadable {
            scan.diagnostic(root.at(&path, 0), message);
        }
        reason
    });
    os_support(root, os.as_deref(), scan);
    scan.checkpoint();
    root.reading_for(&[SYSCTL]);
    sysctl(root, scan);
    scan.checkpoint();
    root.reading_for(&[AUTO_UPDATES, APT_UNSIGNED, UNNEEDED_SERVICE, DEV_TOOLS]);
    software(root, &packages, scan);
    scan.checkpoint();
    root.reading_for(&[SSH_ROOT, SSH_PASSWORD, SSH_EMPTY, SSH_HARDENING]);
    ssh(root, scan);
    scan.checkpoint();
    root.reading_for(&[FW_MISSING, FW_DEFAULT, FW_PORTS, FW_LOGGING]);
    firewall(root, packages.as_ref().ok(), scan);
    scan.checkpoint();
    root.reading_for(&[AUDIT, BACKUP, LOGGING, AGENT]);
    monitoring(root, &packages, scan);
}

/// The line of os-release's last `VERSION_ID=` (0 without one).
fn version_line(text: &str) -> u32 {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("VERSION_ID="))
        .last()
        .map_or(0, |(i, _)| i as u32 + 1)
}

fn os_support(root: &Root, os: Option<&str>, scan: &mut Scan) {
    let Some(text) = os else {
        return scan.not_checked(checks::OS_EOL, "no etc/os-release");
    };
    let release = osrelease::parse(text);
    let (id, version) = (
        release.get("ID").map(String::as_str).unwrap_or(""),
        release.get("VERSION_ID").map(String::as_str).unwrap_or(""),
    );
    match osrelease::end_of_support(id, version) {
        None => scan.not_checked(
            checks::OS_EOL,
            format!(
                "{id} {version} is not in the end-of-support table (as of {})",
                osrelease::TABLE_DATE
            ),
        ),
        Some(date) => {
            let today = osrelease::today();
            if *date < *today.as_str() {
                let name = release
                    .get("PRETTY_NAME")
                    .cloned()
                    .unwrap_or(format!("{id} {version}"));
                scan.finding(
                    checks::OS_EOL,
                    format!(
                        "{name} lost standard security support on {date} (table as of {})",
                        osrelease::TABLE_DATE
                    ),
                )
                .at(root.at("/etc/os-release", version_line(text)))
                .evidence(format!("ID={id} VERSION_ID={version}"));
            } else {
                scan.evaluated(checks::OS_EOL);
            }
        }
    }
}

/// sysctl.d semantics: files by name across the directories (earlier
/// directory wins a name), applied in lexical order, /etc/sysctl.conf
/// last; the last assignment of a key wins.
fn sysctl(root: &Root, scan: &mut Scan) {
    let dirs = [
        "/etc/sysctl.d",
        "/run/sysctl.d",
        "/usr/local/lib/sysctl.d",
        "/usr/lib/sysctl.d",
        "/lib/sysctl.d",
    ];
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    for dir in dirs {
        for name in root.list(dir).into_iter().filter(|n| n.ends_with(".conf")) {
            by_name
                .entry(name.clone())
                .or_insert(format!("{dir}/{name}"));
        }
    }
    let mut files: Vec<String> = by_name.into_values().collect();
    if root.exists("/etc/sysctl.conf") {
        files.push("/etc/sysctl.conf".into());
    }
    if files.is_empty() {
        return scan.not_checked(
            checks::SYSCTL,
            "no sysctl configuration (etc/sysctl.conf, sysctl.d)",
        );
    }
    let mut values: BTreeMap<String, (String, String, u32)> = BTreeMap::new();
    for f in &files {
        let Some(text) = root.read(f) else { continue };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some((k, v)) = line.trim_start_matches('-').split_once('=') {
                values.insert(
                    k.trim().replace('/', "."),
                    (v.trim().to_string(), f.clone(), i as u32 + 1),
                );
            }
        }
    }
    const HARDENED: &[(&str, &str, &str)] = &[
        (
            "kernel.randomize_va_space",
            "2",
            "address space layout randomisation",
        ),
        ("net.ipv4.conf.all.accept_redirects", "0", "ICMP redirects"),
        (
            "net.ipv4.conf.all.send_redirects",
            "0",
            "sending ICMP redirects",
        ),
        (
            "net.ipv4.conf.all.accept_source_route",
            "0",
            "source-routed packets",
        ),
        ("net.ipv4.tcp_syncookies", "1", "SYN flood protection"),
        ("kernel.kptr_restrict", "1", "kernel pointer hiding"),
        ("fs.suid_dumpable", "0", "core dumps of setuid programs"),
    ];
    for (key, good, what) in HARDENED {
        if let Some((value, file, line)) = values.get(*key) {
            let weakened = match *key {
                "kernel.kptr_restrict" => value == "0",
                _ => value != good,
            };
            if weakened {
                scan.finding(
                    checks::SYSCTL,
                    format!("{key} = {value} weakens {what} (hardened value: {good})"),
                )
                .at(root.at(file, *line))
                .evidence(format!("{key} = {value}"));
            }
        }
    }
    scan.evaluated(checks::SYSCTL);
}

fn software(root: &Root, packages: &Result<Packages, String>, scan: &mut Scan) {
    // APT sources: signature checks disabled.
    let mut sources: Vec<String> = Vec::new();
    if root.exists("/etc/apt/sources.list") {
        sources.push("/etc/apt/sources.list".into());
    }
    for n in root.list("/etc/apt/sources.list.d") {
        if n.ends_with(".list") || n.ends_with(".sources") {
            sources.push(format!("/etc/apt/sources.list.d/{n}"));
        }
    }
    for f in &sources {
        let Some(text) = root.read(f) else { continue };
        for (i, line) in text.lines().enumerate() {
            let l = line.trim().to_ascii_lowercase();
            if l.starts_with('#') {
                continue;
            }
            let one_line = l.starts_with("deb")
                && (l.contains("trusted=yes")
                    || l.contains("allow-insecure=yes")
                    || l.contains("allow-weak=yes"));
            let deb822 = l.starts_with("trusted:") && l.ends_with("yes")
                || l.starts_with("allow-insecure:") && l.ends_with("yes");
            if one_line || deb822 {
                scan.finding(
                    checks::APT_UNSIGNED,
                    "packages from this source are installed without verifying their signatures",
                )
                .at(root.at(f, i as u32 + 1))
                .evidence(line.trim().to_string());
            }
        }
    }
    mark(
        scan,
        &[checks::APT_UNSIGNED],
        !sources.is_empty(),
        "no APT sources (etc/apt/sources.list*)",
    );

    let rpm_family = root.exists("/etc/dnf") || root.exists("/etc/yum.repos.d");
    let pkgs = match packages {
        Ok(p) => p,
        Err(reason) => {
            // Without a package database, dnf-automatic is still judged by
            // its configuration files.
            if rpm_family {
                dnf_automatic(root, None, scan);
            } else {
                scan.not_checked(
                    checks::AUTO_UPDATES,
                    format!("{reason}, and no dnf configuration"),
                );
            }
            return mark(
                scan,
                &[checks::UNNEEDED_SERVICE, checks::DEV_TOOLS],
                false,
                reason,
            );
        }
    };
    // Names on Debian and on RPM-family systems.
    const LEGACY: &[&str] = &[
        "telnetd",
        "inetutils-telnetd",
        "telnetd-ssl",
        "rsh-server",
        "rsh-redone-server",
        "xinetd",
        "vsftpd",
        "nis",
        "talkd",
        "inetutils-talkd",
        "tftpd",
        "tftpd-hpa",
        "rpcbind",
        "ypserv",
        "telnet-server",
        "talk-server",
        "tftp-server",
        "ypbind",
    ];
    const TOOLS: &[&str] = &[
        "gcc",
        "g++",
        "clang",
        "make",
        "gdb",
        "strace",
        "ltrace",
        "tcpdump",
        "netcat-openbsd",
        "netcat-traditional",
        "ncat",
        "nmap",
        "telnet",
        "gcc-c++",
        "nmap-ncat",
    ];
    for p in pkgs.any_of(LEGACY) {
        let version = &pkgs.installed[p];
        scan.finding(
            checks::UNNEEDED_SERVICE,
            format!("package {p} {version} is installed"),
        )
        .at(root.at(&pkgs.path, pkgs.lines.get(p).copied().unwrap_or(0)))
        .evidence(format!("{p} {version}"));
    }
    let tools = pkgs.any_of(TOOLS);
    if !tools.is_empty() {
        // At the first of them; the message names them all.
        let line = tools
            .iter()
            .filter_map(|t| pkgs.lines.get(*t))
            .min()
            .copied()
            .unwrap_or(0);
        scan.finding(
            checks::DEV_TOOLS,
            format!("installed: {}", tools.join(", ")),
        )
        .at(root.at(&pkgs.path, line));
    }
    mark(
        scan,
        &[checks::UNNEEDED_SERVICE, checks::DEV_TOOLS],
        true,
        "",
    );

    if pkgs.family == Family::Rpm {
        return dnf_automatic(root, Some(pkgs), scan);
    }
    // Automatic updates: the package, and both APT::Periodic settings that
    // apt.systemd.daily reads (the last value in apt.conf.d order wins;
    // both default to "0", off). Refreshing the lists alone
    // (`apt-get update`) upgrades nothing.
    let mut setting: BTreeMap<&str, (bool, String, u32, String)> = BTreeMap::new();
    for n in root.list("/etc/apt/apt.conf.d") {
        let f = format!("/etc/apt/apt.conf.d/{n}");
        let Some(text) = root.read(&f) else { continue };
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            for key in ["Unattended-Upgrade", "Update-Package-Lists"] {
                if l.strip_prefix("APT::Periodic::").is_some_and(|r| {
                    r.starts_with(key) && r[key.len()..].trim_start().starts_with('"')
                }) {
                    let value = l.split('"').nth(1).unwrap_or("0");
                    let on = value.trim().parse::<u32>().is_ok_and(|d| d > 0)
                        || value.eq_ignore_ascii_case("always");
                    setting.insert(key, (on, f.clone(), i as u32 + 1, l.to_string()));
                }
            }
        }
    }
    if !pkgs.has("unattended-upgrades") {
        scan.finding(
            checks::AUTO_UPDATES,
            "unattended-upgrades is not installed: security updates wait for someone to apply them",
        )
        .at(root.at(&pkgs.path, 0));
        return;
    }
    match setting.get("Unattended-Upgrade") {
        Some((false, f, line, text)) => {
            scan.finding(
                checks::AUTO_UPDATES,
                "unattended-upgrades is installed but switched off",
            )
            .at(root.at(f, *line))
            .evidence(text.clone());
            return;
        }
        None => {
            scan.finding(checks::AUTO_UPDATES, "unattended-upgrades is installed but never runs: no file in /etc/apt/apt.conf.d sets APT::Periodic::Unattended-Upgrade (the default is \"0\")")
                .at(root.at("/etc/apt/apt.conf.d", 0));
            return;
        }
        Some((true, ..)) => {}
    }
    match setting.get("Update-Package-Lists") {
        Some((false, f, line, text)) => {
            scan.finding(checks::AUTO_UPDATES, "unattended upgrades are on but the package lists are never refreshed, so no new update is seen")
                .at(root.at(f, *line))
                .evidence(text.clone());
        }
        None => {
            scan.finding(checks::AUTO_UPDATES, "unattended upgrades are on but APT::Periodic::Update-Package-Lists is not set (the default is \"0\"), so no new update is seen")
                .at(root.at("/etc/apt/apt.conf.d", 0));
        }
        Some((true, ..)) => scan.evaluated(checks::AUTO_UPDATES),
    }
}

/// dnf-automatic: installed (by the package database where there is one,
/// else by its configuration file), applying updates, and its timer enabled.
fn dnf_automatic(root: &Root, packages: Option<&Packages>, scan: &mut Scan) {
    let conf = "/etc/dnf/automatic.conf";
    if let Some(p) = packages.filter(|p| !p.has("dnf-automatic") && !p.has("dnf5-plugin-automatic"))
    {
        scan.finding(
            checks::AUTO_UPDATES,
            "dnf-automatic is not installed: security updates wait for someone to apply them",
        )
        .at(root.at(&p.path, 0));
        return;
    }
    let Some(text) = root.read(conf) else {
        scan.finding(checks::AUTO_UPDATES, "dnf-automatic is not installed (no /etc/dnf/automatic.conf): security updates wait for someone to apply them")
            .at(root.at("/etc/dnf", 0));
        return;
    };
    let apply = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim().replace(' ', "").starts_with("apply_updates="));
    match apply {
        Some((i, l))
            if !l
                .split('=')
                .nth(1)
                .is_some_and(|v| matches!(v.trim(), "yes" | "True" | "true" | "1")) =>
        {
            scan.finding(
                checks::AUTO_UPDATES,
                "dnf-automatic downloads updates but does not apply them",
            )
            .at(root.at(conf, i as u32 + 1))
            .evidence(l.trim().to_string());
        }
        None => {
            scan.finding(checks::AUTO_UPDATES, "dnf-automatic does not apply updates (apply_updates is not set; the default is no)").at(root.at(conf, 0));
        }
        Some(_) => {
            let wants = root.list("/etc/systemd/system/timers.target.wants");
            if !wants.iter().any(|w| w.starts_with("dnf-automatic")) {
                scan.finding(
                    checks::AUTO_UPDATES,
                    "dnf-automatic is configured but its timer is not enabled",
                )
                .at(root.at("/etc/systemd/system/timers.target.wants", 0));
            } else {
                scan.evaluated(checks::AUTO_UPDATES);
            }
        }
    }
}

fn ssh(root: &Root, scan: &mut Scan) {
    let ids = [
        checks::SSH_ROOT,
        checks::SSH_PASSWORD,
        checks::SSH_EMPTY,
        checks::SSH_HARDENING,
    ];
    let Some(cfg) = sshd::parse(root, "/etc/ssh/sshd_config") else {
        return mark(
            scan,
            &ids,
            false,
            "no sshd configuration (etc/ssh/sshd_config)",
        );
    };
    for p in &cfg.problems {
        scan.diagnostic(root.at("/etc/ssh/sshd_config", 0), p.clone());
    }
    // sshd's compiled-in defaults (OpenSSH 9).
    let get = |k: &str, default: &str| -> (String, Option<sshd::Setting>) {
        match cfg.global.get(k) {
            Some(s) => (s.value.to_ascii_lowercase(), Some(s.clone())),
            None => (default.to_string(), None),
        }
    };
    let report = |scan: &mut Scan, id: &str, msg: String, s: &Option<sshd::Setting>| {
        let loc = match s {
            Some(s) => root.at(&s.file, s.line),
            None => root.at("/etc/ssh/sshd_config", 0),
        };
        let f = scan.finding(id, msg).at(loc);
        if let Some(s) = s {
            f.evidence(format!("{} (in {})", s.value, s.file));
        }
    };
    let (v, s) = get("permitrootlogin", "prohibit-password");
    if v == "yes" {
        report(
            scan,
            checks::SSH_ROOT,
            "PermitRootLogin yes: root can log in with a password".into(),
            &s,
        );
    }
    let (v, s) = get("passwordauthentication", "yes");
    if v == "yes" {
        let why = if s.is_none() {
            "PasswordAuthentication is not set, and sshd's default is yes"
        } else {
            "PasswordAuthentication yes"
        };
        report(scan, checks::SSH_PASSWORD, why.into(), &s);
    }
    let (v, s) = get("permitemptypasswords", "no");
    if v == "yes" {
        report(
            scan,
            checks::SSH_EMPTY,
            "PermitEmptyPasswords yes: accounts without a password can log in".into(),
            &s,
        );
    }
    let (v, s) = get("maxauthtries", "6");
    if v.parse::<u32>().unwrap_or(6) > 4 {
        report(
            scan,
            checks::SSH_HARDENING,
            format!("MaxAuthTries {v} (at most 4)"),
            &s,
        );
    }
    let (v, s) = get("x11forwarding", "no");
    if v == "yes" {
        report(scan, checks::SSH_HARDENING, "X11Forwarding yes".into(), &s);
    }
    let (v, s) = get("logingracetime", "120");
    if duration_secs(&v).is_none_or(|secs| secs == 0 || secs > 60) {
        report(
            scan,
            checks::SSH_HARDENING,
            format!("LoginGraceTime {v} (at most 60 seconds)"),
            &s,
        );
    }
    let (v, s) = get("clientaliveinterval", "0");
    if duration_secs(&v).is_none_or(|secs| secs == 0 || secs > 900) {
        report(
            scan,
            checks::SSH_HARDENING,
            format!(
                "ClientAliveInterval {v}: idle sessions are never closed (set 1-900 seconds with ClientAliveCountMax)"
            ),
            &s,
        );
    }
    let (v, s) = get("permituserenvironment", "no");
    if v == "yes" {
        report(
            scan,
            checks::SSH_HARDENING,
            "PermitUserEnvironment yes".into(),
            &s,
        );
    }
    for (key, weak) in [
        (
            "ciphers",
            &[
                "3des-cbc",
                "aes128-cbc",
                "aes192-cbc",
                "aes256-cbc",
                "arcfour",
                "blowfish-cbc",
                "cast128-cbc",
            ][..],
        ),
        (
            "macs",
            &[
                "hmac-md5",
                "hmac-sha1",
                "umac-64@openssh.com",
                "hmac-md5-96",
                "hmac-sha1-96",
            ][..],
        ),
    ] {
        let (v, s) = get(key, "");
        let found: Vec<&str> = v
            .trim_start_matches('+')
            .split(',')
            .filter(|c| weak.contains(c))
            .collect();
        if !found.is_empty() {
            report(
                scan,
                checks::SSH_HARDENING,
                format!("{key} allows weak algorithms: {}", found.join(", ")),
                &s,
            );
        }
    }
    // `yes` inside a Match block applies only to the matching connections;
    // each is reported at the severity given here.
    const MATCHED: &[(&str, &str, &str, Severity)] = &[
        (
            "permitrootlogin",
            "PermitRootLogin",
            checks::SSH_ROOT,
            Severity::Medium,
        ),
        (
            "passwordauthentication",
            "PasswordAuthentication",
            checks::SSH_PASSWORD,
            Severity::Low,
        ),
    ];
    for (criteria, key, s) in &cfg.matched {
        for (keyword, name, check, severity) in MATCHED {
            if key == keyword && s.value.eq_ignore_ascii_case("yes") {
                scan.finding(
                    check,
                    format!("{name} yes for connections matching {criteria}"),
                )
                .at(root.at(&s.file, s.line))
                .severity(*severity);
            }
        }
    }
    mark(scan, &ids, true, "");
}

/// An sshd time value (`90`, `2m`, `1h30m`) in seconds.
fn duration_secs(v: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut num = String::new();
    for c in v.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total += n * match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
    }
    if !num.is_empty() {
        total += num.parse::<u64>().ok()?;
    }
    Some(total)
}

fn firewall(root: &Root, packages: Option<&Packages>, scan: &mut Scan) {
    let ids = [checks::FW_MISSING, checks::FW_DEFAULT, checks::FW_PORTS];
    let mut fw = firewall::Inbound::default();
    let mut read_any = false;
    let ufw_enabled_file = "/etc/ufw/ufw.conf";
    for f in ["/etc/default/ufw", ufw_enabled_file] {
        if let Some(t) = root.read(f) {
            firewall::ufw_settings(&t, f, &mut fw);
            read_any = true;
        }
    }
    for f in [
        "/etc/ufw/user.rules",
        "/etc/ufw/user6.rules",
        "/etc/iptables/rules.v4",
        "/etc/iptables/rules.v6",
        "/etc/sysconfig/iptables",
    ] {
        if let Some(t) = root.read(f) {
            firewall::iptables(&t, f, &mut fw);
            read_any = true;
        }
    }
    if let Some(t) = root.read("/etc/nftables.conf") {
        firewall::nftables(&t, "/etc/nftables.conf", &mut fw);
        read_any = true;
    }
    const FIREWALLS: &[&str] = &[
        "ufw",
        "nftables",
        "iptables-persistent",
        "netfilter-persistent",
        "firewalld",
        "iptables-services",
    ];
    let installed = packages.map(|p| !p.any_of(FIREWALLS).is_empty());
    if !read_any {
        if installed == Some(false) {
            scan.finding(
                checks::FW_MISSING,
                format!(
                    "no firewall package is installed ({})",
                    FIREWALLS.join(", ")
                ),
            )
            .at(root.at(packages.map_or("/", |p| &p.path), 0));
            scan.not_checked(checks::FW_LOGGING, "no firewall is installed");
            return mark(scan, &ids[1..], false, "no firewall is installed");
        }
        scan.not_checked(
            checks::FW_LOGGING,
            "no firewall configuration (ufw, iptables rules, nftables.conf)",
        );
        return mark(
            scan,
            &ids,
            false,
            "no firewall configuration (ufw, iptables rules, nftables.conf)",
        );
    }
    if let Some((false, f, line)) = &fw.enabled {
        scan.finding(
            checks::FW_MISSING,
            "ufw is installed but not enabled (ENABLED=no)",
        )
        .at(root.at(f, *line))
        .evidence("ENABLED=no");
    }
    for (label, policy) in [
        ("input", &fw.default_accept),
        ("forward", &fw.forward_accept),
    ] {
        if let Some((true, f, line)) = policy {
            scan.finding(
                checks::FW_DEFAULT,
                format!("the default {label} policy accepts traffic"),
            )
            .at(root.at(f, *line));
        }
    }
    // Logging is judged where ufw is on: its LOGLEVEL (default low).
    match &fw.enabled {
        Some((true, _, _)) => {
            if let Some((false, f, line)) = &fw.logging {
                scan.finding(
                    checks::FW_LOGGING,
                    "ufw logs nothing (LOGLEVEL=off): refused connections leave no trace",
                )
                .at(root.at(f, *line))
                .evidence("LOGLEVEL=off");
            }
            scan.evaluated(checks::FW_LOGGING);
        }
        _ => scan.not_checked(
            checks::FW_LOGGING,
            "firewall logging is judged from an enabled ufw's ufw.conf; no enabled ufw in the target",
        ),
    }
    let mut seen = std::collections::BTreeSet::new();
    for o in &fw.open {
        if o.port == "443" || o.port == "https" || !seen.insert((o.port.clone(), o.source.clone()))
        {
            continue;
        }
        let f = scan.finding(
            checks::FW_PORTS,
            match &o.source {
                None => format!("port {} is open to every address", o.port),
                Some(src) => format!("port {} is open to {src}", o.port),
            },
        );
        f.at(root.at(&o.file, o.line));
        if o.source.is_some() {
            // Restricted to a source range: reported, but not a failure.
            f.severity(Severity::Info);
        }
    }
    mark(scan, &ids, true, "");
}

fn monitoring(root: &Root, packages: &Result<Packages, String>, scan: &mut Scan) {
    // auditd and its rules.
    let mut rules = String::new();
    let mut rule_files = Vec::new();
    for n in root
        .list("/etc/audit/rules.d")
        .into_iter()
        .filter(|n| n.ends_with(".rules"))
    {
        rule_files.push(format!("/etc/audit/rules.d/{n}"));
    }
    if rule_files.is_empty() && root.exists("/etc/audit/audit.rules") {
        rule_files.push("/etc/audit/audit.rules".into());
    }
    for f in &rule_files {
        if let Some(t) = root.read(f) {
            rules.push_str(&t);
            rules.push('\n');
        }
    }
    let auditd = packages
        .as_ref()
        .ok()
        .map(|p| (p.has("auditd") || p.has("audit"), &p.path));
    if let (Some((false, db)), true) = (auditd, rule_files.is_empty()) {
        scan.finding(
            checks::AUDIT,
            "auditd is not installed: changes to users, sudoers and logins leave no audit trail",
        )
        .at(root.at(db, 0));
    } else if !rule_files.is_empty() {
        let watched = |p: &str| {
            rules
                .lines()
                .any(|l| l.trim_start().starts_with("-w") && l.contains(p))
                || rules.lines().any(|l| l.contains(&format!("path={p}")))
        };
        let mut missing = Vec::new();
        for (what, paths) in [
            (
                "identity files",
                &["/etc/passwd", "/etc/shadow", "/etc/group"][..],
            ),
            ("sudoers", &["/etc/sudoers"][..]),
            (
                "logins",
                &["/var/log/lastlog", "/var/log/faillog", "/var/run/faillock"][..],
            ),
            (
                "the container runtime",
                &["/usr/bin/dockerd", "/usr/bin/containerd", "/var/lib/docker"][..],
            ),
        ] {
            if !paths.iter().any(|p| watched(p)) {
                missing.push(what);
            }
        }
        if !missing.is_empty() {
            scan.finding(
                checks::AUDIT,
                format!("no audit rules watch {}", missing.join(", ")),
            )
            .at(root.at(&rule_files[0], 0));
        }
        if !rules.lines().any(|l| l.trim() == "-e 2") {
            scan.finding(checks::AUDIT, "audit rules are not made immutable (-e 2): an attacker with root can switch auditing off").at(root.at(&rule_files[0], 0)).severity(Severity::Low);
        }
    }
    mark(
        scan,
        &[checks::AUDIT],
        auditd.is_some() || !rule_files.is_empty(),
        "no package database and no audit rules",
    );

    // Persistent logs.
    match root.read("/etc/systemd/journald.conf") {
        Some(t) => {
            if let Some((i, l)) = t.lines().enumerate().find(|(_, l)| {
                l.trim().eq_ignore_ascii_case("Storage=volatile")
                    || l.trim().eq_ignore_ascii_case("Storage=none")
            }) {
                scan.finding(
                    checks::LOGGING,
                    format!("journald keeps logs only in memory ({})", l.trim()),
                )
                .at(root.at("/etc/systemd/journald.conf", i as u32 + 1));
            }
            scan.evaluated(checks::LOGGING);
        }
        None => scan.not_checked(
            checks::LOGGING,
            "no journald configuration (etc/systemd/journald.conf)",
        ),
    }

    // Backup jobs in cron or systemd units.
    const BACKUP_TOOLS: &[&str] = &[
        "restic",
        "borg",
        "duplicity",
        "rsnapshot",
        "bacula",
        "rclone",
        "velero",
        "pg_dump",
        "mysqldump",
        "tar czf",
    ];
    let mut job_files = vec!["/etc/crontab".to_string()];
    for dir in [
        "/etc/cron.d",
        "/etc/cron.daily",
        "/etc/cron.weekly",
        "/var/spool/cron/crontabs",
        "/etc/systemd/system",
    ] {
        for n in root.list(dir) {
            job_files.push(format!("{dir}/{n}"));
        }
    }
    let found = job_files.iter().any(|f| {
        root.read(f).is_some_and(|t| {
            BACKUP_TOOLS.iter().any(|b| {
                t.lines()
                    .any(|l| !l.trim_start().starts_with('#') && l.contains(b))
            })
        })
    });
    if !found {
        scan.finding(
            checks::BACKUP,
            format!(
                "no cron job or systemd unit runs a backup tool ({})",
                BACKUP_TOOLS.join(", ")
            ),
        )
        .at(root.at("/etc", 0));
    }
    scan.evaluated(checks::BACKUP);

    // Endpoint or monitoring agent.
    match packages {
        Ok(p) => {
            const AGENTS: &[&str] = &[
                "osquery",
                "falco",
                "wazuh-agent",
                "clamav",
                "clamav-daemon",
                "falcon-sensor",
                "elastic-agent",
                "datadog-agent",
                "auditbeat",
                "sysdig",
                "ossec-hids-agent",
                "crowdstrike",
                "sentinelagent",
                "prometheus-node-exporter",
                "clamd",
                "node_exporter",
                "golang-github-prometheus-node-exporter",
                "amazon-cloudwatch-agent",
                "google-cloud-ops-agent",
                "mdatp",
            ];
            if p.any_of(AGENTS).is_empty() {
                scan.finding(
                    checks::AGENT,
                    "no endpoint protection or monitoring agent package is installed",
                )
                .at(root.at(&p.path, 0));
            }
            scan.evaluated(checks::AGENT);
        }
        Err(reason) => scan.not_checked(checks::AGENT, reason.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_root_filesystem_means_not_checked() {
        let dir = std::env::temp_dir().join(format!("aicomply-host-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut scan = Scan::new(checks::catalogue());
        check_root(&Root::new(dir.clone(), "target"), &mut scan);
        let out = scan.into_output();
        assert!(out.findings.is_empty() && out.evaluated.is_empty());
        assert_eq!(out.not_checked.len(), checks::catalogue().len());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unattended_upgrades_need_both_periodic_settings() {
        let dir = std::env::temp_dir().join(format!("aicomply-host-apt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc/apt/apt.conf.d")).unwrap();
        std::fs::create_dir_all(dir.join("var/lib/dpkg")).unwrap();
        std::fs::write(
            dir.join("etc/os-release"),
            "ID=ubuntu\nVERSION_ID=\"24.04\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("var/lib/dpkg/status"),
            "Package: unattended-upgrades\nStatus: install ok installed\nVersion: 2.9\n\n",
        )
        .unwrap();
        let auto = |text: Option<&str>| {
            let f = dir.join("etc/apt/apt.conf.d/20auto-upgrades");
            match text {
                Some(t) => std::fs::write(&f, t).unwrap(),
                None => {
                    let _ = std::fs::remove_file(&f);
                }
            }
            let (ids, _) = findings_of(dir.clone());
            ids.into_iter()
                .filter(|(c, _)| c == checks::AUTO_UPDATES)
                .map(|(_, at)| at)
                .collect::<Vec<_>>()
        };
        // No setting: off by default.
        assert_eq!(auto(None), ["etc/apt/apt.conf.d:0"]);
        // `apt-get update` every day, and no upgrade.
        assert_eq!(
            auto(Some("APT::Periodic::Update-Package-Lists \"1\";\n")),
            ["etc/apt/apt.conf.d:0"]
        );
        // Upgrades on, lists never refreshed.
        assert_eq!(
            auto(Some(
                "APT::Periodic::Update-Package-Lists \"0\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n"
            )),
            ["etc/apt/apt.conf.d/20auto-upgrades:1"]
        );
        assert!(auto(Some("APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n")).is_empty());
        // A later file switches it off: the last value wins.
        std::fs::write(
            dir.join("etc/apt/apt.conf.d/99local"),
            "APT::Periodic::Unattended-Upgrade \"0\";\n",
        )
        .unwrap();
        assert_eq!(
            auto(Some(
                "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n"
            )),
            ["etc/apt/apt.conf.d/99local:1"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ufw_logging_off_is_a_finding_where_ufw_is_on() {
        let dir = std::env::temp_dir().join(format!("aicomply-host-ufw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc/ufw")).unwrap();
        std::fs::write(
            dir.join("etc/os-release"),
            "ID=ubuntu\nVERSION_ID=\"24.04\"\n",
        )
        .unwrap();
        let run = |conf: &str| {
            std::fs::write(dir.join("etc/ufw/ufw.conf"), conf).unwrap();
            let mut scan = Scan::new(checks::catalogue());
            check_root(&Root::new(dir.clone(), "target"), &mut scan);
            let out = scan.into_output();
            let lines: Vec<_> = out
                .findings
                .iter()
                .filter(|f| f.check_id == checks::FW_LOGGING)
                .map(|f| f.location.as_ref().unwrap().line)
                .collect();
            let evaluated = out.evaluated.iter().any(|c| c == checks::FW_LOGGING);
            (lines, evaluated)
        };
        assert_eq!(
            run("# ufw\nENABLED=yes\nLOGLEVEL=off\n"),
            (vec![Some(3)], true)
        );
        assert_eq!(run("ENABLED=yes\nLOGLEVEL=OFF\n"), (vec![Some(2)], true));
        // ufw's default level is low.
        assert_eq!(run("ENABLED=yes\n"), (vec![], true));
        assert_eq!(run("ENABLED=yes\nLOGLEVEL=medium\n"), (vec![], true));
        // A ufw that is off is its own finding; its logging is not judged.
        assert_eq!(run("ENABLED=no\nLOGLEVEL=off\n"), (vec![], false));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dnf_automatic_on_rpm_hosts() {
        let dir = std::env::temp_dir().join(format!("aicomply-host-rpm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc/dnf")).unwrap();
        std::fs::write(dir.join("etc/os-release"), "ID=rocky\nVERSION_ID=9.4\n").unwrap();
        std::fs::write(
            dir.join("etc/dnf/automatic.conf"),
            "[commands]\nupgrade_type = security\napply_updates = no\n",
        )
        .unwrap();
        let run = |dir: &std::path::Path| {
            let mut scan = Scan::new(checks::catalogue());
            check_root(&Root::new(dir.to_path_buf(), "target"), &mut scan);
            scan.into_output()
        };
        let out = run(&dir);
        let f: Vec<_> = out
            .findings
            .iter()
            .filter(|f| f.check_id == checks::AUTO_UPDATES)
            .collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.as_ref().unwrap().line, Some(3));
        assert!(
            out.not_checked
                .iter()
                .any(|n| n.check_id == checks::UNNEEDED_SERVICE && n.reason.contains("RPM"))
        );
        std::fs::write(
            dir.join("etc/dnf/automatic.conf"),
            "[commands]\napply_updates = yes\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("etc/systemd/system/timers.target.wants")).unwrap();
        std::fs::write(
            dir.join("etc/systemd/system/timers.target.wants/dnf-automatic.timer"),
            "",
        )
        .unwrap();
        let out = run(&dir);
        assert!(out.evaluated.iter().any(|c| c == checks::AUTO_UPDATES));
        assert!(
            !out.findings
                .iter()
                .any(|f| f.check_id == checks::AUTO_UPDATES)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn findings_of(base: std::path::PathBuf) -> (Vec<(String, String)>, RunOutputSummary) {
        let mut scan = Scan::new(checks::catalogue());
        check_root(&Root::new(base, "target"), &mut scan);
        let mut ids: Vec<(String, String)> = scan
            .findings()
            .iter()
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                (
                    f.check_id.clone(),
                    format!("{}:{}", l.path, l.line.unwrap_or(0)),
                )
            })
            .collect();
        ids.sort();
        let incomplete: Vec<(String, String)> = scan
            .incomplete_checks()
            .iter()
            .map(|(c, r)| (c.clone(), r.clone()))
            .collect();
        let out = scan.into_output();
        (
            ids,
            RunOutputSummary {
                incomplete,
                messages: out.findings.iter().map(|f| f.message.clone()).collect(),
                diagnostics: out
                    .diagnostics
                    .iter()
                    .map(|d| format!("{}: {}", d.location.path, d.message))
                    .collect(),
                not_checked: out
                    .not_checked
                    .iter()
                    .map(|n| (n.check_id.clone(), n.reason.clone()))
                    .collect(),
            },
        )
    }

    struct RunOutputSummary {
        messages: Vec<String>,
        diagnostics: Vec<String>,
        not_checked: Vec<(String, String)>,
        incomplete: Vec<(String, String)>,
    }

    /// An RPM-family snapshot: the package checks read rpm's SQLite
    /// database and point at it.
    #[test]
    fn rpm_host_fixture() {
        let base =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/rpm-host");
        let (ids, out) = findings_of(base);
        let db = "var/lib/rpm/rpmdb.sqlite:0";
        let want = vec![
            ("HOST-AUDIT-RULES", db),
            ("HOST-AUTO-UPDATES", "etc/dnf/automatic.conf:4"),
            ("HOST-BACKUP-JOB", "etc:0"),
            ("HOST-DEV-TOOLS", db),
            ("HOST-ENDPOINT-AGENT", db),
            ("HOST-FIREWALL-MISSING", db),
            ("HOST-UNNEEDED-SERVICE", db),
        ];
        let want: Vec<(String, String)> = want
            .into_iter()
            .map(|(a, b)| (a.into(), b.into()))
            .collect();
        assert_eq!(ids, want, "{:#?}", out.messages);
        assert!(
            out.messages
                .iter()
                .any(|m| m == "package telnet-server 0.17-85.el9 is installed")
        );
        assert!(
            out.messages.iter().any(|m| m == "installed: gcc, gdb"),
            "{:#?}",
            out.messages
        );
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    }

    /// A package database that exists but cannot be read is a diagnostic
    /// naming the file, and the checks that need it say why they were not
    /// checked; nothing is reported as passed.
    #[test]
    fn unreadable_rpm_database_is_reported_not_passed() {
        let dir = std::env::temp_dir().join(format!("aicomply-host-badrpm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::create_dir_all(dir.join("var/lib/rpm")).unwrap();
        std::fs::write(dir.join("etc/os-release"), "ID=rocky\nVERSION_ID=9.4\n").unwrap();
        let mut db = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/rpm-host/var/lib/rpm/rpmdb.sqlite"),
        )
        .unwrap();
        db.truncate(4096 * 3);
        std::fs::write(dir.join("var/lib/rpm/rpmdb.sqlite"), db).unwrap();
        let (ids, out) = findings_of(dir.clone());
        assert!(
            !ids.iter()
                .any(|(c, _)| c == checks::UNNEEDED_SERVICE || c == checks::AGENT)
        );
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert!(
            out.diagnostics[0].starts_with(
                "var/lib/rpm/rpmdb.sqlite: cannot read the RPM package database: SQLite: page"
            ),
            "{:?}",
            out.diagnostics
        );
        // The database is there but unreadable: its checks are incomplete,
        // never passed, and not "not checked" either.
        for check in [checks::UNNEEDED_SERVICE, checks::DEV_TOOLS, checks::AGENT] {
            let reason = &out.incomplete.iter().find(|(c, _)| c == check).unwrap().1;
            assert!(
                reason.contains("var/lib/rpm/rpmdb.sqlite was not examined"),
                "{check}: {reason}"
            );
            assert!(!out.not_checked.iter().any(|(c, _)| c == check));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn snapshot_fixture() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/example-ai-service");
        let (ids, out) = findings_of(base);
        let expected: Vec<(&str, &str)> = vec![
            ("HOST-APT-UNSIGNED", "etc/apt/sources.list.d/vendor.list:1"),
            ("HOST-AUDIT-RULES", "etc/audit/rules.d/audit.rules:0"),
            ("HOST-AUDIT-RULES", "etc/audit/rules.d/audit.rules:0"),
            ("HOST-AUTO-UPDATES", "etc/apt/apt.conf.d/20auto-upgrades:2"),
            ("HOST-BACKUP-JOB", "etc:0"),
            ("HOST-DEV-TOOLS", "var/lib/dpkg/status:29"),
            ("HOST-ENDPOINT-AGENT", "var/lib/dpkg/status:0"),
            ("HOST-FIREWALL-DEFAULT-ACCEPT", "etc/default/ufw:2"),
            ("HOST-FIREWALL-OPEN-PORT", "etc/ufw/user.rules:5"),
            ("HOST-FIREWALL-OPEN-PORT", "etc/ufw/user.rules:6"),
            ("HOST-OS-END-OF-SUPPORT", "etc/os-release:6"),
            ("HOST-PERSISTENT-LOGS", "etc/systemd/journald.conf:2"),
            (
                "HOST-SSH-EMPTY-PASSWORDS",
                "etc/ssh/sshd_config.d/50-cloud.conf:2",
            ),
            ("HOST-SSH-HARDENING", "etc/ssh/sshd_config:0"),
            ("HOST-SSH-HARDENING", "etc/ssh/sshd_config:0"),
            ("HOST-SSH-HARDENING", "etc/ssh/sshd_config:10"),
            (
                "HOST-SSH-PASSWORD-AUTH",
                "etc/ssh/sshd_config.d/50-cloud.conf:1",
            ),
            ("HOST-SSH-PASSWORD-AUTH", "etc/ssh/sshd_config:20"),
            ("HOST-SSH-ROOT-LOGIN", "etc/ssh/sshd_config:12"),
            ("HOST-SYSCTL-HARDENING", "etc/sysctl.d/99-tuning.conf:2"),
            ("HOST-UNNEEDED-SERVICE", "var/lib/dpkg/status:22"),
        ];
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(ids, expected, "{:#?}", out.messages);
    }
}
