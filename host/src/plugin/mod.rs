//! Finding plugin files, checking they are components, and what the host
//! knows about each before it runs: where it came from and its digest.

pub mod cache;
pub mod contract;
pub mod lock;
pub mod validate;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A first-party plugin compiled into the binary.
pub struct EmbeddedPlugin {
    pub name: &'static str,
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Embedded(&'static str),
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Embedded(name) => write!(f, "embedded:{name}"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Source {
    /// A name for the plugin before its `describe` is known.
    pub fn fallback_id(&self) -> String {
        match self {
            Source::Embedded(name) => name.to_string(),
            Source::File(path) => path
                .file_stem()
                .map_or_else(|| "?".into(), |s| s.to_string_lossy().into_owned()),
        }
    }
}

/// A plugin's bytes, read and hashed.
pub struct PluginFile {
    pub source: Source,
    pub bytes: Cow<'static, [u8]>,
    pub sha256: String,
}

impl PluginFile {
    fn new(source: Source, bytes: Cow<'static, [u8]>) -> Self {
        let sha256 = hex(&Sha256::digest(&bytes));
        Self {
            source,
            bytes,
            sha256,
        }
    }
}

/// A plugin that could not be loaded, and why.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub source: Source,
    pub sha256: Option<String>,
    pub message: String,
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Largest plugin file loaded by default: far above any real component
/// (a Python one is ~40 MB), far below what would stall the compiler.
pub const DEFAULT_MAX_PLUGIN_BYTES: u64 = 256 << 20;

/// The embedded plugins, then every `*.wasm` in `dir` (sorted by name).
/// Files that are not components, are not regular files (a FIFO, a device,
/// a link to one) or are over `max_bytes` are returned as errors naming
/// the reason, never dropped.
pub fn discover(
    dir: Option<&Path>,
    embedded: bool,
    max_bytes: u64,
) -> anyhow::Result<(Vec<PluginFile>, Vec<LoadError>)> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if embedded {
        for p in EMBEDDED {
            files.push(PluginFile::new(
                Source::Embedded(p.name),
                Cow::Borrowed(p.wasm),
            ));
        }
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            anyhow::anyhow!("cannot read the plugin directory {}: {e}", dir.display())
        })?;
        // Every *.wasm entry, whatever it is: a folder named x.wasm is the
        // only one passed over, the rest is read or refused by name.
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm") && !p.is_dir())
            .collect();
        paths.sort();
        for path in paths {
            let source = Source::File(path.clone());
            match crate::safe_fs::read_regular(&path, max_bytes) {
                Err(e) => errors.push(LoadError {
                    source,
                    sha256: None,
                    message: format!("not loaded: {e}"),
                }),
                Ok(bytes) => {
                    let file = PluginFile::new(source, Cow::Owned(bytes));
                    match check_header(&file.bytes) {
                        Ok(()) => files.push(file),
                        Err(message) => errors.push(LoadError {
                            source: file.source,
                            sha256: Some(file.sha256),
                            message,
                        }),
                    }
                }
            }
        }
    }
    Ok((files, errors))
}

/// Tell a component from a core module or a file that is not wasm at all,
/// before handing it to the compiler, so the error says what to do.
pub fn check_header(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err("not a WebAssembly file (no \\0asm header)".into());
    }
    match &bytes[4..8] {
        [0x0d, 0x00, 0x01, 0x00] => Ok(()),
        [0x01, 0x00, 0x00, 0x00] => Err(
            "a core WebAssembly module, not a component: build the plugin for wasm32-wasip2 \
             (or wrap it with `wasm-tools component new`)"
                .into(),
        ),
        other => Err(format!(
            "unsupported WebAssembly version/layer {other:02x?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_check_names_the_problem() {
        assert!(
            check_header(b"hello world")
                .unwrap_err()
                .contains("not a WebAssembly file")
        );
        assert!(
            check_header(b"\0asm\x01\0\0\0")
                .unwrap_err()
                .contains("core WebAssembly module")
        );
        assert!(check_header(b"\0asm\x0d\0\x01\0").is_ok());
    }

    #[test]
    fn embedded_plugins_are_components() {
        assert!(!EMBEDDED.is_empty());
        for p in EMBEDDED {
            check_header(p.wasm).unwrap();
        }
    }
}
