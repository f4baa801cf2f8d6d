//! `aicomply.lock`: the plugins an operator reviewed, pinned by digest.
//! `aicomply plugins lock` writes it; `aicomply run --locked` refuses to run
//! anything when a plugin is missing from it, its bytes changed, or it now
//! requests capabilities the lock did not record.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub const LOCK_VERSION: u32 = 1;
pub const DEFAULT_LOCK_FILE: &str = "aicomply.lock";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    pub version: u32,
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<LockedPlugin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedPlugin {
    pub id: String,
    pub version: String,
    /// `embedded:<name>` or the file name it was locked from.
    pub source: String,
    pub sha256: String,
    /// Plugin contract version the component exports.
    pub wit: String,
    /// Capabilities requested when locked, as `kind:scope`.
    pub requested: Vec<String>,
    /// Capabilities granted (in effect) when locked.
    pub granted: Vec<String>,
}

/// A plugin file as the digest check sees it, before anything is compiled.
pub struct Unverified<'a> {
    /// `embedded:<name>` or the file name.
    pub source: String,
    pub sha256: Option<&'a str>,
}

/// A described plugin as the capability check sees it.
pub struct Described<'a> {
    pub id: &'a str,
    pub sha256: &'a str,
    /// Requested capabilities as `kind:scope`.
    pub requested: Vec<String>,
}

impl LockFile {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = crate::safe_fs::read_regular_text(path, 16 << 20).map_err(|e| {
            anyhow::anyhow!("the lock file: {e} (create it with `aicomply plugins lock`)")
        })?;
        let lock: LockFile = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("lock file {}: {e}", path.display()))?;
        if lock.version != LOCK_VERSION {
            anyhow::bail!(
                "lock file {}: version {} is not supported (this aicomply writes version {LOCK_VERSION})",
                path.display(),
                lock.version
            );
        }
        Ok(lock)
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let body = toml::to_string_pretty(self)?;
        let text = format!(
            "# aicomply plugin lock: reviewed plugins pinned by SHA-256.\n\
             # Written by `aicomply plugins lock`; checked by `aicomply run --locked`.\n{body}"
        );
        let tmp = path.with_extension("lock.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| anyhow::anyhow!("cannot write the lock file {}: {e}", path.display()))
    }

    /// Plugins whose bytes are not in the lock: checked before any of them
    /// is compiled, so changed code never runs under `--locked`.
    pub fn digest_violations(&self, files: &[Unverified<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        for f in files {
            let Some(sha) = f.sha256 else {
                out.push(format!(
                    "plugin {} could not be read to check its digest",
                    f.source
                ));
                continue;
            };
            if self.plugins.iter().any(|p| p.sha256 == sha) {
                continue;
            }
            match self.plugins.iter().find(|p| p.source == f.source) {
                Some(p) => out.push(format!(
                    "plugin {} ({}) changed: its SHA-256 is {sha}, the lock has {}",
                    p.id, f.source, p.sha256
                )),
                None => out.push(format!(
                    "plugin {} (SHA-256 {sha}) is not in the lock",
                    f.source
                )),
            }
        }
        out
    }

    /// Plugins that now ask for more than the lock recorded.
    pub fn capability_violations(&self, plugins: &[Described<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        for d in plugins {
            let Some(entry) = self.plugins.iter().find(|p| p.sha256 == d.sha256) else {
                out.push(format!("plugin {} is not in the lock", d.id));
                continue;
            };
            if entry.id != d.id {
                out.push(format!(
                    "plugin {} was locked under the id {}",
                    d.id, entry.id
                ));
            }
            let grown: Vec<&str> = d
                .requested
                .iter()
                .filter(|r| !entry.requested.contains(r))
                .map(|s| s.as_str())
                .collect();
            if !grown.is_empty() {
                out.push(format!(
                    "plugin {} now requests capabilities the lock does not have: {}",
                    d.id,
                    grown.join(", ")
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock() -> LockFile {
        LockFile {
            version: 1,
            plugins: vec![LockedPlugin {
                id: "container".into(),
                version: "0.1.0".into(),
                source: "embedded:container".into(),
                sha256: "aa".into(),
                wit: "0.1.0".into(),
                requested: vec!["fs-read:target".into()],
                granted: vec!["fs-read:target".into()],
            }],
        }
    }

    #[test]
    fn round_trips_and_finds_each_kind_of_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aicomply.lock");
        lock().write(&path).unwrap();
        assert_eq!(LockFile::read(&path).unwrap(), lock());

        let file = |source: &str, sha: &'static str| Unverified {
            source: source.into(),
            sha256: Some(sha),
        };
        assert!(
            lock()
                .digest_violations(&[file("embedded:container", "aa")])
                .is_empty()
        );
        let changed = lock().digest_violations(&[file("embedded:container", "bb")]);
        assert!(
            changed[0].contains("container") && changed[0].contains("changed"),
            "{changed:?}"
        );
        assert!(lock().digest_violations(&[file("new.wasm", "cc")])[0].contains("not in the lock"));

        let described = |requested: &[&str]| Described {
            id: "container",
            sha256: "aa",
            requested: requested.iter().map(|s| s.to_string()).collect(),
        };
        assert!(
            lock()
                .capability_violations(&[described(&["fs-read:target"])])
                .is_empty()
        );
        let grown =
            lock().capability_violations(&[described(&["fs-read:target", "file-meta:target"])]);
        assert!(grown[0].contains("file-meta:target"), "{grown:?}");
    }
}
