//! Scanning one file: recognise its format by content, parse it with the
//! matching reader, descend into containers within limits, and turn what
//! the readers found into findings.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::rc::Rc;

use aicomply_sdk::fs::{ReadError, open_regular};
use aicomply_sdk::{Location, Scan, Severity};

use crate::pickle::policy::{self, Class};
use crate::pickle::{self, EventKind, Stop};
use crate::{checks, compress, gguf, keras, numpy, protobuf, safetensors, tar, zip};

/// Scan limits and policy.
#[derive(Debug, Clone)]
pub struct Config {
    pub pickle: pickle::Limits,
    /// Archives inside archives.
    pub max_archive_depth: usize,
    pub max_members: usize,
    /// Uncompressed/compressed ratio above which a member is a bomb.
    pub max_ratio: u64,
    /// Bytes decompressed per file, across all its members.
    pub max_expanded: u64,
    /// Largest nested archive or config read into memory.
    pub max_in_memory: u64,
    /// Treat imports outside the allow-list as failing (medium), not info.
    pub suspicious_fails: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            pickle: pickle::Limits::default(),
            max_archive_depth: 4,
            max_members: 100_000,
            max_ratio: 200,
            max_expanded: 16 << 30,
            max_in_memory: 256 << 20,
            suspicious_fails: false,
        }
    }
}

/// Extensions under which a file is expected to be a model, so a file that
/// fails to parse is reported invalid rather than ignored.
const MODEL_EXTENSIONS: &[&str] = &[
    "pkl",
    "pickle",
    "p",
    "pt",
    "pth",
    "bin",
    "ckpt",
    "joblib",
    "jl",
    "dat",
    "data",
    "sav",
    "model",
    "pck",
    "npy",
    "npz",
    "h5",
    "hdf5",
    "keras",
    "onnx",
    "safetensors",
    "gguf",
    "mar",
    "pb",
    "z",
    "gz",
    "bz2",
    "xz",
    "lzma",
];

/// How a Git LFS pointer file starts: the model is elsewhere.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";

const PICKLE_EXTENSIONS: &[&str] = &[
    "pkl", "pickle", "p", "pt", "pth", "bin", "ckpt", "joblib", "jl", "dat", "data", "sav",
    "model", "pck",
];

/// A file or an in-memory member, readable from the start as often as needed.
#[derive(Clone)]
enum Source {
    File(PathBuf),
    Memory(Held),
}

/// Bytes read into memory, shared without copying (`Rc<[u8]>` from a
/// `Vec` would copy, doubling for a moment what a member of up to
/// `max_in_memory` bytes costs).
#[derive(Clone)]
struct Held(Rc<Vec<u8>>);

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl Source {
    /// Read from the start. A file is opened again each time, and only if
    /// it is still a regular file: one swapped for a FIFO since would block
    /// the plugin on open.
    fn open(&self) -> Result<Box<dyn ReadSeek>, ReadError> {
        Ok(match self {
            Source::File(p) => Box::new(open_regular(p)?.0),
            Source::Memory(m) => Box::new(Cursor::new(m.clone())),
        })
    }
}

/// Where something is: the file, and the members leading into it.
#[derive(Clone)]
struct Place {
    path: String,
    members: Vec<String>,
}

impl Place {
    fn location(&self) -> Location {
        let loc = Location::target(self.path.clone());
        if self.members.is_empty() {
            loc
        } else {
            loc.member(self.members.join("!"))
        }
    }

    /// The file and members, as messages name them.
    fn name(&self) -> String {
        std::iter::once(self.path.as_str())
            .chain(self.members.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("!")
    }

    fn child(&self, member: &str) -> Place {
        let mut p = self.clone();
        p.members.push(member.to_string());
        p
    }
}

/// What kind of content a byte prefix shows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    /// Protocol 2+ pickle (has the PROTO magic).
    Pickle,
    /// Starts with a protocol 0/1 opcode: a pickle only if it parses.
    MaybePickle,
    Zip,
    Npy,
    Safetensors,
    Gguf,
    Hdf5,
    Tar,
    Compressed(compress::Codec),
    /// A 7z archive, which aicomply does not open.
    SevenZip,
}

fn sniff(head: &[u8], len: u64) -> Option<Format> {
    match head {
        [0x80, 2..=5, ..] => Some(Format::Pickle),
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Some(Format::Zip),
        h if h.starts_with(numpy::MAGIC) => Some(Format::Npy),
        h if h.starts_with(gguf::MAGIC) => Some(Format::Gguf),
        h if h.starts_with(b"\x89HDF\r\n\x1a\n") => Some(Format::Hdf5),
        h if h.starts_with(b"7z\xbc\xaf\x27\x1c") => Some(Format::SevenZip),
        h if tar::sniff(h) => Some(Format::Tar),
        h if safetensors::sniff(h, len) => Some(Format::Safetensors),
        h => match compress::sniff(h) {
            Some(c) => Some(Format::Compressed(c)),
            None if h.first().is_some_and(|&b| pickle::is_pickle_start(b)) => {
                Some(Format::MaybePickle)
            }
            None => None,
        },
    }
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

pub struct Scanner<'a> {
    scan: &'a mut Scan,
    config: &'a Config,
    /// Model files recognised (whatever their verdict).
    pub models: usize,
    expanded: u64,
    /// Bytes of members held in memory by the archives being scanned: a
    /// member holds its nested member while that is scanned, so the
    /// `max_in_memory` limit applies to them together.
    held: u64,
    /// The file being scanned was found unreadable (and said so) already.
    unread: bool,
}

impl<'a> Scanner<'a> {
    pub fn new(scan: &'a mut Scan, config: &'a Config) -> Self {
        Self {
            scan,
            config,
            models: 0,
            expanded: 0,
            held: 0,
            unread: false,
        }
    }

    /// Scan one file of the target. Returns whether it was a model file.
    pub fn scan_file(&mut self, path: PathBuf, rel: &str) -> bool {
        self.expanded = 0;
        self.unread = false;
        let place = Place {
            path: rel.to_string(),
            members: Vec::new(),
        };
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let ext = extension(name);
        // One path lookup per file: open, then size and head from the handle.
        let opened = open_regular(&path).and_then(|(f, len)| {
            // Exactly the bytes wanted, so no extra read to find the end.
            let want = len.min(64 << 10);
            let mut head = Vec::with_capacity(want as usize);
            f.take(want).read_to_end(&mut head).map_err(ReadError::Io)?;
            Ok((head, len))
        });
        let source = Source::File(path);
        let (head, len) = match opened {
            Ok(x) => x,
            Err(e) => {
                self.unread(&place, e);
                return false;
            }
        };
        // A small file was read whole: work from memory, not the file again.
        let source = if head.len() as u64 == len {
            Source::Memory(Held(Rc::new(head.clone())))
        } else {
            source
        };
        if name == "saved_model.pb" {
            self.models += 1;
            self.saved_model(&source, len, &place);
            return true;
        }
        if ext == "onnx" {
            self.models += 1;
            self.onnx(&source, len, &place);
            return true;
        }
        let found = self.content(&source, &head, len, &place, name, 0, true);
        if found {
            self.models += 1;
        }
        found
    }

    /// Dispatch on content. `top` marks a file of the target (for CODE-3).
    #[allow(clippy::too_many_arguments)]
    fn content(
        &mut self,
        source: &Source,
        head: &[u8],
        len: u64,
        place: &Place,
        name: &str,
        depth: usize,
        top: bool,
    ) -> bool {
        let ext = extension(name);
        let expected_model = MODEL_EXTENSIONS.contains(&ext.as_str());
        match sniff(head, len) {
            Some(f @ (Format::Pickle | Format::MaybePickle)) => {
                // A zip behind the bytes (leading junk, or a pickle with a
                // zip appended) is scanned as a zip as well; then bytes in
                // front that do not parse are the zip's business.
                let has_zip = self
                    .open(source, place)
                    .is_some_and(|mut r| zip::has_end_record(&mut r, len).unwrap_or(false));
                let strict =
                    (f == Format::Pickle || PICKLE_EXTENSIONS.contains(&ext.as_str())) && !has_zip;
                let was = self.pickle_source(source, place, strict, top.then_some("a pickle"));
                if has_zip {
                    self.zip(source, len, place, depth, top, false);
                }
                was || has_zip
            }
            Some(Format::Zip) => {
                // `PK...` is also a protocol 0 PERSID opcode: a "zip" whose
                // directory does not read may be a pickle, and is tried as
                // one before it is reported broken.
                self.zip(source, len, place, depth, top, true);
                true
            }
            Some(Format::Npy) => {
                self.npy(source, head, place, top);
                true
            }
            Some(Format::Safetensors) => {
                self.safetensors(source, head, len, place);
                true
            }
            Some(Format::Gguf) => {
                let Some(r) = self.open(source, place) else {
                    return true;
                };
                match gguf::validate(r, len) {
                    Ok(_) => {}
                    // `G` is also BINFLOAT: tried as a pickle before it is
                    // reported broken.
                    Err(_) if self.fallback_pickle(source, place, top) => {}
                    Err(e) => self.finding(
                        checks::MODEL_INVALID,
                        place,
                        format!("not a valid GGUF file: {e}"),
                        None,
                    ),
                }
                true
            }
            Some(Format::Hdf5) => {
                self.hdf5(source, len, place, top);
                true
            }
            Some(Format::Compressed(codec)) => {
                // A protocol 0/1 pickle can pass a compression header check
                // (`(S` is a valid zlib header): content that starts like a
                // pickle is tried as one first, and only then decompressed.
                if head.first().is_some_and(|&b| pickle::is_pickle_start(b)) {
                    // Not strict: bytes that do not parse as a pickle are
                    // the compressed stream's to explain.
                    if self.pickle_source(source, place, false, top.then_some("a pickle")) {
                        return true;
                    }
                }
                if self.compressed(source, codec, place, name, depth, expected_model, top) {
                    return true;
                }
                self.unrecognised(place, name, head, top)
            }
            Some(Format::Tar) => self.tar(source, len, place, depth, top),
            Some(Format::SevenZip) => self.seven_zip(source, place, depth),
            None if head.starts_with(LFS_POINTER) => self.unrecognised(place, name, head, top),
            None => {
                // Data in front of an archive hides the zip magic: look for
                // its end record when the name says "model".
                if expected_model && self.polyglot_zip(source, len, place, depth) {
                    return true;
                }
                if ext == "safetensors" && head.len() >= 8 {
                    self.safetensors(source, head, len, place);
                    return true;
                }
                if expected_model
                    && matches!(
                        ext.as_str(),
                        "safetensors" | "npy" | "gguf" | "h5" | "keras" | "npz"
                    )
                {
                    self.finding(
                        checks::MODEL_INVALID,
                        place,
                        format!("named .{ext} but its content is not that format"),
                        None,
                    );
                    return true;
                }
                self.unrecognised(place, name, head, top)
            }
        }
    }

    /// A file of the target whose name says model (a model extension other
    /// than the catch-all `.bin`/`.dat`/`.data`, or a `.bin` whose name says
    /// model, as `pytorch_model.bin`) but whose content no reader accepted:
    /// reported as not scanned, never silently passed over. Returns whether
    /// it was reported.
    fn unrecognised(&mut self, place: &Place, name: &str, head: &[u8], top: bool) -> bool {
        let ext = extension(name);
        let lower = name.to_ascii_lowercase();
        let generic = matches!(
            ext.as_str(),
            "bin" | "dat" | "data" | "z" | "gz" | "bz2" | "xz" | "lzma" | "pb" | "model" | "p"
        );
        // A Git LFS pointer under any model extension (`training_args.bin`)
        // stands for a file that is not in the tree: say so.
        let model_named = MODEL_EXTENSIONS.contains(&ext.as_str())
            && (!generic
                || lower.contains("model")
                || lower.contains("checkpoint")
                || lower.contains("weights")
                || head.starts_with(LFS_POINTER));
        // The file itself, or a member of an archive (reported by its own
        // name); not a re-reading of the file under another format.
        if !model_named || (!top && place.members.is_empty()) {
            return false;
        }
        let shown = place
            .members
            .last()
            .map_or(place.path.as_str(), String::as_str);
        let what = if head.is_empty() {
            "it is empty"
        } else if head.starts_with(LFS_POINTER) {
            "it is a Git LFS pointer: the model itself is not in the tree (git lfs pull, then scan again)"
        } else {
            "its content is no format aicomply reads (truncated, random or an unknown container)"
        };
        self.finding(
            checks::MODEL_UNRECOGNISED,
            place,
            format!("{shown} is named like a model but {what}: not scanned"),
            None,
        );
        true
    }

    fn finding(&mut self, check: &str, place: &Place, message: String, evidence: Option<String>) {
        if check == checks::MODEL_INCOMPLETE {
            // What was not scanned may hold anything: no model check passes
            // on a file seen only in part.
            let reason = format!("{} was scanned only in part: {message}", place.name());
            for c in checks::MODEL_CHECKS {
                self.scan.incomplete(c, reason.clone());
            }
        }
        let f = self.scan.finding(check, message).at(place.location());
        if let Some(e) = evidence {
            f.evidence(e);
        }
    }

    /// Open `source`, or say why its file could not be examined.
    fn open(&mut self, source: &Source, place: &Place) -> Option<Box<dyn ReadSeek>> {
        match source.open() {
            Ok(r) => Some(r),
            Err(e) => {
                self.unread(place, e);
                None
            }
        }
    }

    /// A file of the target that could not be opened or read (its
    /// permissions, a FIFO swapped in, ...): listed as not examined, and,
    /// since any file may be a model, every model check is incomplete.
    /// Once per file, however many of its readers fail.
    fn unread(&mut self, place: &Place, e: ReadError) {
        if std::mem::replace(&mut self.unread, true) {
            return;
        }
        let location = Location::target(place.path.clone());
        self.scan.skipped(location, e.skip_reason(), e.to_string());
        for check in checks::MODEL_CHECKS {
            self.scan
                .incomplete(check, format!("{} not examined: {e}", place.path));
        }
    }

    fn format_finding(&mut self, place: &Place, what: &str) {
        self.finding(
            checks::PICKLE_FORMAT,
            place,
            format!(
                "{} is {what}: loading it runs code chosen by whoever wrote it",
                place.path
            ),
            None,
        );
    }

    /// Content whose magic said another format that did not parse: a
    /// pickle if it parses as one (or calls something before it breaks).
    fn fallback_pickle(&mut self, source: &Source, place: &Place, top: bool) -> bool {
        self.pickle_source(source, place, false, top.then_some("a pickle"))
    }

    /// Scan a pickle stream from the start of `source`. With `strict`, a
    /// stream that does not parse is reported invalid; without, it simply
    /// was not a pickle. Returns whether it was a pickle.
    fn pickle_source(
        &mut self,
        source: &Source,
        place: &Place,
        strict: bool,
        format: Option<&str>,
    ) -> bool {
        match self.open(source, place) {
            Some(r) => self.pickle_stream(r, Again::Source(source, 0, None), place, strict, format),
            None => true,
        }
    }

    fn pickle_stream(
        &mut self,
        reader: impl Read,
        again: Again,
        place: &Place,
        strict: bool,
        format: Option<&str>,
    ) -> bool {
        let outcome = pickle::scan(reader, &self.config.pickle);
        if let Some(at) = outcome.frames_diverge
            && !matches!(outcome.stop, Stop::Invalid { .. } if !strict && !calls_a_python_name(&outcome.events))
        {
            self.read_as_file(again, at, &outcome.events, place);
        }
        if let Stop::Invalid { offset, reason } = &outcome.stop {
            // Without a pickle's name or magic, only a stream that parses
            // completely counts as one (text files start with opcode bytes),
            // or one that calls a real Python name before it breaks:
            // CPython has run that call by the time it meets the damage.
            if !strict && !calls_a_python_name(&outcome.events) {
                return false;
            }
            self.finding(
                checks::MODEL_INVALID,
                place,
                format!("not a valid pickle: {reason} (at byte {offset})"),
                None,
            );
        }
        if let Stop::Incomplete { offset, limit } = &outcome.stop {
            self.finding(
                checks::MODEL_INCOMPLETE,
                place,
                format!("scan stopped at byte {offset}: {limit}"),
                None,
            );
        }
        if let Some(what) = format {
            let what = if outcome.torch_legacy {
                "a legacy PyTorch checkpoint (stacked pickles)"
            } else {
                what
            };
            self.format_finding(place, what);
        }
        self.judge(&outcome.events, place);
        true
    }

    /// The stream again from its start, for a second reading.
    fn reopen(&mut self, again: Again, place: &Place) -> Option<Box<dyn Read>> {
        match again {
            Again::Source(source, offset, take) => {
                let mut r = self.open(source, place)?;
                r.seek(SeekFrom::Start(offset)).ok()?;
                Some(match take {
                    Some(n) => Box::new(r.take(n)),
                    None => Box::new(r),
                })
            }
            Again::Member(source, e) => {
                let file = self.open(source, place)?;
                self.open_member(file, e)
                    .ok()
                    .map(|(r, _)| Box::new(r) as Box<dyn Read>)
            }
            Again::Decompressed(source, codec) => {
                let r = self.open(source, place)?;
                compress::decoder(codec, Box::new(r), self.config.max_in_memory).ok()
            }
        }
    }

    /// A stream whose FRAMEs a file reader and an in-order reader read
    /// differently (python/cpython#154848): `torch.load` and `pickle.load`
    /// read `data.pkl` from a file, so it is scanned that way too, and
    /// what only that reading shows is reported with the irregular frame.
    fn read_as_file(&mut self, again: Again, at: u64, seen: &[pickle::Event], place: &Place) {
        let msg = format!(
            "an operand or frame at byte {at} runs past the end of its FRAME: CPython's C unpickler reading a file (as torch.load reads data.pkl) then takes other bytes as opcodes than pickle.loads does; both readings were scanned"
        );
        self.finding(
            checks::ARCHIVE_UNSAFE,
            place,
            msg,
            Some(format!("FRAME @ {at}")),
        );
        let Some(reader) = self.reopen(again, place) else {
            return;
        };
        let outcome = pickle::scan_as_file_read(reader, &self.config.pickle);
        let only_here: Vec<pickle::Event> = outcome
            .events
            .into_iter()
            .filter(|e| !seen.iter().any(|s| s.kind == e.kind))
            .collect();
        self.judge(&only_here, place);
    }

    /// A dangerous callable the pickle calls: where, by which opcode, and
    /// what it can do (and which published bypass it is, if one is).
    fn call_finding(
        &mut self,
        place: &Place,
        full: &str,
        (offset, opcode, path): &Call,
        danger: policy::Danger,
        gadget: Option<&policy::Gadget>,
    ) {
        let known = gadget
            .map(|g| format!(" (a published scanner bypass: {})", g.advisory))
            .unwrap_or_default();
        let msg = format!(
            "{opcode} {full} at byte {offset}{}: it {}{known}",
            nested(path),
            danger.explain()
        );
        let mut evidence = format!("{opcode} {full} @ {offset}");
        if let Some(g) = gadget {
            evidence.push_str(&format!(" [{}]", g.url()));
        }
        self.finding(checks::PICKLE_CALL, place, msg, Some(evidence));
    }

    /// A dangerous name the pickle imports but does not call directly.
    fn import_finding(
        &mut self,
        place: &Place,
        full: &str,
        e: &pickle::Event,
        danger: policy::Danger,
    ) {
        let msg = format!(
            "imports {full} at byte {}{} without calling it directly: it {}",
            e.offset,
            nested(&e.path),
            danger.explain()
        );
        let evidence = format!("GLOBAL {full} @ {}", e.offset);
        self.finding(checks::PICKLE_IMPORT, place, msg, Some(evidence));
    }

    /// Turn pickle events into findings. Every global is judged once, at
    /// its first import (or, for classes reached only through copyreg, its
    /// first call): a call outside the known-safe set fails, a dangerous
    /// name fails whether called or not.
    fn judge(&mut self, events: &[pickle::Event], place: &Place) {
        let mut called: BTreeMap<(String, String), Call> = BTreeMap::new();
        for e in events {
            if let EventKind::Call {
                module,
                name,
                opcode,
            } = &e.kind
            {
                called.entry((module.clone(), name.clone())).or_insert((
                    e.offset,
                    opcode,
                    e.path.clone(),
                ));
            }
        }
        let mut imported_only: Vec<String> = Vec::new();
        let mut unknown_calls: Vec<(String, Call)> = Vec::new();
        let mut judged = std::collections::BTreeSet::new();
        for e in events {
            match &e.kind {
                EventKind::Import { module, name } | EventKind::Call { module, name, .. } => {
                    let key = (module.clone(), name.clone());
                    if !judged.insert(key.clone()) {
                        continue;
                    }
                    let full = format!("{module}.{name}");
                    let call = called.get(&key);
                    match (policy::classify(module, name), call) {
                        (Class::Allowed, _) => {}
                        (Class::Suspicious, Some(call)) => unknown_calls.push((full, call.clone())),
                        (Class::Suspicious, None) => imported_only.push(full),
                        (Class::Gadget(g), Some(call)) => {
                            self.call_finding(place, &full, call, g.danger, Some(g))
                        }
                        (Class::Dangerous(danger), Some(call)) => {
                            self.call_finding(place, &full, call, danger, None)
                        }
                        (Class::Gadget(g), None) => self.import_finding(place, &full, e, g.danger),
                        (Class::Dangerous(danger), None) => {
                            self.import_finding(place, &full, e, danger)
                        }
                    }
                }
                EventKind::Unresolved { opcode, detail } => {
                    let msg = format!(
                        "{opcode} at byte {}{}: {detail}; what it calls cannot be known without running it",
                        e.offset,
                        nested(&e.path)
                    );
                    self.finding(
                        checks::PICKLE_UNRESOLVED,
                        place,
                        msg,
                        Some(format!("{opcode} @ {}", e.offset)),
                    );
                }
                EventKind::BuildOnGlobal { module, name } => {
                    let msg = format!(
                        "BUILD on {module}.{name} at byte {}{}: it sets attributes of a module or class when loaded",
                        e.offset,
                        nested(&e.path)
                    );
                    self.finding(
                        checks::PICKLE_CALL,
                        place,
                        msg,
                        Some(format!("BUILD {module}.{name} @ {}", e.offset)),
                    );
                }
                EventKind::PayloadNotScanned { detail } => {
                    let msg = format!(
                        "a nested loader at byte {}{} was not followed: {detail}",
                        e.offset,
                        nested(&e.path)
                    );
                    self.finding(checks::MODEL_INCOMPLETE, place, msg, None);
                }
            }
        }
        if !unknown_calls.is_empty() {
            let shown: Vec<String> = unknown_calls
                .iter()
                .take(10)
                .map(|(full, (offset, opcode, path))| {
                    format!("{full} ({opcode} at byte {offset}{})", nested(path))
                })
                .collect();
            let msg = format!(
                "calls {} outside the known-safe set of what framework checkpoints use: {}{}; loading it runs that code",
                count(
                    unknown_calls.len(),
                    "function or class",
                    "functions or classes"
                ),
                shown.join(", "),
                more(unknown_calls.len(), 10)
            );
            let evidence = unknown_calls
                .iter()
                .take(10)
                .map(|(full, (offset, opcode, _))| format!("{opcode} {full} @ {offset}"))
                .collect::<Vec<_>>()
                .join("; ");
            self.finding(checks::PICKLE_UNKNOWN_CALL, place, msg, Some(evidence));
        }
        if !imported_only.is_empty() {
            let shown: Vec<&str> = imported_only.iter().take(10).map(String::as_str).collect();
            let msg = format!(
                "imports code outside the known-safe frameworks without calling it: {}{}",
                shown.join(", "),
                more(imported_only.len(), 10)
            );
            let sev = if self.config.suspicious_fails {
                Severity::Medium
            } else {
                Severity::Info
            };
            self.scan
                .finding(checks::PICKLE_SUSPICIOUS, msg)
                .at(place.location())
                .severity(sev);
        }
    }

    /// A zip behind other data (a pickle with a zip appended, or junk in
    /// front of a checkpoint) is scanned as a zip too.
    fn polyglot_zip(&mut self, source: &Source, len: u64, place: &Place, depth: usize) -> bool {
        let Some(mut r) = self.open(source, place) else {
            return false;
        };
        if !zip::has_end_record(&mut r, len).unwrap_or(false) {
            return false;
        }
        self.zip(source, len, place, depth, true, false);
        true
    }

    /// A zip archive. With `pickle_fallback` (it was recognised by its
    /// magic alone), one whose directory does not read is tried as a pickle
    /// before it is reported broken: `PK...` is also a protocol 0 PERSID.
    fn zip(
        &mut self,
        source: &Source,
        len: u64,
        place: &Place,
        depth: usize,
        top: bool,
        pickle_fallback: bool,
    ) {
        let Some(mut r) = self.open(source, place) else {
            return;
        };
        let archive = match zip::open(&mut r, len, self.config.max_members) {
            Ok(a) => a,
            Err(_) if pickle_fallback && self.fallback_pickle(source, place, top) => return,
            Err(e) => {
                return self.finding(
                    checks::MODEL_INVALID,
                    place,
                    format!("not a readable zip archive: {e}"),
                    None,
                );
            }
        };
        if archive.leading > 0 {
            let msg = format!(
                "{} bytes of other data precede the zip archive (a loader that finds the archive from its end still reads it)",
                archive.leading
            );
            // (Whatever is in front was scanned as what it is by `content`.)
            self.finding(checks::ARCHIVE_UNSAFE, place, msg, None);
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &archive.entries {
            *seen.entry(e.name.as_str()).or_default() += 1;
        }
        for (name, n) in seen.iter().filter(|(_, n)| **n > 1) {
            let msg = format!(
                "member {name:?} appears {n} times; loaders disagree about which one they use, so all were scanned"
            );
            self.finding(checks::ARCHIVE_UNSAFE, place, msg, None);
        }
        let torch = archive.entries.iter().any(|e| e.name.ends_with("data.pkl"));
        let keras = archive.entries.iter().any(|e| e.name == "config.json")
            && archive.entries.iter().any(|e| e.name == "metadata.json");
        if top && torch {
            self.format_finding(place, "a PyTorch checkpoint (a pickle in a zip archive)");
        }
        for e in &archive.entries {
            if let Some(why) = e.slip() {
                self.finding(checks::ARCHIVE_UNSAFE, place, format!("member name {:?} is {why} (zip slip): extracting it writes outside the target folder", e.name), Some(e.name.clone()));
            }
            if e.is_dir() {
                continue;
            }
            let member_place = place.child(&e.name);
            if e.encrypted() && !self.plain_despite_flag(source, e, &member_place) {
                self.finding(
                    checks::MODEL_INCOMPLETE,
                    &member_place,
                    "member is encrypted and was not scanned".into(),
                    None,
                );
                continue;
            }
            if e.method != 0 && e.method != 8 {
                self.finding(
                    checks::MODEL_INCOMPLETE,
                    &member_place,
                    format!(
                        "compression method {} is not supported; member not scanned",
                        e.method
                    ),
                    None,
                );
                continue;
            }
            if e.size > 10 << 20 && e.size / e.compressed.max(1) > self.config.max_ratio {
                let msg = format!(
                    "member expands {} times ({} bytes from {}), beyond the {}x limit (a decompression bomb); not scanned",
                    e.size / e.compressed.max(1),
                    e.size,
                    e.compressed,
                    self.config.max_ratio
                );
                self.finding(checks::ARCHIVE_UNSAFE, &member_place, msg, None);
                continue;
            }
            self.member(source, e, &member_place, depth, keras);
        }
    }

    /// A member whose flags claim encryption but whose bytes read as a
    /// format aicomply knows: PyTorch's reader ignores the flag and loads
    /// it, while scanners that honour it skip the member, so the flag is
    /// tampering. It is reported, and the member is scanned as it is.
    fn plain_despite_flag(&mut self, source: &Source, e: &zip::Entry, place: &Place) -> bool {
        if e.method != 0 && e.method != 8 {
            return false;
        }
        let Some(file) = self.open(source, place) else {
            return false;
        };
        let mut head = Vec::new();
        let readable = match self.open_member(file, e) {
            Ok((reader, _)) => reader.take(64).read_to_end(&mut head).is_ok(),
            Err(_) => false,
        };
        let plain = readable && sniff(&head, e.size).is_some();
        if plain {
            let msg = format!(
                "member {:?} is flagged as encrypted but its data is plain {}: PyTorch ignores the flag and loads it, scanners that honour it skip it (tampering); scanned as it is",
                e.name,
                if e.method == 0 {
                    "stored bytes"
                } else {
                    "deflated bytes"
                }
            );
            self.finding(
                checks::ARCHIVE_UNSAFE,
                place,
                msg,
                Some(format!("flags {:#06x}", e.flags)),
            );
        }
        plain
    }

    /// Scan one archive member by its name and content.
    fn member(
        &mut self,
        source: &Source,
        e: &zip::Entry,
        place: &Place,
        depth: usize,
        keras_archive: bool,
    ) {
        let name = e.name.rsplit('/').next().unwrap_or(&e.name);
        let ext = extension(name);
        // PyTorch storages are raw tensor bytes that are never unpickled.
        let storage = e.name.split('/').rev().nth(1) == Some("data")
            && name.chars().all(|c| c.is_ascii_digit());
        let named_pickle = PICKLE_EXTENSIONS.contains(&ext.as_str()) && !storage;
        let Some(file) = self.open(source, place) else {
            return;
        };
        let mut reader = match self.open_member(file, e) {
            Ok((r, None)) => r,
            Ok((r, Some(mismatch))) => {
                let msg = format!(
                    "the central directory and the member's local header disagree: {mismatch}"
                );
                self.finding(checks::ARCHIVE_UNSAFE, place, msg, None);
                r
            }
            Err(msg) => return self.finding(checks::MODEL_INVALID, place, msg, None),
        };
        let mut head = Vec::new();
        if let Err(err) = (&mut reader).take(64).read_to_end(&mut head) {
            return self.finding(
                checks::MODEL_INVALID,
                place,
                format!("member cannot be decompressed: {err}"),
                None,
            );
        }
        let format = if storage { None } else { sniff(&head, e.size) };
        let mut chained = Cursor::new(head.clone()).chain(reader);
        let mut parsed = false;
        match format {
            Some(Format::Pickle) | Some(Format::MaybePickle)
                if named_pickle || format == Some(Format::Pickle) =>
            {
                self.pickle_stream(
                    &mut chained,
                    Again::Member(source, e),
                    place,
                    named_pickle || e.name.ends_with("data.pkl"),
                    None,
                );
                parsed = true;
            }
            Some(Format::Zip)
            | Some(Format::Npy)
            | Some(Format::Safetensors)
            | Some(Format::Gguf)
            | Some(Format::Hdf5)
            | Some(Format::Compressed(_))
            | Some(Format::SevenZip)
            | Some(Format::Tar)
                if !weak_zlib(format, &ext) =>
            {
                let container = matches!(
                    format,
                    Some(Format::Zip | Format::Tar | Format::Compressed(_) | Format::SevenZip)
                );
                if depth + 1 > self.config.max_archive_depth && container {
                    return self.finding(
                        checks::MODEL_INCOMPLETE,
                        place,
                        format!(
                            "archive nested deeper than {} levels; not scanned",
                            self.config.max_archive_depth
                        ),
                        None,
                    );
                }
                match self.read_all(&mut chained, e.size) {
                    Ok(bytes) => {
                        self.in_memory(bytes, place, name, depth + 1);
                    }
                    Err(msg) => self.finding(checks::MODEL_INCOMPLETE, place, msg, None),
                }
                return self.check_crc(chained.into_inner().1, e, place);
            }
            _ if keras_archive && e.name == "config.json" => {
                match self.read_all(&mut chained, e.size) {
                    Ok(bytes) => self.keras_config(&bytes, place),
                    Err(msg) => self.finding(checks::MODEL_INCOMPLETE, place, msg, None),
                }
                return self.check_crc(chained.into_inner().1, e, place);
            }
            _ if named_pickle => {
                self.finding(
                    checks::MODEL_INVALID,
                    place,
                    "named like a pickle but does not start like one".into(),
                    None,
                );
            }
            _ => {}
        }
        // Members that were not parsed (tensor storages, other data) are
        // not read further: a bad checksum there hides nothing from a
        // scanner, and reading gigabytes of weights would.
        if parsed {
            self.check_crc(chained.into_inner().1, e, place);
        }
    }

    fn check_crc(&mut self, mut rest: zip::MemberReader, e: &zip::Entry, place: &Place) {
        let _ = io::copy(&mut rest, &mut io::sink());
        self.expanded += rest.bytes_read();
        if rest.bytes_read() == e.size && rest.crc() != e.crc {
            let msg = format!(
                "member's CRC-32 is {:08x}, the archive says {:08x} (PyTorch loads it anyway; strict tools refuse it)",
                rest.crc(),
                e.crc
            );
            self.scan
                .finding(checks::ARCHIVE_UNSAFE, msg)
                .at(place.location())
                .severity(Severity::Low);
        }
    }

    /// A reader of the member's bytes (at most its declared size, within
    /// the file's expansion budget) and any local-header disagreement.
    fn open_member(
        &mut self,
        mut r: Box<dyn ReadSeek>,
        e: &zip::Entry,
    ) -> Result<(zip::MemberReader, Option<String>), String> {
        let (start, mismatch) = zip::data_start(&mut r, e)?;
        r.seek(SeekFrom::Start(start))
            .map_err(|err| err.to_string())?;
        let budget = self.config.max_expanded.saturating_sub(self.expanded);
        let raw: Box<dyn Read> = Box::new(r.take(e.compressed));
        let inner: Box<dyn Read> = if e.method == 8 {
            Box::new(flate2::read::DeflateDecoder::new(raw))
        } else {
            raw
        };
        Ok((zip::MemberReader::new(inner, budget.min(e.size)), mismatch))
    }

    fn read_all(&self, r: &mut impl Read, size: u64) -> Result<Vec<u8>, String> {
        let max = self.config.max_in_memory;
        if size > max {
            return Err(format!(
                "member of {size} bytes is larger than the {max}-byte limit for nested content; not scanned"
            ));
        }
        if size > max - self.held {
            return Err(format!(
                "member of {size} bytes does not fit in the {max}-byte limit for nested content with the {} bytes of the archives around it; not scanned",
                self.held
            ));
        }
        // The reader stops at the declared size: sized for it, the buffer
        // does not grow past it by doubling.
        let mut v = Vec::with_capacity(size as usize);
        r.take(size)
            .read_to_end(&mut v)
            .map_err(|e| format!("member cannot be decompressed: {e}"))?;
        // A member shorter than it claims keeps only what it holds.
        v.shrink_to_fit();
        Ok(v)
    }

    fn npy(&mut self, source: &Source, head: &[u8], place: &Place, top: bool) {
        match numpy::parse(head) {
            Err(e) => self.finding(
                checks::MODEL_INVALID,
                place,
                format!("not a valid .npy file: {e}"),
                None,
            ),
            Ok(h) if h.object => {
                if top || !place.members.is_empty() {
                    self.format_finding(place, "a NumPy object array (a pickle)");
                }
                let Some(mut r) = self.open(source, place) else {
                    return;
                };
                match r.seek(SeekFrom::Start(h.data_offset)) {
                    Ok(_) => {
                        let again = Again::Source(source, h.data_offset, None);
                        self.pickle_stream(r, again, place, true, None);
                    }
                    Err(e) => self.unread(place, ReadError::Io(e)),
                }
            }
            Ok(_) => {}
        }
    }

    fn safetensors(&mut self, source: &Source, head: &[u8], len: u64, place: &Place) {
        let header_len = u64::from_le_bytes(head[..8].try_into().expect("sniffed"));
        let result = if header_len > safetensors::MAX_HEADER || 8 + header_len > len {
            safetensors::validate(header_len, len, &[])
        } else {
            let Some(mut r) = self.open(source, place) else {
                return;
            };
            let mut h = vec![0u8; header_len as usize];
            if let Err(e) = r
                .seek(SeekFrom::Start(8))
                .and_then(|_| r.read_exact(&mut h))
            {
                return self.unread(place, ReadError::Io(e));
            }
            safetensors::validate(header_len, len, &h)
        };
        if let Err(e) = result {
            self.finding(
                checks::SAFETENSORS_INVALID,
                place,
                format!("not a valid safetensors file: {e}"),
                None,
            );
        }
    }

    fn hdf5(&mut self, source: &Source, len: u64, place: &Place, _top: bool) {
        // Attributes live in object headers near the start; read at most
        // the first 64 MiB.
        let limit = len.min(64 << 20);
        let Some(r) = self.open(source, place) else {
            return;
        };
        let mut bytes = Vec::new();
        if let Err(e) = r.take(limit).read_to_end(&mut bytes) {
            return self.unread(place, ReadError::Io(e));
        }
        let found = match keras::find_config_in_hdf5(&bytes) {
            Ok(found) => found,
            Err(e) => return self.finding(checks::MODEL_INCOMPLETE, place, e, None),
        };
        if let Some(config) = found {
            self.keras_layers(&config, place);
        } else if len > limit {
            self.finding(
                checks::MODEL_INCOMPLETE,
                place,
                format!(
                    "no Keras model_config in the first {limit} bytes; the rest was not searched"
                ),
                None,
            );
        }
    }

    fn keras_config(&mut self, bytes: &[u8], place: &Place) {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => self.keras_layers(&v, place),
            Err(e) => self.finding(
                checks::MODEL_INVALID,
                place,
                format!("Keras config.json is not JSON: {e}"),
                None,
            ),
        }
    }

    fn keras_layers(&mut self, config: &serde_json::Value, place: &Place) {
        for layer in keras::code_layers(config) {
            let msg = if layer.what == "Lambda" {
                format!(
                    "Lambda layer {} carries Python code that runs when the model is loaded or called",
                    layer.layer
                )
            } else {
                format!(
                    "layer {} comes from module {}, outside Keras: loading it imports and runs that module",
                    layer.layer, layer.what
                )
            };
            self.finding(checks::KERAS_LAMBDA, place, msg, Some(layer.what.clone()));
            self.finding(
                checks::PICKLE_FORMAT,
                place,
                format!("Keras model with code ({})", layer.what),
                None,
            );
        }
    }

    /// A compressed file: a joblib pickle (streamed), or an archive or
    /// model inside (a `.tar.gz`, a gzipped checkpoint), read into memory
    /// within the nested-content limit and scanned by its content.
    #[allow(clippy::too_many_arguments)]
    fn compressed(
        &mut self,
        source: &Source,
        codec: compress::Codec,
        place: &Place,
        name: &str,
        depth: usize,
        expected_model: bool,
        top: bool,
    ) -> bool {
        let Some(reader) = self.open(source, place) else {
            return false;
        };
        let decoded = match compress::decoder(codec, Box::new(reader), self.config.max_in_memory) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                self.finding(checks::MODEL_INCOMPLETE, place, e.to_string(), None);
                return true;
            }
            Err(e) => {
                if expected_model {
                    self.finding(
                        checks::MODEL_INVALID,
                        place,
                        format!("{} data cannot be decompressed: {e}", codec.name()),
                        None,
                    );
                }
                return expected_model;
            }
        };
        let mut head = Vec::new();
        let mut decoded = decoded;
        if (&mut decoded)
            .take(64 << 10)
            .read_to_end(&mut head)
            .is_err()
        {
            return false;
        }
        if matches!(head.as_slice(), [0x80, 2..=5, ..]) {
            let what = format!("a {}-compressed pickle (joblib)", codec.name());
            self.pickle_stream(
                Cursor::new(head).chain(decoded),
                Again::Decompressed(source, codec),
                place,
                true,
                top.then_some(what.as_str()),
            );
            return true;
        }
        // What the decompressed bytes are called: `x.tar.gz` holds `x.tar`.
        let inner_name = name
            .rsplit_once('.')
            .map(|(stem, _)| stem)
            .filter(|stem| !stem.is_empty())
            .unwrap_or(name)
            .to_string();
        if sniff(&head, u64::MAX).is_none() {
            // Compressed, but nothing aicomply reads is inside: reported
            // when the inner name says model (`weights.pkl.gz`), as a file
            // of that name would be.
            return self.unrecognised(&place.child(&inner_name), &inner_name, &head, top);
        }
        if depth + 1 > self.config.max_archive_depth {
            self.finding(
                checks::MODEL_INCOMPLETE,
                place,
                format!(
                    "{} stream nested deeper than {} levels; not scanned",
                    codec.name(),
                    self.config.max_archive_depth
                ),
                None,
            );
            return true;
        }
        let inner = place.child(&inner_name);
        let mut stream = Cursor::new(head).chain(decoded);
        match self.read_capped(&mut stream) {
            Ok(bytes) => {
                self.in_memory(bytes, &inner, &inner_name, depth + 1);
            }
            Err(msg) => self.finding(checks::MODEL_INCOMPLETE, &inner, msg, None),
        }
        true
    }

    /// A 7z archive (models have been shipped in 7z to get past scanners
    /// that open only zip): each member with data is decompressed within
    /// the nested-content limit and scanned by its content; an archive or
    /// member that cannot be read is reported, never passed over.
    /// Returns whether it held a model (or could not be read).
    fn seven_zip(&mut self, source: &Source, place: &Place, depth: usize) -> bool {
        use sevenz_rust2::{ArchiveReader, Error, Password};
        let Some(r) = self.open(source, place) else {
            return true;
        };
        if depth + 1 > self.config.max_archive_depth {
            let msg = format!(
                "7z archive nested deeper than {} levels; not scanned",
                self.config.max_archive_depth
            );
            self.finding(checks::MODEL_INCOMPLETE, place, msg, None);
            return true;
        }
        // Dictionaries of up to 64 MiB: a larger one is refused, not allocated.
        let mut archive = match ArchiveReader::new_with_memory_limit(r, Password::empty(), 64 << 10)
        {
            Ok(a) => a,
            Err(Error::PasswordRequired | Error::MaybeBadPassword(_)) => {
                let msg =
                    "7z archive whose headers are encrypted: its members were not scanned".into();
                self.finding(checks::MODEL_INCOMPLETE, place, msg, None);
                return true;
            }
            Err(e) => {
                self.finding(
                    checks::MODEL_INVALID,
                    place,
                    format!("not a readable 7z archive: {e}"),
                    None,
                );
                return true;
            }
        };
        // One thread: the plugin has one, and the host bounds its time.
        archive.set_thread_count(1);
        let max = self.config.max_in_memory;
        let mut members: Vec<(String, Result<Vec<u8>, String>)> = Vec::new();
        let mut budget = self.config.max_expanded.saturating_sub(self.expanded);
        let (held, mut collected) = (self.held, 0u64);
        let walked = archive.for_each_entries(|entry, reader| {
            if entry.is_directory || !entry.has_stream {
                return Ok(true);
            }
            if members.len() >= self.config.max_members {
                return Ok(false);
            }
            // Members are decoded in order (a solid block at a time) and
            // held until scanned: together they share the in-memory limit.
            let room = max.saturating_sub(held + collected).min(budget);
            let read = if entry.size > room {
                Err(format!(
                    "member of {} bytes does not fit in the {max}-byte limit for nested content (with the {} bytes held before it); not scanned",
                    entry.size,
                    held + collected
                ))
            } else {
                let mut v = Vec::new();
                match reader.take(entry.size).read_to_end(&mut v) {
                    Ok(_) => {
                        budget -= v.len() as u64;
                        collected += v.len() as u64;
                        Ok(v)
                    }
                    Err(e) => Err(format!("member cannot be decompressed: {e}")),
                }
            };
            members.push((entry.name.clone(), read));
            Ok(true)
        });
        self.expanded = self.config.max_expanded.saturating_sub(budget);
        let mut models = false;
        for (name, read) in members {
            let member_place = place.child(&name);
            if let Some(why) = zip::slip(&name) {
                let msg = format!(
                    "member name {name:?} is {why}: extracting it writes outside the target folder"
                );
                self.finding(checks::ARCHIVE_UNSAFE, place, msg, Some(name.clone()));
            }
            match read {
                Ok(bytes) => {
                    let base = name.rsplit('/').next().unwrap_or(&name).to_string();
                    models |= self.in_memory(bytes, &member_place, &base, depth + 1);
                }
                Err(msg) => {
                    self.finding(checks::MODEL_INCOMPLETE, &member_place, msg, None);
                    models = true;
                }
            }
        }
        if let Err(e) = walked {
            let msg = match e {
                Error::PasswordRequired | Error::MaybeBadPassword(_) => {
                    "7z members are encrypted: the rest of the archive was not scanned".to_string()
                }
                e => format!("the rest of the 7z archive cannot be read: {e}; not scanned"),
            };
            self.finding(checks::MODEL_INCOMPLETE, place, msg, None);
            models = true;
        }
        models
    }

    /// Decompressed bytes of unknown length, up to what the nested-content
    /// limit leaves (a decompression bomb stops there).
    fn read_capped(&mut self, r: &mut impl Read) -> Result<Vec<u8>, String> {
        let room = self.config.max_in_memory.saturating_sub(self.held);
        let mut v = Vec::new();
        r.take(room + 1)
            .read_to_end(&mut v)
            .map_err(|e| format!("cannot be decompressed: {e}"))?;
        if v.len() as u64 > room {
            return Err(format!(
                "expands beyond the {}-byte limit for nested content (with the {} bytes of the archives around it); not scanned past that",
                self.config.max_in_memory, self.held
            ));
        }
        self.expanded += v.len() as u64;
        Ok(v)
    }

    /// Scan bytes held in memory (a nested archive or a decompressed
    /// stream) by their content.
    /// Returns whether they were a model.
    fn in_memory(&mut self, bytes: Vec<u8>, place: &Place, name: &str, depth: usize) -> bool {
        let head = bytes[..bytes.len().min(64 << 10)].to_vec();
        let len = bytes.len() as u64;
        let member = Source::Memory(Held(Rc::new(bytes)));
        self.held += len;
        let model = self.content(&member, &head, len, place, name, depth, false);
        self.held -= len;
        model
    }

    /// A tar archive (any compression is taken off before). PyTorch's
    /// legacy tar checkpoint (members `sys_info`, `pickle`, `storages`,
    /// `tensors`) is scanned as the stacked pickles it holds; any other tar
    /// has each regular member scanned by its content, as a zip's are.
    /// Returns whether it held a model.
    fn tar(&mut self, source: &Source, len: u64, place: &Place, depth: usize, top: bool) -> bool {
        let Some(mut r) = self.open(source, place) else {
            return false;
        };
        let members = match tar::members(&mut r, len, self.config.max_members) {
            Ok(m) => m,
            // A name field is arbitrary bytes: a "tar" whose headers do not
            // read may be a pickle with `ustar` at byte 257.
            Err(_) if self.fallback_pickle(source, place, top) => return true,
            Err(e) => {
                self.finding(
                    checks::MODEL_INVALID,
                    place,
                    format!("not a readable tar archive: {e}"),
                    None,
                );
                return true;
            }
        };
        let torch = members.iter().any(|m| m.name == "pickle")
            && members.iter().any(|m| m.name == "sys_info");
        if !torch {
            return self.tar_members(source, &members, place, depth);
        }
        if top {
            self.format_finding(
                place,
                "a legacy PyTorch tar checkpoint (pickles in a tar archive)",
            );
        }
        for m in members.iter().filter(|m| {
            matches!(
                m.name.as_str(),
                "sys_info" | "pickle" | "storages" | "tensors"
            )
        }) {
            if let tar::Kind::Sparse { map, real } = &m.kind {
                self.tar_sparse(source, m, map, *real, place, depth);
                continue;
            }
            if m.kind != tar::Kind::File {
                self.tar_special(m, place);
                continue;
            }
            let member_place = place.child(&m.name);
            let Some(mut r) = self.open(source, place) else {
                return true;
            };
            match r.seek(SeekFrom::Start(m.offset)) {
                // `storages` and `tensors` hold raw bytes after their pickles.
                Ok(_) => {
                    self.pickle_stream(
                        r.take(m.size),
                        Again::Source(source, m.offset, Some(m.size)),
                        &member_place,
                        m.name == "pickle" || m.name == "sys_info",
                        None,
                    );
                }
                Err(e) => self.unread(place, ReadError::Io(e)),
            }
        }
        true
    }

    /// The members of a general tar archive, each by its content: pickles
    /// are streamed, other formats read into memory within the limits.
    fn tar_members(
        &mut self,
        source: &Source,
        members: &[tar::Member],
        place: &Place,
        depth: usize,
    ) -> bool {
        let mut models = false;
        for m in members {
            if let Some(why) = zip::slip(&m.name) {
                let msg = format!(
                    "member name {:?} is {why} (tar slip): extracting it writes outside the target folder",
                    m.name
                );
                self.finding(checks::ARCHIVE_UNSAFE, place, msg, Some(m.name.clone()));
            }
            if let tar::Kind::Sparse { map, real } = &m.kind {
                models |= self.tar_sparse(source, m, map, *real, place, depth);
                continue;
            }
            if m.kind != tar::Kind::File {
                models |= self.tar_special(m, place);
                continue;
            }
            let member_place = place.child(&m.name);
            let name = m.name.rsplit('/').next().unwrap_or(&m.name);
            let ext = extension(name);
            let Some(mut r) = self.open(source, place) else {
                return models;
            };
            if let Err(e) = r.seek(SeekFrom::Start(m.offset)) {
                self.unread(place, ReadError::Io(e));
                return models;
            }
            let mut reader = r.take(m.size);
            let mut head = Vec::new();
            if let Err(e) = (&mut reader).take(64 << 10).read_to_end(&mut head) {
                self.unread(place, ReadError::Io(e));
                return models;
            }
            let named_pickle = PICKLE_EXTENSIONS.contains(&ext.as_str());
            match sniff(&head, m.size) {
                Some(f @ (Format::Pickle | Format::MaybePickle)) => {
                    let strict = named_pickle || f == Format::Pickle;
                    let stream = Cursor::new(head).chain(reader);
                    let again = Again::Source(source, m.offset, Some(m.size));
                    models |= self.pickle_stream(stream, again, &member_place, strict, None);
                }
                Some(_) if depth + 1 > self.config.max_archive_depth => {
                    let msg = format!(
                        "archive nested deeper than {} levels; not scanned",
                        self.config.max_archive_depth
                    );
                    self.finding(checks::MODEL_INCOMPLETE, &member_place, msg, None);
                    models = true;
                }
                Some(_) => {
                    let mut stream = Cursor::new(head).chain(reader);
                    match self.read_all(&mut stream, m.size) {
                        Ok(bytes) => {
                            self.expanded += bytes.len() as u64;
                            models |= self.in_memory(bytes, &member_place, name, depth + 1);
                        }
                        Err(msg) => {
                            self.finding(checks::MODEL_INCOMPLETE, &member_place, msg, None);
                            models = true;
                        }
                    }
                }
                None if named_pickle => {
                    self.finding(
                        checks::MODEL_INVALID,
                        &member_place,
                        "named like a pickle but does not start like one".into(),
                        None,
                    );
                    models = true;
                }
                None => {}
            }
        }
        models
    }

    /// An old GNU sparse member: reassembled in memory (within the
    /// in-memory limit) as tarfile extracts it, then scanned by content.
    fn tar_sparse(
        &mut self,
        source: &Source,
        m: &tar::Member,
        map: &[(u64, u64)],
        real: u64,
        place: &Place,
        depth: usize,
    ) -> bool {
        let member_place = place.child(&m.name);
        let room = self.config.max_in_memory.saturating_sub(self.held);
        if real > room || m.size > room {
            let msg = format!(
                "member {:?} is a GNU sparse file of {real} bytes, beyond the {}-byte limit for nested content; not scanned",
                m.name, self.config.max_in_memory
            );
            self.finding(checks::MODEL_INCOMPLETE, &member_place, msg, None);
            return true;
        }
        let Some(mut r) = self.open(source, place) else {
            return true;
        };
        let mut stored = Vec::new();
        let read = r
            .seek(SeekFrom::Start(m.offset))
            .and_then(|_| r.take(m.size).read_to_end(&mut stored));
        if let Err(e) = read {
            self.unread(place, ReadError::Io(e));
            return true;
        }
        match tar::reassemble(map, real, &stored) {
            Ok(bytes) => {
                self.expanded += bytes.len() as u64;
                let name = m.name.rsplit('/').next().unwrap_or(&m.name).to_string();
                self.in_memory(bytes, &member_place, &name, depth + 1);
            }
            Err(e) => {
                let msg = format!("GNU sparse member {:?} cannot be reassembled: {e}", m.name);
                self.finding(checks::MODEL_INVALID, &member_place, msg, None);
            }
        }
        true
    }

    /// A tar member that is not plain data: a link that leaves the
    /// extraction folder is unsafe; a sparse file is not reassembled, so
    /// its content is not scanned (true: a finding was made).
    fn tar_special(&mut self, m: &tar::Member, place: &Place) -> bool {
        match &m.kind {
            tar::Kind::File => false,
            tar::Kind::Link { target, hard } => {
                let Some(why) = tar::link_escapes(&m.name, target, *hard) else {
                    return false;
                };
                let msg = format!(
                    "member {:?} is a {} link to {target:?}, {why}: extracting the archive makes a link out of the target folder, and members written through it land there",
                    m.name,
                    if *hard { "hard" } else { "symbolic" }
                );
                self.finding(
                    checks::ARCHIVE_UNSAFE,
                    place,
                    msg,
                    Some(format!("{} -> {target}", m.name)),
                );
                true
            }
            tar::Kind::SparseUnread => {
                let msg = format!(
                    "member {:?} is a sparse file in a pax format ({} bytes stored), which is not reassembled: its content was not scanned",
                    m.name, m.size
                );
                self.finding(checks::MODEL_INCOMPLETE, &place.child(&m.name), msg, None);
                true
            }
            // Reassembled by tar_sparse before it gets here.
            tar::Kind::Sparse { .. } => false,
        }
    }

    fn saved_model(&mut self, source: &Source, len: u64, place: &Place) {
        let Some(ops) =
            self.read_parsed(source, len, place, "SavedModel", protobuf::saved_model_ops)
        else {
            return;
        };
        const DANGEROUS: &[&str] = &[
            "ReadFile",
            "WriteFile",
            "MatchingFiles",
            "PyFunc",
            "PyFuncStateless",
            "EagerPyFunc",
            "ImmutableConst",
        ];
        let mut seen = std::collections::BTreeSet::new();
        for op in ops.iter().filter(|o| DANGEROUS.contains(&o.as_str())) {
            if seen.insert(op.clone()) {
                let msg = format!(
                    "the graph uses the {op} operation, which {}",
                    if op.contains("Py") {
                        "runs Python code"
                    } else {
                        "reads or writes the host's files"
                    }
                );
                self.finding(checks::TF_OPS, place, msg, Some(op.clone()));
            }
        }
    }

    fn onnx(&mut self, source: &Source, len: u64, place: &Place) {
        let Some(locations) = self.read_parsed(
            source,
            len,
            place,
            "ONNX model",
            protobuf::onnx_external_locations,
        ) else {
            return;
        };
        for loc in locations {
            let escapes = loc.starts_with('/')
                || loc.starts_with('\\')
                || (loc.len() > 1 && loc.as_bytes()[1] == b':')
                || loc.split(['/', '\\']).any(|c| c == "..");
            if escapes {
                let msg = format!("tensor data is read from {loc:?}, outside the model's folder");
                self.finding(checks::EXTERNAL_DATA, place, msg, Some(loc));
            }
        }
    }

    /// Reads a whole model file and parses it; a file that does not parse
    /// is an invalid-model finding naming the format, not a silent skip.
    fn read_parsed<T>(
        &mut self,
        source: &Source,
        len: u64,
        place: &Place,
        format_name: &str,
        parse: fn(&[u8]) -> Result<T, String>,
    ) -> Option<T> {
        let bytes = self.read_file(source, len, place)?;
        match parse(&bytes) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                let msg = format!("not a valid {format_name}: {e}");
                self.finding(checks::MODEL_INVALID, place, msg, None);
                None
            }
        }
    }

    /// A whole (protobuf) model file, or `None` after saying why it was
    /// not scanned: a skipped file is never silently clean.
    fn read_file(&mut self, source: &Source, len: u64, place: &Place) -> Option<Vec<u8>> {
        if len > self.config.max_in_memory {
            let msg = format!(
                "{len} bytes is over the {}-byte limit for reading a model whole; not scanned",
                self.config.max_in_memory
            );
            self.finding(checks::MODEL_INCOMPLETE, place, msg, None);
            return None;
        }
        let mut r = self.open(source, place)?;
        let mut v = Vec::new();
        match r.read_to_end(&mut v) {
            Ok(_) => Some(v),
            Err(e) => {
                self.unread(place, ReadError::Io(e));
                None
            }
        }
    }
}
/// Two bytes in one of 496 pass as a zlib header: a member that is
/// neither named as compressed nor a pickle is not decompressed on that
/// evidence alone (tensor bytes would be read whole and reported broken).
fn weak_zlib(format: Option<Format>, ext: &str) -> bool {
    format == Some(Format::Compressed(compress::Codec::Zlib))
        && !matches!(ext, "z" | "zlib" | "joblib" | "jl" | "pkl" | "pickle")
}

/// Whether a (broken) stream called a global whose module and name are
/// Python identifiers, which CPython could import: text that happens to
/// start with `c` yields "globals" with spaces and punctuation instead.
fn calls_a_python_name(events: &[pickle::Event]) -> bool {
    let dotted = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|part| {
                part.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    events.iter().any(|e| {
        matches!(&e.kind, EventKind::Call { module, name, .. } if dotted(module) && dotted(name))
    })
}

/// How to read a pickle stream again from its start.
#[derive(Clone, Copy)]
enum Again<'a> {
    /// From this offset of the source, this many bytes (or to the end).
    Source(&'a Source, u64, Option<u64>),
    /// A zip member of the source.
    Member(&'a Source, &'a zip::Entry),
    /// The source, decompressed.
    Decompressed(&'a Source, compress::Codec),
}

/// Where a global was first called: offset, opcode, nesting.
type Call = (u64, &'static str, Vec<u64>);

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// " and N more" past the first `shown`.
fn more(n: usize, shown: usize) -> String {
    if n > shown {
        format!(" and {} more", n - shown)
    } else {
        String::new()
    }
}

/// Where a nested payload sits, for messages: empty at the top level.
fn nested(path: &[u64]) -> String {
    if path.is_empty() {
        return String::new();
    }
    let offsets: Vec<String> = path.iter().map(|p| p.to_string()).collect();
    format!(" (inside a payload loaded at byte {})", offsets.join(" → "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip archive of stored members.
    fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let (mut out, mut cd) = (Vec::new(), Vec::new());
        for (name, data) in members {
            let crc = crc32fast::hash(data);
            let offset = out.len() as u32;
            let fields = |sig: &[u8], out: &mut Vec<u8>| {
                out.extend(sig);
                out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                out.extend(crc.to_le_bytes());
                out.extend((data.len() as u32).to_le_bytes());
                out.extend((data.len() as u32).to_le_bytes());
                out.extend((name.len() as u16).to_le_bytes());
                out.extend([0, 0]);
            };
            fields(b"PK\x03\x04", &mut out);
            out.extend(name.as_bytes());
            out.extend(*data);
            // Central entry: "version made by", then the same fields.
            fields(b"PK\x01\x02\x14\x00", &mut cd);
            cd.extend([0; 10]);
            cd.extend(offset.to_le_bytes());
            cd.extend(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend(&cd);
        out.extend(b"PK\x05\x06\0\0\0\0");
        out.extend((members.len() as u16).to_le_bytes());
        out.extend((members.len() as u16).to_le_bytes());
        out.extend((cd.len() as u32).to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    /// `stored_zip` with zip64 end records in front of the classic one, as
    /// torch.save writes them even for small archives.
    fn zip64_like_torch(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = stored_zip(members);
        let classic = z.split_off(z.len() - 22);
        let cd_size = u32::from_le_bytes(classic[12..16].try_into().unwrap()) as u64;
        let cd_offset = u32::from_le_bytes(classic[16..20].try_into().unwrap()) as u64;
        let n = members.len() as u64;
        let z64_pos = z.len() as u64;
        z.extend(b"PK\x06\x06");
        z.extend(44u64.to_le_bytes());
        z.extend([45, 0, 45, 0]);
        z.extend([0u8; 8]);
        for v in [n, n, cd_size, cd_offset] {
            z.extend(v.to_le_bytes());
        }
        z.extend(b"PK\x06\x07\0\0\0\0");
        z.extend(z64_pos.to_le_bytes());
        z.extend(1u32.to_le_bytes());
        z.extend(classic);
        z
    }

    #[test]
    fn a_torchscript_archive_with_zip64_records_is_scanned() {
        let data = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00ctorch.jit._pickle\nbuild_intlist\n]K\x01a\x85R.";
        let evil = b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";
        let archive = zip64_like_torch(&[
            ("model/version", b"3\n"),
            ("model/code/__torch__.py", b"class M(Module):\n  pass\n"),
            ("model/data.pkl", data),
            ("model/constants.pkl", evil),
        ]);
        let scan = scan_with(&archive, 1 << 20);
        let mut got: Vec<(String, Option<String>)> = scan
            .findings()
            .iter()
            .map(|f| {
                (
                    f.check_id.clone(),
                    f.location.as_ref().unwrap().member.clone(),
                )
            })
            .collect();
        got.sort();
        // No "data in front of the archive", TorchScript's own globals are
        // safe, and the dangerous call in the same archive is found.
        assert_eq!(
            got,
            vec![
                (checks::PICKLE_FORMAT.to_string(), None),
                (
                    checks::PICKLE_CALL.to_string(),
                    Some("model/constants.pkl".to_string())
                ),
            ]
        );
    }

    fn scan_with(bytes: &[u8], max_in_memory: u64) -> Scan {
        let dir = std::env::temp_dir().join(format!(
            "aicomply-code-nested-{}-{max_in_memory}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("outer.zip");
        std::fs::write(&path, bytes).unwrap();
        let config = Config {
            max_in_memory,
            ..Config::default()
        };
        let mut scan = Scan::new(checks::catalogue());
        Scanner::new(&mut scan, &config).scan_file(path, "outer.zip");
        std::fs::remove_dir_all(&dir).unwrap();
        scan
    }

    /// A fresh folder for one test.
    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aicomply-code-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Run `f` on a thread of its own; `None` if it had not returned in 20 s
    /// (a FIFO that was opened blocks for ever).
    fn within_20s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(20)).ok()
    }

    /// Every model check is incomplete, for a reason naming `what`.
    fn assert_model_checks_incomplete(scan: &Scan, what: &str) {
        for check in checks::MODEL_CHECKS {
            let reason = scan.incomplete_checks().get(*check);
            assert!(
                reason.is_some_and(|r| r.contains(what)),
                "{check}: {reason:?}"
            );
        }
    }

    #[test]
    fn a_fifo_swapped_in_after_the_walk_is_refused_not_opened() {
        let dir = folder("fifo");
        let fifo = dir.join("weights");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        // A file of the walk, named like no model: models are recognised by
        // content, so it mattered.
        let path = fifo.clone();
        let scan = within_20s(move || {
            let mut scan = Scan::new(checks::catalogue());
            let config = Config::default();
            let found = Scanner::new(&mut scan, &config).scan_file(path, "weights");
            (found, scan)
        });
        let (found, scan) = scan.expect("scan_file returned instead of blocking on the FIFO");
        assert!(!found);
        let skipped: Vec<_> = scan
            .skipped_paths()
            .iter()
            .map(|s| (s.location.path.as_str(), s.reason))
            .collect();
        assert_eq!(
            skipped,
            vec![("weights", aicomply_sdk::SkipReason::SpecialFile)]
        );
        assert_model_checks_incomplete(&scan, "weights not examined");
        // Opened again later (a large file is read more than once), the
        // same path is refused the same way.
        let opened = within_20s(move || Source::File(fifo).open().err().map(|e| e.skip_reason()));
        assert_eq!(
            opened.expect("Source::open returned instead of blocking"),
            Some(aicomply_sdk::SkipReason::SpecialFile)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_cannot_be_read_is_listed_whatever_its_name() {
        // Gone since the walk listed it (as unreadable as one without
        // permission, which root, running these tests, reads anyway).
        let dir = folder("gone");
        let mut scan = Scan::new(checks::catalogue());
        let config = Config::default();
        let found = Scanner::new(&mut scan, &config).scan_file(dir.join("notes.txt"), "notes.txt");
        assert!(!found);
        assert_eq!(scan.skipped_paths().len(), 1);
        let s = &scan.skipped_paths()[0];
        assert_eq!(
            (s.location.path.as_str(), s.reason),
            ("notes.txt", aicomply_sdk::SkipReason::Unreadable)
        );
        assert!(s.detail.contains("cannot be read"), "{}", s.detail);
        assert_model_checks_incomplete(&scan, "notes.txt not examined");
        assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_deeply_nested_pickle_file_is_scanned_on_a_small_stack() {
        // A million nested lists, through the whole scanner (the VM, the
        // judge, the outcome dropped), on a quarter of the wasm stack.
        let dir = folder("deep");
        let mut deep = b"\x80\x02".to_vec();
        deep.extend(std::iter::repeat_n(b']', 1_000_000));
        deep.extend(std::iter::repeat_n(b'a', 999_999));
        deep.push(b'.');
        let path = dir.join("deep.pkl");
        std::fs::write(&path, deep).unwrap();
        let ids = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let mut scan = Scan::new(checks::catalogue());
                let config = Config::default();
                assert!(Scanner::new(&mut scan, &config).scan_file(path, "deep.pkl"));
                let ids: Vec<String> = scan.findings().iter().map(|f| f.check_id.clone()).collect();
                ids
            })
            .unwrap()
            .join()
            .expect("the scan did not panic");
        assert_eq!(ids, vec![checks::PICKLE_FORMAT.to_string()]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_model_scanned_in_part_leaves_the_model_checks_incomplete() {
        let pickle = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.";
        let inner = stored_zip(&[("evil.pkl", pickle)]);
        let outer = stored_zip(&[("inner.zip", &inner)]);
        // Too small for the nested archive: CODE-MODEL-INCOMPLETE, and no
        // model check may pass on what it did not see.
        let scan = scan_with(&outer, inner.len() as u64 - 1);
        let ids: Vec<&str> = scan
            .findings()
            .iter()
            .map(|f| f.check_id.as_str())
            .collect();
        assert_eq!(ids, vec![checks::MODEL_INCOMPLETE]);
        assert_model_checks_incomplete(&scan, "outer.zip!inner.zip was scanned only in part");
        // Read whole, it is evaluated and nothing is incomplete.
        let scan = scan_with(&outer, inner.len() as u64);
        assert!(
            scan.incomplete_checks().is_empty(),
            "{:?}",
            scan.incomplete_checks()
        );
    }

    #[test]
    fn members_held_in_memory_share_one_limit() {
        let pickle = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.";
        let inner = stored_zip(&[("evil.pkl", pickle)]);
        let middle = stored_zip(&[("inner.zip", &inner)]);
        let outer = stored_zip(&[("middle.zip", &middle)]);
        let ids = |scan: &Scan| -> Vec<String> {
            scan.findings().iter().map(|f| f.check_id.clone()).collect()
        };
        // Room for both nested archives at once: the pickle is reached.
        let both = (middle.len() + inner.len()) as u64;
        let scan = scan_with(&outer, both);
        assert!(
            ids(&scan).contains(&checks::PICKLE_CALL.to_string()),
            "{:?}",
            ids(&scan)
        );
        // Each fits alone, not both: the inner one is reported unscanned.
        let scan = scan_with(&outer, both - 1);
        assert_eq!(ids(&scan), vec![checks::MODEL_INCOMPLETE.to_string()]);
        assert!(
            scan.findings()[0].message.contains("archives around it"),
            "{}",
            scan.findings()[0].message
        );
    }
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    fn scan_files(test: &str, files: &[(&str, &[u8])]) -> Vec<(String, String)> {
        let dir = std::env::temp_dir().join(format!("aicomply-code-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut scan = Scan::new(checks::catalogue());
        let config = Config::default();
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
            Scanner::new(&mut scan, &config).scan_file(dir.join(name), name);
        }
        std::fs::remove_dir_all(&dir).unwrap();
        let mut out: Vec<_> = scan
            .findings()
            .iter()
            .map(|f| {
                (
                    f.check_id.clone(),
                    f.location.as_ref().unwrap().path.clone(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_protocol_0_pickle_that_looks_like_zlib_is_a_pickle() {
        // `(S` is a valid zlib header (0x2853 is a multiple of 31).
        let evil = b"(S'id'\np0\ntp1\ncposix\nsystem\np2\n(g0\ntR.";
        let got = scan_files(
            "zlib-like",
            &[("weights.bin", evil), ("model.bin", b"(S'hello'\np0\n.")],
        );
        assert!(
            got.contains(&(checks::PICKLE_CALL.to_string(), "weights.bin".to_string())),
            "{got:?}"
        );
        assert!(
            got.contains(&(checks::PICKLE_FORMAT.to_string(), "model.bin".to_string())),
            "{got:?}"
        );
    }

    #[test]
    fn model_named_files_no_reader_accepts_are_reported_not_scanned() {
        let random: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let got = scan_files(
            "unrecognised",
            &[
                ("random.pt", &random),
                ("empty.ckpt", b""),
                ("pytorch_model.bin", &random[..100]),
                ("firmware.bin", &random),
                ("notes.dat", b"just data"),
            ],
        );
        let not_scanned: Vec<&str> = got
            .iter()
            .filter(|(c, _)| c == checks::MODEL_UNRECOGNISED)
            .map(|(_, p)| p.as_str())
            .collect();
        assert_eq!(
            not_scanned,
            ["empty.ckpt", "pytorch_model.bin", "random.pt"],
            "{got:?}"
        );
        let got = scan_files(
            "lfs",
            &[
                (
                    "model.pt",
                    b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1000\n",
                ),
                (
                    "model.safetensors",
                    b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1000\n",
                ),
                // A generic extension: the pointer itself says "a file is missing".
                (
                    "training_args.bin",
                    b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1000\n",
                ),
            ],
        );
        assert_eq!(
            got,
            [
                (
                    checks::MODEL_UNRECOGNISED.to_string(),
                    "model.pt".to_string()
                ),
                (
                    checks::MODEL_UNRECOGNISED.to_string(),
                    "model.safetensors".to_string()
                ),
                (
                    checks::MODEL_UNRECOGNISED.to_string(),
                    "training_args.bin".to_string()
                ),
            ]
        );
    }
}
