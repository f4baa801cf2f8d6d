//! The compiled-component cache: Cranelift output keyed by the plugin's
//! SHA-256 and the engine's compatibility hash, so a second run of the same
//! plugin with the same aicomply build skips compilation.
//!
//! Deserialising compiled code trusts it completely, so the cache only ever
//! loads files it wrote itself into a directory only the current user can
//! write (created 0700; a directory writable by others is not used).
//! Entries are written to a temporary file and renamed into place, so
//! concurrent runs never see a half-written entry.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct ComponentCache {
    dir: Option<PathBuf>,
    engine_key: String,
    /// Why the cache is off, when it was asked for but cannot be used.
    pub warning: Option<String>,
}

/// Feeds `Hash` output into SHA-256, for a key that is stable across runs.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        unreachable!("only the digest is used")
    }
}

impl ComponentCache {
    /// `dir: None` disables the cache.
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut h = Sha256Hasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
        let engine_key = super::hex(&h.0.finalize()[..8]);
        let (dir, warning) = match dir.map(|d| prepare(&d).map(|()| d)) {
            None => (None, None),
            Some(Ok(d)) => (Some(d), None),
            Some(Err(e)) => (None, Some(e)),
        };
        Self {
            dir,
            engine_key,
            warning,
        }
    }

    /// The default location: the user's cache directory.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("aicomply").join("components"))
    }

    fn entry(&self, sha256: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", self.engine_key)))
    }

    /// The compiled component, from the cache or by compiling (and then
    /// caching) it. Returns whether it was a cache hit.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<(Component, bool), String> {
        if let Some(path) = self.entry(sha256)
            && path.exists()
        {
            // SAFETY: the file was produced by `precompile_component` of an
            // engine with the same compatibility hash, in a directory only
            // this user can write (see `prepare`).
            if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok((c, true));
            }
        }
        let compiled = engine
            .precompile_component(wasm)
            .map_err(|e| format!("is not a valid component: {e:#}"))?;
        if let Some(path) = self.entry(sha256) {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&tmp, &compiled).is_ok() && std::fs::rename(&tmp, &path).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        // SAFETY: `compiled` was just produced by this engine.
        let component =
            unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| format!("{e:#}"))?;
        Ok((component, false))
    }
}

/// Create the directory private to this user, or say why it cannot be used.
fn prepare(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create the cache directory {}: {e}", dir.display()))?;
        let meta = std::fs::metadata(dir).map_err(|e| e.to_string())?;
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc_geteuid() };
        if meta.uid() != uid || meta.mode() & 0o022 != 0 {
            return Err(format!(
                "the cache directory {} is writable by other users or owned by another user; not using it",
                dir.display()
            ));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the cache directory {}: {e}", dir.display()))
}

#[cfg(unix)]
unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
