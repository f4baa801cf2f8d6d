//! Walking a mounted root and reading files: bounded, never blocking, and
//! never skipping anything silently.
//!
//! The walk lists every entry of every folder under a root. What it does
//! not examine is returned in [`Walk::skipped`] with the reason, for the
//! plugin to report with [`Walk::report_gaps`]: excluded paths (the VCS
//! folders, and the operator's `--exclude` globs), FIFOs, sockets and
//! devices (never opened: opening a FIFO blocks until someone writes to
//! it), links leading out of the root, names that are not UTF-8 (the walk
//! says so and goes on listing the folder), folders it cannot list, and
//! what lies past its depth or file-count limit.
//!
//! Links: a link whose target stays inside the root is followed, a file
//! examined at the link's path and a folder walked, unless the walk reaches
//! the target on its own anyway. Links beneath a folder reached through a
//! link are listed, not followed, so link cycles cost nothing. An absolute
//! target is resolved against the root, as the root's own system would
//! (an image's `/etc/os-release -> /usr/lib/os-release`).
//!
//! Readers ([`open_regular`], [`read_bytes`], [`read_text`]) open only
//! regular files, after looking at the type without opening, and read at
//! most a limit.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::{Location, Scan, SkipReason};

/// Folders of version-control metadata, excluded by default.
pub const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn"];

/// One regular file found by [`walk`].
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path as the plugin opens it (under the root's guest path).
    pub path: PathBuf,
    /// Path relative to the root, `/`-separated, as reports show it.
    pub relative: String,
    /// The link's target text, when the file was reached through a link.
    pub link: Option<String>,
}

impl Entry {
    /// The file name.
    pub fn name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }
}

/// A path the walk did not examine.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    /// Relative to the root, `/`-separated (`.` for the root itself).
    pub relative: String,
    pub reason: SkipReason,
    pub detail: String,
}

impl Skip {
    /// The file name (the last component).
    pub fn name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }

    /// Whether what was not examined cannot be named: a folder not listed
    /// or not entered, a name that is not UTF-8, the rest of a tree past
    /// the file limit. Any check may have needed it.
    pub fn could_be_anything(&self) -> bool {
        match self.reason {
            SkipReason::BadName | SkipReason::DepthLimit | SkipReason::FileLimit => true,
            SkipReason::Unreadable => {
                self.detail.starts_with("folder not listed") || self.relative == "."
            }
            _ => false,
        }
    }
}

/// Bounds and exclusions for [`walk`].
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Folders below the root the walk enters.
    pub max_depth: usize,
    /// Files it lists; the rest of the tree is reported as not listed.
    pub max_files: usize,
    /// Globs of paths not to examine. A glob without `/` matches a name at
    /// any depth (`node_modules`, `*.log`); one with `/` matches the path
    /// from the root (`vendor/**`, `data/*.bin`). A matching folder is not
    /// entered.
    pub exclude: Vec<String>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_files: 200_000,
            exclude: VCS_DIRS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl WalkOptions {
    /// The defaults plus the operator's `--exclude` globs for this run.
    pub fn for_run(ctx: &crate::Context) -> Self {
        let mut options = Self::default();
        options
            .exclude
            .extend(ctx.settings().exclude.iter().cloned());
        options
    }
}

/// What a walk found, and what it did not examine.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files, in a stable (sorted) order.
    pub files: Vec<Entry>,
    /// Paths not examined, with the reason, in the order met.
    pub skipped: Vec<Skip>,
}

impl Walk {
    /// True when the walk stopped at its depth or file-count limit.
    pub fn truncated(&self) -> bool {
        self.skipped
            .iter()
            .any(|s| matches!(s.reason, SkipReason::DepthLimit | SkipReason::FileLimit))
    }

    /// Record what the walk did not examine on `scan`: every path is listed
    /// in the report, and each check that `affects` names for a path (for
    /// anything but an exclusion, which is the operator's choice) is marked
    /// incomplete, so a check never passes on files it did not see.
    pub fn report_gaps<'a>(
        &self,
        scan: &mut Scan,
        root: &str,
        affects: impl Fn(&Skip) -> Vec<&'a str>,
    ) {
        let mut per_check: Vec<(&'a str, usize, &Skip)> = Vec::new();
        for skip in &self.skipped {
            let location = Location {
                root: root.into(),
                ..Location::target(skip.relative.clone())
            };
            scan.skipped(location, skip.reason, skip.detail.clone());
            if skip.reason == SkipReason::Excluded {
                continue;
            }
            for check in affects(skip) {
                match per_check.iter_mut().find(|(c, _, _)| *c == check) {
                    Some((_, n, _)) => *n += 1,
                    None => per_check.push((check, 1, skip)),
                }
            }
        }
        for (check, n, first) in per_check {
            let more = match n {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            scan.incomplete(
                check,
                format!(
                    "{}{more} not examined ({}: {})",
                    first.relative,
                    reason_text(first.reason),
                    first.detail
                ),
            );
        }
    }
}

/// A few words for a skip reason, as reports show it.
pub fn reason_text(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::Excluded => "excluded",
        SkipReason::Unreadable => "unreadable",
        SkipReason::TooLarge => "over the size limit",
        SkipReason::SpecialFile => "not a regular file",
        SkipReason::Symlink => "symbolic link not followed",
        SkipReason::BadName => "name not valid UTF-8",
        SkipReason::DepthLimit => "beyond the depth limit",
        SkipReason::FileLimit => "beyond the file-count limit",
        SkipReason::ParseLimit => "a parser limit",
    }
}

/// The globs of [`WalkOptions::exclude`], compiled once.
struct Excludes {
    names: Vec<glob::Pattern>,
    paths: Vec<glob::Pattern>,
}

impl Excludes {
    fn new(globs: &[String]) -> Self {
        let compile = |g: &str| {
            // The host checks globs before the run; a bad one here is
            // matched literally rather than dropped.
            glob::Pattern::new(g)
                .unwrap_or_else(|_| glob::Pattern::new(&glob::Pattern::escape(g)).expect("escaped"))
        };
        let (paths, names): (Vec<&String>, Vec<&String>) =
            globs.iter().partition(|g| g.contains('/'));
        Self {
            names: names.iter().map(|g| compile(g)).collect(),
            paths: paths
                .iter()
                .map(|g| compile(g.trim_start_matches("./").trim_start_matches('/')))
                .collect(),
        }
    }

    /// The glob that excludes `relative` (whose last component is `name`).
    fn matching(&self, relative: &str, name: &str) -> Option<&str> {
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        self.names
            .iter()
            .find(|p| p.matches_with(name, options))
            .or_else(|| {
                self.paths
                    .iter()
                    .find(|p| p.matches_with(relative, options))
            })
            .map(|p| p.as_str())
    }
}

/// One folder still to list.
struct Dir {
    path: PathBuf,
    relative: String,
    depth: usize,
    /// Reached through a link: links beneath it are listed, not followed.
    via_link: bool,
}

/// What a folder listing holds, before it is judged.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
enum Raw {
    Entry {
        name: String,
        kind: Kind,
    },
    /// A name that is not UTF-8, shown as well as the platform allows.
    BadName(String),
    /// An entry that could not be read.
    Error(String),
}

impl Raw {
    /// Entries by name, then bad names, then errors.
    fn order(&self) -> (u8, &str) {
        match self {
            Raw::Entry { name, .. } => (0, name),
            Raw::BadName(shown) => (1, shown),
            Raw::Error(e) => (2, e),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Dir,
    File,
    Link,
    Special(&'static str),
    Unknown,
}

/// List the regular files under `root`, and what was not examined.
pub fn walk(root: &Path, options: &WalkOptions) -> Walk {
    let excludes = Excludes::new(&options.exclude);
    let mut w = Walker {
        root,
        options,
        excludes: &excludes,
        out: Walk::default(),
        followed: Vec::new(),
        stopped: false,
    };
    w.run();
    let mut out = w.out;
    out.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    out
}

struct Walker<'a> {
    root: &'a Path,
    options: &'a WalkOptions,
    excludes: &'a Excludes,
    out: Walk,
    /// Targets of folder links already followed (relative to the root).
    followed: Vec<String>,
    /// The file-count limit was reached.
    stopped: bool,
}

impl Walker<'_> {
    fn skip(&mut self, relative: &str, reason: SkipReason, detail: impl Into<String>) {
        self.out.skipped.push(Skip {
            relative: display_rel(relative),
            reason,
            detail: detail.into(),
        });
    }

    fn run(&mut self) {
        let mut stack = vec![Dir {
            path: self.root.to_path_buf(),
            relative: String::new(),
            depth: 0,
            via_link: false,
        }];
        while let Some(dir) = stack.pop() {
            let mut listing = match sys::list(&dir.path) {
                Ok(l) => l,
                Err(e) => {
                    self.skip(
                        &dir.relative,
                        SkipReason::Unreadable,
                        format!("folder not listed: {e}"),
                    );
                    continue;
                }
            };
            listing.sort_by(|a, b| a.order().cmp(&b.order()));
            let mut subdirs = Vec::new();
            for raw in listing {
                let (name, kind) = match raw {
                    Raw::Entry { name, kind } => (name, kind),
                    Raw::BadName(shown) => {
                        self.skip(
                            &join(&dir.relative, &shown),
                            SkipReason::BadName,
                            "the name is not valid UTF-8, so it cannot be opened through WASI; the rest of the folder was listed",
                        );
                        continue;
                    }
                    Raw::Error(e) => {
                        self.skip(
                            &dir.relative,
                            SkipReason::Unreadable,
                            format!("an entry could not be listed: {e}"),
                        );
                        continue;
                    }
                };
                let relative = join(&dir.relative, &name);
                if let Some(glob) = self.excludes.matching(&relative, &name) {
                    let glob = glob.to_string();
                    self.skip(
                        &relative,
                        SkipReason::Excluded,
                        format!("matches the exclusion {glob:?}"),
                    );
                    continue;
                }
                let path = dir.path.join(&name);
                match kind {
                    Kind::Dir => {
                        if dir.depth + 1 > self.options.max_depth {
                            self.skip(&relative, SkipReason::DepthLimit, format!("folders deeper than {} levels are not entered", self.options.max_depth));
                            continue;
                        }
                        subdirs.push(Dir {
                            path,
                            relative,
                            depth: dir.depth + 1,
                            via_link: dir.via_link,
                        });
                    }
                    Kind::File => self.file(path, relative, None),
                    Kind::Link => {
                        if let Some(d) = self.link(&dir, path, relative) {
                            subdirs.push(d);
                        }
                    }
                    Kind::Special(what) => self.skip(&relative, SkipReason::SpecialFile, format!("a {what}; never opened (opening one can block the scan)")),
                    Kind::Unknown => self.skip(&relative, SkipReason::SpecialFile, "a special file (a FIFO, socket or device; WASI does not say which); never opened, since opening one can block the scan"),
                }
                if self.stopped {
                    return;
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
    }

    /// Add a file; at the limit, say where the walk stopped instead.
    fn file(&mut self, path: PathBuf, relative: String, link: Option<String>) {
        if self.out.files.len() >= self.options.max_files {
            let limit = self.options.max_files;
            self.skip(&relative, SkipReason::FileLimit, format!("the walk lists at most {limit} files; this one and the rest of the tree after it were not listed"));
            self.stopped = true;
            return;
        }
        self.out.files.push(Entry {
            path,
            relative,
            link,
        });
    }

    /// Follow a link, or say why not. Returns a folder to walk.
    fn link(&mut self, dir: &Dir, path: PathBuf, relative: String) -> Option<Dir> {
        let text = match sys::read_link(&path) {
            Ok(t) => t,
            Err(e) => {
                self.skip(
                    &relative,
                    SkipReason::Symlink,
                    format!("a link whose target cannot be read: {e}"),
                );
                return None;
            }
        };
        if dir.via_link {
            self.skip(&relative, SkipReason::Symlink, format!("a link (to {text:?}) inside a folder reached through a link; not followed, so link cycles cannot loop"));
            return None;
        }
        let Some(target) = resolve_link(&dir.relative, &text) else {
            self.skip(
                &relative,
                SkipReason::Symlink,
                format!("leads outside the root (to {text:?})"),
            );
            return None;
        };
        let target_path = if target.is_empty() {
            self.root.to_path_buf()
        } else {
            self.root.join(&target)
        };
        let kind = match sys::stat_follow(self.root, &target_path) {
            Ok(k) => k,
            Err(e) => {
                self.skip(
                    &relative,
                    SkipReason::Symlink,
                    format!("to {text:?}, which cannot be followed: {e}"),
                );
                return None;
            }
        };
        match kind {
            Kind::File => {
                if !self.walked_anyway(&target) {
                    self.file(target_path, relative, Some(text));
                }
                None
            }
            Kind::Dir => {
                if self.walked_anyway(&target) || self.followed.contains(&target) {
                    return None;
                }
                if dir.depth + 1 > self.options.max_depth {
                    self.skip(
                        &relative,
                        SkipReason::DepthLimit,
                        format!(
                            "folders deeper than {} levels are not entered",
                            self.options.max_depth
                        ),
                    );
                    return None;
                }
                self.followed.push(target);
                Some(Dir {
                    path: target_path,
                    relative,
                    depth: dir.depth + 1,
                    via_link: true,
                })
            }
            Kind::Special(what) => {
                self.skip(
                    &relative,
                    SkipReason::SpecialFile,
                    format!("a link to a {what} ({text:?}); never opened"),
                );
                None
            }
            Kind::Link | Kind::Unknown => {
                self.skip(
                    &relative,
                    SkipReason::Symlink,
                    format!("to {text:?}, of unknown type; not followed"),
                );
                None
            }
        }
    }

    /// Whether the walk reaches `target` (relative to the root) by itself:
    /// nothing on the way is excluded and it is within the depth limit.
    fn walked_anyway(&self, target: &str) -> bool {
        if target.is_empty() {
            return true;
        }
        let parts: Vec<&str> = target.split('/').collect();
        if parts.len() > self.options.max_depth + 1 {
            return false;
        }
        let mut prefix = String::new();
        for part in parts {
            prefix = join(&prefix, part);
            if self.excludes.matching(&prefix, part).is_some() {
                return false;
            }
        }
        true
    }
}

/// The names in one folder, sorted (links and special files included, as
/// names), and a line for each entry that could not be named. Unlike
/// `std::fs::read_dir` in a plugin, a name that is not UTF-8 does not end
/// the listing.
pub fn list_names(dir: &Path) -> Result<(Vec<String>, Vec<String>), String> {
    let mut names = Vec::new();
    let mut problems = Vec::new();
    for raw in sys::list(dir)? {
        match raw {
            Raw::Entry { name, .. } => names.push(name),
            Raw::BadName(shown) => problems.push(format!("{shown}: the name is not valid UTF-8")),
            Raw::Error(e) => problems.push(format!("an entry could not be listed: {e}")),
        }
    }
    names.sort();
    Ok((names, problems))
}

/// `rel` joined to the `/`-separated folder `dir` lexically, `.` and `..`
/// resolved; an absolute `rel` starts at the root. None when it leaves the
/// root.
pub fn join_relative(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Where a link's target text leads, relative to the root: a relative text
/// from the link's folder, an absolute one from the root itself (as the
/// root's own system resolves it). `None` when it climbs above the root.
pub fn resolve_link(link_dir: &str, text: &str) -> Option<String> {
    join_relative(link_dir, text)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn display_rel(rel: &str) -> String {
    if rel.is_empty() {
        ".".into()
    } else {
        rel.into()
    }
}

/// The text of an I/O error. Inside a plugin the error number is WASI's,
/// not the host's, and is named so.
pub fn io_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) if cfg!(target_arch = "wasm32") => format!("{} (WASI errno {n})", e.kind()),
        _ => e.to_string(),
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod sys {
    //! Natively (unit tests): std, with the root's confinement checked by
    //! hand, since no sandbox does it.
    use super::{Kind, Raw};
    use std::path::Path;

    pub(super) fn list(dir: &Path) -> Result<Vec<Raw>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.push(Raw::Error(e.to_string()));
                    continue;
                }
            };
            let kind = entry.file_type().map_or(Kind::Unknown, kind);
            match entry.file_name().into_string() {
                Ok(name) => out.push(Raw::Entry { name, kind }),
                Err(os) => out.push(Raw::BadName(escaped(&os))),
            }
        }
        Ok(out)
    }

    fn escaped(name: &std::ffi::OsStr) -> String {
        use std::os::unix::ffi::OsStrExt;
        name.as_bytes()
            .utf8_chunks()
            .map(|c| {
                let bad: String = c.invalid().iter().map(|b| format!("\\x{b:02x}")).collect();
                format!("{}{bad}", c.valid())
            })
            .collect()
    }

    fn kind(ft: std::fs::FileType) -> Kind {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_symlink() {
            Kind::Link
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else if ft.is_fifo() {
            Kind::Special("FIFO")
        } else if ft.is_socket() {
            Kind::Special("socket")
        } else if ft.is_block_device() {
            Kind::Special("block device")
        } else if ft.is_char_device() {
            Kind::Special("character device")
        } else {
            Kind::Unknown
        }
    }

    pub(super) fn read_link(path: &Path) -> Result<String, String> {
        let t = std::fs::read_link(path).map_err(|e| e.to_string())?;
        t.into_os_string()
            .into_string()
            .map_err(|_| "the link's target is not valid UTF-8".to_string())
    }

    /// The type of what `path` leads to (links followed), without opening it.
    pub(super) fn kind_of(path: &Path) -> std::io::Result<Kind> {
        std::fs::metadata(path).map(|m| kind(m.file_type()))
    }

    pub(super) fn stat_follow(root: &Path, path: &Path) -> Result<Kind, String> {
        let real = std::fs::canonicalize(path).map_err(|e| e.to_string())?;
        let root = std::fs::canonicalize(root).map_err(|e| e.to_string())?;
        if !real.starts_with(&root) {
            return Err("it leads outside the root".into());
        }
        Ok(kind(
            std::fs::metadata(&real)
                .map_err(|e| e.to_string())?
                .file_type(),
        ))
    }
}

#[cfg(target_arch = "wasm32")]
mod sys {
    //! In a plugin: folders are listed with WASI's own calls, which go on
    //! past a name that is not UTF-8 (std stops the whole listing there);
    //! links are followed by the sandbox, which keeps them inside the root.
    use super::{Kind, Raw};
    use std::path::Path;
    use wasip2::filesystem::types::{
        Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
    };

    thread_local! {
        static PREOPENS: Vec<(Descriptor, String)> = wasip2::filesystem::preopens::get_directories();
    }

    /// Entries read from one folder at most: far past any real tree, and
    /// an end to a listing that only ever fails.
    const MAX_ERRORS: usize = 1_000;

    fn wasi(e: ErrorCode) -> String {
        format!("WASI error {}", e.name())
    }

    pub(super) fn list(dir: &Path) -> Result<Vec<Raw>, String> {
        let dir = dir.to_str().ok_or("the path is not valid UTF-8")?;
        PREOPENS.with(|preopens| {
            let (base, rel) = preopens
                .iter()
                .find_map(|(d, guest)| under(dir, guest).map(|rel| (d, rel)))
                .ok_or_else(|| format!("{dir} is not under a mounted root"))?;
            let opened;
            let d = if rel.is_empty() {
                base
            } else {
                opened = base
                    .open_at(
                        PathFlags::SYMLINK_FOLLOW,
                        rel,
                        OpenFlags::DIRECTORY,
                        DescriptorFlags::READ,
                    )
                    .map_err(wasi)?;
                &opened
            };
            let stream = d.read_directory().map_err(wasi)?;
            let mut out = Vec::new();
            let mut errors = 0;
            loop {
                match stream.read_directory_entry() {
                    Ok(Some(e)) => out.push(Raw::Entry {
                        name: e.name,
                        kind: kind(e.type_),
                    }),
                    Ok(None) => break,
                    Err(ErrorCode::IllegalByteSequence) => {
                        out.push(Raw::BadName("<name not valid UTF-8>".into()))
                    }
                    Err(e) => {
                        out.push(Raw::Error(wasi(e)));
                        errors += 1;
                        if errors >= MAX_ERRORS {
                            break;
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    /// `path` relative to the preopen at `guest`, if it is under it.
    fn under<'a>(path: &'a str, guest: &str) -> Option<&'a str> {
        let rest = path.strip_prefix(guest.trim_end_matches('/'))?;
        if rest.is_empty() {
            Some("")
        } else {
            rest.strip_prefix('/')
        }
    }

    fn kind(t: DescriptorType) -> Kind {
        match t {
            DescriptorType::Directory => Kind::Dir,
            DescriptorType::RegularFile => Kind::File,
            DescriptorType::SymbolicLink => Kind::Link,
            DescriptorType::Fifo => Kind::Special("FIFO"),
            DescriptorType::Socket => Kind::Special("socket"),
            DescriptorType::BlockDevice => Kind::Special("block device"),
            DescriptorType::CharacterDevice => Kind::Special("character device"),
            DescriptorType::Unknown => Kind::Unknown,
        }
    }

    pub(super) fn read_link(path: &Path) -> Result<String, String> {
        let t = std::fs::read_link(path).map_err(|e| super::io_error_text(&e))?;
        t.into_os_string()
            .into_string()
            .map_err(|_| "the link's target is not valid UTF-8".to_string())
    }

    /// The type of what `path` leads to, from WASI's `stat-at` with links
    /// followed: the sandbox resolves it inside the root, or refuses.
    pub(super) fn kind_of(path: &Path) -> std::io::Result<Kind> {
        use std::io::{Error, ErrorKind};
        let path = path
            .to_str()
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "the path is not valid UTF-8"))?;
        PREOPENS.with(|preopens| {
            let (base, rel) = preopens
                .iter()
                .find_map(|(d, guest)| under(path, guest).map(|rel| (d, rel)))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::NotFound,
                        format!("{path} is not under a mounted root"),
                    )
                })?;
            let stat = if rel.is_empty() {
                base.stat()
            } else {
                base.stat_at(PathFlags::SYMLINK_FOLLOW, rel)
            };
            stat.map(|s| kind(s.type_)).map_err(|e| {
                let k = match e {
                    ErrorCode::NoEntry => ErrorKind::NotFound,
                    ErrorCode::Access | ErrorCode::NotPermitted => ErrorKind::PermissionDenied,
                    _ => ErrorKind::Other,
                };
                Error::new(k, wasi(e))
            })
        })
    }

    pub(super) fn stat_follow(_root: &Path, path: &Path) -> Result<Kind, String> {
        kind_of(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => {
                format!("it leads outside the root (refused by the sandbox: {e})")
            }
            _ => e.to_string(),
        })
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// A folder, FIFO, socket or device: not opened.
    NotRegular(&'static str),
}

impl ReadError {
    /// How the report classifies it.
    pub fn skip_reason(&self) -> SkipReason {
        match self {
            ReadError::Io(_) => SkipReason::Unreadable,
            ReadError::TooLarge { .. } => SkipReason::TooLarge,
            ReadError::NotRegular(_) => SkipReason::SpecialFile,
        }
    }

    /// The file does not exist (as opposed to being there but unreadable).
    pub fn is_missing(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot be read: {}", io_error_text(e)),
            ReadError::TooLarge { size, limit } => {
                write!(f, "{size} bytes, over the {limit}-byte limit; not read")
            }
            ReadError::NotRegular(what) => {
                write!(
                    f,
                    "a {what}; never opened, since opening one can block the scan"
                )
            }
        }
    }
}

/// Open a regular file for reading, and its size. The type is looked at
/// first without opening (a link inside the root is followed), so a FIFO,
/// socket or device is refused instead of blocking the plugin; the opened
/// file is looked at again in case the path changed in between.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, u64), ReadError> {
    match sys::kind_of(path).map_err(ReadError::Io)? {
        Kind::File => {}
        Kind::Dir => return Err(ReadError::NotRegular("folder")),
        Kind::Special(what) => return Err(ReadError::NotRegular(what)),
        Kind::Link | Kind::Unknown => {
            return Err(ReadError::NotRegular(
                "special file (a FIFO, socket or device)",
            ));
        }
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular("special file"));
    }
    Ok((file, meta.len()))
}

/// Read a regular file of at most `limit` bytes.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, size) = open_regular(path)?;
    if size > limit {
        return Err(ReadError::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // One byte past the limit tells a file that grew from one at the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Read a regular text file of at most `limit` bytes (see
/// [`crate::text::decode`]).
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    read_bytes(path, limit).map(|b| crate::text::decode(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aicomply-sdk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b/c")).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("a.txt"), "a").unwrap();
        std::fs::write(dir.join("b/c/d.txt"), "d").unwrap();
        std::fs::write(dir.join(".git/config"), "x").unwrap();
        std::os::unix::fs::symlink("..", dir.join("b/loop")).unwrap();
        dir
    }

    fn names(w: &Walk) -> Vec<&str> {
        w.files.iter().map(|e| e.relative.as_str()).collect()
    }

    fn skipped(w: &Walk) -> Vec<(&str, SkipReason)> {
        w.skipped
            .iter()
            .map(|s| (s.relative.as_str(), s.reason))
            .collect()
    }

    #[test]
    fn walk_lists_files_sorted_excludes_vcs_and_says_so() {
        let dir = tree("walk");
        let w = walk(&dir, &WalkOptions::default());
        assert_eq!(names(&w), vec!["a.txt", "b/c/d.txt"]);
        // The loop link leads to an ancestor, which is walked anyway.
        assert_eq!(skipped(&w), vec![(".git", SkipReason::Excluded)]);
        assert!(!w.truncated());
        let w = walk(
            &dir,
            &WalkOptions {
                max_files: 1,
                ..Default::default()
            },
        );
        assert!(w.truncated());
        assert_eq!(names(&w), vec!["a.txt"]);
        assert_eq!(w.skipped.last().unwrap().relative, "b/c/d.txt");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn special_files_bad_names_and_depth_are_listed_not_opened() {
        let dir = tree("special");
        let fifo = dir.join("b/pipe");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        use std::os::unix::ffi::OsStrExt;
        let bad = std::ffi::OsStr::from_bytes(b"m\xffodel.pkl");
        std::fs::write(dir.join("b").join(bad), "x").unwrap();
        std::fs::write(dir.join("b/z-after.txt"), "z").unwrap();
        let w = walk(
            &dir,
            &WalkOptions {
                max_depth: 1,
                ..Default::default()
            },
        );
        assert_eq!(
            names(&w),
            vec!["a.txt", "b/z-after.txt"],
            "the listing goes on past the bad name"
        );
        let s = skipped(&w);
        assert!(s.contains(&("b/pipe", SkipReason::SpecialFile)), "{s:?}");
        assert!(
            s.contains(&("b/m\\xffodel.pkl", SkipReason::BadName)),
            "{s:?}"
        );
        assert!(s.contains(&("b/c", SkipReason::DepthLimit)), "{s:?}");
        assert!(matches!(
            read_text(&fifo, 10),
            Err(ReadError::NotRegular("FIFO"))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_inside_are_followed_once_links_out_are_listed() {
        let dir = tree("links");
        let root = dir.join("root");
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join(".git/objects/evil.pkl"), "p").unwrap();
        std::fs::write(root.join("real/f.txt"), "f").unwrap();
        std::fs::write(dir.join("outside.txt"), "secret").unwrap();
        use std::os::unix::fs::symlink;
        symlink("real/f.txt", root.join("dup.txt")).unwrap(); // walked anyway
        symlink(".git/objects/evil.pkl", root.join("model.pkl")).unwrap(); // into an excluded folder
        symlink(".git", root.join("hidden")).unwrap(); // a folder link into it
        symlink("../outside.txt", root.join("out.txt")).unwrap();
        symlink(dir.join("outside.txt"), root.join("abs.txt")).unwrap();
        symlink("/real/f.txt", root.join("rooted.txt")).unwrap(); // absolute: from the root
        symlink("nowhere", root.join("dangling")).unwrap();
        symlink("loop-b", root.join("loop-a")).unwrap();
        symlink("loop-a", root.join("loop-b")).unwrap();
        symlink("..", root.join("hidden-up")).unwrap();
        let w = walk(&root, &WalkOptions::default());
        assert_eq!(
            names(&w),
            vec!["hidden/objects/evil.pkl", "model.pkl", "real/f.txt"]
        );
        let model = w.files.iter().find(|e| e.relative == "model.pkl").unwrap();
        assert_eq!(model.link.as_deref(), Some(".git/objects/evil.pkl"));
        let s = skipped(&w);
        for (path, reason) in [
            (".git", SkipReason::Excluded),
            ("out.txt", SkipReason::Symlink),
            ("dangling", SkipReason::Symlink),
            ("loop-a", SkipReason::Symlink),
            ("loop-b", SkipReason::Symlink),
            ("hidden-up", SkipReason::Symlink),
        ] {
            assert!(s.contains(&(path, reason)), "{path}: {s:?}");
        }
        // An absolute target outside the root resolves inside it, and does
        // not exist there: listed as dangling, never read from the host.
        assert!(s.contains(&("abs.txt", SkipReason::Symlink)), "{s:?}");
        assert!(!names(&w).contains(&"rooted.txt"), "reached at real/f.txt");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn excludes_match_names_anywhere_and_paths_from_the_root() {
        let dir = tree("exclude");
        std::fs::create_dir_all(dir.join("x/node_modules/m")).unwrap();
        std::fs::write(dir.join("x/node_modules/m/i.js"), "").unwrap();
        std::fs::write(dir.join("x/keep.log"), "").unwrap();
        let options = WalkOptions {
            exclude: vec!["node_modules".into(), "b/**".into(), ".git".into()],
            ..Default::default()
        };
        let w = walk(&dir, &options);
        assert_eq!(names(&w), vec!["a.txt", "x/keep.log"]);
        let s = skipped(&w);
        assert!(
            s.contains(&("x/node_modules", SkipReason::Excluded)),
            "{s:?}"
        );
        assert!(
            s.contains(&("b/c", SkipReason::Excluded)) || s.contains(&("b", SkipReason::Excluded)),
            "{s:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn report_gaps_lists_every_path_and_marks_checks_incomplete() {
        let walk = Walk {
            files: Vec::new(),
            skipped: vec![
                Skip {
                    relative: ".git".into(),
                    reason: SkipReason::Excluded,
                    detail: "x".into(),
                },
                Skip {
                    relative: "a.pkl".into(),
                    reason: SkipReason::SpecialFile,
                    detail: "a FIFO".into(),
                },
                Skip {
                    relative: "b.pkl".into(),
                    reason: SkipReason::Unreadable,
                    detail: "denied".into(),
                },
            ],
        };
        let mut scan = Scan::new(vec![crate::Check::new(
            "M-1",
            "CODE-4",
            crate::Severity::High,
            "m",
            "r",
            &[],
        )]);
        walk.report_gaps(&mut scan, "target", |_| vec!["M-1"]);
        assert_eq!(scan.skipped_paths().len(), 3);
        assert_eq!(
            scan.incomplete_checks()["M-1"],
            "a.pkl and 1 more not examined (not a regular file: a FIFO)"
        );
    }

    #[test]
    fn link_targets_resolve_lexically_inside_the_root() {
        assert_eq!(resolve_link("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(resolve_link("a", "/etc/x").as_deref(), Some("etc/x"));
        assert_eq!(resolve_link("", "../x"), None);
        assert_eq!(resolve_link("a", "../../x"), None);
        assert_eq!(resolve_link("a", "./.").as_deref(), Some("a"));
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
        assert!(matches!(
            read_text(&dir, 4),
            Err(ReadError::NotRegular("folder"))
        ));
        assert!(read_text(&dir.join("missing"), 4).unwrap_err().is_missing());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
