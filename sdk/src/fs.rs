//! Walking a mounted root and reading files, with bounds.
//!
//! The walker never follows symbolic links (a link inside the target may
//! point anywhere; the sandbox stops it from leaving the root, and not
//! following links also keeps loops from costing time), skips VCS and
//! dependency folders, and stops at a depth and a file count.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One regular file found by [`walk`].
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path as the plugin opens it (under the root's guest path).
    pub path: PathBuf,
    /// Path relative to the root, `/`-separated, as reports show it.
    pub relative: String,
}

impl Entry {
    /// The file name.
    pub fn name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }
}

/// Bounds and exclusions for [`walk`].
#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub max_depth: usize,
    pub max_files: usize,
    /// Folder names that are never entered.
    pub skip_dirs: Vec<String>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_files: 200_000,
            skip_dirs: [
                ".git",
                ".hg",
                ".svn",
                "node_modules",
                "target",
                "__pycache__",
                ".venv",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}

/// What a walk found, and what it could not see.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files, in a stable (sorted) order.
    pub files: Vec<Entry>,
    /// Directories that could not be listed, with the error.
    pub errors: Vec<(String, String)>,
    /// True when `max_files` or `max_depth` cut the walk short.
    pub truncated: bool,
}

impl Walk {
    /// Record what the walk could not see as diagnostics on `scan`, so a
    /// folder that could not be listed is never mistaken for an empty one.
    pub fn report_gaps(&self, scan: &mut crate::Scan) {
        for (dir, error) in &self.errors {
            scan.diagnostic(
                crate::Location::target(dir.clone()),
                format!("folder not listed: {error}"),
            );
        }
        if self.truncated {
            scan.diagnostic(
                crate::Location::target("."),
                "the walk stopped at its depth or file-count limit; files beyond it were not scanned",
            );
        }
    }
}

/// List the regular files under `root`.
pub fn walk(root: &Path, options: &WalkOptions) -> Walk {
    let mut out = Walk::default();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                out.errors.push((display_rel(&rel), e.to_string()));
                continue;
            }
        };
        let mut children: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        children.sort_by_key(|e| e.file_name());
        // Push directories in reverse so they pop in sorted order.
        let mut subdirs = Vec::new();
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            // The entry's own type (from the directory listing, no extra
            // call): a link is reported as a link, never followed.
            let Ok(file_type) = child.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                if options.skip_dirs.contains(&name) {
                    continue;
                }
                if depth + 1 > options.max_depth {
                    out.truncated = true;
                    continue;
                }
                subdirs.push((child.path(), child_rel, depth + 1));
            } else if file_type.is_file() {
                if out.files.len() >= options.max_files {
                    out.truncated = true;
                    return out;
                }
                out.files.push(Entry {
                    path: child.path(),
                    relative: child_rel,
                });
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    out.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    out
}

fn display_rel(rel: &str) -> String {
    if rel.is_empty() {
        ".".into()
    } else {
        rel.into()
    }
}

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    TooLarge { size: u64, limit: u64 },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
            ReadError::TooLarge { size, limit } => {
                write!(f, "not read: {size} bytes is over the {limit}-byte limit")
            }
        }
    }
}

/// Read a text file of at most `limit` bytes (see [`crate::text::decode`]).
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "exactly at" from "over".
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(limit + 1);
        return Err(ReadError::TooLarge { size, limit });
    }
    Ok(crate::text::decode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aicomply-sdk-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b/c")).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("a.txt"), "a").unwrap();
        std::fs::write(dir.join("b/c/d.txt"), "d").unwrap();
        std::fs::write(dir.join(".git/config"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("..", dir.join("b/loop")).unwrap();
        dir
    }

    #[test]
    fn walk_lists_files_sorted_skips_vcs_and_does_not_follow_links() {
        let dir = tree();
        let w = walk(&dir, &WalkOptions::default());
        let names: Vec<_> = w.files.iter().map(|e| e.relative.as_str()).collect();
        assert_eq!(names, vec!["a.txt", "b/c/d.txt"]);
        assert!(!w.truncated);
        let w = walk(
            &dir,
            &WalkOptions {
                max_files: 1,
                ..Default::default()
            },
        );
        assert!(w.truncated);
        assert_eq!(w.files.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn read_text_enforces_the_limit() {
        let dir = std::env::temp_dir().join(format!("aicomply-sdk-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        std::fs::write(&f, "12345").unwrap();
        assert_eq!(read_text(&f, 5).unwrap(), "12345");
        assert!(matches!(
            read_text(&f, 4),
            Err(ReadError::TooLarge { size: 5, limit: 4 })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
