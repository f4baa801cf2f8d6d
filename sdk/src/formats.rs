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
