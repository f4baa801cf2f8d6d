//! Every file the host itself reads or writes, read and written so that a
//! hostile tree cannot hang, exhaust or redirect it.
//!
//! - [`read_regular`]: operator-named files (policy, lock, templates,
//!   plugins, baselines): opened non-blocking, so a FIFO or device named
//!   there cannot hang the run, checked to be a regular file and read up to
//!   a limit.
//! - [`Roots`]: target files the host reads on a plugin's behalf (inline
//!   suppressions): only through the roots that plugin was granted, with
//!   cap-std (no absolute paths, no `..` or link out of the root), regular
//!   files only, bounded.
//! - [`OutputDir`]: reports, written to a new temporary file in an output
//!   directory opened once and renamed into place, never through an
//!   existing symlink; a symlinked output directory or report is refused.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};

/// Open for reading without blocking on a FIFO or a device, and without
/// making a terminal the controlling one.
fn read_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    o
}

/// What a file is, for an error that says why it was not read.
fn kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Read all of `file` (already opened) if it is a regular file of at most
/// `limit` bytes. `what` names it in errors.
fn read_opened(mut file: std::fs::File, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{what} is {}, not a regular file; not read",
            kind(&meta.file_type())
        ));
    }
    if meta.len() > limit {
        return Err(format!(
            "{what} is {} bytes, over the {limit}-byte limit; not read",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{what} grew past the {limit}-byte limit; not read"));
    }
    Ok(bytes)
}

/// Read a file the operator named: a regular file (a link to one is
/// followed) of at most `limit` bytes, opened so that a FIFO cannot block.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let what = path.display().to_string();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| format!("cannot open {what}: {e}"))?;
    read_opened(file, limit, &what)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, String> {
    String::from_utf8(read_regular(path, limit)?)
        .map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// Largest target file the host reads on a plugin's behalf (for inline
/// suppressions, which sit on or above a finding's line).
pub const MAX_TARGET_READ: u64 = 8 << 20;

/// The roots of a run, opened as capabilities when first needed.
pub struct Roots {
    paths: BTreeMap<String, PathBuf>,
    open: BTreeMap<String, Result<Dir, String>>,
}

impl Roots {
    /// `paths`: root name → host path (`target` and the policy's roots).
    pub fn new(paths: BTreeMap<String, PathBuf>) -> Self {
        Self {
            paths,
            open: BTreeMap::new(),
        }
    }

    fn dir(&mut self, root: &str) -> Result<&Dir, String> {
        if !self.open.contains_key(root) {
            let dir = match self.paths.get(root) {
                None => Err(format!("no root named {root:?} in this run")),
                Some(p) => Dir::open_ambient_dir(p, cap_std::ambient_authority())
                    .map_err(|e| format!("cannot open the root {root} ({}): {e}", p.display())),
            };
            self.open.insert(root.to_string(), dir);
        }
        self.open[root].as_ref().map_err(Clone::clone)
    }

    /// The bytes of `path` inside the root named `root`: a regular file of
    /// at most [`MAX_TARGET_READ`] bytes, resolved by cap-std (no absolute
    /// path, no `..` above the root, no link leading out), opened so that a
    /// FIFO cannot block.
    pub fn read(&mut self, root: &str, path: &str) -> Result<Vec<u8>, String> {
        if path.is_empty() || path.starts_with('/') || path.contains('\0') {
            return Err(format!("{path:?} is not a relative path inside the root"));
        }
        let dir = self.dir(root)?;
        let file = dir
            .open_with(path, &read_options())
            .map_err(|e| format!("{path}: {e}"))?;
        read_opened(file.into_std(), MAX_TARGET_READ, path)
    }
}

/// The SHA-256 (lower-case hex) of the regular file `path` inside `dir`,
/// resolved by cap-std like [`Roots::read`] and opened so that a FIFO
/// cannot block; read in 1 MiB blocks until `deadline`, so a plugin's time
/// limit covers the hashing it asked for.
pub fn sha256_in(dir: &Dir, path: &str, deadline: std::time::Instant) -> Result<String, String> {
    use sha2::{Digest, Sha256};
    if path.is_empty() || path.starts_with('/') || path.contains('\0') {
        return Err(format!("{path:?} is not a relative path inside the root"));
    }
    let mut file = dir
        .open_with(path, &read_options())
        .map_err(|e| format!("{path}: {e}"))?
        .into_std();
    let meta = file.metadata().map_err(|e| format!("{path}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{path} is {}, not a regular file; not hashed",
            kind(&meta.file_type())
        ));
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if std::time::Instant::now() >= deadline {
            return Err(format!("{path}: the plugin's time ran out while hashing"));
        }
        let n = file.read(&mut buf).map_err(|e| format!("{path}: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// An output directory, opened once: reports are written into it and
/// nowhere else.
#[derive(Debug)]
pub struct OutputDir {
    dir: Dir,
    shown: PathBuf,
}

impl OutputDir {
    /// Open `path`, creating it (and missing parents) if needed. A path
    /// that is, or passes through, a symlink below the working directory
    /// (where a scanned repository could have planted one) is refused.
    pub fn open(path: &Path) -> Result<Self, String> {
        refuse_links(path)?;
        std::fs::create_dir_all(path)
            .map_err(|e| format!("cannot create the output directory {}: {e}", path.display()))?;
        refuse_links(path)?;
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())
            .map_err(|e| format!("cannot open the output directory {}: {e}", path.display()))?;
        Ok(Self {
            dir,
            shown: path.to_path_buf(),
        })
    }

    /// Write `name` atomically: a new temporary file (created exclusively,
    /// so never through a link), then renamed over the name, which replaces
    /// whatever entry was there without following it. An existing symlink
    /// at `name` is refused, so a planted link is reported, not obeyed.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
        let shown = self.shown.join(name);
        if let Ok(meta) = self.dir.symlink_metadata(name) {
            if meta.file_type().is_symlink() {
                return Err(format!(
                    "{} is a symbolic link; refusing to write a report through it",
                    shown.display()
                ));
            }
            if meta.is_dir() {
                return Err(format!("{} is a directory", shown.display()));
            }
        }
        let mut tmp_name = None;
        let mut file = None;
        for attempt in 0..16u32 {
            let candidate = format!(".{name}.{}.{attempt}.tmp", std::process::id());
            let mut o = OpenOptions::new();
            o.write(true).create_new(true).mode(0o644);
            match self.dir.open_with(&candidate, &o) {
                Ok(f) => {
                    tmp_name = Some(candidate);
                    file = Some(f);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(format!("cannot write {}: {e}", shown.display())),
            }
        }
        let (Some(tmp), Some(mut file)) = (tmp_name, file) else {
            return Err(format!(
                "cannot write {}: no free temporary name",
                shown.display()
            ));
        };
        use std::io::Write;
        let written = file.write_all(bytes).and_then(|()| file.flush());
        drop(file);
        if let Err(e) = written.and_then(|()| self.dir.rename(&tmp, &self.dir, name)) {
            let _ = self.dir.remove_file(&tmp);
            return Err(format!("cannot write {}: {e}", shown.display()));
        }
        Ok(shown)
    }
}

/// Refuse `path` if it is a symlink, or passes through one below the
/// working directory. Components above the working directory (an absolute
/// `/tmp/...` on a system where `/tmp` is a link) are the operator's.
fn refuse_links(path: &Path) -> Result<(), String> {
    let relative = !path.is_absolute();
    let cwd = std::env::current_dir().ok();
    let mut so_far = PathBuf::new();
    let last = path.components().count();
    for (i, c) in path.components().enumerate() {
        so_far.push(c);
        let below_cwd = relative
            || cwd
                .as_ref()
                .is_some_and(|d| so_far.starts_with(d) && so_far != *d);
        if !below_cwd && i + 1 != last {
            continue;
        }
        if let Ok(meta) = std::fs::symlink_metadata(&so_far)
            && meta.file_type().is_symlink()
        {
            return Err(format!(
                "the output path {} passes through a symbolic link ({}); refusing to write reports through it",
                path.display(),
                so_far.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let e = read_regular(&fifo, 10).unwrap_err();
        assert!(e.contains("a FIFO"), "{e}");
        let mut roots = Roots::new([("target".to_string(), dir.path().to_path_buf())].into());
        assert!(roots.read("target", "pipe").unwrap_err().contains("a FIFO"));
    }

    #[test]
    fn roots_stay_inside_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::fs::write(root.join("ok"), "fine").unwrap();
        std::os::unix::fs::symlink("../secret", root.join("out")).unwrap();
        let mut roots = Roots::new([("target".to_string(), root.clone())].into());
        assert_eq!(roots.read("target", "ok").unwrap(), b"fine");
        assert!(roots.read("target", "out").is_err());
        assert!(roots.read("target", "../secret").is_err());
        assert!(roots.read("target", "/etc/passwd").is_err());
        assert!(roots.read("other", "ok").is_err());
        let big = std::fs::File::create(root.join("big")).unwrap();
        big.set_len(MAX_TARGET_READ + 1).unwrap();
        assert!(roots.read("target", "big").unwrap_err().contains("limit"));
    }

    #[test]
    fn reports_are_never_written_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, out.join("report.md")).unwrap();
        let o = OutputDir::open(&out).unwrap();
        assert!(
            o.write("report.md", b"x")
                .unwrap_err()
                .contains("symbolic link")
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        o.write("report.json", b"{}").unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("report.json")).unwrap(),
            "{}"
        );
        o.write("report.json", b"[]").unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("report.json")).unwrap(),
            "[]"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let linked = dir.path().join("linked-out");
        std::os::unix::fs::symlink(&out, &linked).unwrap();
        assert!(
            OutputDir::open(&linked)
                .unwrap_err()
                .contains("symbolic link")
        );
    }
}
