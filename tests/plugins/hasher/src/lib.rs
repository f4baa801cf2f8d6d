//! Benchmark plugin (tests/bench/hash.py): the SHA-256 of one target file,
//! computed inside the sandbox (`mode = guest`, the sha2 crate compiled to
//! wasm) or by the host (`mode = host`, `host.hash-file`), with the time it
//! took, reported as an info finding; a file that cannot be hashed is a
//! diagnostic with the error. Config: `path` (relative to the target;
//! several separated by `,`), `root` (default `target`) and `mode`. The
//! hostile-target tests point it at FIFOs, links and paths out of the root.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::io::Read;
use std::time::Instant;

use aicomply_sdk::{Capability, Check, Context, Location, Plugin, PluginInfo, Scan, Severity};
use sha2::{Digest, Sha256};

struct Hasher;

impl Plugin for Hasher {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "hasher".into(),
            name: "SHA-256 benchmark".into(),
            version: "0.0.0".into(),
            domain: "network".into(),
            description: "Benchmark plugin: hashes one file in the guest or the host.".into(),
            checks: vec![Check::new(
                "HASH-1",
                "NET-4",
                Severity::Info,
                "digest",
                "none",
                &[],
            )],
            capabilities: vec![Capability::fs_read("target", "hashes one file")],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let paths = ctx.config("path").ok_or("config `path` is required")?;
        let root = ctx.config("root").unwrap_or("target");
        let mode = ctx.config("mode").unwrap_or("host");
        for path in paths.split(',') {
            let start = Instant::now();
            let digest = match mode {
                "host" => ctx.hash_file(root, path),
                "guest" => guest_sha256(ctx, path),
                other => return Err(format!("mode {other:?} is neither guest nor host")),
            };
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            match digest {
                Ok(digest) => {
                    scan.finding("HASH-1", format!("{digest} {ms:.1}"))
                        .at(Location::target(path));
                }
                Err(e) => scan.diagnostic(Location::target(path), e),
            }
        }
        scan.evaluated("HASH-1");
        Ok(())
    }
}

fn guest_sha256(ctx: &Context, path: &str) -> Result<String, String> {
    let mut file =
        std::fs::File::open(ctx.target()?.join(path)).map_err(|e| format!("{path}: {e}"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("{path}: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

aicomply_sdk::export_plugin!(Hasher);
