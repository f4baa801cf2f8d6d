//! What a pickle may import and call.
//!
//! The verdict comes from an allow-list per framework: what PyTorch state
//! dicts, NumPy arrays, scikit-learn and SciPy estimators, joblib wrappers
//! and plain Python containers need. The deny-list only decides how bad a
//! non-allowed name is and explains why; anything in neither is
//! *suspicious*. Names are resolved the way CPython's unpickler resolves
//! them (`_compat_pickle` renames, `posix`/`nt` → `os`, dotted qualnames on
//! protocol 4+), and a deny entry matches the name or any dotted parent.

/// How a global is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Needed by a known framework and harmless to call.
    Allowed,
    /// Neither allowed nor known to be dangerous.
    Suspicious,
    Dangerous(Danger),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Danger {
    /// Runs commands or code.
    CodeExecution,
    /// Reaches any other callable (getattr, importlib, operator, ...).
    Trampoline,
    /// Loads another serialized object (its bytes are scanned too).
    NestedLoader,
    /// Touches the network or the filesystem.
    NetworkOrFile,
}

impl Danger {
    pub fn explain(self) -> &'static str {
        match self {
            Danger::CodeExecution => "runs commands or arbitrary code",
            Danger::Trampoline => {
                "reaches arbitrary other callables (a trampoline that defeats name-based checks)"
            }
            Danger::NestedLoader => "deserializes another embedded payload",
            Danger::NetworkOrFile => "touches the network or the filesystem",
        }
    }
}

/// Python 2 module names CPython's unpickler maps to Python 3 ones
/// (`_compat_pickle.IMPORT_MAPPING`, the security-relevant part), plus the
/// platform modules `os` is built on.
fn canonical_module(module: &str) -> &str {
    match module {
        "__builtin__" | "exceptions" => "builtins",
        "posix" | "nt" => "os",
        "posixpath" | "ntpath" => "os.path",
        "cPickle" | "_pickle" => "pickle",
        "copy_reg" => "copyreg",
        "_operator" => "operator",
        "commands" => "subprocess",
        "urllib2" => "urllib.request",
        "httplib" => "http.client",
        "cStringIO" | "StringIO" => "io",
        "__main__" => "__main__",
        other => other,
    }
}

/// The dotted name CPython resolves: module plus (on protocol 4+) a
/// dotted qualname walked with getattr.
pub fn qualified(module: &str, name: &str) -> String {
    format!("{}.{}", canonical_module(module), name)
}

/// Names safe to call with any arguments, or classes safe to construct and
/// give state (`__setstate__`/BUILD). Exact matches.
const ALLOWED: &[&str] = &[
    // Python containers and scalars.
    "collections.OrderedDict",
    "collections.Counter",
    "collections.deque",
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "builtins.bytes",
    "builtins.complex",
    "builtins.slice",
    "builtins.range",
    "builtins.list",
    "builtins.dict",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.str",
    "builtins.object",
    "_codecs.encode",
    "copyreg._reconstructor",
    "copyreg.__newobj__",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    "fractions.Fraction",
    "uuid.UUID",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    // PyTorch state dicts and tensors.
    // TorchScript archives' own pickles (torch/jit/_pickle.py): builders
    // that return the list or tensor they are given. The rest of torch.jit
    // compiles and runs code and stays denied.
    "torch.jit._pickle.build_intlist",
    "torch.jit._pickle.build_tensorlist",
    "torch.jit._pickle.build_doublelist",
    "torch.jit._pickle.build_boollist",
    "torch.jit._pickle.build_tensor_from_id",
    "torch.jit._pickle.restore_type_tag",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._tensor._rebuild_from_type_v2",
    "torch.Size",
    "torch.device",
    "torch.dtype",
    "torch.float32",
    "torch.float16",
    "torch.bfloat16",
    "torch.float64",
    "torch.int64",
    "torch.int32",
    "torch.int8",
    "torch.uint8",
    "torch.bool",
    "torch.FloatStorage",
    "torch.DoubleStorage",
    "torch.HalfStorage",
    "torch.BFloat16Storage",
    "torch.LongStorage",
    "torch.IntStorage",
    "torch.ShortStorage",
    "torch.CharStorage",
    "torch.ByteStorage",
    "torch.BoolStorage",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
    "torch.nn.parameter.Parameter",
    // NumPy arrays, dtypes and scalars (numpy 1 and numpy 2 module paths).
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.ma.core._mareconstruct",
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random.mtrand._rand",
    // joblib's array wrappers (their raw data follows in the file).
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "joblib.numpy_pickle_compat.NDArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
];

/// Packages whose *classes* may be constructed (NEWOBJ, copyreg
/// reconstruction, OBJ/INST) and given state. Functions of these packages
/// are not allowed: a class is recognised by its capitalised name, which is
/// how these projects name every class.
const CLASS_PACKAGES: &[&str] = &[
    "sklearn.",
    "scipy.sparse.",
    "numpy.",
    "collections.",
    "torch.nn.",
    "xgboost.",
    "lightgbm.",
];

/// Module-level or exact names, matched on the name or a dotted parent.
const DENIED: &[(&str, Danger)] = &[
    // Code execution.
    ("os", Danger::CodeExecution),
    ("subprocess", Danger::CodeExecution),
    ("_posixsubprocess", Danger::CodeExecution),
    ("pty", Danger::CodeExecution),
    ("platform.popen", Danger::CodeExecution),
    ("builtins.eval", Danger::CodeExecution),
    ("builtins.exec", Danger::CodeExecution),
    ("builtins.compile", Danger::CodeExecution),
    ("builtins.__import__", Danger::CodeExecution),
    ("builtins.execfile", Danger::CodeExecution),
    ("builtins.breakpoint", Danger::CodeExecution),
    ("builtins.input", Danger::CodeExecution),
    ("builtins.exit", Danger::CodeExecution),
    ("builtins.quit", Danger::CodeExecution),
    ("builtins.help", Danger::CodeExecution),
    ("runpy", Danger::CodeExecution),
    ("code", Danger::CodeExecution),
    ("codeop", Danger::CodeExecution),
    ("types.FunctionType", Danger::CodeExecution),
    ("types.CodeType", Danger::CodeExecution),
    ("types.LambdaType", Danger::CodeExecution),
    ("ctypes", Danger::CodeExecution),
    ("_ctypes", Danger::CodeExecution),
    ("cffi", Danger::CodeExecution),
    ("multiprocessing", Danger::CodeExecution),
    ("concurrent.futures", Danger::CodeExecution),
    ("asyncio", Danger::CodeExecution),
    ("threading", Danger::CodeExecution),
    ("_thread", Danger::CodeExecution),
    ("signal", Danger::CodeExecution),
    ("sys", Danger::CodeExecution),
    ("timeit", Danger::CodeExecution),
    ("profile", Danger::CodeExecution),
    ("cProfile", Danger::CodeExecution),
    ("pdb", Danger::CodeExecution),
    ("bdb", Danger::CodeExecution),
    ("trace", Danger::CodeExecution),
    ("doctest", Danger::CodeExecution),
    ("pydoc", Danger::CodeExecution),
    ("idlelib", Danger::CodeExecution),
    ("lib2to3", Danger::CodeExecution),
    ("pip", Danger::CodeExecution),
    ("ensurepip", Danger::CodeExecution),
    ("setuptools", Danger::CodeExecution),
    ("distutils", Danger::CodeExecution),
    ("venv", Danger::CodeExecution),
    ("webbrowser", Danger::NetworkOrFile),
    ("numpy.f2py", Danger::CodeExecution),
    ("numpy.distutils", Danger::CodeExecution),
    ("numpy.testing", Danger::CodeExecution),
    ("torch.utils.collect_env", Danger::CodeExecution),
    ("torch._inductor", Danger::CodeExecution),
    ("torch.jit", Danger::CodeExecution),
    ("torch.hub", Danger::NetworkOrFile),
    ("torch.utils.cpp_extension", Danger::CodeExecution),
    ("IPython", Danger::CodeExecution),
    ("nt", Danger::CodeExecution),
    ("posix", Danger::CodeExecution),
    ("__main__", Danger::CodeExecution),
    // Trampolines.
    ("builtins.getattr", Danger::Trampoline),
    ("builtins.setattr", Danger::Trampoline),
    ("builtins.delattr", Danger::Trampoline),
    ("builtins.globals", Danger::Trampoline),
    ("builtins.locals", Danger::Trampoline),
    ("builtins.vars", Danger::Trampoline),
    ("builtins.type", Danger::Trampoline),
    ("builtins.apply", Danger::Trampoline),
    ("builtins.map", Danger::Trampoline),
    ("builtins.filter", Danger::Trampoline),
    ("builtins.sorted", Danger::Trampoline),
    ("builtins.max", Danger::Trampoline),
    ("builtins.min", Danger::Trampoline),
    ("builtins.next", Danger::Trampoline),
    ("builtins.iter", Danger::Trampoline),
    ("operator", Danger::Trampoline),
    ("functools", Danger::Trampoline),
    ("itertools", Danger::Trampoline),
    ("importlib", Danger::Trampoline),
    ("pkgutil", Danger::Trampoline),
    ("imp", Danger::Trampoline),
    ("zipimport", Danger::Trampoline),
    ("inspect", Danger::Trampoline),
    ("types", Danger::Trampoline),
    ("copyreg", Danger::Trampoline),
    ("copy", Danger::Trampoline),
    ("collections.defaultdict", Danger::Trampoline),
    ("weakref", Danger::Trampoline),
    ("gc", Danger::Trampoline),
    ("contextlib", Danger::Trampoline),
    // Nested loaders.
    ("pickle", Danger::NestedLoader),
    ("pickletools", Danger::NestedLoader),
    ("marshal", Danger::NestedLoader),
    ("shelve", Danger::NestedLoader),
    ("dill", Danger::NestedLoader),
    ("cloudpickle", Danger::NestedLoader),
    ("jsonpickle", Danger::NestedLoader),
    ("yaml", Danger::NestedLoader),
    ("torch.load", Danger::NestedLoader),
    ("torch.serialization", Danger::NestedLoader),
    ("numpy.load", Danger::NestedLoader),
    ("numpy.lib.npyio", Danger::NestedLoader),
    ("numpy.lib.format", Danger::NestedLoader),
    ("joblib.load", Danger::NestedLoader),
    ("joblib.numpy_pickle.load", Danger::NestedLoader),
    ("pandas.read_pickle", Danger::NestedLoader),
    ("base64", Danger::NestedLoader),
    ("codecs", Danger::NestedLoader),
    ("zlib", Danger::NestedLoader),
    // Network and files.
    ("socket", Danger::NetworkOrFile),
    ("_socket", Danger::NetworkOrFile),
    ("ssl", Danger::NetworkOrFile),
    ("http", Danger::NetworkOrFile),
    ("urllib", Danger::NetworkOrFile),
    ("requests", Danger::NetworkOrFile),
    ("httpx", Danger::NetworkOrFile),
    ("aiohttp", Danger::NetworkOrFile),
    ("ftplib", Danger::NetworkOrFile),
    ("smtplib", Danger::NetworkOrFile),
    ("telnetlib", Danger::NetworkOrFile),
    ("imaplib", Danger::NetworkOrFile),
    ("poplib", Danger::NetworkOrFile),
    ("nntplib", Danger::NetworkOrFile),
    ("xmlrpc", Danger::NetworkOrFile),
    ("mailcap", Danger::CodeExecution),
    ("shutil", Danger::NetworkOrFile),
    ("tempfile", Danger::NetworkOrFile),
    ("glob", Danger::NetworkOrFile),
    ("fileinput", Danger::NetworkOrFile),
    ("io", Danger::NetworkOrFile),
    ("_io", Danger::NetworkOrFile),
    ("builtins.open", Danger::NetworkOrFile),
    ("pathlib.Path", Danger::NetworkOrFile),
    ("sqlite3", Danger::NetworkOrFile),
    ("logging", Danger::NetworkOrFile),
    ("pandas.read_csv", Danger::NetworkOrFile),
    ("pandas.read_json", Danger::NetworkOrFile),
    ("pandas.io", Danger::NetworkOrFile),
];

/// Attribute names that, anywhere in a dotted qualname, reach something
/// dangerous through an otherwise harmless module (`tempfile._os.system`).
const DANGEROUS_ATTRIBUTES: &[&str] = &[
    "os",
    "_os",
    "sys",
    "_sys",
    "subprocess",
    "system",
    "popen",
    "exec",
    "eval",
    "__import__",
    "__builtins__",
    "__globals__",
    "__code__",
    "__class__",
    "__subclasses__",
    "__getattribute__",
    "builtins",
    "spawn",
    "spawnv",
    "execv",
    "execve",
    "fork",
];

pub fn classify(module: &str, name: &str) -> Class {
    let full = qualified(module, name);
    if ALLOWED.contains(&full.as_str()) {
        return Class::Allowed;
    }
    // The name and each dotted parent, longest first: `os.path.join`,
    // `os.path`, `os`.
    let mut prefix = full.as_str();
    loop {
        if let Some((_, danger)) = DENIED.iter().find(|(d, _)| *d == prefix) {
            return Class::Dangerous(*danger);
        }
        match prefix.rsplit_once('.') {
            Some((parent, _)) => prefix = parent,
            None => break,
        }
    }
    if name
        .split('.')
        .any(|part| DANGEROUS_ATTRIBUTES.contains(&part))
    {
        return Class::Dangerous(Danger::Trampoline);
    }
    if !name.contains('.')
        && is_class_name(name)
        && CLASS_PACKAGES.iter().any(|p| full.starts_with(p))
    {
        return Class::Allowed;
    }
    Class::Suspicious
}

fn is_class_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_names_are_allowed() {
        for (m, n) in [
            ("torch._utils", "_rebuild_tensor_v2"),
            ("collections", "OrderedDict"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("sklearn.linear_model._logistic", "LogisticRegression"),
            ("__builtin__", "set"),
            ("_codecs", "encode"),
        ] {
            assert_eq!(classify(m, n), Class::Allowed, "{m}.{n}");
        }
    }

    #[test]
    fn dangerous_names_resolve_like_cpython() {
        assert_eq!(
            classify("posix", "system"),
            Class::Dangerous(Danger::CodeExecution)
        );
        assert_eq!(
            classify("nt", "system"),
            Class::Dangerous(Danger::CodeExecution)
        );
        assert_eq!(
            classify("__builtin__", "eval"),
            Class::Dangerous(Danger::CodeExecution)
        );
        assert_eq!(
            classify("builtins", "getattr"),
            Class::Dangerous(Danger::Trampoline)
        );
        assert_eq!(
            classify("_operator", "attrgetter"),
            Class::Dangerous(Danger::Trampoline)
        );
        assert_eq!(
            classify("cPickle", "loads"),
            Class::Dangerous(Danger::NestedLoader)
        );
        assert_eq!(
            classify("asyncio.unix_events", "_UnixSubprocessTransport._start"),
            Class::Dangerous(Danger::CodeExecution)
        );
        assert_eq!(
            classify("torch.utils.collect_env", "run"),
            Class::Dangerous(Danger::CodeExecution)
        );
        assert_eq!(
            classify("pkgutil", "resolve_name"),
            Class::Dangerous(Danger::Trampoline)
        );
        // Protocol 4 qualname through a harmless module.
        assert_eq!(
            classify("tempfile", "_os.system"),
            Class::Dangerous(Danger::NetworkOrFile)
        );
        assert_eq!(
            classify("collections", "abc.__builtins__"),
            Class::Dangerous(Danger::Trampoline)
        );
        assert_eq!(
            classify("sklearn.utils", "_os.system"),
            Class::Dangerous(Danger::Trampoline)
        );
    }

    #[test]
    fn unknown_names_and_framework_functions_are_suspicious() {
        assert_eq!(classify("mypackage.models", "Net"), Class::Suspicious);
        assert_eq!(
            classify("sklearn.datasets", "fetch_openml"),
            Class::Suspicious
        );
        assert_eq!(classify("numpy", "frombuffer"), Class::Suspicious);
    }
}
