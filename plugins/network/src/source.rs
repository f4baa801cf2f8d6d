//! The target's files as the parsers see them: what the walk listed, folder
//! listings (links included, which the walk does not list when their target
//! is walked anyway) and link texts, read through the sandbox.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aicomply_sdk::fs;

/// Configuration files larger than this are reported, not read.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

pub trait Source {
    /// Whether `rel` is a regular file the walk listed.
    fn is_file(&self, rel: &str) -> bool;
    /// Every listed file.
    fn files(&self) -> Vec<String>;
    /// The names in a folder (links included); empty when it cannot be listed.
    fn list(&self, dir: &str) -> Vec<String>;
    /// A link's target text, when `rel` is a link.
    fn link_text(&self, rel: &str) -> Option<String>;
    fn read(&self, rel: &str) -> Result<String, String>;
}

pub struct Tree<'c> {
    pub root: PathBuf,
    pub files: BTreeSet<String>,
    /// Link texts come from the host's `file-meta` where granted: inside
    /// the sandbox, WASI refuses to read a link whose text is absolute
    /// (`sites-enabled/x -> /etc/nginx/sites-available/x`).
    ctx: Option<&'c aicomply_sdk::Context>,
}

impl<'c> Tree<'c> {
    pub fn new(
        root: &Path,
        files: impl IntoIterator<Item = String>,
        ctx: Option<&'c aicomply_sdk::Context>,
    ) -> Self {
        Self {
            root: root.to_path_buf(),
            files: files.into_iter().collect(),
            ctx: ctx
                .filter(|c| c.granted("file-meta", "target") || cfg!(not(target_arch = "wasm32"))),
        }
    }
    fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }
}

impl Source for Tree<'_> {
    fn is_file(&self, rel: &str) -> bool {
        self.files.contains(rel)
    }
    fn files(&self) -> Vec<String> {
        self.files.iter().cloned().collect()
    }
    fn list(&self, dir: &str) -> Vec<String> {
        fs::list_names(&self.path(dir))
            .map(|(names, _)| names)
            .unwrap_or_default()
    }
    fn link_text(&self, rel: &str) -> Option<String> {
        if let Some(ctx) = self.ctx
            && let Ok(meta) = ctx.file_meta("target", rel)
        {
            return meta.link_target;
        }
        std::fs::read_link(self.path(rel))
            .ok()
            .map(|t| t.to_string_lossy().into_owned())
    }
    fn read(&self, rel: &str) -> Result<String, String> {
        if !self.is_file(rel) {
            return Err(format!("{rel} is not a file the walk listed"));
        }
        fs::read_text(&self.path(rel), MAX_CONFIG_BYTES).map_err(|e| e.to_string())
    }
}
