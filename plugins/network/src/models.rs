//! Model integrity: SHA-256 manifests (`sha256sum` and BSD formats,
//! `*.sha256`, JSON manifests) recomputed through the host (`hash_file`),
//! model files no manifest covers, entries for files that are not there,
//! MD5/SHA-1 manifests.

use std::collections::{BTreeMap, BTreeSet};

use aicomply_sdk::yaml::{Node, Value};
use aicomply_sdk::{Location, Scan};

use crate::checks::*;

/// At most this many files are hashed in one run; the rest leave the
/// digest check incomplete.
pub const MAX_HASHES: usize = 2000;
/// And at most this many bytes (the host hashes at native speed, about
/// 0.5–2 GB/s, and every byte counts against the plugin's deadline).
pub const MAX_HASH_BYTES: u64 = 8 << 30;

const MODEL_EXTENSIONS: &[&str] = &[
    "safetensors",
    "bin",
    "pt",
    "pth",
    "onnx",
    "gguf",
    "ggml",
    "h5",
    "hdf5",
    "keras",
    "pkl",
    "pickle",
    "joblib",
    "ckpt",
    "tflite",
    "msgpack",
    "mar",
    "pte",
    "mlmodel",
    "engine",
    "plan",
];

pub fn is_model_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    if name == "saved_model.pb" {
        return true;
    }
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    if rel
        .split('/')
        .any(|c| c == "node_modules" || c == ".git" || c == "site-packages")
    {
        return false;
    }
    MODEL_EXTENSIONS.contains(&ext)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algo {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Algo {
    fn name(self) -> &'static str {
        match self {
            Algo::Md5 => "MD5",
            Algo::Sha1 => "SHA-1",
            Algo::Sha256 => "SHA-256",
            Algo::Sha512 => "SHA-512",
        }
    }
    fn weak(self) -> bool {
        matches!(self, Algo::Md5 | Algo::Sha1)
    }
    fn from_len(n: usize) -> Option<Self> {
        Some(match n {
            32 => Algo::Md5,
            40 => Algo::Sha1,
            64 => Algo::Sha256,
            128 => Algo::Sha512,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub digest: String,
    pub algo: Algo,
    pub line: u32,
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether a file name is a text checksum manifest.
pub fn is_text_manifest(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "sha256sums"
            | "sha256sums.txt"
            | "sha256sum.txt"
            | "sha256.txt"
            | "checksums.sha256"
            | "checksums.txt"
            | "checksum.txt"
            | "md5sums"
            | "md5sums.txt"
            | "md5sum.txt"
            | "sha1sums"
            | "sha1sums.txt"
            | "sha512sums"
    ) || [".sha256", ".sha256sum", ".md5", ".sha1", ".sha512"]
        .iter()
        .any(|e| n.ends_with(e))
}

/// Whether a JSON file may be a digest manifest (by name).
pub fn is_json_manifest(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".json")
        && [
            "manifest",
            "checksum",
            "digest",
            "hashes",
            "sha256",
            "integrity",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// `sha256sum` (`HEX  name`, `HEX *name`, `\HEX  escaped\nname`), BSD
/// (`SHA256 (name) = HEX`) and single-digit files (`HEX` alone, for the
/// file the manifest is named after). CRLF and `#` comments allowed.
pub fn parse_text(manifest_name: &str, text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let ext_algo = {
        let n = manifest_name.to_ascii_lowercase();
        if n.contains("md5") {
            Some(Algo::Md5)
        } else if n.contains("sha1") {
            Some(Algo::Sha1)
        } else if n.contains("sha512") {
            Some(Algo::Sha512)
        } else if n.contains("sha256") {
            Some(Algo::Sha256)
        } else {
            None
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r').trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = i as u32 + 1;
        // BSD: `SHA256 (file) = hex`.
        if let Some((head, hex)) = line.rsplit_once(") = ")
            && let Some((tag, name)) = head.split_once(" (")
        {
            let algo = match tag.to_ascii_uppercase().as_str() {
                "MD5" => Algo::Md5,
                "SHA1" => Algo::Sha1,
                "SHA256" | "SHA2-256" => Algo::Sha256,
                "SHA512" => Algo::Sha512,
                _ => continue,
            };
            out.push(Entry {
                name: name.to_string(),
                digest: hex.trim().to_ascii_lowercase(),
                algo,
                line: n,
            });
            continue;
        }
        let (escaped, line) = match line.strip_prefix('\\') {
            Some(l) => (true, l),
            None => (false, line),
        };
        let (hex, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
        if !is_hex(hex) {
            continue;
        }
        let Some(algo) = Algo::from_len(hex.len()) else {
            continue;
        };
        let algo = ext_algo
            .filter(|a| Algo::from_len(hex.len()) == Some(*a))
            .unwrap_or(algo);
        let mut name = rest.trim_start_matches([' ', '\t']);
        name = name.strip_prefix('*').unwrap_or(name);
        let mut name = name.to_string();
        if escaped {
            name = name.replace("\\n", "\n").replace("\\\\", "\\");
        }
        if name.is_empty() {
            // `model.safetensors.sha256` holding only the digest.
            let base = manifest_name
                .rsplit_once('.')
                .map_or(manifest_name, |(b, _)| b);
            name = base.to_string();
        }
        out.push(Entry {
            name,
            digest: hex.to_ascii_lowercase(),
            algo,
            line: n,
        });
    }
    out
}

/// Digest fields in a JSON manifest: objects with a path and a digest
/// (`{"path": "m.safetensors", "sha256": "..."}`, `"digest": "sha256:..."`),
/// or a map from file name to digest (or to such an object).
pub fn parse_json(doc: &Node) -> Vec<Entry> {
    let mut out = Vec::new();
    json_walk(doc, None, &mut out);
    out
}

const PATH_KEYS: &[&str] = &[
    "path",
    "file",
    "filename",
    "file_name",
    "name",
    "uri",
    "relpath",
];
const DIGEST_KEYS: &[&str] = &[
    "sha256",
    "sha256sum",
    "sha256_digest",
    "digest",
    "checksum",
    "hash",
    "md5",
    "sha1",
    "sha512",
    "oid",
];

fn digest_of(key: &str, value: &str) -> Option<(Algo, String)> {
    let (prefix, hex) = match value.split_once(':') {
        Some((p, h)) => (Some(p.to_ascii_lowercase()), h),
        None => (None, value),
    };
    if !is_hex(hex) {
        return None;
    }
    let by_len = Algo::from_len(hex.len())?;
    let named = match prefix.as_deref().unwrap_or(&key.to_ascii_lowercase()) {
        k if k.contains("md5") => Some(Algo::Md5),
        k if k.contains("sha1") => Some(Algo::Sha1),
        k if k.contains("sha512") => Some(Algo::Sha512),
        k if k.contains("sha256") => Some(Algo::Sha256),
        _ => None,
    };
    match named {
        Some(a) if a == by_len => Some((a, hex.to_ascii_lowercase())),
        Some(_) => None,
        None => Some((by_len, hex.to_ascii_lowercase())),
    }
}

fn json_walk(n: &Node, key_name: Option<&str>, out: &mut Vec<Entry>) {
    match &n.value {
        Value::Map(entries) => {
            let path = entries
                .iter()
                .find(|(k, _)| k.as_str().is_some_and(|k| PATH_KEYS.contains(&k)))
                .and_then(|(_, v)| v.as_str());
            let digest = entries.iter().find_map(|(k, v)| {
                let k = k.as_str()?;
                if !DIGEST_KEYS.contains(&k) {
                    return None;
                }
                digest_of(k, v.as_str()?).map(|d| (d, v.line))
            });
            match (path.or(key_name.filter(|k| k.contains('.'))), digest) {
                (Some(p), Some(((algo, digest), line))) => {
                    out.push(Entry {
                        name: p.to_string(),
                        digest,
                        algo,
                        line,
                    });
                }
                _ => {
                    for (k, v) in entries {
                        let key = k.as_str().unwrap_or("");
                        // `"model.safetensors": "hex"`.
                        if key.contains('.')
                            && let Some(s) = v.as_str()
                            && let Some((algo, digest)) = digest_of("", s)
                        {
                            out.push(Entry {
                                name: key.to_string(),
                                digest,
                                algo,
                                line: k.line,
                            });
                            continue;
                        }
                        json_walk(v, Some(key), out);
                    }
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| json_walk(i, None, out)),
        Value::Scalar(..) => {}
    }
}

pub fn norm_join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() || rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A manifest read from the target.
pub struct Manifest {
    pub path: String,
    pub entries: Vec<Entry>,
}

/// Reads a file's SHA-256, through the host in a plugin.
pub trait Hasher {
    fn sha256(&self, rel: &str) -> Result<String, String>;
    /// A Git LFS pointer's `oid sha256:`, when the file is one.
    fn lfs_oid(&self, rel: &str) -> Option<String>;
    /// The file's size, when it can be told.
    fn size(&self, rel: &str) -> Option<u64>;
}

/// Judge manifests against the model files of the target.
pub fn check(
    manifests: &[Manifest],
    files: &BTreeSet<String>,
    hasher: &dyn Hasher,
    scan: &mut Scan,
) {
    let models: Vec<&String> = files.iter().filter(|f| is_model_file(f)).collect();
    if models.is_empty() && manifests.is_empty() {
        for c in MODEL_CHECKS {
            scan.not_checked(c, "no model files (.safetensors, .bin, .pt, .onnx, .gguf, .h5, .pkl, ...) or digest manifests in the target");
        }
        return;
    }
    for c in MODEL_CHECKS {
        scan.evaluated(c);
    }
    let mut covered: BTreeMap<String, Algo> = BTreeMap::new();
    let mut hashed = 0usize;
    let mut bytes = 0u64;
    let mut not_hashed: Vec<String> = Vec::new();
    for m in manifests {
        let dir = m.path.rsplit_once('/').map_or("", |(d, _)| d);
        let weak: Vec<&Entry> = m.entries.iter().filter(|e| e.algo.weak()).collect();
        if let Some(first) = weak.first() {
            scan.finding(
                MODEL_WEAK_DIGEST,
                format!("{} of {} entries use {} (e.g. {}); MD5 and SHA-1 do not protect against a crafted replacement", weak.len(), m.entries.len(), first.algo.name(), first.name),
            )
            .at(Location::target(m.path.clone()).line(first.line));
        }
        for e in &m.entries {
            let candidates = [
                norm_join(dir, &e.name),
                norm_join("", e.name.trim_start_matches('/')),
                norm_join(dir, e.name.rsplit('/').next().unwrap_or(&e.name)),
            ];
            let Some(rel) = candidates.iter().find(|c| files.contains(*c)).cloned() else {
                // Only entries that name a model file (or any file, for a
                // manifest next to models) are expected to be here.
                scan.finding(
                    MODEL_FILE_MISSING,
                    format!("{} lists {}, which is not in the target", m.path, e.name),
                )
                .at(Location::target(m.path.clone()).line(e.line));
                continue;
            };
            let prev = covered.get(&rel).copied();
            if prev.is_none_or(|p| p < e.algo) {
                covered.insert(rel.clone(), e.algo);
            }
            if e.algo != Algo::Sha256 {
                if e.algo == Algo::Sha512 {
                    not_hashed.push(format!(
                        "{rel} (SHA-512 manifest; the host computes SHA-256 only)"
                    ));
                }
                continue;
            }
            if hashed >= MAX_HASHES {
                not_hashed.push(format!("{rel} (over the {MAX_HASHES}-file hashing bound)"));
                continue;
            }
            let size = hasher.size(&rel).unwrap_or(0);
            if bytes + size > MAX_HASH_BYTES {
                not_hashed.push(format!(
                    "{rel} ({size} bytes, over the {MAX_HASH_BYTES}-byte hashing budget)"
                ));
                continue;
            }
            bytes += size;
            hashed += 1;
            scan.checkpoint();
            let actual = match hasher.lfs_oid(&rel) {
                Some(oid) => Ok(oid),
                None => hasher.sha256(&rel),
            };
            match actual {
                Ok(d) if d.eq_ignore_ascii_case(&e.digest) => {}
                Ok(d) => {
                    let lfs = if hasher.lfs_oid(&rel).is_some() {
                        " (Git LFS pointer oid)"
                    } else {
                        ""
                    };
                    scan.finding(
                        MODEL_DIGEST_MISMATCH,
                        format!(
                            "{rel}: SHA-256 is {d}{lfs}, {} records {}",
                            m.path, e.digest
                        ),
                    )
                    .at(Location::target(m.path.clone()).line(e.line))
                    .evidence(format!("expected {} actual {d}", e.digest));
                }
                Err(err) => {
                    scan.diagnostic(
                        Location::target(rel.clone()),
                        format!("could not be hashed: {err}"),
                    );
                    not_hashed.push(format!("{rel} ({err})"));
                }
            }
        }
    }
    if !not_hashed.is_empty() {
        scan.incomplete(
            MODEL_DIGEST_MISMATCH,
            format!(
                "{} listed file(s) not verified: {}",
                not_hashed.len(),
                not_hashed
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        );
    }
    for f in models {
        if !covered.contains_key(f.as_str()) {
            scan.finding(MODEL_NO_MANIFEST, format!("{f} is in no SHA-256 manifest: a replaced or tampered model would load unnoticed"))
                .at(Location::target(f.clone()));
        }
    }
}
