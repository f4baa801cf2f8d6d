//! The crate plugin authors use to write aicomply check plugins in Rust.
//!
//! A plugin is a type that implements [`Plugin`], exported with
//! [`export_plugin!`], in a `cdylib` crate built for `wasm32-wasip2`:
//!
//! ```ignore
//! use aicomply_sdk::{Context, Plugin, PluginInfo, Scan};
//!
//! struct MyPlugin;
//!
//! impl Plugin for MyPlugin {
//!     fn info() -> PluginInfo { /* id, checks, capabilities */ }
//!     fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
//!         let target = ctx.target()?;
//!         // read files under `target`, then for each problem:
//!         // scan.finding("MY-CHECK", "what was found").at(location);
//!         Ok(())
//!     }
//! }
//!
//! aicomply_sdk::export_plugin!(MyPlugin);
//! ```
//!
//! Keep the logic in plain Rust functions that take a [`Scan`]: they compile
//! natively too, so parsers and rules are unit-tested at native speed, and
//! only the export is wasm-specific.

pub mod base64;
pub mod formats;
pub mod fs;
pub mod helm;
pub mod kubernetes;
pub mod kustomize;
mod probe;
mod progress;
pub mod rpmdb;
mod scan;
pub mod secret_values;
pub mod text;
pub mod yaml;

pub use progress::Progress;
pub use scan::Scan;

/// The generated WIT bindings. Plugin code normally needs only the
/// re-exported types below; this module exists for the export macro.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/0.1.3",
        world: "plugin",
        pub_export_macro: true,
        default_bindings_module: "aicomply_sdk::bindings",
    });
}

pub use bindings::aicomply::plugin::host::{FileKind, FileMetadata};
pub use bindings::aicomply::plugin::types::{
    Capability, CertificateInfo, Check, Diagnostic, Finding, HttpReport, IncompleteCheck, Location,
    MountedRoot, NotChecked, PartialOutput, PluginInfo, ProbeError, ProbeFailure, Redirect,
    RunContext, RunOutput, ScanSettings, Severity, SkipReason, SkippedPath, TlsAttempt, TlsReport,
};

/// The version of the WIT contract this SDK builds plugins against.
pub const WIT_VERSION: &str = "0.1.3";

/// A check plugin. Implement it on a unit struct and export it with
/// [`export_plugin!`].
pub trait Plugin {
    /// The plugin's static self-description: id, version, domain, the
    /// catalogue of checks and the capabilities it requests.
    fn info() -> PluginInfo;

    /// Evaluate the checks. Record findings, evaluated checks, checks that
    /// could not be evaluated and unreadable files on `scan`. Return `Err`
    /// only when the plugin cannot run at all.
    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String>;
}

/// What the host tells a plugin about this run.
#[derive(Debug, Clone)]
pub struct Context {
    inner: RunContext,
    settings: ScanSettings,
    /// Natively (tests), the endpoints set by [`Context::with_endpoints`].
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    endpoints: Vec<String>,
}

impl Context {
    /// In a plugin, the operator's settings come from the host; natively
    /// (tests) they are empty until [`Context::with_settings`].
    pub fn new(inner: RunContext) -> Self {
        #[cfg(target_arch = "wasm32")]
        let settings = bindings::aicomply::plugin::host::settings();
        #[cfg(not(target_arch = "wasm32"))]
        let settings = ScanSettings {
            exclude: Vec::new(),
        };
        Self {
            inner,
            settings,
            endpoints: Vec::new(),
        }
    }

    /// The same context with other settings (for native tests).
    pub fn with_settings(mut self, settings: ScanSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The operator's settings for this run: the paths to exclude.
    pub fn settings(&self) -> &ScanSettings {
        &self.settings
    }

    /// The guest path of a mounted root, if the host granted and mounted it.
    pub fn root(&self, name: &str) -> Option<&std::path::Path> {
        self.inner
            .roots
            .iter()
            .find(|r| r.name == name)
            .map(|r| std::path::Path::new(&r.guest_path))
    }

    /// The scan target, which every run mounts.
    pub fn target(&self) -> Result<&std::path::Path, String> {
        self.root("target")
            .ok_or_else(|| "the host did not mount the scan target".to_string())
    }

    /// Whether the operator granted `kind` (e.g. `file-meta`) for the root
    /// named `scope`.
    pub fn granted(&self, kind: &str, scope: &str) -> bool {
        self.inner
            .granted
            .iter()
            .any(|c| c.kind == kind && c.scope == scope)
    }

    /// Unix metadata of `path` under the root named `root`, without
    /// following a final symlink. Needs the `file-meta` capability.
    pub fn file_meta(&self, root: &str, path: &str) -> Result<FileMetadata, String> {
        #[cfg(target_arch = "wasm32")]
        {
            bindings::aicomply::plugin::host::file_meta(root, path)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            // Natively (unit tests) the root is a real directory.
            native_file_meta(
                self.root(root)
                    .ok_or_else(|| format!("root {root} is not mounted"))?,
                path,
            )
        }
    }

    /// An operator configuration value for this plugin.
    pub fn config(&self, key: &str) -> Option<&str> {
        self.inner
            .config
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn native_file_meta(root: &std::path::Path, path: &str) -> Result<FileMetadata, String> {
    use std::os::unix::fs::MetadataExt;
    let full = root.join(path);
    let m = std::fs::symlink_metadata(&full).map_err(|e| e.to_string())?;
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Directory
    } else if ft.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    };
    let link_target = ft
        .is_symlink()
        .then(|| {
            std::fs::read_link(&full)
                .ok()
                .map(|t| t.to_string_lossy().into_owned())
        })
        .flatten();
    Ok(FileMetadata {
        kind,
        mode: m.mode(),
        uid: m.uid(),
        gid: m.gid(),
        size: m.size(),
        link_target,
    })
}

impl Capability {
    /// Read-only access to the files of a root (`target` is the scan target).
    pub fn fs_read(root: &str, reason: &str) -> Self {
        Capability {
            kind: "fs-read".into(),
            scope: root.into(),
            reason: reason.into(),
        }
    }

    /// Unix metadata of files under a root, through [`Context::file_meta`].
    pub fn file_meta(root: &str, reason: &str) -> Self {
        Capability {
            kind: "file-meta".into(),
            scope: root.into(),
            reason: reason.into(),
        }
    }

    /// Probes, made by the host, of the endpoints the operator grants
    /// (contract 0.1.3): [`Context::probe_tls`], [`Context::probe_http`].
    pub fn net_probe(reason: &str) -> Self {
        Capability {
            kind: "net-probe".into(),
            scope: "endpoints".into(),
            reason: reason.into(),
        }
    }
}

/// Log levels for [`log`].
pub use bindings::aicomply::plugin::host::LogLevel;

/// Write a line to the run's log. The host budgets and truncates it.
pub fn log(level: LogLevel, message: &str) {
    #[cfg(target_arch = "wasm32")]
    bindings::aicomply::plugin::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

impl Location {
    /// A location in the scan target.
    pub fn target(path: impl Into<String>) -> Self {
        Location {
            root: "target".into(),
            path: path.into(),
            line: None,
            member: None,
        }
    }

    pub fn line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    pub fn member(mut self, member: impl Into<String>) -> Self {
        self.member = Some(member.into());
        self
    }
}

impl Finding {
    pub fn at(&mut self, location: Location) -> &mut Self {
        self.location = Some(location);
        self
    }

    pub fn evidence(&mut self, evidence: impl Into<String>) -> &mut Self {
        self.evidence = Some(evidence.into());
        self
    }

    pub fn remediation(&mut self, remediation: impl Into<String>) -> &mut Self {
        self.remediation = Some(remediation.into());
        self
    }

    pub fn severity(&mut self, severity: Severity) -> &mut Self {
        self.severity = severity;
        self
    }
}

impl Check {
    /// A catalogue entry. `references` may be empty.
    pub fn new(
        id: &str,
        control: &str,
        severity: Severity,
        title: &str,
        remediation: &str,
        references: &[&str],
    ) -> Self {
        Check {
            id: id.into(),
            control: control.into(),
            title: title.into(),
            severity,
            remediation: remediation.into(),
            references: references.iter().map(|r| r.to_string()).collect(),
        }
    }
}

/// Runs a plugin against a host-provided context. Used by [`export_plugin!`].
#[doc(hidden)]
pub fn __run<P: Plugin>(context: RunContext) -> Result<RunOutput, String> {
    let ctx = Context::new(context);
    let mut scan = Scan::new(P::info().checks);
    P::run(&ctx, &mut scan)?;
    Ok(scan.into_output())
}

/// Export a [`Plugin`] implementation as the component's `describe` and
/// `run`. Call it once, at the top level of the plugin crate.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct AicomplyExport;
            impl $crate::bindings::exports::aicomply::plugin::scanner::Guest for AicomplyExport {
                fn describe() -> $crate::PluginInfo {
                    <$plugin as $crate::Plugin>::info()
                }
                fn run(
                    context: $crate::RunContext,
                ) -> ::core::result::Result<$crate::RunOutput, ::std::string::String> {
                    $crate::__run::<$plugin>(context)
                }
            }
    $crate::bindings::export!(AicomplyExport with_types_in $crate::bindings);
        };
    };
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
