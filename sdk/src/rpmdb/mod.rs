//! Installed packages from an RPM database, in any of the three formats rpm
//! has written: SQLite (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora 33+, RHEL 9,
//! Amazon Linux 2023), Berkeley DB hash (`Packages`, rpm < 4.16: RHEL/CentOS
//! 7 and 8, Amazon Linux 2) and ndb (`Packages.db`, SUSE).
//!
//! The readers are hand-written on purpose. The databases come from an
//! untrusted snapshot, so they are treated as input, not as something to
//! open with the C libraries that wrote them (which do not build for
//! `wasm32-wasip2` without a C cross toolchain, and trust their files).
//! Every reader is read-only, bounds-checks every offset it follows, visits
//! each page at most once, and caps what it allocates; a malformed database
//! is an error naming what was wrong, never a panic or a hang.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

pub use header::Package;

/// Where rpm keeps its database, newest layout first (Fedora moved it to
/// `/usr/lib/sysimage/rpm` and left `/var/lib/rpm` as a link).
pub const LOCATIONS: &[&str] = &[
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages.db",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/Packages",
    "var/lib/rpm/Packages",
];

/// No header blob rpm writes comes near this; it bounds what one record
/// can make the reader allocate.
pub(crate) const MAX_BLOB: usize = 64 << 20;
/// Bounds the packages read from one database (a large host has ~5,000).
pub(crate) const MAX_PACKAGES: usize = 1_000_000;

/// Why a database could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(format!("read error: {e}"))
    }
}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error(msg.into()))
}

/// The database formats, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Sqlite,
    BerkeleyDb,
    Ndb,
}

impl Format {
    pub fn detect(first: &[u8]) -> Option<Format> {
        if first.starts_with(b"SQLite format 3\0") {
            return Some(Format::Sqlite);
        }
        if first.starts_with(b"RpmP") {
            return Some(Format::Ndb);
        }
        let magic = first.get(12..16)?;
        let le = u32::from_le_bytes(magic.try_into().ok()?);
        let be = u32::from_be_bytes(magic.try_into().ok()?);
        (le == bdb::HASH_MAGIC
            || be == bdb::HASH_MAGIC
            || le == bdb::BTREE_MAGIC
            || be == bdb::BTREE_MAGIC)
            .then_some(Format::BerkeleyDb)
    }
}

/// Something the readers can read at offsets: a file, or bytes in memory.
pub trait Source {
    fn size(&mut self) -> Result<u64, Error>;
    /// Fill `buf` from `offset`; reading past the end is an error.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), Error>;
}

impl<R: Read + Seek> Source for R {
    fn size(&mut self) -> Result<u64, Error> {
        Ok(self.seek(SeekFrom::End(0))?)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        self.seek(SeekFrom::Start(offset))?;
        self.read_exact(buf).map_err(|e| {
            Error(format!(
                "cannot read {} bytes at offset {offset}: {e}",
                buf.len()
            ))
        })
    }
}

/// Every package in a database, in the database's order.
pub fn read(src: &mut impl Source) -> Result<Vec<Package>, Error> {
    read_with_wal(src, None::<&mut std::io::Empty>)
}

/// As [`read`]; for SQLite, committed pages of the write-ahead log (the
/// `-wal` file beside the database) take precedence over the main file, as
/// they do for SQLite itself.
pub fn read_with_wal<W: Source>(
    src: &mut impl Source,
    wal: Option<&mut W>,
) -> Result<Vec<Package>, Error> {
    let mut first = [0u8; 16];
    let len = src.size()?;
    if len < 16 {
        return err(format!("{len} bytes is too short for an RPM database"));
    }
    src.read_at(0, &mut first)?;
    let mut blobs = Vec::new();
    match Format::detect(&first) {
        Some(Format::Sqlite) => sqlite::packages(src, wal, &mut blobs)?,
        Some(Format::BerkeleyDb) => bdb::packages(src, &mut blobs)?,
        Some(Format::Ndb) => ndb::packages(src, &mut blobs)?,
        None => return err("not an RPM database (neither SQLite, Berkeley DB hash nor ndb)"),
    }
    blobs
        .iter()
        .enumerate()
        .map(|(i, b)| header::parse(b).map_err(|e| Error(format!("package header {}: {e}", i + 1))))
        .collect()
}

/// Installed packages as name → `[epoch:]version-release`, the form
/// `rpm -qa` shows, from the database file at `path` (its `-wal` file is
/// read too when there is one).
pub fn installed(path: &Path) -> Result<BTreeMap<String, String>, Error> {
    // Regular files only: a FIFO in their place would block the read.
    let (mut file, _) = crate::fs::open_regular(path).map_err(|e| Error(e.to_string()))?;
    let wal_path = {
        let mut p = path.as_os_str().to_owned();
        p.push("-wal");
        std::path::PathBuf::from(p)
    };
    let mut wal = match crate::fs::open_regular(&wal_path) {
        Ok((f, _)) => Some(f),
        Err(e) if e.is_missing() => None,
        Err(e) => return Err(Error(format!("its write-ahead log: {e}"))),
    };
    let packages = read_with_wal(&mut file, wal.as_mut())?;
    Ok(packages
        .into_iter()
        // The public keys rpm trusts are stored as pseudo-packages.
        .filter(|p| p.name != "gpg-pubkey")
        .map(|p| {
            let v = p.evr();
            (p.name, v)
        })
        .collect())
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    //! The fixtures were written by real rpm 4.18 and Berkeley DB 5.3 (see
    //! tests/fixtures/rpm-host/generate.sh); every format must give exactly
    //! what `rpm -qa` printed for them.
    use super::*;
    use std::io::Cursor;
    use std::path::PathBuf;

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(rel)
    }

    /// One database per format and variant, all holding the same packages.
    const DATABASES: [&str; 4] = [
        "rpm-host/var/lib/rpm/rpmdb.sqlite",
        "rpmdb/Packages",
        "rpmdb/Packages-checksummed",
        "rpmdb/Packages.db",
    ];

    fn expected() -> BTreeMap<String, String> {
        std::fs::read_to_string(fixture("rpmdb/expected.txt"))
            .unwrap()
            .lines()
            .map(|l| {
                let (n, v) = l.split_once(' ').unwrap();
                (n.to_string(), v.to_string())
            })
            .collect()
    }

    #[test]
    fn every_format_lists_what_rpm_lists() {
        let want = expected();
        assert_eq!(want.len(), 47);
        assert_eq!(want["docker-ce"], "3:24.0.7-1.el9");
        assert!(
            !want.contains_key("lib-filler07"),
            "erased before the snapshot"
        );
        let formats = [
            Format::Sqlite,
            Format::BerkeleyDb,
            Format::BerkeleyDb,
            Format::Ndb,
        ];
        for (db, format) in DATABASES.into_iter().zip(formats) {
            let bytes = std::fs::read(fixture(db)).unwrap();
            assert_eq!(Format::detect(&bytes), Some(format), "{db}");
            assert_eq!(installed(&fixture(db)).unwrap(), want, "{db}");
        }
    }

    #[test]
    fn committed_transactions_in_the_write_ahead_log_count() {
        let mut db = std::fs::File::open(fixture("rpm-host/var/lib/rpm/rpmdb.sqlite")).unwrap();
        let mut wal = std::fs::File::open(fixture("rpmdb/rpmdb.sqlite-wal")).unwrap();
        let with_log = read_with_wal(&mut db, Some(&mut wal)).unwrap();
        assert_eq!(with_log.len(), 46, "one package erased in the log");
        let all = expected();
        assert!(with_log.iter().all(|p| all[&p.name] == p.evr()));
        // A log whose frames do not verify (here: cut mid-frame, then one
        // byte of the first frame changed) adds nothing.
        let mut log = std::fs::read(fixture("rpmdb/rpmdb.sqlite-wal")).unwrap();
        log[32 + 24 + 100] ^= 0xff;
        let read = read_with_wal(&mut db, Some(&mut Cursor::new(log))).unwrap();
        assert_eq!(read.len(), 47);
    }

    /// Damage anywhere gives an error or a subset, never a panic, a hang
    /// or a package that is not there.
    #[test]
    fn damaged_databases_fail_cleanly() {
        let want = expected();
        for db in DATABASES {
            let good = std::fs::read(fixture(db)).unwrap();
            let step = (good.len() / 61).max(1);
            for at in (0..good.len()).step_by(step) {
                for damage in [0x00u8, 0xff, 0x80] {
                    let mut bad = good.clone();
                    bad[at] = damage;
                    if let Ok(pkgs) = read(&mut Cursor::new(&bad)) {
                        for p in pkgs {
                            // a byte of a name or version may change; the
                            // count of packages may not grow
                            assert!(p.name.len() < 64, "{db} @{at}: {p:?}");
                        }
                    }
                }
                let cut = &good[..at];
                if let Ok(pkgs) = read(&mut Cursor::new(cut)) {
                    assert!(pkgs.len() <= want.len(), "{db} cut at {at}");
                }
            }
        }
    }

    /// Random multi-byte damage (a fixed-seed generator, so a failure
    /// reproduces): every read ends, with packages or an error.
    #[test]
    fn random_damage_never_panics_or_hangs() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for db in DATABASES {
            let good = std::fs::read(fixture(db)).unwrap();
            for _ in 0..150 {
                let mut bad = good.clone();
                for _ in 0..1 + next() % 8 {
                    let at = (next() % bad.len() as u64) as usize;
                    bad[at] = next() as u8;
                }
                let _ = read(&mut Cursor::new(&bad));
            }
        }
    }

    /// A Berkeley DB header claiming four billion buckets is refused at
    /// once, not walked.
    #[test]
    fn absurd_bucket_counts_are_refused() {
        let mut bad = std::fs::read(fixture("rpmdb/Packages")).unwrap();
        bad[72..76].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = read(&mut Cursor::new(&bad)).unwrap_err();
        assert!(e.0.contains("buckets in a file of"), "{e}");
    }

    #[test]
    fn other_files_are_named_for_what_they_are() {
        let e = read(&mut Cursor::new(b"not a database at all".to_vec())).unwrap_err();
        assert!(e.0.contains("not an RPM database"), "{e}");
        let e = read(&mut Cursor::new(b"short".to_vec())).unwrap_err();
        assert!(e.0.contains("too short"), "{e}");
    }
}
