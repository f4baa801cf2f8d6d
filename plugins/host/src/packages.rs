//! The installed-package database of a root filesystem: dpkg's status file
//! on Debian-family systems, rpm's database (SQLite, Berkeley DB or ndb) on
//! RPM-family systems. Checks ask it by package name, with the names both
//! families use.

use std::collections::BTreeMap;

use aicomply_sdk::rpmdb;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Deb,
    Rpm,
}

pub struct Packages {
    /// The database file, absolute within the root (`/var/lib/rpm/...`).
    pub path: String,
    pub family: Family,
    /// name → version as the package manager shows it.
    pub installed: BTreeMap<String, String>,
    /// name → the line of its stanza (dpkg's status file; none in an RPM
    /// database).
    pub lines: BTreeMap<String, u32>,
}

impl Packages {
    pub fn has(&self, name: &str) -> bool {
        self.installed.contains_key(name)
    }

    /// The names from `names` that are installed, in the order given.
    pub fn any_of<'a>(&self, names: &[&'a str]) -> Vec<&'a str> {
        names.iter().copied().filter(|n| self.has(n)).collect()
    }
}

/// The root's package database, or why there is none to read: `Err` holds
/// the reason the package-based checks are not checked, plus, when a
/// database exists but cannot be read, the file and the error for a
/// diagnostic.
pub fn load(root: &crate::Root) -> Result<Packages, (String, Option<(String, String)>)> {
    if let Some(text) = root.read("/var/lib/dpkg/status") {
        return Ok(Packages {
            path: "/var/lib/dpkg/status".into(),
            family: Family::Deb,
            installed: aicomply_sdk::formats::dpkg_installed(&text),
            lines: aicomply_sdk::formats::dpkg_package_lines(&text),
        });
    }
    for rel in rpmdb::LOCATIONS {
        let path = format!("/{rel}");
        let file = root.path(&path);
        // Absent: try the next place. There but not a regular file: said
        // below, as a database that could not be read.
        if std::fs::symlink_metadata(&file).is_err() {
            continue;
        }
        root.progress.file_done();
        return match rpmdb::installed(&file) {
            Ok(installed) => Ok(Packages {
                path,
                family: Family::Rpm,
                installed,
                lines: BTreeMap::new(),
            }),
            Err(e) => {
                root.gap(
                    &path,
                    aicomply_sdk::SkipReason::Unreadable,
                    format!("the RPM package database could not be read: {e}"),
                );
                Err((
                    format!("the RPM package database {rel} could not be read: {e}"),
                    Some((path, format!("cannot read the RPM package database: {e}"))),
                ))
            }
        };
    }
    Err((
        "no package database (var/lib/dpkg/status, or an RPM database under var/lib/rpm or usr/lib/sysimage/rpm)"
            .into(),
        None,
    ))
}
