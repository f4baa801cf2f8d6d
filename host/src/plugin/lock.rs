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

/// A plugin as the lock check sees it.
pub struct Candidate<'a> {
    pub source: String,
    pub id: Option<&'a str>,
    pub sha256: Option<&'a str>,
    pub requested: Vec<String>,
}

impl LockFile {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read the lock file {}: {e} (create it with `aicomply plugins lock`)",
                path.display()
            )
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

    /// Every reason the candidates do not match the lock (empty: they do).
    pub fn violations(&self, candidates: &[Candidate<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        for c in candidates {
            let entry = match c.id {
                Some(id) => self.plugins.iter().find(|p| p.id == id),
                None => c
                    .sha256
                    .and_then(|sha| self.plugins.iter().find(|p| p.sha256 == sha)),
            };
            let name =
                c.id.map_or_else(|| c.source.clone(), |id| format!("{id} ({})", c.source));
            let Some(entry) = entry else {
                out.push(format!("plugin {name} is not in the lock"));
                continue;
            };
            match c.sha256 {
                Some(sha) if sha == entry.sha256 => {}
                Some(sha) => out.push(format!(
                    "plugin {name} changed: its SHA-256 is {sha}, the lock has {}",
                    entry.sha256
                )),
                None => out.push(format!(
                    "plugin {name} could not be read to check its digest"
                )),
            }
            let grown: Vec<&String> = c
                .requested
                .iter()
                .filter(|r| !entry.requested.contains(r))
                .collect();
            if !grown.is_empty() {
                out.push(format!(
                    "plugin {name} now requests capabilities the lock does not have: {}",
                    grown
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
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

        let ok = Candidate {
            source: "embedded:container".into(),
            id: Some("container"),
            sha256: Some("aa"),
            requested: vec!["fs-read:target".into()],
        };
        assert!(lock().violations(&[ok]).is_empty());
        let changed = Candidate {
            source: "x".into(),
            id: Some("container"),
            sha256: Some("bb"),
            requested: vec![],
        };
        assert!(lock().violations(&[changed])[0].contains("changed"));
        let grown = Candidate {
            source: "x".into(),
            id: Some("container"),
            sha256: Some("aa"),
            requested: vec!["file-meta:target".into()],
        };
        assert!(lock().violations(&[grown])[0].contains("file-meta:target"));
        let missing = Candidate {
            source: "p.wasm".into(),
            id: Some("new"),
            sha256: Some("cc"),
            requested: vec![],
        };
        assert!(lock().violations(&[missing])[0].contains("not in the lock"));
    }
}
