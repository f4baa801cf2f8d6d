//! What a component imports and exports, checked against the host world
//! before it is linked: a plugin may import only the WASI interfaces a
//! file-reading check needs and the aicomply host interface, and must
//! export `aicomply:plugin/scanner` of a contract version this host speaks.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The contract line this host implements (0.x: the minor is the major).
pub const HOST_WIT_VERSION: &str = "0.1.3";
const SCANNER_EXPORT: &str = "aicomply:plugin/scanner";

/// Interfaces a plugin may import. Everything else (wasi:sockets, wasi:http,
/// unknown packages) is refused at load, before any plugin code runs.
const ALLOWED_IMPORTS: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "aicomply:plugin/types",
    "aicomply:plugin/host",
];

/// Split `pkg:ns/iface@1.2.3` into the unversioned name and the version.
fn split_version(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (name, None),
    }
}

/// Major compatibility line of a semantic version: `0.1` for `0.1.4`, `2` for `2.3.0`.
fn line(version: &str) -> String {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_string(),
        _ => version.to_string(),
    }
}

/// Check the component's imports and exports; returns the contract
/// version it was built against.
pub fn check(engine: &Engine, component: &Component) -> Result<String, String> {
    let ty = component.component_type();
    let mut refused = Vec::new();
    for (name, _) in ty.imports(engine) {
        let (bare, _) = split_version(name);
        if !ALLOWED_IMPORTS.contains(&bare) {
            refused.push(name.to_string());
        }
    }
    if !refused.is_empty() {
        let why = if refused
            .iter()
            .any(|n| n.starts_with("wasi:sockets/") || n.starts_with("wasi:http/"))
        {
            " (plugins get no network access)"
        } else {
            ""
        };
        return Err(format!(
            "imports interfaces outside the aicomply host world{why}: {}",
            refused.join(", ")
        ));
    }
    let mut version = None;
    for (name, _) in ty.exports(engine) {
        let (bare, v) = split_version(name);
        if bare == SCANNER_EXPORT {
            version = Some(v.unwrap_or("").to_string());
        }
    }
    let version = version.ok_or_else(|| {
        format!("does not export {SCANNER_EXPORT}; it is not an aicomply plugin (or was built for another contract)")
    })?;
    if line(&version) != line(HOST_WIT_VERSION) {
        return Err(format!(
            "was built against the plugin contract aicomply:plugin@{version}; this aicomply speaks aicomply:plugin@{} ({}.x)",
            HOST_WIT_VERSION,
            line(HOST_WIT_VERSION)
        ));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines() {
        assert_eq!(line("0.1.0"), "0.1");
        assert_eq!(line("0.1.9"), "0.1");
        assert_eq!(line("0.2.0"), "0.2");
        assert_eq!(line("1.4.0"), "1");
        assert_eq!(
            split_version("wasi:cli/exit@0.2.6"),
            ("wasi:cli/exit", Some("0.2.6"))
        );
    }
}
