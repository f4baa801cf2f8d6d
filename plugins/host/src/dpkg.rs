//! `var/lib/dpkg/status`: installed packages (RFC 822 paragraphs; a
//! package counts only with `Status: install ok installed`).

use std::collections::BTreeMap;

pub fn installed(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for para in text.replace("\r\n", "\n").split("\n\n") {
        let mut name = None;
        let mut status = None;
        let mut version = String::new();
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Status:") {
                status = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = v.trim().to_string();
            }
        }
        if let (Some(n), Some(s)) = (name, status) {
            if s.ends_with(" installed") && s.starts_with("install") {
                out.insert(n, version);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_installed_packages() {
        let p = super::installed(
            "Package: telnetd\nStatus: install ok installed\nVersion: 1\n\nPackage: gcc\nStatus: deinstall ok config-files\n",
        );
        assert!(p.contains_key("telnetd") && !p.contains_key("gcc"));
    }
}
