//! The command line: `aicomply run` and `aicomply plugins list`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Severity;
use crate::plugin::cache::ComponentCache;
use crate::plugin::lock::{
    DEFAULT_LOCK_FILE, Described, LOCK_VERSION, LockFile, LockedPlugin, Unverified,
};
use crate::plugin::validate::OutputLimits;
use crate::plugin::{self, LoadError, PluginFile, Source};
use crate::policy::Policy;
use crate::render::{OutputSpec, Renderer, check_outputs};
use crate::report::{Report, SuppressionMode};
use crate::run::{self, Loader, Progress, ProgressFn, RunOptions};
use crate::sandbox::Limits;
use crate::terminal::{self, Style};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_INCOMPLETE: i32 = 3;

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above the --fail-on threshold
  1  findings at or above the threshold
  2  usage or configuration error (bad flag, unreadable target, broken template)
  3  scan incomplete: a plugin failed (its checks are reported as errors);
     takes precedence over 1, because the results do not cover everything";

#[derive(Parser, Debug)]
#[command(
    name = "aicomply",
    version,
    about = "Check an AI service against a security baseline with sandboxed WebAssembly plugins",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a target with the embedded plugins (and --plugins) and write reports.
    #[command(after_help = EXIT_CODES)]
    Run(Box<RunArgs>),
    /// Render reports again from a saved report.json (no plugin runs).
    Report(ReportArgs),
    /// Combine report.json files from many hosts into one fleet report.
    Merge(MergeArgs),
    /// Inspect plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Internal: render one custom template in a bounded child process.
    #[command(name = "__render-template", hide = true)]
    RenderTemplate,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A report.json written by `aicomply run`.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Where to write the reports.
    #[arg(long, value_name = "DIR", default_value = "aicomply-report")]
    pub out: PathBuf,
    /// Report formats, comma-separated; `FORMAT:-` writes one to standard output, `FORMAT:FILE` to its own file.
    #[arg(long, value_delimiter = ',', default_value = "html,md")]
    pub format: Vec<OutputSpec>,
    /// Use report.html.j2 / report.md.j2 from this directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// report.json files, one per host; a file's name (without .json, or its
    /// folder's name for report.json) is the host's label.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Where to write the combined reports.
    #[arg(long, value_name = "DIR", default_value = "aicomply-report")]
    pub out: PathBuf,
    /// Report formats, comma-separated; `FORMAT:-` writes one to standard output, `FORMAT:FILE` to its own file.
    #[arg(long, value_delimiter = ',', default_value = "html,md,json")]
    pub format: Vec<OutputSpec>,
    /// Use report.html.j2 / report.md.j2 from this directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum PluginsCommand {
    /// List plugins: id, version, domain, SHA-256, requested and granted capabilities.
    List(PluginSelection),
    /// Write aicomply.lock: each plugin's id, version, SHA-256, contract version and capabilities.
    Lock {
        #[command(flatten)]
        selection: PluginSelection,
        /// Where to write the lock.
        #[arg(long, value_name = "FILE", default_value = DEFAULT_LOCK_FILE)]
        lock: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct PluginSelection {
    /// Also load every *.wasm component in this directory.
    #[arg(long, value_name = "DIR")]
    pub plugins: Option<PathBuf>,
    /// Do not load the plugins embedded in the binary.
    #[arg(long)]
    pub no_embedded: bool,
    /// Compiled-component cache directory [default: the user's cache dir].
    #[arg(long, value_name = "DIR", env = "AICOMPLY_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile every plugin afresh and cache nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// Policy file (grants, roots, limits, plugin config), e.g. aicomply.toml.
    /// Never read implicitly: a scanned repository must not grant itself.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Grant a capability: PLUGIN=KIND:SCOPE (e.g. host=fs-read:host-etc; `*` for every plugin).
    #[arg(long, value_name = "PLUGIN=KIND:SCOPE")]
    pub grant: Vec<String>,
    /// Map a named root to a host directory, always read-only: NAME=PATH.
    #[arg(long, value_name = "NAME=PATH")]
    pub root: Vec<String>,
    /// Largest plugin file loaded, in MiB; larger ones are refused by name [default: 256].
    #[arg(long, value_name = "MIB")]
    pub max_plugin_mib: Option<u64>,
    /// Grant an endpoint to probe (net-probe): URL for every plugin that asks,
    /// PLUGIN=URL for one (repeatable). http or https, no credentials; it
    /// covers its origin and the paths under its path.
    #[arg(long, value_name = "[PLUGIN=]URL")]
    pub endpoint: Vec<String>,
    /// Resolve HOST to IP for probes, and allow that address even if it is
    /// loopback, private or link-local (like curl's --resolve; repeatable).
    #[arg(long, value_name = "HOST=IP")]
    pub endpoint_address: Vec<String>,
    /// PEM file of CA certificates trusted for probes besides the Mozilla roots (repeatable).
    #[arg(long, value_name = "FILE.pem")]
    pub endpoint_ca: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    None,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::None => None,
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
        }
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The directory to scan (a repository, an image's root filesystem, a copy of /etc).
    #[arg(long, value_name = "PATH")]
    pub target: PathBuf,
    #[command(flatten)]
    pub selection: PluginSelection,
    /// Where to write the reports.
    #[arg(long, value_name = "DIR", default_value = "aicomply-report")]
    pub out: PathBuf,
    /// Report formats, comma-separated; `FORMAT:-` writes one to standard output, `FORMAT:FILE` to its own file.
    #[arg(long, value_delimiter = ',', default_value = "html,md,json")]
    pub format: Vec<OutputSpec>,
    /// Exit 1 when a finding is at or above this severity (`low`: when any control fails).
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
    /// Use report.html.j2 / report.md.j2 from this directory instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// A previous run's report.json: mark findings new or unchanged and list the fixed ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Apply --fail-on to new findings only (needs --baseline).
    #[arg(long, requires = "baseline")]
    pub fail_on_new: bool,
    /// Refuse to run unless every plugin matches the lock file (digest, capabilities).
    #[arg(long)]
    pub locked: bool,
    /// The lock file --locked checks.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LOCK_FILE)]
    pub lock: PathBuf,
    /// Wall-clock limit for one plugin, in seconds [default: 60].
    #[arg(long, value_name = "SECS")]
    pub plugin_timeout: Option<f64>,
    /// Memory limit for one plugin, in MiB [default: 512].
    #[arg(long, value_name = "MIB")]
    pub plugin_memory: Option<usize>,
    /// Most findings one plugin may return; more is a plugin error [default: 10000].
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
    /// Longest string (message, evidence, path) a plugin may return, in bytes [default: 16384].
    #[arg(long, value_name = "BYTES")]
    pub max_string_bytes: Option<usize>,
    /// Plugins run at the same time [default: number of cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print a line per plugin loaded and finished (also when not on a terminal).
    #[arg(long, short)]
    pub verbose: bool,
    /// Do not examine paths matching GLOB (repeatable). A glob without `/`
    /// matches a name at any depth (`node_modules`); one with `/` a path
    /// from the target's root (`vendor/**`). Excluded paths are listed in the
    /// report. Only .git, .hg and .svn are excluded by default.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Wall-clock limit for the whole run, in seconds; at it the report is
    /// written with what finished [default: 1800].
    #[arg(long, value_name = "SECS")]
    pub run_timeout: Option<f64>,
    /// Which inline `aicomply:ignore` comments apply: all, off, or
    /// below-SEVERITY (e.g. below-high: a scanned repository cannot
    /// suppress its own high and critical findings) [default: all].
    #[arg(long, value_name = "MODE")]
    pub inline_suppressions: Option<crate::report::SuppressionMode>,
    /// Wall-clock limit for one network probe, in seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub probe_timeout: Option<f64>,
    /// Probes one plugin may ask for in a run, refused ones included [default: 32].
    #[arg(long, value_name = "N")]
    pub max_probes: Option<usize>,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Parse arguments, run, and return the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let jobs = match &cli.command {
        Command::Run(a) => a.jobs.unwrap_or_else(cores),
        Command::RenderTemplate => return crate::render::template_sandbox::child_main(),
        Command::Plugins(_) | Command::Report(_) | Command::Merge(_) => cores(),
    }
    .max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(jobs)
        .enable_time()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return EXIT_USAGE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run_command(*args, jobs).await,
            Command::Report(args) => report_command(args),
            Command::Merge(args) => merge_command(args),
            Command::Plugins(PluginsCommand::List(sel)) => list_command(sel).await,
            Command::Plugins(PluginsCommand::Lock { selection, lock }) => {
                lock_command(selection, lock).await
            }
            Command::RenderTemplate => unreachable!("handled before the runtime starts"),
        }
    });
    // A compile still running at the run's deadline is abandoned, not
    // waited for: the report is already written.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", terminal::sanitize(&format!("{e:#}")));
            EXIT_USAGE
        }
    }
}

fn cache_dir(sel: &PluginSelection) -> Option<PathBuf> {
    if sel.no_cache {
        None
    } else {
        sel.cache_dir
            .clone()
            .or_else(ComponentCache::default_dir)
            .map(|d| {
                if d.is_absolute() {
                    d
                } else {
                    std::env::current_dir().map(|c| c.join(&d)).unwrap_or(d)
                }
            })
    }
}

async fn run_command(args: RunArgs, jobs: usize) -> anyhow::Result<i32> {
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    let style = Style::detect();
    let target = std::fs::canonicalize(&args.target).map_err(|e| {
        anyhow::anyhow!("the target {} cannot be opened: {e}", args.target.display())
    })?;
    if !target.is_dir() {
        anyhow::bail!("the target {} is not a directory", args.target.display());
    }
    let mut policy = load_policy(&args.selection)?;
    let probe_timeout = args
        .probe_timeout
        .or(policy.limits.probe_timeout)
        .unwrap_or(crate::probe::DEFAULT_TIMEOUT.as_secs_f64());
    if !(probe_timeout > 0.0 && probe_timeout.is_finite() && probe_timeout < 1e6) {
        anyhow::bail!(
            "the probe timeout must be a positive number of seconds (got {probe_timeout})"
        );
    }
    policy.probe.timeout = Duration::from_secs_f64(probe_timeout);
    policy.probe.max_probes = args
        .max_probes
        .or(policy.limits.max_probes)
        .unwrap_or(crate::probe::DEFAULT_MAX_PROBES);
    // Templates are checked before anything runs, so a broken one costs
    // seconds, not a whole scan.
    check_outputs(&args.format).map_err(|e| anyhow::anyhow!(e))?;
    let renderer = Renderer::new(args.templates.as_deref())?;
    // A bad baseline is a configuration error found before any plugin runs.
    let previous = args.baseline.as_deref().map(Report::read).transpose()?;
    let (limits, output_limits) = limits(&args, &policy)?;
    let run_timeout = args
        .run_timeout
        .or(policy.limits.run_timeout)
        .unwrap_or(DEFAULT_RUN_TIMEOUT);
    if !(run_timeout > 0.0 && run_timeout.is_finite() && run_timeout < 1e9) {
        anyhow::bail!("the run timeout must be a positive number of seconds (got {run_timeout})");
    }
    let run_timeout = Duration::from_secs_f64(run_timeout);
    let mut exclude = policy.scan.exclude.clone();
    exclude.extend(args.exclude.iter().cloned());
    for g in &exclude {
        glob::Pattern::new(g)
            .map_err(|e| anyhow::anyhow!("--exclude {g:?} is not a valid glob: {e}"))?;
    }
    let suppressions = match (args.inline_suppressions, &policy.scan.inline_suppressions) {
        (Some(m), _) => m,
        (None, Some(text)) => text
            .parse()
            .map_err(|e| anyhow::anyhow!("policy [scan] inline-suppressions: {e}"))?,
        (None, None) => SuppressionMode::All,
    };
    let options = RunOptions {
        target,
        plugins_dir: args.selection.plugins.clone(),
        embedded: !args.selection.no_embedded,
        limits,
        output_limits,
        cache_dir: cache_dir(&args.selection),
        jobs,
        deadline: clock + run_timeout,
        run_timeout,
        exclude,
        policy,
    };

    let quiet = args.quiet;
    // On a terminal: one live status line. With --verbose: a line per
    // event. Otherwise (CI logs, pipes): nothing until the summary.
    let live = !quiet && !args.verbose && std::io::stderr().is_terminal();
    let verbose = args.verbose;
    let total = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    // Files examined per plugin, as each plugin reports them.
    // `drawn`: when a progress report last drew the live line. Plugins'
    // reports redraw it at most every 50 ms, however often they come.
    #[derive(Default)]
    struct Seen {
        files: std::collections::BTreeMap<String, u32>,
        drawn: Option<std::time::Instant>,
    }
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    let progress: ProgressFn = {
        let (total, finished, seen) = (total.clone(), finished.clone(), seen.clone());
        Arc::new(move |event| {
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            match &event {
                Progress::Finished { .. } => {
                    finished.fetch_add(1, Ordering::Relaxed);
                }
                Progress::Files { id, done, .. } => {
                    seen.files.insert(id.to_string(), *done);
                    let recent = seen
                        .drawn
                        .is_some_and(|t| t.elapsed() < std::time::Duration::from_millis(50));
                    if recent {
                        return;
                    }
                }
                Progress::Loaded { .. } => {}
            }
            let files = &seen.files;
            if live {
                let what = match &event {
                    Progress::Loaded { source, .. } => format!("loaded {}", source),
                    Progress::Files {
                        id,
                        done,
                        total: Some(t),
                    } => format!("{id}: {done} of {t} files"),
                    Progress::Files { id, done, .. } => format!("{id}: {done} files"),
                    Progress::Finished { id, .. } => format!("finished {id}"),
                };
                let files_total: u64 = files.values().map(|n| *n as u64).sum();
                if let Progress::Files { .. } = event {
                    seen.drawn = Some(std::time::Instant::now());
                }
                eprint!(
                    "\r\x1b[2K{} {} of {} plugins done · {} files examined · {}",
                    style.dim("aicomply"),
                    finished.load(Ordering::Relaxed),
                    total.load(Ordering::Relaxed),
                    files_total,
                    terminal::sanitize(&what)
                );
                return;
            }
            if !verbose {
                return;
            }
            let examined = |id: &str| match files.get(id) {
                Some(n) => format!(" ({n} files)"),
                None => String::new(),
            };
            match event {
                Progress::Loaded { source, cached } => eprintln!(
                    "{} {}{}",
                    style.dim("loaded  "),
                    terminal::sanitize(&source.to_string()),
                    if cached { "" } else { " (compiled)" }
                ),
                Progress::Files { .. } => {}
                Progress::Finished { id, error: None } => eprintln!(
                    "{} {}{}",
                    style.green("done    "),
                    terminal::sanitize(id),
                    examined(id)
                ),
                Progress::Finished { id, error: Some(e) } => eprintln!(
                    "{} {}: {}",
                    style.red("error   "),
                    terminal::sanitize(id),
                    terminal::sanitize(e)
                ),
            }
        })
    };

    let loader = Loader::new(options.cache_dir.clone())?;
    if let Some(w) = &loader.cache.warning {
        eprintln!("warning: {}", terminal::sanitize(w));
    }
    let discovered = plugin::discover(
        options.plugins_dir.as_deref(),
        options.embedded,
        max_plugin_bytes(&args.selection, &options.policy),
    )?;
    total.store(discovered.0.len() + discovered.1.len(), Ordering::Relaxed);
    if discovered.0.is_empty() && discovered.1.is_empty() {
        anyhow::bail!(
            "no plugins to run (--no-embedded without --plugins, or an empty plugin directory)"
        );
    }
    // Under --locked, bytes that differ from the lock are refused before
    // they are compiled, and capability growth before anything runs.
    let lock = if args.locked {
        Some(LockFile::read(&args.lock)?)
    } else {
        None
    };
    if let Some(lock) = &lock
        && let Some(code) = refuse(&args.lock, lock.digest_violations(&unverified(&discovered)))
    {
        return Ok(code);
    }
    let prepared = loader
        .prepare(
            discovered,
            &options.limits,
            jobs,
            options.deadline,
            &progress,
        )
        .await?;
    if let Some(lock) = &lock
        && let Some(code) = refuse(
            &args.lock,
            lock.capability_violations(&described(&prepared)),
        )
    {
        return Ok(code);
    }
    let outcomes = run::run_all(&loader, prepared, &options, &progress).await?;
    let mut report = Report::build(args.target.display().to_string(), started, outcomes);
    let today = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10]
        .to_string();
    report.apply_waivers(&options.policy.waivers, &today);
    let mut roots = crate::safe_fs::Roots::new(
        options
            .policy
            .roots
            .clone()
            .into_iter()
            .chain([(
                crate::policy::TARGET_ROOT.to_string(),
                options.target.clone(),
            )])
            .collect(),
    );
    report.apply_suppressions(&mut roots, suppressions);
    if let (Some(previous), Some(path)) = (&previous, &args.baseline) {
        report.compare(previous, path.display().to_string());
    }

    let written = renderer.write_all(&report, &args.format, &args.out);
    let mut render_failed = false;
    if live {
        eprint!("\r\x1b[2K");
    }
    if !quiet {
        eprintln!();
        eprint!("{}", terminal::summary(&report, style));
        eprintln!("{}", style.bold("Reports:"));
    }
    for (format, result) in &written {
        match result {
            Ok(path) if !quiet => eprintln!("  {path}"),
            Ok(_) => {}
            Err(e) => {
                render_failed = true;
                eprintln!(
                    "error: the {format:?} report was not written: {}",
                    terminal::sanitize(e)
                );
            }
        }
    }

    // With --fail-on-new only findings new since the baseline count.
    // Waived and suppressed findings never fail the run.
    let counts = |f: &&crate::report::Finding| {
        !f.accepted() && (!args.fail_on_new || f.change == Some(crate::report::Change::New))
    };
    let at_or_above = args.fail_on.threshold().map_or(0, |t| {
        report
            .findings
            .iter()
            .filter(counts)
            .filter(|f| f.severity >= t)
            .count()
    });
    // Controls whose inputs were not all examined never read as a pass:
    // with a --fail-on threshold the run is incomplete, like a failed plugin.
    let inputs_missing = args.fail_on != FailOn::None && report.summary.checks_incomplete > 0;
    let code = if render_failed {
        EXIT_USAGE
    } else if report.summary.incomplete || inputs_missing {
        EXIT_INCOMPLETE
    } else if at_or_above > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    if !quiet {
        let ungated = args.fail_on == FailOn::None && code == EXIT_OK;
        let verdict = match code {
            // Nothing gates the run: "PASS" above failing controls would lie.
            EXIT_OK if ungated => style.bold("NOT GATED"),
            EXIT_OK => style.green("PASS"),
            EXIT_FINDINGS => style.red("FAIL"),
            _ => style.yellow("INCOMPLETE"),
        };
        let why = match code {
            EXIT_FINDINGS => format!(
                "{at_or_above} {}findings at or above {:?} (--fail-on)",
                if args.fail_on_new { "new " } else { "" },
                args.fail_on
            )
            .to_lowercase(),
            EXIT_INCOMPLETE if report.summary.incomplete => format!(
                "{} plugin(s) failed; their checks are errors",
                report.summary.plugins_error
            ),
            EXIT_INCOMPLETE => format!(
                "{} check(s) saw only part of their inputs (see \"Incomplete\"), so {} control(s) could not pass",
                report.summary.checks_incomplete,
                report
                    .controls
                    .iter()
                    .filter(|c| c.status != crate::report::Status::Passed
                        && report
                            .plugins
                            .iter()
                            .flat_map(|p| &p.checks)
                            .any(|k| k.control == c.id && k.incomplete.is_some()))
                    .count()
            ),
            EXIT_USAGE => "a report could not be written".into(),
            _ if ungated => format!(
                "--fail-on none: nothing gates this run ({} findings, {} control(s) failed)",
                report.findings.iter().filter(counts).count(),
                report.summary.controls.failed
            ),
            _ => "no findings at or above the --fail-on threshold".into(),
        };
        eprintln!("{} {verdict}: {why} (exit {code})", style.bold("Result:"));
    }
    Ok(code)
}

fn report_command(args: ReportArgs) -> anyhow::Result<i32> {
    let report = Report::read(&args.from)?;
    write_reports(&report, args.templates.as_deref(), &args.format, &args.out)
}

fn merge_command(args: MergeArgs) -> anyhow::Result<i32> {
    let mut runs = Vec::new();
    for path in &args.reports {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label = if stem == "report" {
            path.parent()
                .and_then(|p| p.file_name())
                .map_or(stem.clone(), |n| n.to_string_lossy().into_owned())
        } else {
            stem
        };
        if runs.iter().any(|(l, _): &(String, Report)| *l == label) {
            anyhow::bail!(
                "two reports are labelled {label:?}; give each host's report its own file or folder name"
            );
        }
        runs.push((label, Report::read(path)?));
    }
    let merged = Report::merge(runs);
    write_reports(&merged, args.templates.as_deref(), &args.format, &args.out)
}

fn write_reports(
    report: &Report,
    templates: Option<&std::path::Path>,
    formats: &[OutputSpec],
    out: &std::path::Path,
) -> anyhow::Result<i32> {
    check_outputs(formats).map_err(|e| anyhow::anyhow!(e))?;
    let renderer = Renderer::new(templates)?;
    let mut code = EXIT_OK;
    for (format, result) in renderer.write_all(report, formats, out) {
        match result {
            Ok(path) => eprintln!("{path}"),
            Err(e) => {
                code = EXIT_USAGE;
                eprintln!(
                    "error: the {format:?} report was not written: {}",
                    terminal::sanitize(&e)
                );
            }
        }
    }
    Ok(code)
}

/// Seconds a whole run may take unless `--run-timeout` says otherwise.
const DEFAULT_RUN_TIMEOUT: f64 = 1800.0;

fn max_plugin_bytes(sel: &PluginSelection, policy: &Policy) -> u64 {
    sel.max_plugin_mib
        .or(policy.limits.max_plugin_mib)
        .map_or(plugin::DEFAULT_MAX_PLUGIN_BYTES, |m| m << 20)
}

fn load_policy(sel: &PluginSelection) -> anyhow::Result<Policy> {
    let mut policy = Policy::load(sel.policy.as_deref(), &sel.grant, &sel.root)?;
    policy.add_endpoint_flags(&sel.endpoint, &sel.endpoint_address, &sel.endpoint_ca)?;
    Ok(policy)
}

/// Limits from flags, else the policy file, else the defaults.
fn limits(args: &RunArgs, policy: &Policy) -> anyhow::Result<(Limits, OutputLimits)> {
    let p = &policy.limits;
    let d = Limits::default();
    let od = OutputLimits::default();
    let timeout = args
        .plugin_timeout
        .or(p.plugin_timeout)
        .unwrap_or(d.timeout.as_secs_f64());
    if !(timeout > 0.0 && timeout.is_finite() && timeout < 1e9) {
        anyhow::bail!("the plugin timeout must be a positive number of seconds (got {timeout})");
    }
    let memory_mib = args
        .plugin_memory
        .or(p.plugin_memory)
        .unwrap_or(d.memory_bytes >> 20);
    if memory_mib == 0 || memory_mib > 1 << 20 {
        anyhow::bail!(
            "the plugin memory limit must be between 1 and 1048576 MiB (got {memory_mib})"
        );
    }
    let limits = Limits {
        timeout: Duration::from_secs_f64(timeout),
        memory_bytes: memory_mib << 20,
        hostcall_bytes: p.hostcall_mib.map_or(d.hostcall_bytes, |m| m << 20),
        output_bytes: p.output_bytes.unwrap_or(d.output_bytes),
        log_lines: p.log_lines.unwrap_or(d.log_lines),
        table_elements: p.table_elements.unwrap_or(d.table_elements),
        handles: p.handles.unwrap_or(d.handles),
        ..d
    };
    let output = OutputLimits {
        max_findings: args
            .max_findings
            .or(p.max_findings)
            .unwrap_or(od.max_findings),
        max_string_bytes: args
            .max_string_bytes
            .or(p.max_string_bytes)
            .unwrap_or(od.max_string_bytes),
        max_kept_bytes: p.hostcall_mib.map_or(od.max_kept_bytes, |m| m << 20),
    };
    Ok((limits, output))
}

/// Print lock violations; the exit code when there are any.
fn refuse(lock: &std::path::Path, violations: Vec<String>) -> Option<i32> {
    if violations.is_empty() {
        return None;
    }
    for v in &violations {
        eprintln!("error: {}", terminal::sanitize(v));
    }
    eprintln!(
        "error: --locked: {} problem(s) with {}; no plugin was run. Review the change, then update the lock with `aicomply plugins lock`.",
        violations.len(),
        lock.display()
    );
    Some(EXIT_USAGE)
}

/// The lock name of a plugin source: `embedded:<name>` or the file name.
fn lock_source(source: &Source) -> String {
    match source {
        Source::Embedded(_) => source.to_string(),
        Source::File(f) => f.file_name().map_or_else(
            || f.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    }
}

fn unverified(discovered: &(Vec<PluginFile>, Vec<LoadError>)) -> Vec<Unverified<'_>> {
    let files = discovered.0.iter().map(|f| Unverified {
        source: lock_source(&f.source),
        sha256: Some(&f.sha256),
    });
    let errors = discovered.1.iter().map(|e| Unverified {
        source: lock_source(&e.source),
        sha256: e.sha256.as_deref(),
    });
    files.chain(errors).collect()
}

fn described(prepared: &[run::Prepared]) -> Vec<Described<'_>> {
    prepared
        .iter()
        .filter_map(|p| {
            let d = p.description.as_ref().ok()?;
            Some(Described {
                id: &d.id,
                sha256: p.sha256.as_deref().unwrap_or(""),
                requested: d.capabilities.iter().map(|c| c.key()).collect(),
            })
        })
        .collect()
}

async fn prepare_all(sel: &PluginSelection) -> anyhow::Result<(Policy, Vec<run::Prepared>)> {
    let policy = load_policy(sel)?;
    let loader = Loader::new(cache_dir(sel))?;
    let progress: ProgressFn = Arc::new(|_| {});
    let discovered = plugin::discover(
        sel.plugins.as_deref(),
        !sel.no_embedded,
        max_plugin_bytes(sel, &policy),
    )?;
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(DEFAULT_RUN_TIMEOUT);
    let prepared = loader
        .prepare(discovered, &Limits::default(), cores(), deadline, &progress)
        .await?;
    Ok((policy, prepared))
}

async fn list_command(sel: PluginSelection) -> anyhow::Result<i32> {
    let (policy, prepared) = prepare_all(&sel).await?;
    let mut any_error = false;
    for p in &prepared {
        let sha = p.sha256.as_deref().unwrap_or("-");
        let source = terminal::sanitize(&p.source.to_string());
        match &p.description {
            Ok(d) => {
                let (granted, denied) = policy.resolve(&d.id, &d.capabilities);
                let list = |caps: Vec<String>| {
                    if caps.is_empty() {
                        "nothing".to_string()
                    } else {
                        terminal::sanitize(&caps.join(", "))
                    }
                };
                println!(
                    "{:<16} {:<8} {:<10} sha256:{}  checks:{}  requests: {}  granted: {}  ({source})",
                    terminal::sanitize(&d.id),
                    terminal::sanitize(&d.version),
                    terminal::sanitize(&d.domain),
                    sha,
                    d.checks.len(),
                    list(d.capabilities.iter().map(|c| c.to_string()).collect()),
                    list(granted.iter().map(|c| c.to_string()).collect()),
                );
                if granted.iter().any(|c| c.kind == crate::policy::NET_PROBE) {
                    let endpoints: Vec<String> = policy
                        .endpoints_for(&d.id)
                        .iter()
                        .map(|e| e.to_string())
                        .collect();
                    println!(
                        "    endpoints: {}",
                        terminal::sanitize(&endpoints.join(", "))
                    );
                }
                for n in denied {
                    println!(
                        "    not granted {}: {}",
                        terminal::sanitize(&n.capability.to_string()),
                        terminal::sanitize(&n.reason)
                    );
                }
            }
            Err(e) => {
                any_error = true;
                println!(
                    "{:<16} {:<8} {:<10} sha256:{}  ERROR: {}  ({source})",
                    terminal::sanitize(&p.id()),
                    "-",
                    "-",
                    sha,
                    terminal::sanitize(e),
                );
            }
        }
    }
    Ok(if any_error { EXIT_INCOMPLETE } else { EXIT_OK })
}

async fn lock_command(sel: PluginSelection, path: PathBuf) -> anyhow::Result<i32> {
    let (policy, prepared) = prepare_all(&sel).await?;
    let mut plugins = Vec::new();
    for p in &prepared {
        let d = match &p.description {
            Ok(d) => d,
            Err(e) => {
                eprintln!(
                    "error: {} cannot be locked: {}",
                    terminal::sanitize(&p.source.to_string()),
                    terminal::sanitize(e)
                );
                return Ok(EXIT_USAGE);
            }
        };
        let (granted, _) = policy.resolve(&d.id, &d.capabilities);
        let source = match &p.source {
            run_source @ crate::plugin::Source::Embedded(_) => run_source.to_string(),
            crate::plugin::Source::File(f) => f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        };
        plugins.push(LockedPlugin {
            id: d.id.clone(),
            version: d.version.clone(),
            source,
            sha256: p.sha256.clone().unwrap_or_default(),
            wit: p.wit.clone().unwrap_or_default(),
            requested: d.capabilities.iter().map(|c| c.key()).collect(),
            granted: granted.iter().map(|c| c.key()).collect(),
        });
    }
    plugins.sort_by(|a, b| a.id.cmp(&b.id));
    let n = plugins.len();
    LockFile {
        version: LOCK_VERSION,
        plugins,
    }
    .write(&path)?;
    eprintln!("locked {n} plugin(s) in {}", path.display());
    Ok(EXIT_OK)
}
