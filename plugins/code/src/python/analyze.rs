//! Dangerous calls in Python source, found on the syntax tree that
//! `rustpython-parser` builds (never by matching text, so strings and
//! comments that mention `eval(` are not calls).
//!
//! Names are resolved the way Python binds them: `import torch as t`,
//! `from pickle import loads as l`, `from yaml import *`, plain
//! assignments (`load = pickle.load`, `app = Flask(__name__)`,
//! `s = requests.Session()`), `with ... as s`, classes derived from a known
//! class, and function parameters and local definitions shadowing them.
//! A name bound nowhere that is a well-known module's name (`pickle`,
//! `torch`, ...) is taken to be that module: notebooks and `exec`-style
//! loaders inject modules into globals.
//!
//! One [`Analyzer`] keeps its bindings across calls of
//! [`Analyzer::analyze`], so the cells of a notebook share their imports.

use std::collections::HashMap;

use rustpython_ast::Visitor;
use rustpython_parser::ast::{self, Constant, Expr, Ranged, Stmt};
use rustpython_parser::text_size::TextSize;

/// What kind of dangerous call was found. The Python and notebook
/// catalogues each map a kind to a check of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// pickle / dill / joblib / marshal / shelve / pandas.read_pickle /
    /// numpy.load(allow_pickle=True) ...
    UnsafeDeserialization,
    /// torch.load without weights_only=True.
    TorchLoad,
    /// yaml.load without a safe loader, yaml.unsafe_load, full_load.
    YamlLoad,
    /// subprocess with shell=True, os.system, os.popen, ...
    Shell,
    /// requests/httpx verify=False, unverified SSL contexts.
    TlsVerify,
    /// trust_remote_code=True.
    TrustRemoteCode,
    /// Flask/Werkzeug debugger or uvicorn reload on a non-loopback host,
    /// FastAPI/Starlette(debug=True).
    DebugExposed,
    /// eval / exec.
    Eval,
}

/// One dangerous call.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub kind: Kind,
    /// 1-based line and column (characters) in the analysed source.
    pub line: u32,
    pub column: u32,
    /// What was called, resolved (`torch.load`, `pickle.loads`).
    pub callee: String,
    /// Why it is dangerous, for the finding's message.
    pub message: String,
    /// The source line, trimmed and shortened.
    pub evidence: String,
    /// A severity below the check's, when the call is less dangerous than
    /// the check's worst case (a constant shell command).
    pub lower: bool,
}

/// Why a source was not analysed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseFailure {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Largest nesting of brackets and indentation accepted: the tree of a
/// deeper one would recurse past a plugin's stack when walked or dropped.
/// CPython's own parser stops at 200 levels of brackets and 100 of
/// indentation.
const MAX_NESTING: usize = 100;
/// Operators (binary, boolean, comparison, unary, `.`, conditional)
/// chained in one expression (each nests the tree one level deeper), with
/// each open bracket counted as 2 and each block as 6 (a statement level
/// costs the walk that much more stack). Measured: a debug build's 2 MiB
/// test thread holds this; a release plugin's frames are smaller.
const MAX_CHAIN: usize = 600;

/// What a bound name stands for.
#[derive(Debug, Clone, PartialEq)]
enum Binding {
    /// A module, function or class of a known dotted name (`torch.load`),
    /// or an instance of one (`requests.Session()`).
    Known(String),
    /// Something this analysis does not follow (a local function, a
    /// parameter, a value computed at run time).
    Opaque,
}

/// Modules a name bound nowhere is assumed to be.
const WELL_KNOWN: &[&str] = &[
    "pickle",
    "cPickle",
    "_pickle",
    "dill",
    "cloudpickle",
    "joblib",
    "marshal",
    "shelve",
    "torch",
    "yaml",
    "subprocess",
    "os",
    "requests",
    "httpx",
    "uvicorn",
    "numpy",
    "pandas",
    "jsonpickle",
    "ssl",
];

pub struct Analyzer {
    /// Innermost scope last; the first is the module's.
    scopes: Vec<HashMap<String, Binding>>,
    issues: Vec<Issue>,
    line_starts: Vec<usize>,
    source: String,
    /// Expression nesting while walking (a second guard after the
    /// pre-pass).
    depth: usize,
    /// Constant shell commands the code runs (`os.system("...")`,
    /// `get_ipython().system("...")`, `run_line_magic("pip", "...")`),
    /// with their 1-based line: for a caller that judges shell.
    escapes: Vec<(u32, String)>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        Self {
            scopes: vec![HashMap::new()],
            issues: Vec::new(),
            line_starts: Vec::new(),
            source: String::new(),
            depth: 0,
            escapes: Vec::new(),
        }
    }

    /// The dangerous calls in `source`, or why it could not be parsed.
    /// Bindings made here stay for the next call.
    pub fn analyze(&mut self, source: &str, path: &str) -> Result<Vec<Issue>, ParseFailure> {
        self.source = source.to_string();
        self.line_starts = line_starts(source);
        if let Some(failure) = too_deep(source, &self.line_starts) {
            return Err(failure);
        }
        let suite = match rustpython_parser::parse(source, rustpython_parser::Mode::Module, path) {
            Ok(ast::Mod::Module(m)) => m.body,
            Ok(_) => Vec::new(),
            Err(e) => {
                let (line, column) = self.position(e.offset);
                return Err(ParseFailure {
                    line,
                    column,
                    message: e.error.to_string(),
                });
            }
        };
        self.issues.clear();
        self.escapes.clear();
        for stmt in suite {
            self.visit_stmt(stmt);
        }
        let mut issues = std::mem::take(&mut self.issues);
        issues.sort_by_key(|i| (i.line, i.column));
        Ok(issues)
    }

    /// The constant shell commands of the last [`Analyzer::analyze`], with
    /// their 1-based lines.
    pub fn take_shell_commands(&mut self) -> Vec<(u32, String)> {
        std::mem::take(&mut self.escapes)
    }

    fn escape(&mut self, at: TextSize, command: &Expr) {
        if let Expr::Constant(c) = command
            && let Constant::Str(s) = &c.value
        {
            let (line, _) = self.position(at);
            for l in s.lines() {
                self.escapes.push((line, l.to_string()));
            }
        }
    }

    fn position(&self, offset: TextSize) -> (u32, u32) {
        let offset = usize::from(offset).min(self.source.len());
        let idx = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.line_starts[idx];
        let column = self
            .source
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (idx as u32 + 1, column as u32)
    }

    fn line_text(&self, line: u32) -> String {
        let idx = line as usize - 1;
        let start = self.line_starts[idx];
        let end = self
            .line_starts
            .get(idx + 1)
            .copied()
            .unwrap_or(self.source.len());
        let text = self.source[start..end].trim();
        let mut out: String = text.chars().take(160).collect();
        if text.chars().count() > 160 {
            out.push('…');
        }
        out
    }

    fn bind(&mut self, name: &str, binding: Binding) {
        self.scopes
            .last_mut()
            .expect("the module scope")
            .insert(name.to_string(), binding);
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The dotted name an expression stands for, when it is known.
    fn qualify(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => match self.lookup(n.id.as_str()) {
                Some(Binding::Known(q)) => Some(q.clone()),
                Some(Binding::Opaque) => None,
                None if WELL_KNOWN.contains(&n.id.as_str()) => Some(n.id.to_string()),
                None if BUILTINS.contains(&n.id.as_str()) => Some(format!("builtins.{}", n.id)),
                None => None,
            },
            Expr::Attribute(a) => self
                .qualify(&a.value)
                .map(|q| format!("{q}.{}", a.attr.as_str())),
            // An instance: `requests.Session().get`.
            Expr::Call(c) => self.qualify(&c.func).map(|q| format!("{q}()")),
            _ => None,
        }
    }

    /// Bind the names an assignment target introduces to `value`.
    fn bind_target(&mut self, target: &Expr, value: Option<&Binding>) {
        match target {
            Expr::Name(n) => {
                let b = value.cloned().unwrap_or(Binding::Opaque);
                self.bind(n.id.as_str(), b);
            }
            Expr::Tuple(t) => {
                for e in &t.elts {
                    self.bind_target(e, None);
                }
            }
            Expr::List(t) => {
                for e in &t.elts {
                    self.bind_target(e, None);
                }
            }
            Expr::Starred(s) => self.bind_target(&s.value, None),
            _ => {}
        }
    }

    fn binding_of(&self, value: &Expr) -> Binding {
        self.qualify(value).map_or(Binding::Opaque, Binding::Known)
    }

    fn bind_arguments(&mut self, args: &ast::Arguments) {
        let all = args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .chain(&args.kwonlyargs)
            .map(|a| a.def.arg.to_string())
            .chain(args.vararg.iter().map(|a| a.arg.to_string()))
            .chain(args.kwarg.iter().map(|a| a.arg.to_string()))
            .collect::<Vec<_>>();
        for name in all {
            self.bind(&name, Binding::Opaque);
        }
    }

    fn report(&mut self, kind: Kind, at: TextSize, callee: &str, message: String, lower: bool) {
        let (line, column) = self.position(at);
        let evidence = self.line_text(line);
        self.issues.push(Issue {
            kind,
            line,
            column,
            callee: callee.to_string(),
            message,
            evidence,
            lower,
        });
    }

    fn check_call(&mut self, call: &ast::ExprCall) {
        let start = call.range().start();
        let kw = |name: &str| {
            call.keywords
                .iter()
                .find(|k| k.arg.as_deref() == Some(name))
                .map(|k| &k.value)
        };
        let has_splat = call.keywords.iter().any(|k| k.arg.is_none());

        // trust_remote_code=True, whatever is called.
        if let Some(v) = kw("trust_remote_code")
            && truthy(v) == Some(true)
        {
            let callee = self
                .qualify(&call.func)
                .unwrap_or_else(|| dotted(&call.func));
            self.report(
                    Kind::TrustRemoteCode,
                    start,
                    &callee,
                    format!("`{callee}(trust_remote_code=True)` downloads and runs the model repository's Python code"),
                    false,
                );
        }

        let Some(q) = self.qualify(&call.func) else {
            self.check_unresolved(call);
            return;
        };
        let q = normalise(&q);
        let name = q.as_str();

        // Unsafe deserialisation; `loads(dumps(x))` only copies an object
        // the program already holds.
        let round_trip = name.ends_with(".loads")
            && matches!(call.args.first(), Some(Expr::Call(inner))
                if self.qualify(&inner.func).is_some_and(|f| normalise(&f) == format!("{}dumps", &name[..name.len() - 5])));
        if let Some(what) = unsafe_deserializer(name).filter(|_| !round_trip) {
            self.report(
                Kind::UnsafeDeserialization,
                start,
                name,
                format!("`{name}` {what}: loading untrusted data runs arbitrary code"),
                false,
            );
        }
        if matches!(name, "numpy.load") && kw("allow_pickle").and_then(truthy) == Some(true) {
            self.report(
                    Kind::UnsafeDeserialization,
                    start,
                    name,
                    "`numpy.load(allow_pickle=True)` unpickles object arrays: loading an untrusted file runs arbitrary code".into(),
                    false,
                );
        }
        if name == "ruamel.yaml.YAML"
            && let Some(Expr::Constant(c)) = kw("typ")
            && let Constant::Str(s) = &c.value
            && s == "unsafe"
        {
            self.report(
                            Kind::YamlLoad,
                            start,
                            name,
                            "`ruamel.yaml.YAML(typ='unsafe')` constructs arbitrary Python objects from YAML tags".into(),
                            false,
                        );
        }

        // torch.load
        if matches!(name, "torch.load" | "torch.serialization.load") {
            match kw("weights_only") {
                Some(v) if truthy(v) == Some(true) => {}
                Some(v) if truthy(v) == Some(false) => self.report(
                    Kind::TorchLoad,
                    start,
                    name,
                    format!("`{name}(weights_only=False)` unpickles the file: a malicious checkpoint runs code when loaded"),
                    false,
                ),
                Some(_) => self.report(
                    Kind::TorchLoad,
                    start,
                    name,
                    format!("`{name}` with a `weights_only` that is not literally True: whether the file is unpickled is decided at run time"),
                    false,
                ),
                None => self.report(
                    Kind::TorchLoad,
                    start,
                    name,
                    format!(
                        "`{name}` without `weights_only=True`{}: before PyTorch 2.6 (and whenever the default is changed back) it unpickles the file, and a malicious checkpoint runs code",
                        if has_splat { " (it may be among the `**` arguments, which cannot be seen)" } else { "" }
                    ),
                    false,
                ),
            }
        }

        // yaml
        if let Some(func) = name.strip_prefix("yaml.") {
            match func {
                "unsafe_load" | "unsafe_load_all" | "full_load" | "full_load_all" => self.report(
                    Kind::YamlLoad,
                    start,
                    name,
                    format!(
                        "`{name}` constructs Python objects from YAML tags; use yaml.safe_load"
                    ),
                    false,
                ),
                "load" | "load_all" => {
                    let loader = kw("Loader").or_else(|| call.args.get(1));
                    match loader {
                        None => self.report(
                            Kind::YamlLoad,
                            start,
                            name,
                            format!("`{name}` without a Loader: PyYAML before 5.1 constructs arbitrary Python objects (and 6.0 refuses the call); use yaml.safe_load or Loader=yaml.SafeLoader"),
                            false,
                        ),
                        Some(l) => {
                            let lq = self.qualify(l).map(|q| normalise(&q));
                            if let Some(lq) = lq {
                                let short = lq.rsplit('.').next().unwrap_or(&lq);
                                if lq.starts_with("yaml.")
                                    && matches!(
                                        short,
                                        "Loader" | "UnsafeLoader" | "FullLoader" | "CLoader" | "CUnsafeLoader" | "CFullLoader"
                                    )
                                {
                                    self.report(
                                        Kind::YamlLoad,
                                        start,
                                        name,
                                        format!("`{name}` with Loader={lq} constructs Python objects from YAML tags; use yaml.SafeLoader"),
                                        false,
                                    );
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }

        // Shell
        if let Some(func) = name.strip_prefix("subprocess.") {
            if matches!(
                func,
                "run" | "call" | "check_call" | "check_output" | "Popen"
            ) && let Some(v) = kw("shell")
                && truthy(v) == Some(true)
            {
                let constant = call.args.first().is_some_and(is_constant_str);
                if let Some(a) = call.args.first() {
                    self.escape(start, a);
                }
                self.report(
                    Kind::Shell,
                    start,
                    name,
                    format!(
                        "`{name}(..., shell=True)` runs the command through /bin/sh{}",
                        if constant {
                            " (the command is a constant string)"
                        } else {
                            ": any part of it from outside is shell injection"
                        }
                    ),
                    constant,
                );
            }
            if matches!(func, "getoutput" | "getstatusoutput") {
                let constant = call.args.first().is_some_and(is_constant_str);
                if let Some(a) = call.args.first() {
                    self.escape(start, a);
                }
                // A constant command holds nothing from outside
                // (`getoutput('nvidia-smi')`); what it runs is judged as
                // the shell command above.
                if !constant {
                    self.report(
                        Kind::Shell,
                        start,
                        name,
                        format!("`{name}` runs the command through /bin/sh: any part of it from outside is shell injection"),
                        false,
                    );
                }
            }
        }
        if matches!(
            name,
            "os.system"
                | "os.popen"
                | "os.popen2"
                | "os.popen3"
                | "os.popen4"
                | "commands.getoutput"
                | "commands.getstatusoutput"
                | "asyncio.create_subprocess_shell"
                | "pty.spawn"
        ) {
            let constant = call.args.first().is_some_and(is_constant_str);
            if let Some(a) = call.args.first() {
                self.escape(start, a);
            }
            // As for getoutput: a constant command is no injection.
            if !constant {
                self.report(
                    Kind::Shell,
                    start,
                    name,
                    format!("`{name}` runs the command through a shell: any part of it from outside is shell injection"),
                    false,
                );
            }
        }

        // TLS verification
        let tls_client = name.starts_with("requests.") || name.starts_with("httpx.");
        if tls_client
            && let Some(v) = kw("verify")
            && truthy(v) == Some(false)
            && is_false_constant(v)
        {
            self.report(
                        Kind::TlsVerify,
                        start,
                        name,
                        format!("`{name}(verify=False)` accepts any certificate: traffic can be read and changed in transit"),
                        false,
                    );
        }
        if matches!(
            name,
            "ssl._create_unverified_context" | "ssl._create_stdlib_context"
        ) {
            self.report(
                Kind::TlsVerify,
                start,
                name,
                format!("`{name}` makes a context that checks no certificate"),
                false,
            );
        }

        // Debug modes
        match name {
            "flask.Flask().run" | "werkzeug.serving.run_simple" | "flask.Flask().run_server" => {
                let debug = if name == "werkzeug.serving.run_simple" {
                    kw("use_debugger").or_else(|| call.args.get(5))
                } else {
                    // Flask.run(host, port, debug)
                    kw("debug").or_else(|| call.args.get(2))
                };
                if debug.and_then(truthy) == Some(true) {
                    let host = if name == "werkzeug.serving.run_simple" {
                        kw("hostname").or_else(|| call.args.first())
                    } else {
                        kw("host").or_else(|| call.args.first())
                    };
                    if let Some(why) = host.and_then(exposed_host) {
                        self.report(
                            Kind::DebugExposed,
                            start,
                            name,
                            format!("`{name}` with the Werkzeug debugger on {why}: anyone who reaches it can run Python on the server"),
                            false,
                        );
                    }
                }
            }
            "uvicorn.run" | "hypercorn.run" => {
                let dev = ["reload", "debug"]
                    .into_iter()
                    .find(|k| kw(k).and_then(truthy) == Some(true));
                if let Some(mode) = dev
                    && let Some(why) = kw("host").and_then(exposed_host)
                {
                    self.report(
                            Kind::DebugExposed,
                            start,
                            name,
                            format!("`{name}({mode}=True)` on {why}: a development mode (code reloading, debug output) on an exposed server"),
                            false,
                        );
                }
            }
            "fastapi.FastAPI" | "starlette.applications.Starlette" | "starlette.Starlette"
                if kw("debug").and_then(truthy) == Some(true) =>
            {
                self.report(
                        Kind::DebugExposed,
                        start,
                        name,
                        format!("`{name}(debug=True)` returns tracebacks (code, paths, values) to any client on a server error"),
                        false,
                    );
            }
            _ => {}
        }

        // eval / exec
        if matches!(name, "builtins.eval" | "builtins.exec") {
            let short = &name["builtins.".len()..];
            let constant = call.args.first().is_some_and(is_constant_str);
            self.report(
                Kind::Eval,
                start,
                short,
                format!(
                    "`{short}` runs a string as Python{}",
                    if constant {
                        " (a constant string)"
                    } else {
                        ": if any part of it comes from outside, so does the code"
                    }
                ),
                constant,
            );
        }
    }

    /// Calls on objects this analysis could not resolve: only the Flask
    /// pattern is specific enough to judge (`app.run(debug=True,
    /// host="0.0.0.0")` with `app` imported from elsewhere).
    fn check_unresolved(&mut self, call: &ast::ExprCall) {
        let Expr::Attribute(a) = call.func.as_ref() else {
            return;
        };
        // What IPython turns `!cmd`, `%pip ...` and `%%bash` into (and
        // jupytext / nbconvert write out).
        if dotted(&a.value) == "get_ipython()" {
            let start = call.range().start();
            match a.attr.as_str() {
                "system" | "getoutput" => {
                    if let Some(cmd) = call.args.first() {
                        self.escape(start, cmd);
                    }
                }
                "run_line_magic" => {
                    if let (Some(Expr::Constant(m)), Some(Expr::Constant(rest))) =
                        (call.args.first(), call.args.get(1))
                        && let (Constant::Str(m), Constant::Str(rest)) = (&m.value, &rest.value)
                    {
                        if matches!(m.as_str(), "pip" | "conda" | "mamba" | "uv") {
                            let (line, _) = self.position(start);
                            self.escapes.push((line, format!("{m} {rest}")));
                        } else if matches!(m.as_str(), "system" | "sx" | "sh") {
                            let (line, _) = self.position(start);
                            self.escapes.push((line, rest.clone()));
                        }
                    }
                }
                "run_cell_magic" => {
                    if let (Some(Expr::Constant(m)), Some(body)) =
                        (call.args.first(), call.args.get(2))
                        && matches!(&m.value, Constant::Str(m) if matches!(m.as_str(), "bash" | "sh" | "system" | "script"))
                    {
                        self.escape(start, body);
                    }
                }
                _ => {}
            }
            return;
        }
        if a.attr.as_str() != "run" {
            return;
        }
        let kw = |name: &str| {
            call.keywords
                .iter()
                .find(|k| k.arg.as_deref() == Some(name))
                .map(|k| &k.value)
        };
        if kw("debug").and_then(truthy) == Some(true) {
            // Only an explicit, constant non-loopback host.
            if let Some(host @ Expr::Constant(_)) = kw("host")
                && let Some(why) = exposed_host(host)
            {
                let callee = format!("{}.run", dotted(&a.value));
                self.report(
                        Kind::DebugExposed,
                        call.range().start(),
                        &callee,
                        format!("`{callee}(debug=True)` on {why}: a debug server (the Werkzeug debugger runs Python for anyone who reaches it)"),
                        false,
                    );
            }
        }
    }

    fn check_assign(&mut self, target: &Expr, value: &Expr) {
        // session.verify = False
        if let Expr::Attribute(a) = target {
            if a.attr.as_str() == "verify"
                && is_false_constant(value)
                && let Some(q) = self.qualify(&a.value)
                && (q.starts_with("requests.") || q.starts_with("httpx."))
            {
                self.report(
                            Kind::TlsVerify,
                            target.range().start(),
                            &q,
                            format!("`{q}.verify = False` accepts any certificate for every request of the session"),
                            false,
                        );
            }
            if a.attr.as_str() == "check_hostname"
                && is_false_constant(value)
                && let Some(q) = self.qualify(&a.value)
                && q.starts_with("ssl.")
            {
                self.report(
                    Kind::TlsVerify,
                    target.range().start(),
                    &q,
                    "`check_hostname = False` on an SSL context accepts a certificate for any host"
                        .into(),
                    false,
                );
            }
        }
    }
}

/// Names that are builtins unless bound.
const BUILTINS: &[&str] = &["eval", "exec"];

/// Module aliases that are the same module for these checks.
fn normalise(q: &str) -> String {
    let map: &[(&str, &str)] = &[
        ("cPickle.", "pickle."),
        ("_pickle.", "pickle."),
        ("pickle5.", "pickle."),
        ("sklearn.externals.joblib.", "joblib."),
        ("np.", "numpy."),
        ("pd.", "pandas."),
        ("flask.app.Flask", "flask.Flask"),
        ("fastapi.applications.FastAPI", "fastapi.FastAPI"),
    ];
    for (from, to) in map {
        if let Some(rest) = q.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    q.to_string()
}

/// What makes a call an unsafe deserialiser, when it is one.
fn unsafe_deserializer(name: &str) -> Option<&'static str> {
    Some(match name {
        "pickle.load" | "pickle.loads" | "pickle.Unpickler" => "unpickles its input",
        "dill.load" | "dill.loads" | "dill.Unpickler" => "unpickles its input (dill)",
        "cloudpickle.load" | "cloudpickle.loads" => "unpickles its input (cloudpickle)",
        "joblib.load" => "unpickles the file",
        "pandas.read_pickle" => "unpickles the file",
        "marshal.load" | "marshal.loads" => "reads code objects",
        "shelve.open" | "shelve.DbfilenameShelf" => "unpickles every value it reads",
        "jsonpickle.decode" | "jsonpickle.loads" | "jsonpickle.unpickler.decode" => {
            "rebuilds arbitrary Python objects"
        }
        "torch.package.PackageImporter" => "imports pickled code",
        "keras.models.load_model" | "tensorflow.keras.models.load_model" => return None,
        _ => return None,
    })
}

/// Whether an expression is a constant that Python treats as true or
/// false; `None` when it is computed.
fn truthy(e: &Expr) -> Option<bool> {
    match e {
        Expr::Constant(c) => Some(match &c.value {
            Constant::None => false,
            Constant::Bool(b) => *b,
            Constant::Str(s) => !s.is_empty(),
            Constant::Bytes(b) => !b.is_empty(),
            Constant::Int(i) => i.to_string() != "0",
            Constant::Float(f) => *f != 0.0,
            Constant::Tuple(t) => !t.is_empty(),
            Constant::Complex { real, imag } => *real != 0.0 || *imag != 0.0,
            Constant::Ellipsis => true,
        }),
        _ => None,
    }
}

fn is_false_constant(e: &Expr) -> bool {
    matches!(e, Expr::Constant(c) if matches!(c.value, Constant::Bool(false)) || matches!(&c.value, Constant::Int(i) if i.to_string() == "0"))
}

fn is_constant_str(e: &Expr) -> bool {
    match e {
        Expr::Constant(c) => matches!(c.value, Constant::Str(_)),
        Expr::List(l) => l.elts.iter().all(is_constant_str),
        _ => false,
    }
}

/// Why a host argument exposes the server, or `None` for loopback.
fn exposed_host(e: &Expr) -> Option<String> {
    match e {
        Expr::Constant(c) => match &c.value {
            Constant::Str(s) => {
                let h = s.trim().trim_start_matches('[').trim_end_matches(']');
                if h == "localhost" || h.starts_with("127.") || h == "::1" {
                    None
                } else if matches!(h, "0.0.0.0" | "::" | "") {
                    Some(format!("every interface (host={s:?})"))
                } else {
                    Some(format!("host {s:?}"))
                }
            }
            _ => None,
        },
        _ => Some("a host chosen at run time (not known to be loopback)".to_string()),
    }
}

/// The written form of a callee that did not resolve, for messages.
fn dotted(e: &Expr) -> String {
    match e {
        Expr::Name(n) => n.id.to_string(),
        Expr::Attribute(a) => format!("{}.{}", dotted(&a.value), a.attr.as_str()),
        Expr::Call(c) => format!("{}()", dotted(&c.func)),
        _ => "…".to_string(),
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// A pre-pass over the tokens: refuse a source nested deeper than the
/// walk (and the tree's drop) can recurse safely.
fn too_deep(source: &str, line_starts: &[usize]) -> Option<ParseFailure> {
    use rustpython_parser::Tok;
    // Operators chained at each open bracket level (a comma at that level
    // starts a new element: `[-1, -2, ...]` is flat), their sum, the
    // indentation and the length of the current `elif` chain.
    let mut levels: Vec<usize> = vec![0];
    let (mut chain, mut indent, mut elifs) = (0usize, 0usize, 0usize);
    let mut line_start = true;
    for token in rustpython_parser::lexer::lex(source, rustpython_parser::Mode::Module) {
        // Lexical errors are the parser's to report.
        let Ok((tok, range)) = token else { return None };
        let at_start = std::mem::replace(&mut line_start, false);
        let what = match tok {
            Tok::Lpar | Tok::Lsqb | Tok::Lbrace => {
                levels.push(0);
                (levels.len() > MAX_NESTING + 1).then_some("brackets nested")
            }
            Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                if levels.len() > 1 {
                    chain -= levels.pop().unwrap_or(0);
                }
                None
            }
            Tok::Comma | Tok::Colon | Tok::Semi => {
                let top = levels.last_mut().expect("level 0");
                chain -= *top;
                *top = 0;
                None
            }
            Tok::Indent => {
                indent += 1;
                line_start = true;
                (indent > MAX_NESTING || 6 * indent + chain > MAX_CHAIN).then_some("blocks nested")
            }
            Tok::Dedent => {
                indent = indent.saturating_sub(1);
                line_start = true;
                None
            }
            Tok::Newline => {
                levels.clear();
                levels.push(0);
                chain = 0;
                line_start = true;
                None
            }
            Tok::If if at_start => {
                elifs = 0;
                None
            }
            Tok::Elif => {
                elifs += 1;
                (elifs > 10 * MAX_CHAIN).then_some("elif branches chained")
            }
            Tok::Plus
            | Tok::Minus
            | Tok::Star
            | Tok::Slash
            | Tok::DoubleSlash
            | Tok::Percent
            | Tok::DoubleStar
            | Tok::Vbar
            | Tok::Amper
            | Tok::CircumFlex
            | Tok::LeftShift
            | Tok::RightShift
            | Tok::At
            | Tok::Tilde
            | Tok::Dot
            | Tok::And
            | Tok::Or
            | Tok::Not
            | Tok::If
            | Tok::Lambda
            | Tok::Await
            | Tok::Less
            | Tok::Greater
            | Tok::LessEqual
            | Tok::GreaterEqual
            | Tok::EqEqual
            | Tok::NotEqual
            | Tok::In
            | Tok::Is
            | Tok::ColonEqual => {
                *levels.last_mut().expect("level 0") += 1;
                chain += 1;
                (chain + 2 * (levels.len() - 1) + 6 * indent > MAX_CHAIN)
                    .then_some("operators chained in one expression")
            }
            _ => None,
        };
        if let Some(what) = what {
            let offset = usize::from(range.start());
            let line = line_starts.partition_point(|&s| s <= offset);
            let limit = if what.starts_with("brackets") || what.starts_with("blocks") {
                MAX_NESTING
            } else {
                MAX_CHAIN
            };
            return Some(ParseFailure {
                line: line as u32,
                column: 1,
                message: format!("more than {limit} {what}; not analysed"),
            });
        }
    }
    None
}

impl Visitor for Analyzer {
    fn visit_stmt(&mut self, node: Stmt) {
        match node {
            Stmt::Import(i) => {
                for alias in &i.names {
                    let full = alias.name.as_str();
                    match &alias.asname {
                        Some(as_) => self.bind(as_.as_str(), Binding::Known(full.to_string())),
                        None => {
                            let top = full.split('.').next().unwrap_or(full);
                            self.bind(top, Binding::Known(top.to_string()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(i) => {
                let relative = i.level.is_some_and(|l| l.to_u32() > 0);
                let module = i.module.as_ref().map(|m| m.to_string()).unwrap_or_default();
                for alias in &i.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).to_string();
                    if alias.name.as_str() == "*" {
                        if !relative {
                            for name in star_exports(&module) {
                                self.bind(name, Binding::Known(format!("{module}.{name}")));
                            }
                        }
                        continue;
                    }
                    let b = if relative || module.is_empty() {
                        Binding::Opaque
                    } else {
                        Binding::Known(format!("{module}.{}", alias.name.as_str()))
                    };
                    self.bind(&local, b);
                }
            }
            Stmt::FunctionDef(f) => {
                for d in f.decorator_list {
                    self.visit_expr(d);
                }
                self.bind(f.name.as_str(), Binding::Opaque);
                self.scopes.push(HashMap::new());
                self.bind_arguments(&f.args);
                self.visit_arguments(*f.args);
                for s in f.body {
                    self.visit_stmt(s);
                }
                self.scopes.pop();
            }
            Stmt::AsyncFunctionDef(f) => {
                for d in f.decorator_list {
                    self.visit_expr(d);
                }
                self.bind(f.name.as_str(), Binding::Opaque);
                self.scopes.push(HashMap::new());
                self.bind_arguments(&f.args);
                self.visit_arguments(*f.args);
                for s in f.body {
                    self.visit_stmt(s);
                }
                self.scopes.pop();
            }
            Stmt::ClassDef(c) => {
                // A class derived from a known one stands for it
                // (`class MyLoader(yaml.SafeLoader)`).
                let base = c.bases.first().and_then(|b| self.qualify(b));
                let name = c.name.to_string();
                for s in c.body {
                    self.visit_stmt(s);
                }
                for e in c.bases {
                    self.visit_expr(e);
                }
                self.bind(&name, base.map_or(Binding::Opaque, Binding::Known));
            }
            Stmt::Assign(a) => {
                for t in &a.targets {
                    self.check_assign(t, &a.value);
                }
                let b = self.binding_of(&a.value);
                self.visit_expr(*a.value);
                for t in &a.targets {
                    self.bind_target(t, Some(&b));
                }
                for t in a.targets {
                    if !matches!(t, Expr::Name(_)) {
                        self.visit_expr(t);
                    }
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = a.value {
                    self.check_assign(&a.target, &v);
                    let b = self.binding_of(&v);
                    self.visit_expr(*v);
                    self.bind_target(&a.target, Some(&b));
                }
            }
            Stmt::With(w) => {
                for item in w.items {
                    let b = self.binding_of(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.bind_target(v, Some(&b));
                    }
                    self.visit_expr(item.context_expr);
                }
                for s in w.body {
                    self.visit_stmt(s);
                }
            }
            Stmt::AsyncWith(w) => {
                for item in w.items {
                    let b = self.binding_of(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.bind_target(v, Some(&b));
                    }
                    self.visit_expr(item.context_expr);
                }
                for s in w.body {
                    self.visit_stmt(s);
                }
            }
            Stmt::If(mut i) => loop {
                // An elif chain is a chain of nested Ifs: walked in a loop,
                // not a recursion per branch.
                self.visit_expr(*i.test);
                for s in i.body {
                    self.visit_stmt(s);
                }
                if i.orelse.len() == 1 && matches!(i.orelse[0], Stmt::If(_)) {
                    let Some(Stmt::If(next)) = i.orelse.pop() else {
                        unreachable!()
                    };
                    i = next;
                    continue;
                }
                for s in i.orelse {
                    self.visit_stmt(s);
                }
                break;
            },
            Stmt::For(f) => {
                self.bind_target(&f.target, None);
                self.generic_visit_stmt(Stmt::For(f));
            }
            other => self.generic_visit_stmt(other),
        }
    }

    // The generated visitor stops at these nodes (their generic visits are
    // empty): walked here, or calls in keyword values (`f(x=pickle.loads(b))`),
    // comprehensions, default values and match cases would be missed.
    fn visit_keyword(&mut self, node: ast::Keyword) {
        self.visit_expr(node.value);
    }

    fn visit_comprehension(&mut self, node: ast::Comprehension) {
        self.visit_expr(node.iter);
        self.bind_target(&node.target, None);
        for e in node.ifs {
            self.visit_expr(e);
        }
    }

    fn visit_arguments(&mut self, node: ast::Arguments) {
        for a in node
            .posonlyargs
            .into_iter()
            .chain(node.args)
            .chain(node.kwonlyargs)
        {
            if let Some(d) = a.default {
                self.visit_expr(*d);
            }
        }
    }

    fn visit_match_case(&mut self, node: ast::MatchCase) {
        if let Some(g) = node.guard {
            self.visit_expr(*g);
        }
        for s in node.body {
            self.visit_stmt(s);
        }
    }

    fn visit_expr(&mut self, node: Expr) {
        self.depth += 1;
        if self.depth <= 4 * MAX_NESTING + MAX_CHAIN {
            if let Expr::Call(c) = &node {
                self.check_call(c);
            }
            if let Expr::Lambda(l) = node {
                self.scopes.push(HashMap::new());
                self.bind_arguments(&l.args);
                self.visit_expr(*l.body);
                self.scopes.pop();
            } else {
                self.generic_visit_expr(node);
            }
        }
        self.depth -= 1;
    }
}

/// What `from module import *` binds, for the modules the checks know.
fn star_exports(module: &str) -> &'static [&'static str] {
    match module {
        "pickle" | "cPickle" | "_pickle" | "dill" | "cloudpickle" => {
            &["load", "loads", "Unpickler"]
        }
        "marshal" => &["load", "loads"],
        "joblib" => &["load"],
        "yaml" => &[
            "load",
            "load_all",
            "unsafe_load",
            "unsafe_load_all",
            "full_load",
            "full_load_all",
            "Loader",
            "UnsafeLoader",
            "FullLoader",
            "SafeLoader",
            "CLoader",
            "CSafeLoader",
        ],
        "subprocess" => &[
            "run",
            "call",
            "check_call",
            "check_output",
            "Popen",
            "getoutput",
            "getstatusoutput",
        ],
        "os" => &["system", "popen"],
        "torch" => &["load"],
        _ => &[],
    }
}
