//! Hostile test plugin: tries to read outside the scan target and to change
//! files inside it. Each attempt is reported as a finding whose message
//! starts with `denied:` when the sandbox stopped it and `ESCAPED:` when it
//! did not, so the end-to-end test can tell containment from a leak.
//!
//! The test stages the target with these links (all pointing outside it):
//! `link-out` -> `../outside-secret.txt`, `link-abs` -> absolute path of the
//! same file, `dir-out` -> `..`, and a loop `loop-a` <-> `loop-b`.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::io::Write;
use std::path::Path;

use aicomply_sdk::{Capability, Check, Context, Plugin, PluginInfo, Scan, Severity};

struct FsEscape;

const ATTEMPTS: &[(&str, &str)] = &[
    ("ESCAPE-ABSOLUTE", "read /etc/passwd"),
    ("ESCAPE-DOTDOT", "read ../ above the target"),
    ("ESCAPE-DOTDOT-DEEP", "read through a subfolder and ../../"),
    (
        "ESCAPE-SYMLINK",
        "read a symlink pointing outside (relative)",
    ),
    (
        "ESCAPE-SYMLINK-ABS",
        "read a symlink pointing outside (absolute)",
    ),
    (
        "ESCAPE-SYMLINK-DIR",
        "read through a directory symlink pointing outside",
    ),
    (
        "ESCAPE-SYMLINK-SLASH",
        "list a directory symlink with a trailing slash",
    ),
    ("ESCAPE-SYMLINK-LOOP", "read a symlink loop"),
    ("ESCAPE-WRITE", "create a file in the target"),
    ("ESCAPE-APPEND", "append to a file in the target"),
    ("ESCAPE-TRUNCATE", "truncate a file in the target"),
    ("ESCAPE-RENAME", "rename a file in the target"),
    ("ESCAPE-DELETE", "delete a file in the target"),
    ("ESCAPE-MKDIR", "create a folder in the target"),
    ("ESCAPE-LINK-CREATE", "create a hard link in the target"),
    ("ESCAPE-META-DOTDOT", "file-meta of ../ above the target"),
    (
        "ESCAPE-META-SYMLINK-DIR",
        "file-meta through a directory symlink pointing outside",
    ),
    ("ESCAPE-META-ABSOLUTE", "file-meta of an absolute path"),
];

impl Plugin for FsEscape {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "fs-escape".into(),
            name: "Filesystem escape attempts".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: tries to leave its read-only sandbox.".into(),
            checks: ATTEMPTS
                .iter()
                .map(|(id, title)| Check::new(id, "CODE-4", Severity::Info, title, "none", &[]))
                .collect(),
            capabilities: vec![
                Capability::fs_read("target", "tries to leave it"),
                Capability::file_meta("target", "tries to leave it"),
            ],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let t = ctx.target()?;
        let read = |p: &Path| std::fs::read_to_string(p);
        let mut report = |id: &str, r: std::io::Result<String>| {
            let msg = match r {
                Ok(content) => format!("ESCAPED: {}", content.chars().take(80).collect::<String>()),
                Err(e) => format!("denied: {e}"),
            };
            scan.finding(id, msg);
        };
        report("ESCAPE-ABSOLUTE", read(Path::new("/etc/passwd")));
        report("ESCAPE-DOTDOT", read(&t.join("../outside-secret.txt")));
        report(
            "ESCAPE-DOTDOT-DEEP",
            read(&t.join("deploy/k8s/../../../outside-secret.txt")),
        );
        report("ESCAPE-SYMLINK", read(&t.join("link-out")));
        report("ESCAPE-SYMLINK-ABS", read(&t.join("link-abs")));
        report(
            "ESCAPE-SYMLINK-DIR",
            read(&t.join("dir-out/outside-secret.txt")),
        );
        report(
            "ESCAPE-SYMLINK-SLASH",
            std::fs::read_dir(t.join("dir-out/")).map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        );
        report("ESCAPE-SYMLINK-LOOP", read(&t.join("loop-a")));
        let done = |what: &str| what.to_string();
        report(
            "ESCAPE-WRITE",
            std::fs::write(t.join("planted-by-plugin.txt"), "pwned")
                .map(|_| done("created a file")),
        );
        report(
            "ESCAPE-APPEND",
            std::fs::OpenOptions::new()
                .append(true)
                .open(t.join("Dockerfile"))
                .and_then(|mut f| f.write_all(b"\nUSER root\n"))
                .map(|_| done("appended to Dockerfile")),
        );
        report(
            "ESCAPE-TRUNCATE",
            std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(t.join("Dockerfile"))
                .map(|_| done("truncated Dockerfile")),
        );
        report(
            "ESCAPE-RENAME",
            std::fs::rename(t.join("Dockerfile"), t.join("Dockerfile.moved"))
                .map(|_| done("renamed Dockerfile")),
        );
        report(
            "ESCAPE-DELETE",
            std::fs::remove_file(t.join("README.md")).map(|_| done("deleted README.md")),
        );
        report(
            "ESCAPE-MKDIR",
            std::fs::create_dir(t.join("planted-dir")).map(|_| done("created a folder")),
        );
        report(
            "ESCAPE-LINK-CREATE",
            std::fs::hard_link(t.join("Dockerfile"), t.join("planted-link"))
                .map(|_| done("created a hard link")),
        );
        let meta = |path: &str| {
            ctx.file_meta("target", path)
                .map(|m| format!("mode {:o} uid {} size {}", m.mode, m.uid, m.size))
                .map_err(std::io::Error::other)
        };
        report("ESCAPE-META-DOTDOT", meta("../outside-secret.txt"));
        report(
            "ESCAPE-META-SYMLINK-DIR",
            meta("dir-out/outside-secret.txt"),
        );
        report("ESCAPE-META-ABSOLUTE", meta("/etc/passwd"));
        Ok(())
    }
}

aicomply_sdk::export_plugin!(FsEscape);
