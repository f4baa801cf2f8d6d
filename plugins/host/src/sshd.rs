//! sshd_config, read the way sshd reads it:
//! - keywords are case-insensitive; `keyword value` and `keyword=value`;
//! - for most keywords the *first* value obtained wins;
//! - `Include` (relative paths are under /etc/ssh) expands globs in place,
//!   in lexical order, recursively (depth-limited);
//! - `Match` starts a conditional block that lasts until the next `Match`
//!   or the end of the file; its settings apply only to matching
//!   connections, so they are kept apart from the global settings;
//! - `#` comments, blank lines and CRLF are ignored.
//!
//! Hand-written: there is no sshd_config parser crate with these semantics.

use std::collections::BTreeMap;

/// Include levels sshd itself follows (its `READCONF_MAX_DEPTH`).
const MAX_DEPTH: u32 = 16;
/// Files read per configuration, Includes followed. Depth alone does not
/// bound the work: a folder of ten files that each include the folder is
/// 10^16 reads at depth 16. Real configurations read a handful.
const MAX_FILES: usize = 256;

/// A setting and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub value: String,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Default)]
pub struct Config {
    /// Global settings: lower-cased keyword → first value.
    pub global: BTreeMap<String, Setting>,
    /// Settings inside `Match` blocks: (criteria, keyword) → value.
    pub matched: Vec<(String, String, Setting)>,
    /// Files read, in order.
    pub files: Vec<String>,
    /// Includes that matched nothing or could not be read.
    pub problems: Vec<String>,
}

/// Reads a file of the scanned root by its absolute path (e.g. `/etc/ssh/sshd_config.d/a.conf`).
pub trait Files {
    fn read(&self, path: &str) -> Option<String>;
    /// Files of a directory (names only), for glob expansion.
    fn list(&self, dir: &str) -> Vec<String>;
}

pub fn parse(files: &dyn Files, main: &str) -> Option<Config> {
    let text = files.read(main)?;
    let mut cfg = Config::default();
    let mut in_match: Option<String> = None;
    read_file(files, main, &text, &mut cfg, &mut in_match, 0);
    Some(cfg)
}

fn read_file(
    files: &dyn Files,
    path: &str,
    text: &str,
    cfg: &mut Config,
    in_match: &mut Option<String>,
    depth: u32,
) {
    cfg.files.push(path.to_string());
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = split(line);
        let key = key.to_ascii_lowercase();
        let setting = Setting {
            value: value.to_string(),
            file: path.to_string(),
            line: i as u32 + 1,
        };
        match key.as_str() {
            "match" => {
                *in_match = if value.eq_ignore_ascii_case("all") {
                    None
                } else {
                    Some(value.to_string())
                }
            }
            "include" => {
                if depth >= MAX_DEPTH {
                    cfg.problems
                        .push(format!("{path}:{}: Include nested too deep", i + 1));
                    continue;
                }
                for pattern in value.split_whitespace() {
                    let pattern = if pattern.starts_with('/') {
                        pattern.to_string()
                    } else {
                        format!("/etc/ssh/{pattern}")
                    };
                    let matches = expand(files, &pattern);
                    if matches.is_empty() && !pattern.contains('*') && !pattern.contains('?') {
                        cfg.problems.push(format!(
                            "{path}:{}: Include {pattern} does not exist",
                            i + 1
                        ));
                    }
                    for m in matches {
                        if cfg.files.len() >= MAX_FILES {
                            if !cfg.problems.iter().any(|p| p.contains("files were read")) {
                                cfg.problems.push(format!(
                                    "{path}:{}: Include {pattern}: {MAX_FILES} files were read through Includes; the rest were not, so settings they hold are not judged",
                                    i + 1
                                ));
                            }
                            break;
                        }
                        if let Some(t) = files.read(&m) {
                            read_file(files, &m, &t, cfg, in_match, depth + 1);
                        }
                    }
                }
            }
            _ => match in_match {
                Some(criteria) => cfg.matched.push((criteria.clone(), key, setting)),
                None => {
                    cfg.global.entry(key).or_insert(setting);
                }
            },
        }
    }
}

/// `keyword value`, `keyword=value` or `keyword = value`; quotes removed.
fn split(line: &str) -> (&str, &str) {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (key, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    (key, rest.trim_matches('"'))
}

/// Expand a glob in the last path component (`*`, `?`), sorted.
pub fn expand(files: &dyn Files, pattern: &str) -> Vec<String> {
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    if !name.contains(['*', '?']) {
        return if files.read(pattern).is_some() {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        };
    }
    let mut out: Vec<String> = files
        .list(dir)
        .into_iter()
        .filter(|n| glob(name, n))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

/// Shell-style match of `*` and `?` (no character classes).
pub fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Mem(HashMap<&'static str, &'static str>);
    impl Files for Mem {
        fn read(&self, path: &str) -> Option<String> {
            self.0.get(path).map(|s| s.to_string())
        }
        fn list(&self, dir: &str) -> Vec<String> {
            self.0
                .keys()
                .filter_map(|k| k.strip_prefix(&format!("{dir}/")))
                .filter(|r| !r.contains('/'))
                .map(String::from)
                .collect()
        }
    }

    #[test]
    fn include_first_value_wins_and_match_blocks() {
        let files = Mem(HashMap::from([
            (
                "/etc/ssh/sshd_config",
                "Include /etc/ssh/sshd_config.d/*.conf\r\nPermitRootLogin yes\r\nPasswordAuthentication=yes\nMatch User backup\n  PermitRootLogin yes\n",
            ),
            (
                "/etc/ssh/sshd_config.d/10-hardening.conf",
                "permitrootlogin no\n",
            ),
            (
                "/etc/ssh/sshd_config.d/20-later.conf",
                "PasswordAuthentication no\n",
            ),
            (
                "/etc/ssh/sshd_config.d/README",
                "PermitEmptyPasswords yes\n",
            ),
        ]));
        let cfg = parse(&files, "/etc/ssh/sshd_config").unwrap();
        assert_eq!(cfg.global["permitrootlogin"].value, "no");
        assert_eq!(
            cfg.global["permitrootlogin"].file,
            "/etc/ssh/sshd_config.d/10-hardening.conf"
        );
        assert_eq!(cfg.global["passwordauthentication"].value, "no");
        assert!(!cfg.global.contains_key("permitemptypasswords"));
        assert_eq!(cfg.matched.len(), 1);
        assert_eq!(cfg.matched[0].0, "User backup");
    }

    #[test]
    fn globs() {
        assert!(glob("*.conf", "a.conf"));
        assert!(!glob("*.conf", "a.conf.bak"));
        assert!(glob("1?-*.conf", "10-x.conf"));
    }

    /// Each file includes the next, without end: a recursion per level,
    /// stopped where sshd stops.
    #[test]
    fn include_chains_stop_at_sshds_depth_on_a_small_stack() {
        struct Chain;
        impl Files for Chain {
            fn read(&self, path: &str) -> Option<String> {
                let n: u32 = path.rsplit('/').next()?.parse().unwrap_or(0);
                Some(format!("Include /etc/ssh/{}\nX{n} yes\n", n + 1))
            }
            fn list(&self, _dir: &str) -> Vec<String> {
                Vec::new()
            }
        }
        let cfg = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| parse(&Chain, "/etc/ssh/sshd_config").unwrap())
            .unwrap()
            .join()
            .expect("parsing did not panic");
        assert_eq!(cfg.files.len(), MAX_DEPTH as usize + 1);
        assert!(cfg.global.contains_key("x16") && !cfg.global.contains_key("x17"));
        assert!(
            cfg.problems.iter().any(|p| p.contains("nested too deep")),
            "{:?}",
            cfg.problems
        );
    }

    /// Ten files that each include all ten: depth 16 is 10^16 reads.
    #[test]
    fn includes_that_fan_out_are_bounded() {
        struct Fan(std::cell::Cell<usize>);
        impl Files for Fan {
            fn read(&self, path: &str) -> Option<String> {
                self.0.set(self.0.get() + 1);
                Some(if path == "/etc/ssh/sshd_config" {
                    "Include d/*\nPermitRootLogin no\n".into()
                } else {
                    "Include /etc/ssh/d/*\n".into()
                })
            }
            fn list(&self, _dir: &str) -> Vec<String> {
                (0..10).map(|i| format!("f{i}")).collect()
            }
        }
        let files = Fan(std::cell::Cell::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let cfg = parse(&files, "/etc/ssh/sshd_config").unwrap();
            tx.send((cfg, files.0.get())).unwrap();
        });
        let (cfg, reads) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("parsed within 20 s");
        assert_eq!(cfg.files.len(), MAX_FILES);
        assert!(reads <= MAX_FILES, "{reads} reads");
        assert_eq!(cfg.global["permitrootlogin"].value, "no");
        let limit: Vec<_> = cfg
            .problems
            .iter()
            .filter(|p| p.contains("files were read"))
            .collect();
        assert_eq!(limit.len(), 1, "{:?}", cfg.problems);
    }
}
