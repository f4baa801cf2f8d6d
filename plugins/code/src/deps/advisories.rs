//! Known-vulnerable versions: a small curated set for the AI stack, shipped
//! in the plugin, and, when the operator grants one, an OSV database.
//!
//! The OSV database is a granted root (conventionally named `osv`) that
//! holds osv.dev's per-ecosystem export for PyPI, unpacked: one OSV JSON
//! record per file (`PYSEC-*.json`, `GHSA-*.json`), at any depth:
//!
//! ```sh
//! curl -O https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip
//! mkdir osv && unzip -d osv all.zip
//! aicomply run --target . --root osv=./osv --grant code=fs-read:osv
//! ```
//!
//! Records are read with the SDK's bounded readers; only `ECOSYSTEM` ranges
//! and explicit `versions` lists are used (`GIT` ranges need commits), and
//! withdrawn records are skipped. The database's date is the newest
//! `modified` among its records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aicomply_sdk::fs::{self, WalkOptions};

use super::pep440::{Version, normalize_name};

/// The curated set's date: the day its records were checked.
pub const CURATED_DATE: &str = "2026-12-02";

/// One affected range of an advisory for one package.
#[derive(Debug, Clone)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub package: String,
    /// (event, version): `introduced`, `fixed`, `last_affected`.
    pub events: Vec<(String, String)>,
    /// Versions listed as affected one by one.
    pub versions: Vec<String>,
    pub summary: String,
}

impl Advisory {
    /// Whether `version` is affected.
    pub fn affects(&self, version: &Version) -> bool {
        if self
            .versions
            .iter()
            .any(|v| Version::parse(v).as_ref() == Some(version))
        {
            return true;
        }
        // OSV's evaluation: events sorted by version, introduced "0" first.
        let mut events: Vec<(u8, Option<Version>)> = Vec::new();
        for (kind, v) in &self.events {
            let k = match kind.as_str() {
                "introduced" => 0,
                "fixed" => 1,
                "last_affected" => 2,
                _ => continue,
            };
            if v == "0" && k == 0 {
                events.push((k, None));
            } else {
                match Version::parse(v) {
                    Some(p) => events.push((k, Some(p))),
                    None => return false,
                }
            }
        }
        events.sort_by(|a, b| match (&a.1, &b.1) {
            (None, None) => a.0.cmp(&b.0),
            (None, _) => std::cmp::Ordering::Less,
            (_, None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y).then(a.0.cmp(&b.0)),
        });
        let mut affected = false;
        for (kind, v) in &events {
            match (kind, v) {
                (0, None) => affected = true,
                (0, Some(v)) if version >= v => affected = true,
                (1, Some(v)) if version >= v => affected = false,
                (2, Some(v)) if version > v => affected = false,
                _ => {}
            }
        }
        affected
    }

    /// The first fixed version, for the message.
    pub fn fixed(&self, version: &Version) -> Option<&str> {
        self.events
            .iter()
            .filter(|(k, _)| k == "fixed")
            .map(|(_, v)| v.as_str())
            .find(|v| Version::parse(v).is_some_and(|f| &f > version))
    }
}

fn curated(
    id: &str,
    aliases: &[&str],
    package: &str,
    events: &[(&str, &str)],
    summary: &str,
) -> Advisory {
    Advisory {
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        package: package.into(),
        events: events
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        versions: Vec::new(),
        summary: summary.into(),
    }
}

/// The curated set. Each record was checked on [`CURATED_DATE`] against
/// the GitHub Advisory Database (GHSA records) or the PyPA advisory
/// database (PYSEC records, github.com/pypa/advisory-database).
pub fn curated_set() -> Vec<Advisory> {
    let i0 = ("introduced", "0");
    vec![
        curated(
            "GHSA-53q9-r3pm-6pq6",
            &["CVE-2025-32434", "PYSEC-2025-41"],
            "torch",
            &[i0, ("fixed", "2.6.0")],
            "torch.load with weights_only=True still allows remote code execution",
        ),
        curated(
            "PYSEC-2022-43015",
            &["CVE-2022-45907"],
            "torch",
            &[i0, ("fixed", "1.13.1")],
            "torch.jit.annotations.parse_type_line calls eval on its input",
        ),
        curated(
            "GHSA-3863-2447-669p",
            &["CVE-2023-6730"],
            "transformers",
            &[i0, ("fixed", "4.36.0")],
            "deserialization of untrusted data in RagRetriever",
        ),
        curated(
            "PYSEC-2021-420",
            &["CVE-2021-41228", "GHSA-3rcw-9p9x-582v"],
            "tensorflow",
            &[
                i0,
                ("fixed", "2.4.4"),
                ("introduced", "2.5.0"),
                ("fixed", "2.5.2"),
                ("introduced", "2.6.0"),
                ("fixed", "2.6.1"),
                ("introduced", "2.7.0rc0"),
                ("fixed", "2.7.0"),
            ],
            "saved_model_cli calls eval on user-supplied strings",
        ),
        curated(
            "GHSA-48g7-3x6r-xfhp",
            &["CVE-2025-1550"],
            "keras",
            &[("introduced", "3.0.0"), ("fixed", "3.9.0")],
            "arbitrary code execution from a crafted model config, even with safe_mode",
        ),
        curated(
            "PYSEC-2017-1",
            &["CVE-2017-12852", "GHSA-frgw-fgh6-9g52"],
            "numpy",
            &[i0, ("fixed", "1.13.3")],
            "numpy.pad infinite loop on empty input",
        ),
        curated(
            "PYSEC-2023-175",
            &[],
            "pillow",
            &[i0, ("fixed", "10.0.1")],
            "wheels bundle a libwebp vulnerable to CVE-2023-4863 (heap overflow)",
        ),
        curated(
            "PYSEC-2022-10",
            &["CVE-2022-22817", "GHSA-8vj2-vxx3-667w"],
            "pillow",
            &[i0, ("fixed", "9.0.0")],
            "PIL.ImageMath.eval evaluates arbitrary expressions",
        ),
        curated(
            "PYSEC-2023-252",
            &["CVE-2023-6909"],
            "mlflow",
            &[i0, ("fixed", "2.9.2")],
            "path traversal",
        ),
        curated(
            "PYSEC-2024-51",
            &["CVE-2024-4263"],
            "mlflow",
            &[i0, ("fixed", "2.10.1")],
            "broken access control lets low-privilege users delete artifacts",
        ),
        curated(
            "PYSEC-2023-249",
            &["CVE-2023-51449", "GHSA-6qm2-wpxq-7qh2"],
            "gradio",
            &[i0, ("fixed", "4.11.0")],
            "file traversal through the /file route",
        ),
        curated(
            "PYSEC-2023-162",
            &["CVE-2023-39631"],
            "langchain",
            &[i0, ("fixed", "0.0.308")],
            "arbitrary code execution through numexpr evaluation",
        ),
        curated(
            "PYSEC-2024-43",
            &["CVE-2024-28088"],
            "langchain",
            &[i0, ("fixed", "0.1.11")],
            "directory traversal in load_chain",
        ),
        curated(
            "GHSA-h3xg-wv58-5p43",
            &["CVE-2023-6019"],
            "ray",
            &[i0, ("fixed", "2.8.1")],
            "OS command injection in the dashboard's cpu_profile",
        ),
        curated(
            "GHSA-hj4w-hm2g-p6w5",
            &["CVE-2025-32444", "PYSEC-2025-42"],
            "vllm",
            &[("introduced", "0.6.5"), ("fixed", "0.8.5")],
            "remote code execution through pickle over ZeroMQ in the Mooncake integration",
        ),
    ]
}

/// The advisories in use, by normalised package name, and what they are.
#[derive(Debug, Default)]
pub struct Database {
    pub by_package: BTreeMap<String, Vec<Advisory>>,
    /// How the report names it, e.g. "curated AI-stack set 2026-12-02".
    pub sources: Vec<String>,
}

impl Database {
    pub fn curated() -> Self {
        let mut db = Database::default();
        let set = curated_set();
        db.sources.push(format!(
            "aicomply's curated AI-stack set dated {CURATED_DATE} ({} advisories: torch, transformers, tensorflow, keras, numpy, pillow, mlflow, gradio, langchain, ray, vllm)",
            set.len()
        ));
        for a in set {
            db.by_package
                .entry(normalize_name(&a.package))
                .or_default()
                .push(a);
        }
        db
    }

    /// Add the PyPI records of an OSV export under `root` (named `name` in
    /// the report), keeping only packages in `wanted`. Returns an error
    /// text when nothing could be read.
    pub fn load_osv(
        &mut self,
        root: &Path,
        name: &str,
        wanted: &BTreeSet<String>,
    ) -> Result<usize, String> {
        let walk = fs::walk(root, &WalkOptions::default());
        let mut records = 0;
        let mut newest = String::new();
        let mut unreadable = 0;
        let mut seen = BTreeSet::new();
        for entry in &walk.files {
            if !entry.relative.ends_with(".json") {
                continue;
            }
            let Ok(text) = fs::read_text(&entry.path, 4 << 20) else {
                unreadable += 1;
                continue;
            };
            let Ok(record) = serde_json::from_str::<serde_json::Value>(&text) else {
                unreadable += 1;
                continue;
            };
            records += 1;
            if let Some(m) = record.get("modified").and_then(|m| m.as_str())
                && m > newest.as_str()
            {
                newest = m.to_string();
            }
            if record.get("withdrawn").and_then(|w| w.as_str()).is_some() {
                continue;
            }
            let id = record
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string();
            let aliases: Vec<String> = record
                .get("aliases")
                .and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let summary = record
                .get("summary")
                .or(record.get("details"))
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(160)
                .collect::<String>();
            for affected in record
                .get("affected")
                .and_then(|a| a.as_array())
                .into_iter()
                .flatten()
            {
                let package = &affected["package"];
                if package["ecosystem"].as_str() != Some("PyPI") {
                    continue;
                }
                let Some(pname) = package["name"].as_str() else {
                    continue;
                };
                let key = normalize_name(pname);
                if !wanted.contains(&key) {
                    continue;
                }
                let mut advisory = Advisory {
                    id: id.clone(),
                    aliases: aliases.clone(),
                    package: pname.to_string(),
                    events: Vec::new(),
                    versions: affected["versions"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                    summary: summary.clone(),
                };
                let mut ranges = Vec::new();
                for range in affected["ranges"].as_array().into_iter().flatten() {
                    if range["type"].as_str() != Some("ECOSYSTEM") {
                        continue;
                    }
                    let mut events = Vec::new();
                    for ev in range["events"].as_array().into_iter().flatten() {
                        if let Some(obj) = ev.as_object() {
                            for (k, v) in obj {
                                if let Some(v) = v.as_str() {
                                    events.push((k.clone(), v.to_string()));
                                }
                            }
                        }
                    }
                    ranges.push(events);
                }
                // One Advisory per range, so ranges are evaluated apart.
                let list = self.by_package.entry(key.clone()).or_default();
                if ranges.is_empty() {
                    if seen.insert((id.clone(), key.clone(), 0)) {
                        list.push(advisory);
                    }
                } else {
                    let versions = std::mem::take(&mut advisory.versions);
                    for (n, events) in ranges.into_iter().enumerate() {
                        let mut a = advisory.clone();
                        a.events = events;
                        if n == 0 {
                            a.versions = versions.clone();
                        }
                        list.push(a);
                    }
                }
            }
        }
        if records == 0 {
            return Err(format!(
                "the OSV root `{name}` holds no readable OSV JSON records ({unreadable} unreadable); expected the unpacked PyPI export (all.zip) of osv.dev"
            ));
        }
        self.sources.push(format!(
            "the OSV database at root `{name}` ({records} records{}, newest modified {})",
            if unreadable > 0 {
                format!(", {unreadable} unreadable")
            } else {
                String::new()
            },
            if newest.is_empty() {
                "unknown".to_string()
            } else {
                newest.chars().take(10).collect()
            }
        ));
        Ok(records)
    }

    /// Advisories affecting `package` at `version`, one per id.
    pub fn matching(&self, package: &str, version: &Version) -> Vec<&Advisory> {
        let mut out: Vec<&Advisory> = Vec::new();
        for a in self
            .by_package
            .get(&normalize_name(package))
            .into_iter()
            .flatten()
        {
            if a.affects(version)
                && !out
                    .iter()
                    .any(|b| b.id == a.id || b.aliases.contains(&a.id) || a.aliases.contains(&b.id))
            {
                out.push(a);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_osv_semantics() {
        let db = Database::curated();
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(db.matching("torch", &v("2.5.1")).len(), 1);
        assert_eq!(db.matching("torch", &v("2.5.1+cu121")).len(), 1);
        assert!(db.matching("torch", &v("2.6.0")).is_empty());
        assert_eq!(db.matching("torch", &v("1.13.0")).len(), 2);
        assert!(db.matching("vllm", &v("0.6.4")).is_empty());
        assert_eq!(db.matching("vllm", &v("0.8.4")).len(), 1);
        // Multi-range: 2.5.1 affected, 2.5.2 fixed, 2.6.0 affected, 2.7.0 fixed.
        assert_eq!(db.matching("tensorflow", &v("2.5.1")).len(), 1);
        assert!(db.matching("tensorflow", &v("2.5.2")).is_empty());
        assert_eq!(db.matching("tensorflow", &v("2.6.0")).len(), 1);
        assert_eq!(db.matching("tensorflow", &v("2.7.0rc1")).len(), 1);
        assert!(db.matching("tensorflow", &v("2.7.0")).is_empty());
        assert!(db.matching("keras", &v("2.15.0")).is_empty());
        assert_eq!(db.matching("Keras", &v("3.8.0")).len(), 1);
        assert_eq!(db.matching("PILLOW", &v("9.5.0")).len(), 1);
        let last = Advisory {
            id: "X".into(),
            aliases: vec![],
            package: "p".into(),
            events: vec![
                ("introduced".into(), "1.0".into()),
                ("last_affected".into(), "1.2".into()),
            ],
            versions: vec![],
            summary: String::new(),
        };
        assert!(last.affects(&v("1.2")) && !last.affects(&v("1.2.1")) && !last.affects(&v("0.9")));
    }
}
