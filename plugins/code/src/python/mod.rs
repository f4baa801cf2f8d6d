//! Python code: dangerous calls found on the syntax tree (CODE-1, the
//! static analysis a CI pipeline should run, done here on the tree).
//!
//! * [`analyze`]: the parser (`rustpython-parser`, pure Rust, builds for
//!   `wasm32-wasip2`), name resolution and the rules.
//! * [`scan_file`]: one `.py` file (or an extension-less script with a
//!   Python shebang) into findings; a file that does not parse (Python 2,
//!   syntax errors) is a diagnostic and makes every Python check
//!   incomplete, never passed.
//! * [`finish`]: after the walk, marks the checks evaluated or not checked.

pub mod analyze;

use std::io::Read;
use std::path::Path;

use aicomply_sdk::fs::{ReadError, open_regular, read_bytes};
use aicomply_sdk::{Check, Location, Scan, Severity, SkipReason};

pub use analyze::{Analyzer, Issue, Kind, ParseFailure};

pub const UNSAFE_DESERIALIZATION: &str = "CODE-PY-UNSAFE-DESERIALIZATION";
pub const TORCH_LOAD: &str = "CODE-PY-TORCH-LOAD-UNSAFE";
pub const YAML_LOAD: &str = "CODE-PY-YAML-UNSAFE-LOAD";
pub const SHELL: &str = "CODE-PY-SHELL-INJECTION";
pub const TLS_VERIFY: &str = "CODE-PY-TLS-VERIFY-DISABLED";
pub const TRUST_REMOTE_CODE: &str = "CODE-PY-TRUST-REMOTE-CODE";
pub const DEBUG_EXPOSED: &str = "CODE-PY-DEBUG-EXPOSED";
pub const EVAL: &str = "CODE-PY-EVAL";

/// Every Python check: evaluated when at least one Python file was
/// analysed, incomplete when one could not be.
pub const CHECKS: &[&str] = &[
    UNSAFE_DESERIALIZATION,
    TORCH_LOAD,
    YAML_LOAD,
    SHELL,
    TLS_VERIFY,
    TRUST_REMOTE_CODE,
    DEBUG_EXPOSED,
    EVAL,
];

/// Largest Python file analysed; larger ones are listed as not examined.
pub const MAX_FILE: usize = 4 << 20;

/// The Python check of a kind of issue.
pub fn check_of(kind: Kind) -> &'static str {
    match kind {
        Kind::UnsafeDeserialization => UNSAFE_DESERIALIZATION,
        Kind::TorchLoad => TORCH_LOAD,
        Kind::YamlLoad => YAML_LOAD,
        Kind::Shell => SHELL,
        Kind::TlsVerify => TLS_VERIFY,
        Kind::TrustRemoteCode => TRUST_REMOTE_CODE,
        Kind::DebugExposed => DEBUG_EXPOSED,
        Kind::Eval => EVAL,
    }
}

/// The severity a finding of `kind` drops to when the issue says the call
/// is the less dangerous form (a constant command or string).
/// The severity of an issue in its milder form (`shell=True` with a
/// constant command, a loader given a constant path).
pub const LOWERED: Severity = Severity::Low;

pub const PICKLE_DOCS: &str = "https://docs.python.org/3/library/pickle.html";
pub const TORCH_DOCS: &str = "https://pytorch.org/docs/stable/generated/torch.load.html";
pub const PYYAML_DOCS: &str =
    "https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation";
pub const SUBPROCESS_DOCS: &str =
    "https://docs.python.org/3/library/subprocess.html#security-considerations";
pub const REQUESTS_DOCS: &str =
    "https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification";
pub const HF_REMOTE_CODE: &str = "https://huggingface.co/docs/transformers/models#custom-models";
pub const FLASK_DEBUG: &str = "https://flask.palletsprojects.com/en/stable/debugging/";
pub const EVAL_DOCS: &str = "https://docs.python.org/3/library/functions.html#eval";
pub const BANDIT: &str = "https://bandit.readthedocs.io/en/latest/plugins/index.html";

/// Title, remediation and references of each kind, shared by the Python
/// and notebook catalogues (which differ in ids and controls).
pub fn describe(kind: Kind) -> (&'static str, &'static str, &'static [&'static str]) {
    match kind {
        Kind::UnsafeDeserialization => (
            "Untrusted data deserialised with pickle or a pickle-based loader",
            "Load data in a format that cannot carry code (JSON, safetensors, numpy without allow_pickle). If a pickle is unavoidable, load only files you produced and whose digest you verify, or restrict globals with a custom Unpickler.find_class.",
            &[PICKLE_DOCS, BANDIT],
        ),
        Kind::TorchLoad => (
            "torch.load without weights_only=True",
            "Pass weights_only=True (the default from PyTorch 2.6) so that only tensors and primitive types are unpickled, or store the weights as safetensors and load them with safetensors.torch.load_file.",
            &[TORCH_DOCS, "https://huggingface.co/docs/safetensors"],
        ),
        Kind::YamlLoad => (
            "YAML loaded with a loader that constructs Python objects",
            "Use yaml.safe_load / yaml.safe_load_all, or pass Loader=yaml.SafeLoader (yaml.CSafeLoader); never Loader, UnsafeLoader or FullLoader on input you did not write.",
            &[PYYAML_DOCS, BANDIT],
        ),
        Kind::Shell => (
            "Command run through a shell (shell=True, os.system)",
            "Pass the command as a list to subprocess.run without shell=True, so no shell parses it; if a shell is needed, quote every outside value with shlex.quote.",
            &[SUBPROCESS_DOCS, BANDIT],
        ),
        Kind::TlsVerify => (
            "TLS certificate verification disabled",
            "Remove verify=False (and unverified SSL contexts); to trust a private CA pass its bundle: verify=\"/path/to/ca.pem\" or REQUESTS_CA_BUNDLE.",
            &[REQUESTS_DOCS, BANDIT],
        ),
        Kind::TrustRemoteCode => (
            "Model loaded with trust_remote_code=True",
            "Use a model whose architecture ships with the library, or pin the repository to a reviewed commit (revision=\"<sha>\") and vendor its code; trust_remote_code runs whatever Python the repository holds at load time.",
            &[HF_REMOTE_CODE],
        ),
        Kind::DebugExposed => (
            "Debug or development mode on a server reachable from the network",
            "Turn debug/reload off outside a developer's machine (debug=False, no reload), or bind the development server to 127.0.0.1; serve production traffic with a production server (gunicorn, uvicorn without --reload).",
            &[FLASK_DEBUG, "https://www.uvicorn.org/settings/#development"],
        ),
        Kind::Eval => (
            "eval or exec of a string",
            "Parse data with json or ast.literal_eval instead of eval; replace exec of generated code with explicit functions.",
            &[EVAL_DOCS, BANDIT],
        ),
    }
}

fn severity(kind: Kind) -> Severity {
    match kind {
        Kind::Eval => Severity::Medium,
        _ => Severity::High,
    }
}

/// The Python checks (control CODE-1).
pub fn catalogue() -> Vec<Check> {
    use Kind::*;
    [
        UnsafeDeserialization,
        TorchLoad,
        YamlLoad,
        Shell,
        TlsVerify,
        TrustRemoteCode,
        DebugExposed,
        Eval,
    ]
    .into_iter()
    .map(|kind| {
        let (title, remediation, refs) = describe(kind);
        Check::new(
            check_of(kind),
            "CODE-1",
            severity(kind),
            title,
            remediation,
            refs,
        )
    })
    .collect()
}

/// Whether the file at `relative` is Python: a `.py` / `.pyw` file, or one
/// without an extension whose first line is a Python shebang.
pub fn is_python(relative: &str, text: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".py") || lower.ends_with(".pyw") {
        return true;
    }
    if lower.contains('.') {
        return false;
    }
    let first = text.lines().next().unwrap_or("");
    first.starts_with("#!") && first.contains("python")
}

/// Whether the file at `relative` could be Python by its name: `.py`,
/// `.pyw`, or no extension (a script, decided by its shebang).
pub fn may_be_python(relative: &str) -> bool {
    let name = relative
        .rsplit('/')
        .next()
        .unwrap_or(relative)
        .to_ascii_lowercase();
    name.ends_with(".py") || name.ends_with(".pyw") || !name.contains('.')
}

/// Read the file at `path` (the target's `relative`) and analyse it when it
/// is Python; what cannot be read makes the Python checks incomplete.
/// Returns whether it was Python. The entry point for the plugin's walk.
pub fn scan_path(path: &Path, relative: &str, scan: &mut Scan) -> bool {
    if !may_be_python(relative) {
        return false;
    }
    let named = relative.to_ascii_lowercase().ends_with(".py")
        || relative.to_ascii_lowercase().ends_with(".pyw");
    if !named {
        // A script without an extension: Python only with a shebang.
        let mut head = Vec::new();
        let Ok((file, _)) = open_regular(path) else {
            return false;
        };
        if file.take(256).read_to_end(&mut head).is_err()
            || !is_python(relative, &aicomply_sdk::text::decode(&head))
        {
            return false;
        }
    }
    match read_bytes(path, MAX_FILE as u64) {
        Ok(bytes) => scan_file(relative, &aicomply_sdk::text::decode(&bytes), scan),
        Err(e) => {
            if let ReadError::TooLarge { .. } | ReadError::Io(_) = e {
                scan.skipped(Location::target(relative), e.skip_reason(), e.to_string());
            }
            for check in CHECKS {
                scan.incomplete(check, format!("{relative} not analysed ({e})"));
            }
            true
        }
    }
}

/// Analyse one file. Returns whether it was Python (and so counts for
/// [`finish`]); `text` is the decoded file.
pub fn scan_file(relative: &str, text: &str, scan: &mut Scan) -> bool {
    if !is_python(relative, text) {
        return false;
    }
    if text.len() > MAX_FILE {
        scan.skipped(
            Location::target(relative),
            SkipReason::TooLarge,
            format!(
                "a Python file of {} bytes; files over {MAX_FILE} bytes are not analysed",
                text.len()
            ),
        );
        for check in CHECKS {
            scan.incomplete(
                check,
                format!("{relative} not analysed (over the {MAX_FILE}-byte limit)"),
            );
        }
        return true;
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut analyzer = Analyzer::new();
    match analyzer.analyze(text, relative) {
        Ok(issues) => {
            for issue in issues {
                report(
                    scan,
                    check_of(issue.kind),
                    &issue,
                    Location::target(relative).line(issue.line),
                    None,
                );
            }
        }
        Err(failure) => unparsed(scan, relative, &failure, CHECKS, None),
    }
    true
}

/// Record an issue as a finding of `check`.
pub fn report(scan: &mut Scan, check: &str, issue: &Issue, at: Location, context: Option<&str>) {
    let mut message = issue.message.clone();
    if let Some(c) = context {
        message = format!("{c}: {message}");
    }
    let finding = scan
        .finding(check, message)
        .at(at)
        .evidence(issue.evidence.clone());
    if issue.lower {
        finding.severity(LOWERED);
    }
}

/// A source that did not parse: a diagnostic, and the checks incomplete.
pub fn unparsed(
    scan: &mut Scan,
    relative: &str,
    failure: &ParseFailure,
    checks: &[&str],
    context: Option<(&str, u32)>,
) {
    let (line, what) = match context {
        Some((what, raw_line)) => (raw_line, format!(" ({what})")),
        None => (failure.line, String::new()),
    };
    scan.diagnostic(
        Location::target(relative).line(line),
        format!(
            "not parsed as Python 3{what}: {} at line {}, column {}; its dangerous-call checks are incomplete",
            failure.message, failure.line, failure.column
        ),
    );
    for check in checks {
        scan.incomplete(
            check,
            format!("{relative}{what} was not analysed ({})", failure.message),
        );
    }
}

/// After the walk: every Python check evaluated when `files` Python files
/// were seen, not checked when there were none.
pub fn finish(scan: &mut Scan, files: usize) {
    for check in CHECKS {
        if files > 0 {
            scan.evaluated(check);
        } else {
            scan.not_checked(check, "no Python files in the target");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
