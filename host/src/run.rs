//! The scheduler: load and describe every plugin, refuse the invalid ones,
//! then run the rest concurrently (bounded by the number of cores), each in
//! its own sandbox on a thread of its own. Whatever happens to one plugin
//! is recorded as its outcome; it never stops the others.
//!
//! Two clocks bound a run. Each plugin call has its deadline (the epoch
//! interrupt stops wasm code at it); a call stuck in a host call, where the
//! interrupt cannot reach (a read that blocks), is abandoned a grace period
//! later, with what it emitted so far. The whole run has a deadline too
//! (`--run-timeout`): at it, whatever has not finished is recorded as such
//! and the report is written.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::collect::{Collector, Dropped};
use crate::model::{Capability, PluginDescription, PluginOutput};
use crate::plugin::cache::ComponentCache;
use crate::plugin::validate::{self, OutputLimits};
use crate::plugin::{LoadError, PluginFile, Source, contract};
use crate::policy::{Denied, Policy, TARGET_ROOT};
use crate::sandbox::{
    Capture, Limits, Linked, Mount, ProgressSink, RunRequest, Sandbox, Transcript,
};

/// How long past its deadline a plugin call may stay in a host call before
/// it is abandoned.
pub const GRACE: Duration = Duration::from_secs(2);

/// Everything a scan needs to know.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub target: PathBuf,
    pub plugins_dir: Option<PathBuf>,
    pub embedded: bool,
    pub limits: Limits,
    pub output_limits: OutputLimits,
    pub cache_dir: Option<PathBuf>,
    pub jobs: usize,
    pub policy: Policy,
    /// When the whole run must be over (`--run-timeout` from its start).
    pub deadline: Instant,
    pub run_timeout: Duration,
    /// Globs of paths plugins do not examine (`--exclude`).
    pub exclude: Vec<String>,
}

/// A plugin after loading and `describe`.
pub struct Prepared {
    pub source: Source,
    pub sha256: Option<String>,
    /// The plugin contract version the component exports.
    pub wit: Option<String>,
    pub linked: Option<Linked>,
    pub description: Result<PluginDescription, String>,
    pub transcript: Transcript,
    pub load_time: Duration,
}

impl Prepared {
    pub fn id(&self) -> String {
        match &self.description {
            Ok(d) => d.id.clone(),
            Err(_) => self.source.fallback_id(),
        }
    }
}

/// What became of one plugin in a run.
pub struct PluginOutcome {
    pub source: Source,
    pub sha256: Option<String>,
    pub wit: Option<String>,
    pub granted: Vec<Capability>,
    pub denied: Vec<Denied>,
    pub description: Option<PluginDescription>,
    /// What the plugin handed over: all of it, or what it emitted before it
    /// failed (empty when its output broke its own description).
    pub output: PluginOutput,
    /// Counted past the limits, not kept.
    pub dropped: Dropped,
    pub error: Option<String>,
    pub duration: Duration,
    pub transcript: Transcript,
    /// The endpoints the plugin could probe (`net-probe` in effect).
    pub endpoints: Vec<String>,
    /// The probes it asked for, made or refused.
    pub probes: crate::probe::ProbeLog,
}

/// Progress events for the terminal.
pub enum Progress<'a> {
    Loaded {
        source: &'a Source,
        cached: bool,
    },
    /// A plugin's own count of the files it has examined.
    Files {
        id: &'a str,
        done: u32,
        total: Option<u32>,
    },
    Finished {
        id: &'a str,
        error: Option<&'a str>,
    },
}

pub type ProgressFn = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

pub struct Loader {
    pub sandbox: Arc<Sandbox>,
    pub cache: Arc<ComponentCache>,
}

impl Loader {
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let sandbox = Sandbox::new()?;
        let cache = Arc::new(ComponentCache::new(sandbox.engine(), cache_dir));
        Ok(Self { sandbox, cache })
    }

    /// Compile, check, link and describe the discovered plugins.
    pub async fn prepare(
        &self,
        (files, errors): (Vec<PluginFile>, Vec<LoadError>),
        limits: &Limits,
        jobs: usize,
        deadline: Instant,
        progress: &ProgressFn,
    ) -> anyhow::Result<Vec<Prepared>> {
        let mut prepared: Vec<Prepared> = errors
            .into_iter()
            .map(|e| Prepared {
                source: e.source,
                sha256: e.sha256,
                wit: None,
                linked: None,
                description: Err(e.message),
                transcript: Transcript::default(),
                load_time: Duration::ZERO,
            })
            .collect();

        let gate = Arc::new(Semaphore::new(jobs.max(1)));
        let mut tasks = Vec::new();
        for file in files {
            let (sandbox, cache, gate, limits, progress) = (
                self.sandbox.clone(),
                self.cache.clone(),
                gate.clone(),
                limits.clone(),
                progress.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.expect("semaphore open");
                let start = Instant::now();
                let (source, sha256) = (file.source.clone(), file.sha256.clone());
                let engine = sandbox.engine().clone();
                let compiling = tokio::task::spawn_blocking(move || {
                    cache.load(&engine, &file.bytes, &file.sha256)
                });
                let compiled = match tokio::time::timeout_at(deadline.into(), compiling).await {
                    Ok(done) => done.unwrap_or_else(|e| Err(format!("the compiler panicked: {e}"))),
                    Err(_) => Err("not compiled before the run's deadline (--run-timeout)".into()),
                };
                let mut transcript = Transcript::default();
                let mut wit = None;
                let (linked, description) = match compiled.and_then(|(c, cached)| {
                    progress(Progress::Loaded {
                        source: &source,
                        cached,
                    });
                    wit = Some(contract::check(sandbox.engine(), &c)?);
                    sandbox.link(&c)
                }) {
                    Err(e) => (None, Err(e)),
                    Ok(linked) => {
                        let (d, t) = sandbox.describe(&linked, &limits).await;
                        transcript = t;
                        let d = d
                            .map_err(|e| format!("describe {e}"))
                            .and_then(|d| validate::description(&d).map(|()| d));
                        (Some(linked), d)
                    }
                };
                Prepared {
                    source,
                    sha256: Some(sha256),
                    wit,
                    linked,
                    description,
                    transcript,
                    load_time: start.elapsed(),
                }
            }));
        }
        for task in tasks {
            prepared.push(task.await?);
        }

        // Plugin ids must be unique: the first (embedded, then by file name)
        // keeps it, later claimants are refused.
        for i in 0..prepared.len() {
            let Ok(d) = &prepared[i].description else {
                continue;
            };
            let id = d.id.clone();
            if let Some(first) = prepared[..i]
                .iter()
                .find(|p| p.description.as_ref().is_ok_and(|d| d.id == id))
            {
                let msg = format!("plugin id {id:?} is already used by {}", first.source);
                prepared[i].description = Err(msg);
            }
        }
        Ok(prepared)
    }
}

/// Run every prepared plugin that described itself correctly.
pub async fn run_all(
    loader: &Loader,
    prepared: Vec<Prepared>,
    options: &RunOptions,
    progress: &ProgressFn,
) -> anyhow::Result<Vec<PluginOutcome>> {
    let gate = Arc::new(Semaphore::new(options.jobs.max(1)));
    let mut tasks = Vec::new();
    for p in prepared {
        let (sandbox, gate, options, progress) = (
            loader.sandbox.clone(),
            gate.clone(),
            options.clone(),
            progress.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let id = p.id();
            let mut outcome = PluginOutcome {
                source: p.source,
                sha256: p.sha256,
                wit: p.wit,
                granted: Vec::new(),
                denied: Vec::new(),
                description: None,
                output: PluginOutput::default(),
                dropped: Dropped::default(),
                error: None,
                duration: p.load_time,
                transcript: p.transcript,
                endpoints: Vec::new(),
                probes: Default::default(),
            };
            let (description, linked) = match (p.description, p.linked) {
                (Ok(d), Some(l)) => (d, l),
                (result, _) => {
                    let e = result
                        .err()
                        .unwrap_or_else(|| "was described but not linked".into());
                    progress(Progress::Finished {
                        id: &id,
                        error: Some(&e),
                    });
                    outcome.error = Some(e);
                    return outcome;
                }
            };
            let (granted, denied) = options
                .policy
                .resolve(&description.id, &description.capabilities);
            outcome.description = Some(description.clone());
            outcome.granted = granted.clone();
            outcome.denied = denied;
            let permit =
                tokio::time::timeout_at(options.deadline.into(), gate.acquire_owned()).await;
            let Ok(permit) = permit else {
                let e = format!(
                    "not started: the run's deadline ({} s, --run-timeout) passed while it waited for a free slot",
                    options.run_timeout.as_secs_f64()
                );
                progress(Progress::Finished {
                    id: &id,
                    error: Some(&e),
                });
                outcome.error = Some(e);
                return outcome;
            };
            let _permit = permit.expect("semaphore open");
            let start = Instant::now();
            let sink: ProgressSink = {
                let (progress, id) = (progress.clone(), id.clone());
                Arc::new(move |done, total| {
                    progress(Progress::Files {
                        id: &id,
                        done,
                        total,
                    })
                })
            };
            let endpoints = if granted
                .iter()
                .any(|c| c.kind == crate::policy::NET_PROBE)
            {
                options.policy.endpoints_for(&id)
            } else {
                Vec::new()
            };
            outcome.endpoints = endpoints.iter().map(|e| e.to_string()).collect();
            let collector = Collector::new(description, options.output_limits.clone());
            let capture = Capture::new(&options.limits);
            let request = RunRequest {
                mounts: mounts(&granted, &options),
                config: options.policy.config(&id),
                granted,
                limits: options.limits.clone(),
                exclude: options.exclude.clone(),
                on_progress: Some(sink),
                collector: collector.clone(),
                capture: capture.clone(),
                endpoints,
                probe_settings: Arc::new(options.policy.probe.clone()),
            };
            let error = match sandbox.spawn_run(linked, request) {
                Err(e) => Some(e),
                Ok(done) => {
                    let own = start + options.limits.timeout + GRACE;
                    let until = own.min(options.deadline);
                    match tokio::time::timeout_at(until.into(), done).await {
                        Ok(Ok(result)) => result.err(),
                        Ok(Err(_)) => Some("the plugin's thread ended without a result".into()),
                        Err(_) if until == own => Some(format!(
                            "timed out: still in a host call {} s after its {} s deadline (a read that blocks, which the deadline cannot interrupt); abandoned, with its results so far",
                            GRACE.as_secs(),
                            options.limits.timeout.as_secs_f64()
                        )),
                        Err(_) => Some(format!(
                            "stopped at the run's deadline ({} s, --run-timeout), with its results so far",
                            options.run_timeout.as_secs_f64()
                        )),
                    }
                }
            };
            let collected = collector.take();
            outcome.transcript = capture.transcript();
            outcome.probes = capture.probes();
            outcome.duration += start.elapsed();
            match collected.lie {
                // A plugin that lies loses its whole result.
                Some(lie) => outcome.error = Some(lie),
                None => {
                    outcome.output = collected.output;
                    outcome.dropped = collected.dropped;
                    outcome.error = error;
                }
            }
            progress(Progress::Finished {
                id: &id,
                error: outcome.error.as_deref(),
            });
            outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await?);
    }
    Ok(outcomes)
}

/// The roots a plugin's effective capabilities give it.
fn mounts(granted: &[Capability], options: &RunOptions) -> Vec<Mount> {
    let mut mounts: Vec<Mount> = Vec::new();
    for cap in granted {
        let host_path = if cap.scope == TARGET_ROOT {
            options.target.clone()
        } else {
            match options.policy.roots.get(&cap.scope) {
                Some(p) => p.clone(),
                None => continue, // resolve() only grants mapped roots
            }
        };
        let mount = match mounts.iter_mut().find(|m| m.name == cap.scope) {
            Some(m) => m,
            None => {
                mounts.push(Mount {
                    name: cap.scope.clone(),
                    host_path,
                    read: false,
                    meta: false,
                });
                mounts.last_mut().expect("just pushed")
            }
        };
        match cap.kind.as_str() {
            "fs-read" => mount.read = true,
            "file-meta" => mount.meta = true,
            _ => {}
        }
    }
    mounts
}
