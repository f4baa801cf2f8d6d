//! PEP 440 versions: parsing (with the normalisations PEP 440 allows:
//! case, `v` prefix, `-`/`_` separators, alternate spellings of pre-release
//! and post-release segments, implicit numbers) and ordering. Written here
//! rather than taken from a crate so that it builds for wasm32-wasip2
//! without dependencies; tested against the ordering examples of PEP 440
//! and `packaging`.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub epoch: u64,
    pub release: Vec<u64>,
    /// (phase 0 = a, 1 = b, 2 = rc, number)
    pub pre: Option<(u8, u64)>,
    pub post: Option<u64>,
    pub dev: Option<u64>,
    pub local: Vec<Local>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    Num(u64),
    Str(String),
}

fn number(s: &str) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// An optional separator (`.`, `-`, `_`) then an optional number (0 if absent).
fn implicit_number(s: &str) -> (u64, &str) {
    let t = s.strip_prefix(['.', '-', '_']).unwrap_or(s);
    match number(t) {
        Some((n, rest)) => (n, rest),
        None => (0, s),
    }
}

impl Version {
    pub fn parse(input: &str) -> Option<Version> {
        let lower = input.trim().to_ascii_lowercase();
        let mut s = lower.strip_prefix('v').unwrap_or(&lower);
        let (main, local) = match s.split_once('+') {
            Some((m, l)) => (m, Some(l)),
            None => (s, None),
        };
        s = main;
        let mut epoch = 0;
        if let Some((e, rest)) = s.split_once('!') {
            epoch = e.parse().ok()?;
            s = rest;
        }
        let mut release = Vec::new();
        loop {
            let (n, rest) = number(s)?;
            release.push(n);
            s = rest;
            match s.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => s = r,
                _ => break,
            }
        }
        let mut pre = None;
        let t = s.strip_prefix(['.', '-', '_']).unwrap_or(s);
        for (spelling, phase) in [
            ("alpha", 0u8),
            ("beta", 1),
            ("preview", 2),
            ("pre", 2),
            ("rc", 2),
            ("a", 0),
            ("b", 1),
            ("c", 2),
        ] {
            if let Some(rest) = t.strip_prefix(spelling) {
                let (n, rest) = implicit_number(rest);
                pre = Some((phase, n));
                s = rest;
                break;
            }
        }
        let mut post = None;
        if let Some(rest) = s.strip_prefix('-').and_then(|r| number(r)) {
            post = Some(rest.0);
            s = rest.1;
        } else {
            let t = s.strip_prefix(['.', '-', '_']).unwrap_or(s);
            for spelling in ["post", "rev", "r"] {
                if let Some(rest) = t.strip_prefix(spelling) {
                    let (n, rest) = implicit_number(rest);
                    post = Some(n);
                    s = rest;
                    break;
                }
            }
        }
        let mut dev = None;
        let t = s.strip_prefix(['.', '-', '_']).unwrap_or(s);
        if let Some(rest) = t.strip_prefix("dev") {
            let (n, rest) = implicit_number(rest);
            dev = Some(n);
            s = rest;
        }
        if !s.is_empty() {
            return None;
        }
        let local = match local {
            None => Vec::new(),
            Some(l) => {
                let mut parts = Vec::new();
                for p in l.split(['.', '-', '_']) {
                    if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return None;
                    }
                    parts.push(match p.parse() {
                        Ok(n) => Local::Num(n),
                        Err(_) => Local::Str(p.to_string()),
                    });
                }
                parts
            }
        };
        Some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The release with trailing zeros removed (1.0 == 1.0.0).
    fn release_key(&self) -> &[u64] {
        let mut end = self.release.len();
        while end > 0 && self.release[end - 1] == 0 {
            end -= 1;
        }
        &self.release[..end]
    }
}

/// `packaging`'s sort key: a dev release of a final comes before its
/// pre-releases, pre-releases before the final, post-releases after it,
/// and the dev release of a post-release before that post-release.
fn pre_key(v: &Version) -> (i8, u8, u64) {
    match (v.pre, v.post, v.dev) {
        (None, None, Some(_)) => (-1, 0, 0),
        (None, _, _) => (1, 0, 0),
        (Some((p, n)), _, _) => (0, p, n),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.release_key().cmp(other.release_key()))
            .then_with(|| pre_key(self).cmp(&pre_key(other)))
            .then_with(|| {
                // No post-release sorts first.
                let k = |v: &Version| v.post.map(|p| (1, p)).unwrap_or((0, 0));
                k(self).cmp(&k(other))
            })
            .then_with(|| {
                // No dev segment sorts last.
                let k = |v: &Version| v.dev.map(|d| (0, d)).unwrap_or((1, 0));
                k(self).cmp(&k(other))
            })
            .then_with(|| {
                // No local segment first; numbers above strings.
                let k = |l: &Local| match l {
                    Local::Num(n) => (1, *n, String::new()),
                    Local::Str(s) => (0, 0, s.clone()),
                };
                let a: Vec<_> = self.local.iter().map(k).collect();
                let b: Vec<_> = other.local.iter().map(k).collect();
                a.cmp(&b)
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch > 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let r: Vec<String> = self.release.iter().map(u64::to_string).collect();
        write!(f, "{}", r.join("."))?;
        if let Some((p, n)) = self.pre {
            write!(f, "{}{n}", ["a", "b", "rc"][p as usize])?;
        }
        if let Some(p) = self.post {
            write!(f, ".post{p}")?;
        }
        if let Some(d) = self.dev {
            write!(f, ".dev{d}")?;
        }
        if !self.local.is_empty() {
            let l: Vec<String> = self
                .local
                .iter()
                .map(|l| match l {
                    Local::Num(n) => n.to_string(),
                    Local::Str(s) => s.clone(),
                })
                .collect();
            write!(f, "+{}", l.join("."))?;
        }
        Ok(())
    }
}

/// A PEP 503 normalised project name (`Foo_Bar.baz` → `foo-bar-baz`).
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|| panic!("{s} did not parse"))
    }

    #[test]
    fn pep440_ordering() {
        // The order PEP 440's summary of permitted suffixes gives.
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0"), v("1.0.0").clone().max(v("1.0")));
        assert_eq!(v("1.0").cmp(&v("1.0.0")), Ordering::Equal);
        assert_eq!(v("1!1.0").cmp(&v("2.0")), Ordering::Greater);
    }

    #[test]
    fn normalisations() {
        assert_eq!(v("V1.0-ALPHA_1"), v("1.0a1"));
        assert_eq!(v("1.0-1"), v("1.0.post1"));
        assert_eq!(v("1.0rev"), v("1.0.post0"));
        assert_eq!(v("1.0c1"), v("1.0rc1"));
        assert_eq!(v("1.0.dev"), v("1.0.dev0"));
        assert_eq!(v("2.5.1+cu121").to_string(), "2.5.1+cu121");
        assert!(v("2.5.1+cpu") < v("2.6.0"));
        assert!(Version::parse("1.0-foo").is_none());
        assert!(Version::parse("latest").is_none());
        assert!(Version::parse("1.*").is_none());
        assert_eq!(normalize_name("Foo_Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize_name("Pillow"), "pillow");
    }
}
