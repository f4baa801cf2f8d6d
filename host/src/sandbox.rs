//! The sandbox: one wasmtime engine per process, and for every plugin call a
//! fresh Store with a WASI context that grants exactly what is listed here.
//!
//! A plugin gets: the scan target (or nothing, for `describe`) preopened
//! read-only at `/target`; no environment, arguments or stdin; no sockets or
//! name lookups; stdout and stderr captured into capped buffers; a memory
//! cap enforced by a resource limiter; a wall-clock deadline enforced by
//! epoch interruption; a cap on bytes copied out of the guest per call
//! (hostcall fuel); and the `host` interface with a budgeted `log`. A Store
//! is dropped after its one call, so a trapped instance is never re-entered.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::collect::Collector;

use crate::model;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/0.1.3",
        world: "plugin",
        // Probes do network I/O on the plugin's own runtime (see spawn_run).
        imports: {
            "aicomply:plugin/host.probe-tls": async,
            "aicomply:plugin/host.probe-http": async,
        },
        exports: { default: async },
    });
}

use bindings::aicomply::plugin::{host, types};

/// Where a plugin finds the scan target; other roots are under `/roots/`.
pub const TARGET_GUEST_PATH: &str = "/target";

/// A granted root for one run.
#[derive(Debug, Clone)]
pub struct Mount {
    pub name: String,
    pub host_path: PathBuf,
    /// Mounted for reading with WASI (`fs-read`).
    pub read: bool,
    /// Visible to `host.file-meta` (`file-meta`).
    pub meta: bool,
}

impl Mount {
    pub fn guest_path(&self) -> String {
        if self.name == "target" {
            TARGET_GUEST_PATH.to_string()
        } else {
            format!("/roots/{}", self.name)
        }
    }
}
/// Epoch tick: the deadline's resolution.
const TICK: Duration = Duration::from_millis(10);

/// Resource limits for one plugin call.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    pub table_elements: usize,
    /// Bytes the host copies out of the guest in one call (strings, lists).
    pub hostcall_bytes: usize,
    pub output_bytes: usize,
    pub log_lines: usize,
    pub log_line_bytes: usize,
    /// Resource handles (files, streams) a plugin may hold at once.
    pub handles: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            memory_bytes: 512 << 20,
            table_elements: 100_000,
            hostcall_bytes: 64 << 20,
            output_bytes: 64 << 10,
            log_lines: 1_000,
            log_line_bytes: 4 << 10,
            handles: 10_000,
        }
    }
}

/// What a call printed and logged, kept for the report.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    pub log: Vec<String>,
    pub log_dropped: usize,
    /// Files examined, from the plugin's last `host.progress`.
    pub files_examined: Option<u32>,
    pub stdout: String,
    pub stderr: String,
}

/// Where a call's output goes: captured stdout and stderr, and the log and
/// progress. Shared with the scheduler, so a call that never returns (a
/// host call blocked in I/O) still leaves what it printed.
#[derive(Clone)]
pub struct Capture {
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    transcript: Arc<Mutex<Transcript>>,
    /// The probes the plugin asked for, made or refused.
    probes: crate::probe::SharedLog,
}

impl Capture {
    pub fn new(limits: &Limits) -> Self {
        Self {
            stdout: MemoryOutputPipe::new(limits.output_bytes),
            stderr: MemoryOutputPipe::new(limits.output_bytes),
            transcript: Arc::default(),
            probes: Arc::default(),
        }
    }

    /// The probes the call asked for so far.
    pub fn probes(&self) -> crate::probe::ProbeLog {
        self.probes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Transcript> {
        self.transcript.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the call printed and logged so far.
    pub fn transcript(&self) -> Transcript {
        let mut t = self.lock().clone();
        t.stdout = String::from_utf8_lossy(&self.stdout.contents()).into_owned();
        t.stderr = String::from_utf8_lossy(&self.stderr.contents()).into_owned();
        t
    }
}

/// Everything one `run` call is given.
pub struct RunRequest {
    pub mounts: Vec<Mount>,
    pub granted: Vec<model::Capability>,
    pub config: Vec<(String, String)>,
    pub limits: Limits,
    /// The operator's `--exclude` globs, for `host.settings`.
    pub exclude: Vec<String>,
    /// Hears the plugin's `host.progress` calls.
    pub on_progress: Option<ProgressSink>,
    /// Receives what the plugin emits and returns.
    pub collector: Arc<Collector>,
    pub capture: Capture,
    /// The endpoints this plugin may probe (empty without `net-probe`).
    pub endpoints: Vec<crate::probe::Endpoint>,
    pub probe_settings: Arc<crate::probe::ProbeSettings>,
}

struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: Limits,
    /// Set when the limiter refused a growth, to explain the trap after.
    memory_refused: Option<usize>,
    /// Roots `host.file-meta` may look into, opened as capabilities.
    meta_roots: BTreeMap<String, cap_std::fs::Dir>,
    /// Roots the plugin may read (`fs-read`), for `host.hash-file`.
    read_roots: BTreeMap<String, cap_std::fs::Dir>,
    /// When the call's time is up: host work done on its behalf (hashing)
    /// stops there too.
    deadline: std::time::Instant,
    transcript: Arc<Mutex<Transcript>>,
    /// Told of each `host.progress` (the terminal's live line).
    on_progress: Option<ProgressSink>,
    /// Takes `host.emit` batches (none during `describe`).
    collector: Option<Arc<Collector>>,
    exclude: Vec<String>,
    /// Makes `host.probe-*` for this plugin (none during `describe`).
    prober: Option<crate::probe::Prober>,
}

impl HostState {
    fn transcript(&self) -> std::sync::MutexGuard<'_, Transcript> {
        self.transcript.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Receives a plugin's progress: files examined, of how many if known.
pub type ProgressSink = std::sync::Arc<dyn Fn(u32, Option<u32>) + Send + Sync>;

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wasmtime::ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.limits.memory_bytes;
        if !ok {
            self.memory_refused = Some(desired);
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.limits.table_elements)
    }

    fn instances(&self) -> usize {
        64
    }
    fn tables(&self) -> usize {
        64
    }
    fn memories(&self) -> usize {
        16
    }
}

impl types::Host for HostState {}

impl host::Host for HostState {
    fn log(&mut self, level: host::LogLevel, message: String) {
        let (max_lines, max_bytes) = (self.limits.log_lines, self.limits.log_line_bytes);
        let mut t = self.transcript();
        if t.log.len() >= max_lines {
            t.log_dropped += 1;
            return;
        }
        let level = match level {
            host::LogLevel::Trace => "trace",
            host::LogLevel::Debug => "debug",
            host::LogLevel::Info => "info",
            host::LogLevel::Warn => "warn",
            host::LogLevel::Error => "error",
        };
        let mut line = format!("{level}: {message}");
        if line.len() > max_bytes {
            let mut cut = max_bytes;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push_str("…[truncated]");
        }
        t.log.push(line);
    }

    fn file_meta(&mut self, root: String, path: String) -> Result<host::FileMetadata, String> {
        let dir = self
            .meta_roots
            .get(&root)
            .ok_or_else(|| format!("file-meta on root {root:?} was not granted"))?;
        file_meta::lookup(dir, &path)
    }

    fn progress(&mut self, files_done: u32, files_total: Option<u32>) {
        {
            let mut t = self.transcript();
            // Counts only grow: a plugin cannot make the display go backwards.
            if t.files_examined.is_some_and(|d| files_done < d) {
                return;
            }
            t.files_examined = Some(files_done);
        }
        if let Some(sink) = &self.on_progress {
            sink(files_done, files_total);
        }
    }

    fn emit(&mut self, output: types::PartialOutput) {
        if let Some(c) = &self.collector {
            c.add(convert::batch(output));
        }
    }

    fn settings(&mut self) -> types::ScanSettings {
        types::ScanSettings {
            exclude: self.exclude.clone(),
        }
    }

    fn endpoints(&mut self) -> Vec<String> {
        self.prober
            .as_ref()
            .map(|p| p.endpoints())
            .unwrap_or_default()
    }

    async fn probe_tls(&mut self, endpoint: String) -> Result<types::TlsReport, types::ProbeError> {
        let deadline = self.deadline;
        match &mut self.prober {
            Some(p) => p
                .probe_tls(&endpoint, deadline)
                .await
                .map(convert::tls_report)
                .map_err(convert::probe_error),
            None => Err(not_granted(&endpoint)),
        }
    }

    async fn probe_http(
        &mut self,
        endpoint: String,
    ) -> Result<types::HttpReport, types::ProbeError> {
        let deadline = self.deadline;
        match &mut self.prober {
            Some(p) => p
                .probe_http(&endpoint, deadline)
                .await
                .map(convert::http_report)
                .map_err(convert::probe_error),
            None => Err(not_granted(&endpoint)),
        }
    }

    fn hash_file(&mut self, root: String, path: String) -> Result<String, String> {
        let dir = self
            .read_roots
            .get(&root)
            .ok_or_else(|| format!("fs-read on root {root:?} was not granted"))?;
        crate::safe_fs::sha256_in(dir, &path, self.deadline)
    }
}

fn not_granted(endpoint: &str) -> types::ProbeError {
    types::ProbeError {
        failure: types::ProbeFailure::NotGranted,
        message: format!(
            "{:?}: no probes during describe",
            endpoint.chars().take(256).collect::<String>()
        ),
    }
}

mod file_meta {
    //! `host.file-meta`: cap-std resolves the path inside the root the way
    //! the WASI preopens do (no absolute paths, no `..` above the root, no
    //! symlink leading out), and the final component is not followed.
    use super::host::{FileKind, FileMetadata};
    use cap_std::fs::{Dir, MetadataExt};

    pub fn lookup(dir: &Dir, path: &str) -> Result<FileMetadata, String> {
        if path.is_empty() || path.starts_with('/') || path.contains('\0') {
            return Err(format!("{path:?} is not a relative path inside the root"));
        }
        // `link/` would otherwise ask for the directory the link points to.
        let path = match path.trim_end_matches('/') {
            "" => ".",
            p => p,
        };
        let meta = dir
            .symlink_metadata(path)
            .map_err(|e| format!("{path}: {e}"))?;
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            FileKind::Symlink
        } else if ft.is_dir() {
            FileKind::Directory
        } else if ft.is_file() {
            FileKind::File
        } else {
            FileKind::Other
        };
        let link_target = if ft.is_symlink() {
            dir.read_link_contents(path)
                .ok()
                .map(|t| t.to_string_lossy().into_owned())
        } else {
            None
        };
        Ok(FileMetadata {
            kind,
            mode: meta.mode(),
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.len(),
            link_target,
        })
    }
}

/// The engine, the linker with the host world, and the epoch ticker.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<HostState>,
}

impl Sandbox {
    pub fn new() -> anyhow::Result<Arc<Self>> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("{e:#}"))?;

        let weak = engine.weak();
        std::thread::Builder::new()
            .name("aicomply-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })?;

        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        bindings::Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(|e| anyhow::anyhow!("{e:#}"))?;
        Ok(Arc::new(Self { engine, linker }))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Check that the component's imports are all provided by the host and
    /// that it exports the plugin world.
    pub fn link(&self, component: &Component) -> Result<Linked, String> {
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|e| format!("cannot be linked: {e:#}"))?;
        let pre = bindings::PluginPre::new(pre).map_err(|e| {
            format!("does not export the aicomply plugin world (describe, run): {e:#}")
        })?;
        Ok(Linked { pre })
    }

    fn store(
        &self,
        mounts: &[Mount],
        limits: &Limits,
        capture: &Capture,
    ) -> Result<Store<HostState>, String> {
        let mut wasi = WasiCtxBuilder::new();
        // Nothing is inherited: no env, args, stdin, network. Stated
        // explicitly so a change of defaults upstream cannot widen it.
        wasi.stdout(capture.stdout.clone())
            .stderr(capture.stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            // Must precede preopened_dir: each preopen captures it. File
            // reads then run on the calling thread, 2-10x faster.
            .allow_blocking_current_thread(true)
            // Opt-in WASI resource limits: host memory a guest can make the
            // host allocate on its behalf.
            .max_random_size(1 << 20);
        let mut meta_roots = BTreeMap::new();
        let mut read_roots = BTreeMap::new();
        let open_dir = |m: &Mount| {
            cap_std::fs::Dir::open_ambient_dir(&m.host_path, cap_std::ambient_authority()).map_err(
                |e| {
                    format!(
                        "cannot open the root {} ({}): {e}",
                        m.name,
                        m.host_path.display()
                    )
                },
            )
        };
        for m in mounts {
            if m.read {
                read_roots.insert(m.name.clone(), open_dir(m)?);
                wasi.preopened_dir(&m.host_path, m.guest_path(), FsPerms::ReadOnly)
                    .map_err(|e| {
                        format!(
                            "cannot open the root {} ({}): {e:#}",
                            m.name,
                            m.host_path.display()
                        )
                    })?;
            }
            if m.meta {
                meta_roots.insert(m.name.clone(), open_dir(m)?);
            }
        }
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.handles);
        let state = HostState {
            wasi: wasi.build(),
            table,
            limits: limits.clone(),
            memory_refused: None,
            meta_roots,
            read_roots,
            deadline: std::time::Instant::now() + limits.timeout,
            transcript: capture.transcript.clone(),
            on_progress: None,
            collector: None,
            exclude: Vec::new(),
            prober: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s);
        store.set_epoch_deadline((limits.timeout.as_millis() / TICK.as_millis()).max(1) as u64);
        store.epoch_deadline_trap();
        store.set_hostcall_fuel(limits.hostcall_bytes);
        Ok(store)
    }

    /// Call `describe` in a fresh store with no filesystem at all.
    pub async fn describe(
        &self,
        linked: &Linked,
        limits: &Limits,
    ) -> (Result<model::PluginDescription, String>, Transcript) {
        let capture = Capture::new(limits);
        let mut store = match self.store(&[], limits, &capture) {
            Ok(s) => s,
            Err(e) => return (Err(e), Transcript::default()),
        };
        let result = async {
            let plugin = linked.pre.instantiate_async(&mut store).await?;
            plugin
                .aicomply_plugin_scanner()
                .call_describe(&mut store)
                .await
        }
        .await;
        let result = result
            .map(convert::description)
            .map_err(|e| explain(e, &store, limits));
        drop(store);
        (result, capture.transcript())
    }

    /// Call `run` on a thread of its own, so that a host call blocked in
    /// I/O holds that thread and never the run: the receiver hears the end
    /// of the call, and the caller decides how long to wait for it. What
    /// the plugin emitted and printed is in `request.collector` and
    /// `request.capture` however the call ends.
    pub fn spawn_run(
        self: &Arc<Self>,
        linked: Linked,
        request: RunRequest,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<(), String>>, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sandbox = self.clone();
        std::thread::Builder::new()
            .name("aicomply-plugin".into())
            .spawn(move || {
                let result = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(sandbox.run(&linked, &request)),
                    Err(e) => Err(format!("cannot start the plugin's runtime: {e}")),
                };
                let _ = tx.send(result);
            })
            .map_err(|e| format!("cannot start a thread for the plugin: {e}"))?;
        Ok(rx)
    }

    /// Call `run` in a fresh store with the granted roots mounted read-only.
    async fn run(&self, linked: &Linked, request: &RunRequest) -> Result<(), String> {
        let limits = &request.limits;
        let mut store = self.store(&request.mounts, limits, &request.capture)?;
        {
            let state = store.data_mut();
            state.on_progress = request.on_progress.clone();
            state.collector = Some(request.collector.clone());
            state.exclude = request.exclude.clone();
            state.prober = Some(crate::probe::Prober::new(
                request.probe_settings.clone(),
                request.endpoints.clone(),
                request.capture.probes.clone(),
            ));
        }
        let context = types::RunContext {
            config: request.config.clone(),
            roots: request
                .mounts
                .iter()
                .filter(|m| m.read)
                .map(|m| types::MountedRoot {
                    name: m.name.clone(),
                    guest_path: m.guest_path(),
                })
                .collect(),
            granted: request
                .granted
                .iter()
                .map(|c| types::Capability {
                    kind: c.kind.clone(),
                    scope: c.scope.clone(),
                    reason: c.reason.clone(),
                })
                .collect(),
        };
        let result = async {
            let plugin = linked.pre.instantiate_async(&mut store).await?;
            plugin
                .aicomply_plugin_scanner()
                .call_run(&mut store, &context)
                .await
        }
        .await;
        let result = match result {
            Ok(Ok(output)) => {
                request.collector.finish(convert::output(output));
                Ok(())
            }
            Ok(Err(message)) => Err(format!("the plugin reported an error: {message}")),
            Err(e) => Err(explain(e, &store, limits)),
        };
        drop(store);
        // Output beyond the caps was dropped; a plugin that floods is
        // reported as failed, naming the limit, like every other overflow.
        result.and_then(|()| match request.capture.transcript().overflow(limits) {
            Some(limit) => Err(limit),
            None => Ok(()),
        })
    }
}

impl Transcript {
    fn overflow(&self, limits: &Limits) -> Option<String> {
        if self.stdout.len() >= limits.output_bytes || self.stderr.len() >= limits.output_bytes {
            let which = if self.stdout.len() >= limits.output_bytes {
                "stdout"
            } else {
                "stderr"
            };
            return Some(format!(
                "wrote more than {} KiB to {which}; the rest was dropped (output-bytes limit)",
                limits.output_bytes >> 10
            ));
        }
        (self.log_dropped > 0).then(|| {
            format!(
                "logged more than {} lines; {} were dropped (log-lines limit)",
                limits.log_lines, self.log_dropped
            )
        })
    }
}

/// A component linked against the host, ready to instantiate.
#[derive(Clone)]
pub struct Linked {
    pre: bindings::PluginPre<HostState>,
}

/// Turn a wasmtime error into a sentence naming the limit that was hit.
fn explain(err: wasmtime::Error, store: &Store<HostState>, limits: &Limits) -> String {
    let mib = |b: usize| b.div_ceil(1 << 20);
    if let Some(desired) = store.data().memory_refused {
        return format!(
            "exceeded the memory limit of {} MiB (tried to grow to {} MiB; --plugin-memory)",
            mib(limits.memory_bytes),
            mib(desired)
        );
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => {
            format!(
                "timed out: still running after the {} s deadline (--plugin-timeout)",
                limits.timeout.as_secs_f64()
            )
        }
        Some(Trap::StackOverflow) => "trapped: stack overflow (unbounded recursion?)".into(),
        Some(Trap::UnreachableCodeReached) => {
            "trapped: the plugin aborted (a panic or `unreachable`); see its stderr".into()
        }
        Some(trap) => format!("trapped: {trap}"),
        None => {
            let text = format!("{err:#}");
            if text.contains("fuel allocated for hostcalls has been exhausted") {
                format!(
                    "returned more data than the host copies out of a plugin in one call ({} MiB)",
                    mib(limits.hostcall_bytes)
                )
            } else {
                format!("failed: {text}")
            }
        }
    }
}

mod convert {
    //! WIT values to host model types, and probe results to WIT values.
    use super::types;
    use crate::{model, probe};

    fn severity(s: types::Severity) -> model::Severity {
        match s {
            types::Severity::Info => model::Severity::Info,
            types::Severity::Low => model::Severity::Low,
            types::Severity::Medium => model::Severity::Medium,
            types::Severity::High => model::Severity::High,
            types::Severity::Critical => model::Severity::Critical,
        }
    }

    fn location(l: types::Location) -> model::Location {
        model::Location {
            root: l.root,
            path: l.path,
            line: l.line,
            member: l.member,
        }
    }

    pub fn description(d: types::PluginInfo) -> model::PluginDescription {
        model::PluginDescription {
            id: d.id,
            name: d.name,
            version: d.version,
            domain: d.domain,
            description: d.description,
            checks: d
                .checks
                .into_iter()
                .map(|c| model::Check {
                    id: c.id,
                    control: c.control,
                    title: c.title,
                    severity: severity(c.severity),
                    remediation: c.remediation,
                    references: c.references,
                })
                .collect(),
            capabilities: d
                .capabilities
                .into_iter()
                .map(|c| model::Capability {
                    kind: c.kind,
                    scope: c.scope,
                    reason: c.reason,
                })
                .collect(),
        }
    }

    fn skip_reason(r: types::SkipReason) -> model::SkipReason {
        use model::SkipReason as M;
        use types::SkipReason as T;
        match r {
            T::Excluded => M::Excluded,
            T::Unreadable => M::Unreadable,
            T::TooLarge => M::TooLarge,
            T::SpecialFile => M::SpecialFile,
            T::Symlink => M::Symlink,
            T::BadName => M::BadName,
            T::DepthLimit => M::DepthLimit,
            T::FileLimit => M::FileLimit,
            T::ParseLimit => M::ParseLimit,
        }
    }

    pub fn batch(p: types::PartialOutput) -> crate::collect::Batch {
        crate::collect::Batch {
            findings: p.findings.into_iter().map(finding).collect(),
            diagnostics: p.diagnostics.into_iter().map(diagnostic).collect(),
            skipped: p
                .skipped
                .into_iter()
                .map(|s| model::Skipped {
                    location: location(s.location),
                    reason: skip_reason(s.reason),
                    detail: s.detail,
                })
                .collect(),
            incomplete: p
                .incomplete
                .into_iter()
                .map(|n| model::NotChecked {
                    check_id: n.check_id,
                    reason: n.reason,
                })
                .collect(),
        }
    }

    fn finding(f: types::Finding) -> model::RawFinding {
        model::RawFinding {
            check_id: f.check_id,
            control: f.control,
            severity: severity(f.severity),
            title: f.title,
            message: f.message,
            location: f.location.map(location),
            evidence: f.evidence,
            remediation: f.remediation,
        }
    }

    fn diagnostic(d: types::Diagnostic) -> model::Diagnostic {
        model::Diagnostic {
            location: location(d.location),
            message: d.message,
        }
    }

    pub fn probe_error(e: probe::ProbeError) -> types::ProbeError {
        use probe::Failure as F;
        use types::ProbeFailure as T;
        types::ProbeError {
            failure: match e.failure {
                F::NotGranted => T::NotGranted,
                F::AddressRefused => T::AddressRefused,
                F::LimitReached => T::LimitReached,
                F::ResolveFailed => T::ResolveFailed,
                F::ConnectFailed => T::ConnectFailed,
                F::Timeout => T::Timeout,
                F::TlsFailed => T::TlsFailed,
                F::ProtocolError => T::ProtocolError,
            },
            message: e.message,
        }
    }

    pub fn tls_report(r: probe::TlsReport) -> types::TlsReport {
        types::TlsReport {
            endpoint: r.endpoint,
            address: r.address,
            attempts: r
                .attempts
                .into_iter()
                .map(|a| types::TlsAttempt {
                    offered: a.offered,
                    accepted: a.accepted,
                    version: a.version,
                    cipher: a.cipher,
                    error: a.error,
                })
                .collect(),
            certificate: r.certificate.map(|c| types::CertificateInfo {
                subject: c.subject,
                issuer: c.issuer,
                names: c.names,
                not_before: c.not_before,
                not_after: c.not_after,
                days_to_expiry: c.days_to_expiry,
                chain_length: c.chain_length,
                chain_valid: c.chain_valid,
                chain_error: c.chain_error,
                hostname_matches: c.hostname_matches,
            }),
            not_probed: r.not_probed,
        }
    }

    pub fn http_report(r: probe::HttpReport) -> types::HttpReport {
        types::HttpReport {
            endpoint: r.endpoint,
            url: r.url,
            address: r.address,
            status: r.status,
            headers: r.headers,
            refused_unauthenticated: r.refused_unauthenticated,
            redirects: r
                .redirects
                .into_iter()
                .map(|d| types::Redirect {
                    status: d.status,
                    location: d.location,
                    followed: d.followed,
                    note: d.note,
                })
                .collect(),
            body_bytes: r.body_bytes,
            truncated: r.truncated,
        }
    }

    pub fn output(o: types::RunOutput) -> model::PluginOutput {
        model::PluginOutput {
            findings: o.findings.into_iter().map(finding).collect(),
            evaluated: o.evaluated,
            not_checked: o
                .not_checked
                .into_iter()
                .map(|n| model::NotChecked {
                    check_id: n.check_id,
                    reason: n.reason,
                })
                .collect(),
            diagnostics: o.diagnostics.into_iter().map(diagnostic).collect(),
            skipped: Vec::new(),
            incomplete: Vec::new(),
        }
    }
}
