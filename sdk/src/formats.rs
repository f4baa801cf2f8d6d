//! Readers of system file formats that more than one plugin needs.

use std::collections::BTreeMap;

/// Installed packages from a Debian `var/lib/dpkg/status` file: name →
/// version. RFC 822 paragraphs; a package counts only with a `Status:` of
/// `install ok installed` (removed packages keep a paragraph too).
pub fn dpkg_installed(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for para in text.replace("\r\n", "\n").split("\n\n") {
        let (mut name, mut status, mut version) = (None, None, String::new());
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Status:") {
                status = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = v.trim().to_string();
            }
        }
        if let (Some(n), Some(s)) = (name, status)
            && s.starts_with("install")
            && s.ends_with(" installed")
        {
            out.insert(n, version);
        }
    }
    out
}

/// The line (1-based) of each installed package's `Package:` field in a
/// dpkg status file: where a finding about the package points.
pub fn dpkg_package_lines(text: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    let (mut name, mut at, mut installed) = (None, 0u32, false);
    let mut finish = |name: &mut Option<String>, at: u32, installed: &mut bool| {
        if let Some(n) = name.take()
            && *installed
        {
            out.insert(n, at);
        }
        *installed = false;
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            finish(&mut name, at, &mut installed);
        } else if let Some(v) = line.strip_prefix("Package:") {
            name = Some(v.trim().to_string());
            at = i as u32 + 1;
        } else if let Some(v) = line.strip_prefix("Status:") {
            let v = v.trim();
            installed = v.starts_with("install") && v.ends_with(" installed");
        }
    }
    finish(&mut name, at, &mut installed);
    out
}

/// The upstream `major.minor` of a Debian version (`5:24.0.7-1~ubuntu` →
/// (24, 0)): the epoch and the Debian revision are dropped.
pub fn upstream_major_minor(version: &str) -> Option<(u32, u32)> {
    let v = version.split_once(':').map_or(version, |(_, v)| v);
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_stanza_lines_of_installed_packages() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: gone\nStatus: deinstall ok config-files\n\r\nPackage: b\r\nStatus: install ok installed\r\n";
        let lines = dpkg_package_lines(text);
        assert_eq!(
            lines.into_iter().collect::<Vec<_>>(),
            [("a".to_string(), 1), ("b".to_string(), 8)]
        );
    }

    #[test]
    fn dpkg_and_versions() {
        let p = dpkg_installed(
            "Package: telnetd\nStatus: install ok installed\nVersion: 1\n\nPackage: gcc\nStatus: deinstall ok config-files\n",
        );
        assert!(p.contains_key("telnetd") && !p.contains_key("gcc"));
        assert_eq!(
            upstream_major_minor("5:24.0.7-1~ubuntu.20.04~focal"),
            Some((24, 0))
        );
        assert_eq!(upstream_major_minor("1.6.21-1"), Some((1, 6)));
    }
}
