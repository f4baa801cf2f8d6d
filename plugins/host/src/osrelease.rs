//! `/etc/os-release` and the end-of-support table shipped with the plugin.

use std::collections::BTreeMap;

/// `KEY=value` lines, values unquoted (os-release(5)).
pub fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            Some((
                k.trim().to_string(),
                v.trim().trim_matches(['"', '\'']).to_string(),
            ))
        })
        .collect()
}

/// When this table was last checked against the vendors' published dates.
pub const TABLE_DATE: &str = "2026-11-01";

/// End of standard (free) security support: (ID, VERSION_ID prefix, date).
/// Sources: the vendors' lifecycle pages (ubuntu.com/about/release-cycle,
/// wiki.debian.org/LTS, access.redhat.com/support/policy/updates/errata,
/// alpinelinux.org/releases, endoflife.date).
pub const END_OF_SUPPORT: &[(&str, &str, &str)] = &[
    ("ubuntu", "16.04", "2021-04-30"),
    ("ubuntu", "18.04", "2023-05-31"),
    ("ubuntu", "20.04", "2025-05-31"),
    ("ubuntu", "22.04", "2027-06-01"),
    ("ubuntu", "24.04", "2029-05-31"),
    ("ubuntu", "24.10", "2025-07-10"),
    ("ubuntu", "25.04", "2026-01-15"),
    ("ubuntu", "25.10", "2026-07-09"),
    ("debian", "9", "2022-06-30"),
    ("debian", "10", "2024-06-30"),
    ("debian", "11", "2026-08-31"),
    ("debian", "12", "2028-06-30"),
    ("debian", "13", "2030-06-30"),
    ("centos", "7", "2024-06-30"),
    ("centos", "8", "2021-12-31"),
    ("rhel", "7", "2024-06-30"),
    ("rhel", "8", "2029-05-31"),
    ("rhel", "9", "2032-05-31"),
    ("rocky", "8", "2029-05-31"),
    ("rocky", "9", "2032-05-31"),
    ("almalinux", "8", "2029-03-01"),
    ("almalinux", "9", "2032-05-31"),
    ("amzn", "2", "2026-06-30"),
    ("amzn", "2023", "2029-06-30"),
    ("alpine", "3.17", "2024-11-22"),
    ("alpine", "3.18", "2025-05-09"),
    ("alpine", "3.19", "2025-11-01"),
    ("alpine", "3.20", "2026-04-01"),
    ("alpine", "3.21", "2026-11-01"),
    ("alpine", "3.22", "2027-05-01"),
];

/// The end-of-support date for an os-release, if the table knows it.
pub fn end_of_support(id: &str, version: &str) -> Option<&'static str> {
    END_OF_SUPPORT
        .iter()
        .filter(|(i, v, _)| *i == id && (version == *v || version.starts_with(&format!("{v}."))))
        .map(|(_, _, d)| *d)
        .next()
}

/// Today's date as YYYY-MM-DD, from the (WASI) wall clock.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_lookup() {
        let r = parse("NAME=\"Ubuntu\"\nVERSION_ID=\"20.04\"\nID=ubuntu\n");
        assert_eq!(r["VERSION_ID"], "20.04");
        assert_eq!(end_of_support("ubuntu", "20.04"), Some("2025-05-31"));
        assert_eq!(end_of_support("debian", "12"), Some("2028-06-30"));
        assert_eq!(end_of_support("alpine", "3.19.1"), Some("2025-11-01"));
        assert_eq!(end_of_support("plan9", "4"), None);
        assert_eq!(today().len(), 10);
    }
}
