//! What a pickle may import and call.
//!
//! The verdict comes from an allow-list per framework: what PyTorch state
//! dicts, NumPy arrays, scikit-learn and SciPy estimators, pandas frames,
//! XGBoost and LightGBM models, joblib wrappers
//! and plain Python containers need (checked against the globals that real
//! checkpoints of those frameworks reference: see
//! tests/fixtures/models/framework_globals*.json). A call of anything else
//! fails; the deny-list only decides how bad a non-allowed name is and
//! explains why, and the gadget table names the published scanner bypasses
//! by their advisory. A name in neither list is *suspicious*: calling it
//! is a high finding, importing it without a call an observation. Names are resolved the way CPython's unpickler resolves
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
    /// A callable a published scanner bypass used.
    Gadget(&'static Gadget),
}

impl Class {
    /// How dangerous a denied name or gadget is.
    pub fn danger(self) -> Option<Danger> {
        match self {
            Class::Dangerous(d) => Some(d),
            Class::Gadget(g) => Some(g.danger),
            _ => None,
        }
    }
}

/// A callable that a published advisory showed getting past a scanner.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gadget {
    /// The dotted name, matched on itself or as a dotted parent.
    pub name: &'static str,
    pub danger: Danger,
    /// The advisory's id (GHSA-...), for the finding and the references.
    pub advisory: &'static str,
}

impl Gadget {
    pub fn url(&self) -> String {
        format!("https://github.com/advisories/{}", self.advisory)
    }
}

/// Every advisory of the gadget table, once, as links.
pub fn advisory_urls() -> Vec<String> {
    let mut urls: Vec<String> = GADGETS.iter().map(Gadget::url).collect();
    urls.sort();
    urls.dedup();
    urls
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
    "collections.defaultdict",
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
    // Quantized and complex storages, layouts and quantization schemes
    // (a quantized tensor or a sparse one names them).
    "torch.QUInt8Storage",
    "torch.QInt8Storage",
    "torch.QInt32Storage",
    "torch.QUInt4x2Storage",
    "torch.QUInt2x4Storage",
    "torch.ComplexFloatStorage",
    "torch.ComplexDoubleStorage",
    "torch.per_tensor_affine",
    "torch.per_channel_affine",
    "torch.per_tensor_symmetric",
    "torch.per_channel_symmetric",
    "torch.per_channel_affine_float_qparams",
    "torch.complex64",
    "torch.complex128",
    "torch.int16",
    "torch.qint8",
    "torch.quint8",
    "torch.qint32",
    "torch.sparse_coo",
    "torch.strided",
    // Returns one of torch's layout objects by name (sparse tensors); the
    // rest of torch.serialization loads files and stays denied.
    "torch.serialization._get_layout",
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
    // Cython's generated reconstructor of numpy.random.SeedSequence (a
    // scikit-learn estimator's random state holds one).
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
    // NumPy scalar types, passed as dtypes (scikit-learn vectorizers).
    "numpy.float16",
    "numpy.float32",
    "numpy.float64",
    "numpy.int8",
    "numpy.int16",
    "numpy.int32",
    "numpy.int64",
    "numpy.uint8",
    "numpy.uint16",
    "numpy.uint32",
    "numpy.uint64",
    "numpy.bool_",
    "numpy.complex64",
    "numpy.complex128",
    "numpy.str_",
    "numpy.object_",
    // joblib's array wrappers (their raw data follows in the file).
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "joblib.numpy_pickle_compat.NDArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    // pandas data frames, series and their indexes: what pandas 3.1 and
    // 1.5 pickles name (framework_globals*.json). The reconstructors build
    // blocks and indexes from arrays; pandas' readers and writers
    // (pandas.io, read_*) stay denied.
    "pandas.DataFrame",
    "pandas.Series",
    "pandas.Index",
    "pandas.MultiIndex",
    "pandas.RangeIndex",
    "pandas.CategoricalIndex",
    "pandas.DatetimeIndex",
    "pandas.Categorical",
    "pandas.CategoricalDtype",
    "pandas.StringDtype",
    "pandas.arrays.DatetimeArray",
    "pandas.arrays.StringArray",
    "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked",
    "pandas._libs.internals._unpickle_block",
    "pandas._libs.tslibs.offsets.Day",
    "pandas.core.indexes.base._new_Index",
    "pandas.core.indexes.datetimes._new_DatetimeIndex",
    "pandas.core.internals.managers.BlockManager",
    "pandas.core.internals.managers.SingleBlockManager",
    // pandas 1 names classes by their defining modules.
    "pandas.core.frame.DataFrame",
    "pandas.core.series.Series",
    "pandas.core.indexes.base.Index",
    "pandas.core.indexes.multi.MultiIndex",
    "pandas.core.indexes.range.RangeIndex",
    "pandas.core.indexes.category.CategoricalIndex",
    "pandas.core.indexes.datetimes.DatetimeIndex",
    "pandas.core.indexes.numeric.Int64Index",
    "pandas.core.indexes.numeric.Float64Index",
    "pandas.core.arrays.categorical.Categorical",
    "pandas.core.arrays.datetimes.DatetimeArray",
    "pandas.core.dtypes.dtypes.CategoricalDtype",
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

/// Published scanner bypasses (GitHub security advisories of picklescan,
/// modelscan, fickling and modelaudit): callables outside the usual
/// deny-lists that run commands, evaluate strings or load other payloads.
/// Every entry has a fixture in tests/fixtures/models (generate.py) and a
/// row in BENCHMARKS.md.
const GADGETS: &[Gadget] = &[
    Gadget {
        name: "torch.utils.bottleneck.__main__.run_cprofile",
        danger: Danger::CodeExecution,
        advisory: "GHSA-4r9r-ch6f-vxmx",
    },
    Gadget {
        name: "torch.utils.bottleneck.__main__.run_autograd_prof",
        danger: Danger::CodeExecution,
        advisory: "GHSA-4whj-rm5r-c2v8",
    },
    Gadget {
        name: "torch.utils.bottleneck",
        danger: Danger::CodeExecution,
        advisory: "GHSA-4r9r-ch6f-vxmx",
    },
    Gadget {
        name: "torch._dynamo.guards.GuardBuilder.get",
        danger: Danger::CodeExecution,
        advisory: "GHSA-86cj-95qr-2p4f",
    },
    Gadget {
        name: "torch._dynamo",
        danger: Danger::CodeExecution,
        advisory: "GHSA-86cj-95qr-2p4f",
    },
    Gadget {
        name: "torch.fx.experimental.symbolic_shapes.ShapeEnv.evaluate_guards_expression",
        danger: Danger::CodeExecution,
        advisory: "GHSA-f4x7-rfwp-v3xw",
    },
    Gadget {
        name: "torch.utils.collect_env.run",
        danger: Danger::CodeExecution,
        advisory: "GHSA-f745-w6jp-hpxx",
    },
    Gadget {
        name: "torch.utils.collect_env.run_and_read_all",
        danger: Danger::CodeExecution,
        advisory: "GHSA-jhph-76pp-mggw",
    },
    Gadget {
        name: "torch.utils.data.datapipes.utils.decoder.basichandlers",
        danger: Danger::NestedLoader,
        advisory: "GHSA-h3qp-7fh3-f8h4",
    },
    Gadget {
        name: "torch.jit.unsupported_tensor_ops.execWrapper",
        danger: Danger::CodeExecution,
        advisory: "GHSA-vr7h-p6mm-wpmh",
    },
    Gadget {
        name: "torch.utils._config_module.ConfigModule.load_config",
        danger: Danger::NestedLoader,
        advisory: "GHSA-vv6j-3g6g-2pvj",
    },
    Gadget {
        name: "trace.Trace.run",
        danger: Danger::CodeExecution,
        advisory: "GHSA-5qwp-399c-mjwf",
    },
    Gadget {
        name: "trace.Trace.runctx",
        danger: Danger::CodeExecution,
        advisory: "GHSA-g344-hcph-8vgg",
    },
    Gadget {
        name: "profile.Profile.run",
        danger: Danger::CodeExecution,
        advisory: "GHSA-x696-vm39-cp64",
    },
    Gadget {
        name: "profile.Profile.runctx",
        danger: Danger::CodeExecution,
        advisory: "GHSA-6vqj-c2q5-j97w",
    },
    Gadget {
        name: "profile.run",
        danger: Danger::CodeExecution,
        advisory: "GHSA-7wx9-6375-f5wh",
    },
    Gadget {
        name: "cProfile.runctx",
        danger: Danger::CodeExecution,
        advisory: "GHSA-9w88-8rmg-7g2p",
    },
    Gadget {
        name: "cProfile.run",
        danger: Danger::CodeExecution,
        advisory: "GHSA-49gj-c84q-6qm9",
    },
    Gadget {
        name: "lib2to3.pgen2.grammar.Grammar.loads",
        danger: Danger::NestedLoader,
        advisory: "GHSA-f54q-57x4-jg88",
    },
    Gadget {
        name: "lib2to3.pgen2.pgen.ParserGenerator.make_label",
        danger: Danger::CodeExecution,
        advisory: "GHSA-p9w7-82w4-7q8m",
    },
    Gadget {
        name: "idlelib.debugobj.ObjectTreeItem.SetText",
        danger: Danger::CodeExecution,
        advisory: "GHSA-3vg9-h568-4w9m",
    },
    Gadget {
        name: "idlelib.autocomplete.AutoComplete.get_entity",
        danger: Danger::CodeExecution,
        advisory: "GHSA-6w4w-5w54-rjvr",
    },
    Gadget {
        name: "idlelib.autocomplete.AutoComplete.fetch_completions",
        danger: Danger::CodeExecution,
        advisory: "GHSA-7cq8-mj8x-j263",
    },
    Gadget {
        name: "idlelib.calltip.Calltip.fetch_tip",
        danger: Danger::CodeExecution,
        advisory: "GHSA-8r4j-24qv-fmq9",
    },
    Gadget {
        name: "idlelib.calltip.get_entity",
        danger: Danger::CodeExecution,
        advisory: "GHSA-9xph-j2h6-g47v",
    },
    Gadget {
        name: "idlelib.run.Executive.runcode",
        danger: Danger::CodeExecution,
        advisory: "GHSA-m869-42cg-3xwr",
    },
    Gadget {
        name: "idlelib.pyshell.ModifiedInterpreter.runcommand",
        danger: Danger::CodeExecution,
        advisory: "GHSA-j343-8v2j-ff7w",
    },
    Gadget {
        name: "idlelib.pyshell.ModifiedInterpreter.runcode",
        danger: Danger::CodeExecution,
        advisory: "GHSA-3gf5-cxq9-w223",
    },
    Gadget {
        name: "code.InteractiveInterpreter.runcode",
        danger: Danger::CodeExecution,
        advisory: "GHSA-cj3c-v495-4xqh",
    },
    Gadget {
        name: "code.InteractiveInterpreter.runsource",
        danger: Danger::CodeExecution,
        advisory: "GHSA-q5qq-mvfm-j35x",
    },
    Gadget {
        name: "doctest.debug_script",
        danger: Danger::CodeExecution,
        advisory: "GHSA-fqq6-7vqf-w3fg",
    },
    Gadget {
        name: "doctest",
        danger: Danger::CodeExecution,
        advisory: "GHSA-pc6j-px3p-rrj4",
    },
    Gadget {
        name: "unittest",
        danger: Danger::CodeExecution,
        advisory: "GHSA-pc6j-px3p-rrj4",
    },
    Gadget {
        name: "runpy",
        danger: Danger::CodeExecution,
        advisory: "GHSA-wfq2-52f7-7qvj",
    },
    Gadget {
        name: "_interpreters",
        danger: Danger::CodeExecution,
        advisory: "GHSA-6ggj-6f2q-f7mx",
    },
    Gadget {
        name: "_xxsubinterpreters",
        danger: Danger::CodeExecution,
        advisory: "GHSA-6ggj-6f2q-f7mx",
    },
    Gadget {
        name: "numpy.f2py.crackfortran.getlincoef",
        danger: Danger::CodeExecution,
        advisory: "GHSA-r8g5-cgf2-4m4m",
    },
    Gadget {
        name: "numpy.f2py.crackfortran.myeval",
        danger: Danger::CodeExecution,
        advisory: "GHSA-3329-ghmp-jmv5",
    },
    Gadget {
        name: "numpy.f2py.crackfortran.param_eval",
        danger: Danger::CodeExecution,
        advisory: "GHSA-cffc-mxrf-mhh4",
    },
    Gadget {
        name: "numpy.f2py.crackfortran._eval_length",
        danger: Danger::CodeExecution,
        advisory: "GHSA-6556-fwc2-fg2p",
    },
    Gadget {
        name: "types.CodeType",
        danger: Danger::CodeExecution,
        advisory: "GHSA-9m3x-qqw2-h32h",
    },
    Gadget {
        name: "types.FunctionType",
        danger: Danger::CodeExecution,
        advisory: "GHSA-565g-hwwr-4pp3",
    },
    Gadget {
        name: "uuid._get_command_stdout",
        danger: Danger::CodeExecution,
        advisory: "GHSA-g38g-8gr9-h9xp",
    },
    Gadget {
        name: "_osx_support",
        danger: Danger::CodeExecution,
        advisory: "GHSA-g38g-8gr9-h9xp",
    },
    Gadget {
        name: "_aix_support",
        danger: Danger::CodeExecution,
        advisory: "GHSA-g38g-8gr9-h9xp",
    },
    Gadget {
        name: "imaplib.IMAP4_stream",
        danger: Danger::CodeExecution,
        advisory: "GHSA-g38g-8gr9-h9xp",
    },
    Gadget {
        name: "_pyrepl",
        danger: Danger::CodeExecution,
        advisory: "GHSA-g38g-8gr9-h9xp",
    },
    Gadget {
        name: "test.support",
        danger: Danger::CodeExecution,
        advisory: "GHSA-g38g-8gr9-h9xp",
    },
    Gadget {
        name: "test",
        danger: Danger::CodeExecution,
        advisory: "GHSA-pc6j-px3p-rrj4",
    },
    Gadget {
        name: "asyncio.unix_events._UnixSubprocessTransport._start",
        danger: Danger::CodeExecution,
        advisory: "GHSA-q77w-mwjj-7mqx",
    },
    Gadget {
        name: "ensurepip",
        danger: Danger::CodeExecution,
        advisory: "GHSA-xp4f-hrf8-rxw7",
    },
    Gadget {
        name: "pip",
        danger: Danger::CodeExecution,
        advisory: "GHSA-655q-fx9r-782v",
    },
    Gadget {
        name: "pty",
        danger: Danger::CodeExecution,
        advisory: "GHSA-vqmv-47xg-9wpr",
    },
    Gadget {
        name: "multiprocessing.util.spawnv_passfds",
        danger: Danger::CodeExecution,
        advisory: "GHSA-q5qq-mvfm-j35x",
    },
    Gadget {
        name: "_posixsubprocess",
        danger: Danger::CodeExecution,
        advisory: "GHSA-m6fh-58r7-x697",
    },
    Gadget {
        name: "site.execsitecustomize",
        danger: Danger::CodeExecution,
        advisory: "GHSA-m6fh-58r7-x697",
    },
    Gadget {
        name: "atexit",
        danger: Danger::CodeExecution,
        advisory: "GHSA-m6fh-58r7-x697",
    },
    Gadget {
        name: "platform",
        danger: Danger::CodeExecution,
        advisory: "GHSA-5cxw-w2xg-2m8h",
    },
    Gadget {
        name: "ctypes",
        danger: Danger::CodeExecution,
        advisory: "GHSA-4675-36f9-wf6r",
    },
    Gadget {
        name: "pkgutil.resolve_name",
        danger: Danger::Trampoline,
        advisory: "GHSA-vvpj-8cmc-gx39",
    },
    Gadget {
        name: "pydoc.locate",
        danger: Danger::Trampoline,
        advisory: "GHSA-5hvc-6wx8-mvv4",
    },
    Gadget {
        name: "operator.methodcaller",
        danger: Danger::Trampoline,
        advisory: "GHSA-84r2-jw7c-4r5q",
    },
    Gadget {
        name: "operator.attrgetter",
        danger: Danger::Trampoline,
        advisory: "GHSA-46h3-79wf-xr6c",
    },
    Gadget {
        name: "builtins.getattr",
        danger: Danger::Trampoline,
        advisory: "GHSA-h4rm-mm56-xf63",
    },
    Gadget {
        name: "builtins.__import__",
        danger: Danger::CodeExecution,
        advisory: "GHSA-h4rm-mm56-xf63",
    },
    Gadget {
        name: "importlib.import_module",
        danger: Danger::Trampoline,
        advisory: "GHSA-q5qq-mvfm-j35x",
    },
    Gadget {
        name: "gc",
        danger: Danger::Trampoline,
        advisory: "GHSA-r48f-3986-4f9c",
    },
    Gadget {
        name: "distutils.file_util",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-m273-6v24-x4m4",
    },
    Gadget {
        name: "_io.FileIO",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-9726-w42j-3qjr",
    },
    Gadget {
        name: "io.FileIO",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-9726-w42j-3qjr",
    },
    Gadget {
        name: "urllib.request",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-9726-w42j-3qjr",
    },
    Gadget {
        name: "logging.FileHandler",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-m7j5-r2p5-c39r",
    },
    Gadget {
        name: "linecache",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-r48f-3986-4f9c",
    },
    Gadget {
        name: "difflib",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-r48f-3986-4f9c",
    },
    Gadget {
        name: "smtplib",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-mxhj-88fx-4pcv",
    },
    Gadget {
        name: "socketserver",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-mhc9-48gj-9gp3",
    },
    Gadget {
        name: "compileall",
        danger: Danger::CodeExecution,
        advisory: "GHSA-mhc9-48gj-9gp3",
    },
    Gadget {
        name: "py_compile",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-mhc9-48gj-9gp3",
    },
    Gadget {
        name: "mmap",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-mhc9-48gj-9gp3",
    },
    Gadget {
        name: "tarfile",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-mhc9-48gj-9gp3",
    },
    Gadget {
        name: "zipfile",
        danger: Danger::NetworkOrFile,
        advisory: "GHSA-mhc9-48gj-9gp3",
    },
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
    if canonical_module(module) == "__main__" && is_own_class(name) {
        return Class::Suspicious;
    }
    // The name and each dotted parent, longest first: `os.path.join`,
    // `os.path`, `os`. A published gadget is named before a generic
    // module-wide entry would be.
    let mut prefix = full.as_str();
    loop {
        if let Some(g) = GADGETS.iter().find(|g| g.name == prefix) {
            return Class::Gadget(g);
        }
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
    // TorchScript's own types: the archive's code/ defines them in
    // TorchScript, which torch.jit.load compiles; no Python module of that
    // name exists for a plain unpickler to import.
    if full.starts_with("__torch__.") {
        return Class::Allowed;
    }
    if !name.contains('.')
        && is_class_name(name)
        && CLASS_PACKAGES.iter().any(|p| full.starts_with(p))
    {
        return Class::Allowed;
    }
    Class::Suspicious
}

/// Capitalised, after any leading underscores: scikit-learn's private
/// classes (`_BinMapper`) are classes too.
/// A class the loading program defines itself: `torch.save(model)` run
/// from a script or notebook pickles the model as `__main__.Net`. Its code
/// is the loader's own, not the file's, so calling it is an unknown call to
/// review (high), not a known payload. Everything else under `__main__`
/// stays denied: a function, a dotted path (`__main__.os.system`), or a
/// class the loader may have imported from a dangerous module (`from
/// subprocess import Popen` makes `__main__.Popen` the real one).
fn is_own_class(name: &str) -> bool {
    if name.contains('.') || !is_class_name(name) {
        return false;
    }
    let leaf_of = |dotted: &str| dotted.rsplit('.').next() == Some(name);
    !(IMPORTED_DANGEROUS_CLASSES.contains(&name)
        || DENIED.iter().any(|(d, _)| leaf_of(d))
        || GADGETS.iter().any(|g| leaf_of(g.name)))
}

/// Classes of dangerous modules that a script commonly imports by name, so
/// that they are reachable as `__main__.<name>`, and that act when merely
/// called with the file's arguments: they run a command, load a native
/// library, start processes, or create or truncate a file.
const IMPORTED_DANGEROUS_CLASSES: &[&str] = &[
    "Popen",
    "CDLL",
    "PyDLL",
    "WinDLL",
    "OleDLL",
    "LibraryLoader",
    "Pool",
    "FileIO",
    "ZipFile",
    "PyZipFile",
    "TarFile",
];

fn is_class_name(name: &str) -> bool {
    name.trim_start_matches('_')
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
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
    fn a_class_of_the_loading_program_is_unknown_but_its_imports_are_not() {
        // torch.save(model) from a script: the model's own class.
        for n in ["NeuralNetwork", "Net", "_PrivateBlock"] {
            assert_eq!(classify("__main__", n), Class::Suspicious, "{n}");
        }
        // What the script may have imported from a dangerous module, a
        // function, or a path through a module the script imported.
        for n in [
            "Popen",
            "CDLL",
            "system",
            "os.system",
            "Net.__init__",
            "exec",
            "run_cprofile",
        ] {
            assert!(classify("__main__", n).danger().is_some(), "{n}");
        }
    }

    #[test]
    fn dangerous_names_resolve_like_cpython() {
        assert_eq!(
            classify("posix", "system").danger(),
            Some(Danger::CodeExecution)
        );
        assert_eq!(
            classify("nt", "system").danger(),
            Some(Danger::CodeExecution)
        );
        assert_eq!(
            classify("__builtin__", "eval").danger(),
            Some(Danger::CodeExecution)
        );
        assert_eq!(
            classify("builtins", "getattr").danger(),
            Some(Danger::Trampoline)
        );
        assert_eq!(
            classify("_operator", "attrgetter").danger(),
            Some(Danger::Trampoline)
        );
        assert_eq!(
            classify("cPickle", "loads").danger(),
            Some(Danger::NestedLoader)
        );
        assert_eq!(
            classify("asyncio.unix_events", "_UnixSubprocessTransport._start").danger(),
            Some(Danger::CodeExecution)
        );
        assert_eq!(
            classify("torch.utils.collect_env", "run").danger(),
            Some(Danger::CodeExecution)
        );
        assert_eq!(
            classify("pkgutil", "resolve_name").danger(),
            Some(Danger::Trampoline)
        );
        // Protocol 4 qualname through a harmless module.
        assert_eq!(
            classify("tempfile", "_os.system").danger(),
            Some(Danger::NetworkOrFile)
        );
        assert_eq!(
            classify("collections", "abc.__builtins__").danger(),
            Some(Danger::Trampoline)
        );
        assert_eq!(
            classify("sklearn.utils", "_os.system").danger(),
            Some(Danger::Trampoline)
        );
    }

    /// Every global that real checkpoints of PyTorch, NumPy, scikit-learn,
    /// joblib, pandas, XGBoost and LightGBM reference is allowed
    /// (tests/fixtures/models/frameworks.py and legacy_pandas.py wrote them
    /// with the frameworks themselves, into framework_globals*.json).
    #[test]
    fn what_real_framework_checkpoints_use_is_allowed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/models");
        let mut all = Vec::new();
        for globals in crate::corpus_json(std::path::Path::new(dir), "framework_globals") {
            all.extend(
                globals["all"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g.as_str().unwrap().to_string()),
            );
        }
        assert!(all.len() > 100, "{}", all.len());
        let refused: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|g| {
                // The module is everything up to the last dot but for
                // class qualnames, which the files write as module.Class.
                let (module, name) = g.rsplit_once('.').unwrap();
                classify(module, name) != Class::Allowed
            })
            .collect();
        assert!(refused.is_empty(), "{refused:?}");
    }

    #[test]
    fn published_gadgets_are_named_by_their_advisory() {
        for (m, n, advisory) in [
            ("uuid", "_get_command_stdout", "GHSA-g38g-8gr9-h9xp"),
            ("_aix_support", "_read_cmd_output", "GHSA-g38g-8gr9-h9xp"),
            (
                "torch._dynamo.guards",
                "GuardBuilder.get",
                "GHSA-86cj-95qr-2p4f",
            ),
            ("_operator", "attrgetter", "GHSA-46h3-79wf-xr6c"),
            ("_pyrepl.pager", "pipe_pager", "GHSA-g38g-8gr9-h9xp"),
            (
                "test.support.script_helper",
                "assert_python_ok",
                "GHSA-g38g-8gr9-h9xp",
            ),
            ("_io", "FileIO", "GHSA-9726-w42j-3qjr"),
        ] {
            match classify(m, n) {
                Class::Gadget(g) => assert_eq!(g.advisory, advisory, "{m}.{n}"),
                other => panic!("{m}.{n}: {other:?}"),
            }
        }
        // uuid.UUID stays data; only the helper is a gadget.
        assert_eq!(classify("uuid", "UUID"), Class::Allowed);
        for url in advisory_urls() {
            assert!(
                url.starts_with("https://github.com/advisories/GHSA-"),
                "{url}"
            );
        }
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
