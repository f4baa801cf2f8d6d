use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::rc::Rc;

use crate::input::{FrameReading, Input, ReadError};

/// Strings and bytes longer than this keep only their length and offset.
const KEEP_BYTES: usize = 4 << 10;
/// Collections keep this many items (enough for call arguments and the
/// small dicts that joblib and NumPy pass to BUILD).
const KEEP_ITEMS: usize = 32;

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_opcodes: u64,
    pub max_memo: usize,
    pub max_stack: usize,
    /// Pickles nested in pickles (nested loaders, joblib object arrays).
    pub max_depth: usize,
    /// Pickles stacked one after another in one stream.
    pub max_stacked: usize,
    /// Events of one stream, nested pickles included. Imports and calls
    /// are recorded once each, so only opcodes that are reported every
    /// time (unresolved calls, BUILD on a global) reach this; each is a
    /// finding, and a report has no use for a million of them.
    pub max_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_opcodes: 2_000_000_000,
            max_memo: 4_000_000,
            max_stack: 4_000_000,
            max_depth: 8,
            max_stacked: 64,
            max_events: 100_000,
        }
    }
}

/// Something security-relevant the pickle does.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Offset of the opcode in the scanned stream.
    pub offset: u64,
    pub kind: EventKind,
    /// Nesting: empty for the top-level stream, else the offsets of the
    /// nested payloads that led here.
    pub path: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A global was referenced (GLOBAL, STACK_GLOBAL, INST).
    Import { module: String, name: String },
    /// A global was called; `opcode` names how.
    Call {
        module: String,
        name: String,
        opcode: &'static str,
    },
    /// STACK_GLOBAL whose operands are not constant strings, an EXT code
    /// (a runtime registry lookup), or a memo reference to nothing: the
    /// callable cannot be known, so the scan fails closed.
    Unresolved {
        opcode: &'static str,
        detail: String,
    },
    /// BUILD on a module or class (sets attributes on it).
    BuildOnGlobal { module: String, name: String },
    /// A nested loader was called with a payload that was not rescanned.
    PayloadNotScanned { detail: String },
}

/// How the stream ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Every pickle ended with STOP; `trailing` bytes followed that are not a pickle.
    Complete { trailing: u64 },
    /// Not a valid pickle (bad opcode, truncated, stack underflow, ...).
    Invalid { offset: u64, reason: String },
    /// A limit was reached; what was seen until then is reported.
    Incomplete { offset: u64, limit: String },
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub stop: Stop,
    /// Highest protocol seen.
    pub protocol: u8,
    /// Pickles parsed one after another.
    pub pickles: usize,
    pub opcodes: u64,
    /// Raw joblib array payloads skipped, in bytes.
    pub raw_array_bytes: u64,
    /// The legacy PyTorch magic number was the first pickle.
    pub torch_legacy: bool,
    /// Where reading the stream from a file (as `torch.load` does) parts
    /// from reading it in order, because an operand or a frame runs past a
    /// FRAME's end: the stream must be scanned both ways.
    pub frames_diverge: Option<u64>,
}

/// A value as the unpickler would hold it, summarised.
///
/// Values nest as deep as the pickle says (a million nested lists take two
/// million bytes), so nothing may walk them recursively: `Drop` and
/// `Debug` are written out below, and no helper looks deeper than the few
/// levels that call arguments and BUILD states have.
///
/// Nothing inside a container is ever mutated (see [`frozen`]), so values
/// form no cycles, which reference counting could not free.
#[derive(Clone)]
enum Value {
    None,
    Bool,
    Int(i128),
    BigInt,
    Float,
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    /// A string or bytes too long to keep: its length.
    Long {
        len: u64,
    },
    Tuple(Rc<[Value]>),
    List(Rc<RefCell<Vec<Value>>>),
    Dict(Rc<RefCell<Vec<(Value, Value)>>>),
    Set,
    Global(Rc<Global>),
    Object(Rc<Object>),
    /// Out-of-band buffer, persistent id result, or anything opaque.
    Opaque,
}

#[derive(Debug)]
struct Global {
    module: String,
    name: String,
}

/// The result of a call. (The state BUILD gives it is judged when BUILD
/// runs and not kept: nothing reads it later, and keeping it would let an
/// object hold itself.)
struct Object {
    /// The class or callable that produced it.
    origin: Option<Rc<Global>>,
    args: Option<Value>,
}

fn push_capped<T>(v: &mut Vec<T>, item: T) {
    if v.len() < KEEP_ITEMS {
        v.push(item);
    }
}

/// `v` as it may be stored inside a container or an object: a list or
/// dict that the stack or the memo still holds is copied, so the stored
/// one can never be reached by APPEND, SETITEM and the like. What is
/// inside a container is then never mutated, and `l.append(l)` stores a
/// copy of `l` instead of making a cycle. (Nothing reads a list or dict
/// inside another value after later mutations, so the copy loses nothing.)
fn frozen(v: Value) -> Value {
    match &v {
        Value::List(l) if Rc::strong_count(l) > 1 => {
            Value::List(Rc::new(RefCell::new(l.borrow().clone())))
        }
        Value::Dict(d) if Rc::strong_count(d) > 1 => {
            Value::Dict(Rc::new(RefCell::new(d.borrow().clone())))
        }
        _ => v,
    }
}

impl Value {
    fn has_children(&self) -> bool {
        matches!(
            self,
            Value::Tuple(_) | Value::List(_) | Value::Dict(_) | Value::Object(_)
        )
    }
}

impl Drop for Value {
    /// Iterative: the derived drop recurses once per nesting level and
    /// overflows the stack on a deeply nested pickle.
    fn drop(&mut self) {
        if !self.has_children() {
            return;
        }
        let mut pending = Vec::new();
        take_children(self, &mut pending);
        // Each value popped here has had its children moved out, so
        // dropping it recurses no further.
        while let Some(mut v) = pending.pop() {
            take_children(&mut v, &mut pending);
        }
    }
}

/// Move into `out` the children of `v` that only `v` holds; shared ones are
/// left for their last holder to drop.
fn take_children(v: &mut Value, out: &mut Vec<Value>) {
    let take = |c: &mut Value| std::mem::replace(c, Value::None);
    match v {
        Value::Tuple(items) => {
            if let Some(items) = Rc::get_mut(items) {
                out.extend(items.iter_mut().filter(|c| c.has_children()).map(take));
            }
        }
        Value::List(l) => {
            if let Some(l) = Rc::get_mut(l) {
                out.extend(l.get_mut().drain(..).filter(Value::has_children));
            }
        }
        Value::Dict(d) => {
            if let Some(d) = Rc::get_mut(d) {
                for (key, value) in d.get_mut().drain(..) {
                    out.extend([key, value].into_iter().filter(Value::has_children));
                }
            }
        }
        Value::Object(o) => {
            if let Some(o) = Rc::get_mut(o) {
                out.extend(o.args.take());
            }
        }
        _ => {}
    }
}

impl std::fmt::Debug for Value {
    /// Only the kind: formatting the contents would recurse as deep as
    /// the pickle nests.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(kind(self))
    }
}

enum Flow {
    Continue,
    Stop,
}

/// A pickle inside this one, found by an opcode and scanned by `run` once
/// that opcode is done: the recursion then does not carry `step`'s large
/// frame, and nesting `max_depth` levels stays far from the stack's end.
enum Nested {
    /// The constant payload given to a nested loader.
    Payload { bytes: Rc<[u8]>, at: u64 },
    /// A joblib object array: one pickle, next in the stream.
    ObjectArray { at: u64 },
}

struct Vm<'a, R: Read> {
    input: &'a mut Input<R>,
    limits: &'a Limits,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
    shared: &'a mut Shared,
    path: Vec<u64>,
    depth: usize,
    opcodes: u64,
    protocol: u8,
    raw_array_bytes: u64,
    nested: Option<Nested>,
}

/// What the pickles of one stream share, nested ones included.
#[derive(Default)]
struct Shared {
    events: Vec<Event>,
    /// Imports and calls already recorded, with the nesting path: a
    /// billion references to one name would otherwise be a billion events
    /// (and looking for them in `events` took time quadratic in the file).
    seen: HashSet<(Vec<u64>, EventKind)>,
    /// Embedded payloads already scanned. A payload is a constant that a
    /// pickle can hand to `pickle.loads` any number of times, each copy
    /// doing the same again one level down: rescanning it each time grows
    /// exponentially with the depth, and finds nothing new.
    payloads: HashSet<Rc<[u8]>>,
}

/// A failure inside one pickle.
enum Fail {
    Invalid(u64, String),
    Limit(u64, String),
}

impl From<ReadError> for Fail {
    fn from(e: ReadError) -> Self {
        Fail::Invalid(u64::MAX, e.to_string())
    }
}

type Res<T> = Result<T, Fail>;

/// Scan a stream of one or more pickles.
/// Scan a stream as `pickle.loads` reads it: in order.
pub fn scan<R: Read>(reader: R, limits: &Limits) -> Outcome {
    scan_reading(reader, limits, FrameReading::InOrder)
}

/// Scan a stream as CPython's C unpickler reads it from a file, where
/// frames are buffers (see [`FrameReading`]).
pub fn scan_as_file_read<R: Read>(reader: R, limits: &Limits) -> Outcome {
    scan_reading(reader, limits, FrameReading::FromFile)
}

fn scan_reading<R: Read>(reader: R, limits: &Limits, reading: FrameReading) -> Outcome {
    let mut input = Input::new(reader).frame_reading(reading);
    let mut shared = Shared::default();
    let mut outcome = scan_input(
        &mut input,
        limits,
        &mut shared,
        Vec::new(),
        0,
        limits.max_stacked,
    );
    outcome.events = shared.events;
    outcome.frames_diverge = input.frames_diverge();
    outcome
}

/// Parse up to `max_pickles` pickles from `input`, appending to the shared events.
fn scan_input<R: Read>(
    input: &mut Input<R>,
    limits: &Limits,
    shared: &mut Shared,
    path: Vec<u64>,
    depth: usize,
    max_pickles: usize,
) -> Outcome {
    let mut outcome = Outcome {
        events: Vec::new(),
        stop: Stop::Complete { trailing: 0 },
        protocol: 0,
        pickles: 0,
        opcodes: 0,
        raw_array_bytes: 0,
        torch_legacy: false,
        frames_diverge: None,
    };
    loop {
        let start = input.offset();
        let mut vm = Vm::new(&mut *input, limits, &mut *shared, path.clone(), depth);
        let result = vm.run();
        let (opcodes, protocol, raw) = (vm.opcodes, vm.protocol, vm.raw_array_bytes);
        let top = vm.stack.pop();
        outcome.opcodes += opcodes;
        outcome.protocol = outcome.protocol.max(protocol);
        outcome.raw_array_bytes += raw;
        match result {
            Ok(()) => {}
            Err(Fail::Invalid(off, reason)) => {
                let offset = if off == u64::MAX { input.offset() } else { off };
                // After a complete pickle, what does not parse is trailing
                // data (loaders read one pickle); whatever it did before
                // failing was still recorded.
                outcome.stop = if outcome.pickles > 0 {
                    Stop::Complete {
                        trailing: input.offset() - start + remaining(input),
                    }
                } else {
                    Stop::Invalid { offset, reason }
                };
                break;
            }
            Err(Fail::Limit(off, limit)) => {
                outcome.stop = Stop::Incomplete { offset: off, limit };
                break;
            }
        }
        outcome.pickles += 1;
        if outcome.pickles == 1 && matches!(top, Some(Value::Int(m)) if m == 0x1950a86a20f9469cfc6c)
        {
            outcome.torch_legacy = true;
        }
        // Legacy PyTorch files hold five pickles, then raw storage bytes.
        if outcome.torch_legacy && outcome.pickles == 5 {
            outcome.stop = Stop::Complete {
                trailing: remaining(input),
            };
            break;
        }
        if outcome.pickles >= max_pickles && max_pickles < limits.max_stacked {
            break;
        }
        match input.at_end() {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => {
                outcome.stop = Stop::Invalid {
                    offset: input.offset(),
                    reason: e.to_string(),
                };
                break;
            }
        }
        if outcome.pickles >= limits.max_stacked {
            outcome.stop = Stop::Incomplete {
                offset: input.offset(),
                limit: format!("more than {} pickles in one stream", limits.max_stacked),
            };
            break;
        }
        // Another pickle follows only if it starts like one.
        match input.peek() {
            Ok(Some(b)) if is_pickle_start(b) => continue,
            _ => {
                outcome.stop = Stop::Complete {
                    trailing: remaining(input),
                };
                break;
            }
        }
    }
    outcome
}

/// Count (and consume) what is left of the stream.
fn remaining<R: Read>(input: &mut Input<R>) -> u64 {
    let start = input.offset();
    while let Ok(false) = input.at_end() {
        input.skip_buffered();
    }
    input.offset() - start
}

/// A byte a pickle stream can start with: PROTO, or a protocol 0/1 opcode
/// that begins a value.
pub fn is_pickle_start(b: u8) -> bool {
    matches!(
        b,
        0x80 | b'('
            | b'c'
            | b']'
            | b'}'
            | b')'
            | b'N'
            | b'I'
            | b'J'
            | b'K'
            | b'L'
            | b'M'
            | b'F'
            | b'G'
            | b'S'
            | b'T'
            | b'U'
            | b'V'
            | b'X'
            | b'd'
            | b'l'
            | b'i'
            | b'P'
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl<'a, R: Read> Vm<'a, R> {
    fn new(
        input: &'a mut Input<R>,
        limits: &'a Limits,
        shared: &'a mut Shared,
        path: Vec<u64>,
        depth: usize,
    ) -> Self {
        Vm {
            input,
            limits,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            shared,
            path,
            depth,
            opcodes: 0,
            protocol: 0,
            raw_array_bytes: 0,
            nested: None,
        }
    }

    fn invalid<T>(&self, at: u64, reason: impl Into<String>) -> Res<T> {
        Err(Fail::Invalid(at, reason.into()))
    }

    fn pop(&mut self, at: u64) -> Res<Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return self.invalid(at, "stack underflow");
        }
        Ok(self.stack.pop().expect("checked"))
    }

    fn top(&mut self, at: u64) -> Res<&mut Value> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return self.invalid(at, "stack underflow");
        }
        Ok(self.stack.last_mut().expect("checked"))
    }

    fn push(&mut self, v: Value, at: u64) -> Res<()> {
        if self.stack.len() >= self.limits.max_stack {
            return Err(Fail::Limit(
                at,
                format!("stack deeper than {} values", self.limits.max_stack),
            ));
        }
        self.stack.push(v);
        Ok(())
    }

    /// Pop everything down to the last MARK.
    fn pop_mark(&mut self, at: u64) -> Res<Vec<Value>> {
        let Some(mark) = self.marks.pop() else {
            return self.invalid(at, "no MARK on the stack");
        };
        Ok(self.stack.split_off(mark))
    }

    fn event(&mut self, offset: u64, kind: EventKind) {
        // Each distinct import and call once per stream (the first is the
        // one reported).
        let kind = if matches!(kind, EventKind::Import { .. } | EventKind::Call { .. }) {
            let key = (self.path.clone(), kind);
            if self.shared.seen.contains(&key) {
                return;
            }
            let kind = key.1.clone();
            self.shared.seen.insert(key);
            kind
        } else {
            kind
        };
        self.shared.events.push(Event {
            offset,
            kind,
            path: self.path.clone(),
        });
    }

    fn global(&mut self, module: String, name: String, at: u64) -> Value {
        self.event(
            at,
            EventKind::Import {
                module: module.clone(),
                name: name.clone(),
            },
        );
        Value::Global(Rc::new(Global { module, name }))
    }

    fn memo_put(&mut self, key: u64, at: u64) -> Res<()> {
        let v = self.top(at)?.clone();
        if self.memo.len() >= self.limits.max_memo && !self.memo.contains_key(&key) {
            return Err(Fail::Limit(
                at,
                format!("more than {} memo entries", self.limits.max_memo),
            ));
        }
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&mut self, key: u64, at: u64, opcode: &'static str) -> Res<()> {
        match self.memo.get(&key) {
            Some(v) => {
                let v = v.clone();
                self.push(v, at)
            }
            None => {
                // CPython raises here; a scanner that gives up would report
                // nothing, so this is reported and the scan goes on.
                self.event(
                    at,
                    EventKind::Unresolved {
                        opcode,
                        detail: format!("memo key {key} was never stored"),
                    },
                );
                self.push(Value::Opaque, at)
            }
        }
    }

    fn read_str(&mut self, len: u64, at: u64) -> Res<Value> {
        if len as usize <= KEEP_BYTES {
            let bytes = self.input.vec(len as usize)?;
            Ok(Value::Str(Rc::from(text(&bytes).as_str())))
        } else {
            self.input
                .skip(len)
                .map_err(|e| Fail::Invalid(at, format!("string of {len} bytes: {e}")))?;
            Ok(Value::Long { len })
        }
    }

    fn read_bytes(&mut self, len: u64, at: u64) -> Res<Value> {
        if len as usize <= KEEP_BYTES {
            Ok(Value::Bytes(Rc::from(self.input.vec(len as usize)?)))
        } else {
            self.input
                .skip(len)
                .map_err(|e| Fail::Invalid(at, format!("bytes of {len} bytes: {e}")))?;
            Ok(Value::Long { len })
        }
    }

    fn line(&mut self, at: u64) -> Res<Vec<u8>> {
        match self.input.line(1 << 20)? {
            Some(l) => Ok(l),
            None => self.invalid(at, "text operand longer than 1 MiB"),
        }
    }

    /// Record a call of `callee` and return its result.
    fn call(
        &mut self,
        callee: &Value,
        args: Option<Value>,
        opcode: &'static str,
        at: u64,
    ) -> Value {
        let args = args.map(frozen);
        match callee {
            Value::Global(g) => {
                self.event(
                    at,
                    EventKind::Call {
                        module: g.module.clone(),
                        name: g.name.clone(),
                        opcode,
                    },
                );
                let qual = super::policy::qualified(&g.module, &g.name);
                // Helpers that call what they are given: the classes and
                // functions among their arguments are called too.
                if matches!(
                    qual.as_str(),
                    "copyreg._reconstructor"
                        | "copyreg.__newobj__"
                        | "torch._tensor._rebuild_from_type_v2"
                ) && let Some(Value::Tuple(items)) = &args
                {
                    for item in items.iter().take(2) {
                        if let Value::Global(inner) = item {
                            self.event(
                                at,
                                EventKind::Call {
                                    module: inner.module.clone(),
                                    name: inner.name.clone(),
                                    opcode,
                                },
                            );
                        }
                    }
                }
                self.nested_loader(&qual, args.as_ref(), at);
                let origin = if qual == "copyreg._reconstructor" || qual == "copyreg.__newobj__" {
                    match &args {
                        Some(Value::Tuple(items)) => match items.first() {
                            Some(Value::Global(cls)) => Some(cls.clone()),
                            _ => Some(g.clone()),
                        },
                        _ => Some(g.clone()),
                    }
                } else {
                    Some(g.clone())
                };
                Value::Object(Rc::new(Object { origin, args }))
            }
            Value::Object(o) => {
                // Calling the result of a call (e.g. getattr(...)(...)): the
                // callee is whatever the first call returned.
                let detail = match &o.origin {
                    Some(g) => format!("calls the result of {}.{}", g.module, g.name),
                    None => "calls a computed value".into(),
                };
                self.event(at, EventKind::Unresolved { opcode, detail });
                Value::Object(Rc::new(Object { origin: None, args }))
            }
            other => {
                self.event(
                    at,
                    EventKind::Unresolved {
                        opcode,
                        detail: format!("calls a non-global value ({})", kind(other)),
                    },
                );
                Value::Object(Rc::new(Object { origin: None, args }))
            }
        }
    }

    /// `pickle.loads(b"...")` and friends: scan the embedded payload.
    fn nested_loader(&mut self, qual: &str, args: Option<&Value>, at: u64) {
        let loader = matches!(
            qual,
            "pickle.loads"
                | "pickle._loads"
                | "dill.loads"
                | "cloudpickle.loads"
                | "torch.load"
                | "torch.serialization.load"
                | "joblib.load"
                | "numpy.load"
                | "pickle.load"
                | "pandas.read_pickle"
        );
        if !loader {
            return;
        }
        let payload = match args {
            Some(Value::Tuple(items)) => items.first().cloned(),
            _ => None,
        };
        // io.BytesIO(b"...") is the usual wrapper for the file-taking loaders.
        let payload = match &payload {
            Some(Value::Object(o))
                if o.origin.as_ref().is_some_and(|g| {
                    matches!(
                        super::policy::qualified(&g.module, &g.name).as_str(),
                        "io.BytesIO"
                    )
                }) =>
            {
                match &o.args {
                    Some(Value::Tuple(items)) => items.first().cloned(),
                    _ => None,
                }
            }
            _ => payload,
        };
        match &payload {
            Some(Value::Bytes(bytes)) => {
                if self.depth + 1 > self.limits.max_depth {
                    self.event(
                        at,
                        EventKind::PayloadNotScanned {
                            detail: format!("nested deeper than {} levels", self.limits.max_depth),
                        },
                    );
                    return;
                }
                if !self.shared.payloads.insert(bytes.clone()) {
                    // Scanned already; what it does was recorded then.
                    return;
                }
                self.nested = Some(Nested::Payload {
                    bytes: bytes.clone(),
                    at,
                });
            }
            &Some(Value::Long { len }) => self.event(
                at,
                EventKind::PayloadNotScanned {
                    detail: format!("a {len}-byte payload was not kept for rescanning"),
                },
            ),
            Some(Value::Str(_)) => {}
            _ => self.event(
                at,
                EventKind::PayloadNotScanned {
                    detail: "the payload is computed, not a constant".into(),
                },
            ),
        }
    }

    /// BUILD: `state` applied to the top of the stack.
    fn build(&mut self, at: u64) -> Res<()> {
        let state = self.pop(at)?;
        let target = self.top(at)?.clone();
        match &target {
            Value::Global(g) => {
                let (module, name) = (g.module.clone(), g.name.clone());
                self.event(at, EventKind::BuildOnGlobal { module, name });
            }
            Value::Object(o) => {
                if let Some(g) = &o.origin {
                    let qual = super::policy::qualified(&g.module, &g.name);
                    // __setstate__ of the object's class runs.
                    if !matches!(state, Value::None) {
                        self.event(
                            at,
                            EventKind::Call {
                                module: g.module.clone(),
                                name: g.name.clone(),
                                opcode: "BUILD",
                            },
                        );
                    }
                    if qual.ends_with("numpy_pickle.NumpyArrayWrapper") {
                        self.joblib_array(&state, at)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// joblib writes an array's bytes right after its wrapper's BUILD (or,
    /// for object arrays, a whole pickle). Skip the bytes; scan the pickle.
    fn joblib_array(&mut self, state: &Value, at: u64) -> Res<()> {
        let Value::Dict(d) = state else { return Ok(()) };
        let d = d.borrow();
        let get = |key: &str| {
            d.iter()
                .find(|(k, _)| matches!(k, Value::Str(s) if &**s == key))
                .map(|(_, v)| v.clone())
        };
        let dtype = get("dtype");
        let descr = match &dtype {
            Some(Value::Object(o)) => match &o.args {
                Some(Value::Tuple(items)) => match items.first() {
                    Some(Value::Str(s)) => Some(s.to_string()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let Some(descr) = descr else {
            return self.invalid(at, "joblib array wrapper without a readable dtype");
        };
        if descr.starts_with('O') {
            // Its elements may again be object arrays, each a level of
            // recursion here; the pickle cannot be skipped unparsed, so
            // going deeper ends the scan.
            if self.depth + 1 > self.limits.max_depth {
                return Err(Fail::Limit(
                    at,
                    format!(
                        "joblib object arrays nested deeper than {} levels",
                        self.limits.max_depth
                    ),
                ));
            }
            self.nested = Some(Nested::ObjectArray { at });
            return Ok(());
        }
        let itemsize = dtype_itemsize(&descr)
            .ok_or_else(|| Fail::Invalid(at, format!("joblib array of unknown dtype {descr:?}")))?;
        let mut count: u64 = 1;
        match &get("shape") {
            Some(Value::Tuple(dims)) => {
                for dim in dims.iter() {
                    match dim {
                        Value::Int(n) if *n >= 0 => count = count.saturating_mul(*n as u64),
                        _ => return self.invalid(at, "joblib array with a non-integer shape"),
                    }
                }
            }
            _ => return self.invalid(at, "joblib array without a shape"),
        }
        if let Some(Value::Int(_)) = get("numpy_array_alignment_bytes") {
            let padding = self.input.u8()?;
            self.input.skip(padding as u64)?;
        }
        let bytes = count.saturating_mul(itemsize);
        self.input
            .skip(bytes)
            .map_err(|e| Fail::Invalid(at, format!("joblib array of {bytes} bytes: {e}")))?;
        self.raw_array_bytes += bytes;
        Ok(())
    }

    fn scan_nested(&mut self, nested: Nested) -> Res<()> {
        let depth = self.depth + 1;
        match nested {
            Nested::Payload { bytes, at } => {
                let mut path = self.path.clone();
                path.push(at);
                let mut inner = Input::new(&bytes[..]);
                let max = self.limits.max_stacked;
                let sub = scan_input(&mut inner, self.limits, self.shared, path, depth, max);
                match &sub.stop {
                    Stop::Invalid { reason, .. } => self.event(
                        at,
                        EventKind::PayloadNotScanned {
                            detail: format!("the embedded payload is not a valid pickle: {reason}"),
                        },
                    ),
                    Stop::Incomplete { limit, .. } => self.event(
                        at,
                        EventKind::PayloadNotScanned {
                            detail: format!(
                                "the embedded payload was scanned only in part: {limit}"
                            ),
                        },
                    ),
                    Stop::Complete { .. } => {}
                }
                Ok(())
            }
            Nested::ObjectArray { at } => {
                let mut path = self.path.clone();
                path.push(at);
                // Exactly one pickle: the outer stream continues after it.
                let sub = scan_input(self.input, self.limits, self.shared, path, depth, 1);
                match sub.stop {
                    Stop::Invalid { offset, reason } => Err(Fail::Invalid(
                        offset,
                        format!("joblib object array: {reason}"),
                    )),
                    Stop::Incomplete { offset, limit } => Err(Fail::Limit(offset, limit)),
                    Stop::Complete { .. } => Ok(()),
                }
            }
        }
    }

    fn run(&mut self) -> Res<()> {
        loop {
            let at = self.input.offset();
            let op = match self.input.u8() {
                Ok(b) => b,
                Err(ReadError::Eof) => return self.invalid(at, "the pickle ends without STOP"),
                Err(e) => return Err(e.into()),
            };
            self.opcodes += 1;
            if self.opcodes > self.limits.max_opcodes {
                return Err(Fail::Limit(
                    at,
                    format!("more than {} opcodes", self.limits.max_opcodes),
                ));
            }
            if let Flow::Stop = self.step(op, at)? {
                return Ok(());
            }
            if let Some(nested) = self.nested.take() {
                self.scan_nested(nested)?;
            }
            if self.shared.events.len() > self.limits.max_events {
                return Err(Fail::Limit(
                    at,
                    format!(
                        "more than {} unresolved calls and other reported opcodes",
                        self.limits.max_events
                    ),
                ));
            }
        }
    }

    fn step(&mut self, op: u8, at: u64) -> Res<Flow> {
        let trunc = |e: ReadError| Fail::Invalid(at, format!("operand: {e}"));
        match op {
            // Framing and protocol.
            0x80 => {
                let p = self.input.u8().map_err(trunc)?;
                if p > 5 {
                    return self.invalid(at, format!("unsupported protocol {p}"));
                }
                self.protocol = self.protocol.max(p);
            }
            0x95 => {
                let len = u64::from_le_bytes(self.input.array::<8>().map_err(trunc)?);
                self.input.begin_frame(len).map_err(trunc)?;
            }
            b'.' => return Ok(Flow::Stop),
            // Stack manipulation.
            b'(' => {
                if self.marks.len() >= self.limits.max_stack {
                    return Err(Fail::Limit(at, "too many MARKs".into()));
                }
                self.marks.push(self.stack.len());
            }
            b'0' => {
                self.pop(at)?;
            }
            b'1' => {
                self.pop_mark(at)?;
            }
            b'2' => {
                let v = self.top(at)?.clone();
                self.push(v, at)?;
            }
            // Constants.
            b'N' => self.push(Value::None, at)?,
            0x88 => self.push(Value::Bool, at)?,
            0x89 => self.push(Value::Bool, at)?,
            b'I' => {
                let l = self.line(at)?;
                let v = match &l[..] {
                    b"00" => Value::Bool,
                    b"01" => Value::Bool,
                    digits => match std::str::from_utf8(digits)
                        .ok()
                        .and_then(|s| s.trim().parse::<i128>().ok())
                    {
                        Some(n) => Value::Int(n),
                        None => return self.invalid(at, "INT operand is not a number"),
                    },
                };
                self.push(v, at)?;
            }
            b'J' => {
                let n = i32::from_le_bytes(self.input.array::<4>().map_err(trunc)?);
                self.push(Value::Int(n as i128), at)?;
            }
            b'K' => {
                let n = self.input.u8().map_err(trunc)?;
                self.push(Value::Int(n as i128), at)?;
            }
            b'M' => {
                let n = u16::from_le_bytes(self.input.array::<2>().map_err(trunc)?);
                self.push(Value::Int(n as i128), at)?;
            }
            b'L' => {
                let l = self.line(at)?;
                let s = text(&l);
                let v = s
                    .trim_end_matches('L')
                    .trim()
                    .parse::<i128>()
                    .map(Value::Int)
                    .unwrap_or(Value::BigInt);
                self.push(v, at)?;
            }
            0x8a => {
                let n = self.input.u8().map_err(trunc)? as usize;
                let bytes = self.input.vec(n).map_err(trunc)?;
                self.push(long(&bytes), at)?;
            }
            0x8b => {
                let n = i32::from_le_bytes(self.input.array::<4>().map_err(trunc)?);
                if n < 0 {
                    return self.invalid(at, "LONG4 with a negative length");
                }
                let v = if n <= 16 {
                    long(&self.input.vec(n as usize).map_err(trunc)?)
                } else {
                    self.input.skip(n as u64).map_err(trunc)?;
                    Value::BigInt
                };
                self.push(v, at)?;
            }
            b'F' => {
                self.line(at)?;
                self.push(Value::Float, at)?;
            }
            b'G' => {
                self.input.array::<8>().map_err(trunc)?;
                self.push(Value::Float, at)?;
            }
            // Strings and bytes.
            b'S' => {
                let l = self.line(at)?;
                let s = unquote(&l)
                    .ok_or_else(|| Fail::Invalid(at, "STRING operand is not quoted".into()))?;
                self.push(Value::Str(Rc::from(s.as_str())), at)?;
            }
            b'V' => {
                let l = self.line(at)?;
                self.push(Value::Str(Rc::from(raw_unicode_escape(&l).as_str())), at)?;
            }
            b'T' => {
                let n = i32::from_le_bytes(self.input.array::<4>().map_err(trunc)?);
                if n < 0 {
                    return self.invalid(at, "BINSTRING with a negative length");
                }
                let v = self.read_str(n as u64, at)?;
                self.push(v, at)?;
            }
            b'U' | 0x8c => {
                let n = self.input.u8().map_err(trunc)?;
                let v = self.read_str(n as u64, at)?;
                self.push(v, at)?;
            }
            b'X' => {
                let n = u32::from_le_bytes(self.input.array::<4>().map_err(trunc)?);
                let v = self.read_str(n as u64, at)?;
                self.push(v, at)?;
            }
            0x8d => {
                let n = u64::from_le_bytes(self.input.array::<8>().map_err(trunc)?);
                let v = self.read_str(n, at)?;
                self.push(v, at)?;
            }
            b'B' => {
                let n = u32::from_le_bytes(self.input.array::<4>().map_err(trunc)?);
                let v = self.read_bytes(n as u64, at)?;
                self.push(v, at)?;
            }
            b'C' => {
                let n = self.input.u8().map_err(trunc)?;
                let v = self.read_bytes(n as u64, at)?;
                self.push(v, at)?;
            }
            0x8e | 0x96 => {
                let n = u64::from_le_bytes(self.input.array::<8>().map_err(trunc)?);
                let v = self.read_bytes(n, at)?;
                self.push(v, at)?;
            }
            0x97 => self.push(Value::Opaque, at)?,
            0x98 => {
                self.top(at)?;
            }
            // Collections.
            b')' => self.push(Value::Tuple(Rc::from(Vec::new())), at)?,
            b't' => {
                let items = self.pop_mark(at)?;
                self.push(tuple(items), at)?;
            }
            0x85 => {
                let a = self.pop(at)?;
                self.push(tuple(vec![a]), at)?;
            }
            0x86 => {
                let b = self.pop(at)?;
                let a = self.pop(at)?;
                self.push(tuple(vec![a, b]), at)?;
            }
            0x87 => {
                let c = self.pop(at)?;
                let b = self.pop(at)?;
                let a = self.pop(at)?;
                self.push(tuple(vec![a, b, c]), at)?;
            }
            b']' => self.push(Value::List(Rc::new(RefCell::new(Vec::new()))), at)?,
            b'l' => {
                let mut items = self.pop_mark(at)?;
                items.truncate(KEEP_ITEMS);
                let items = items.into_iter().map(frozen).collect();
                self.push(Value::List(Rc::new(RefCell::new(items))), at)?;
            }
            b'a' => {
                let v = frozen(self.pop(at)?);
                match self.top(at)? {
                    Value::List(l) => push_capped(&mut l.borrow_mut(), v),
                    Value::Object(_) | Value::Opaque => {}
                    other => {
                        let k = kind(other);
                        return self.invalid(at, format!("APPEND to a {k}"));
                    }
                }
            }
            b'e' => {
                let items = self.pop_mark(at)?;
                match self.top(at)? {
                    Value::List(l) => {
                        let mut l = l.borrow_mut();
                        for v in items.into_iter().take(KEEP_ITEMS - l.len().min(KEEP_ITEMS)) {
                            l.push(frozen(v));
                        }
                    }
                    Value::Object(_) | Value::Opaque => {}
                    other => {
                        let k = kind(other);
                        return self.invalid(at, format!("APPENDS to a {k}"));
                    }
                }
            }
            b'}' => self.push(Value::Dict(Rc::new(RefCell::new(Vec::new()))), at)?,
            b'd' => {
                let items = self.pop_mark(at)?;
                if items.len() % 2 != 0 {
                    return self.invalid(at, "DICT with an odd number of items");
                }
                let mut pairs = Vec::new();
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if pairs.len() == KEEP_ITEMS {
                        break;
                    }
                    pairs.push((frozen(k), frozen(v)));
                }
                self.push(Value::Dict(Rc::new(RefCell::new(pairs))), at)?;
            }
            b's' => {
                let v = frozen(self.pop(at)?);
                let k = frozen(self.pop(at)?);
                match self.top(at)? {
                    Value::Dict(d) => push_capped(&mut d.borrow_mut(), (k, v)),
                    Value::Object(_) | Value::Opaque => {}
                    other => {
                        let k = kind(other);
                        return self.invalid(at, format!("SETITEM on a {k}"));
                    }
                }
            }
            b'u' => {
                let items = self.pop_mark(at)?;
                if items.len() % 2 != 0 {
                    return self.invalid(at, "SETITEMS with an odd number of items");
                }
                match self.top(at)? {
                    Value::Dict(d) => {
                        let mut d = d.borrow_mut();
                        let mut it = items.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            if d.len() >= KEEP_ITEMS {
                                break;
                            }
                            d.push((frozen(k), frozen(v)));
                        }
                    }
                    Value::Object(_) | Value::Opaque => {}
                    other => {
                        let k = kind(other);
                        return self.invalid(at, format!("SETITEMS on a {k}"));
                    }
                }
            }
            0x8f => self.push(Value::Set, at)?,
            0x90 => {
                self.pop_mark(at)?;
                self.top(at)?;
            }
            0x91 => {
                self.pop_mark(at)?;
                self.push(Value::Set, at)?;
            }
            // Memo.
            b'p' => {
                let l = self.line(at)?;
                let key = text(&l)
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| Fail::Invalid(at, "PUT key is not a number".into()))?;
                self.memo_put(key, at)?;
            }
            b'q' => {
                let k = self.input.u8().map_err(trunc)?;
                self.memo_put(k as u64, at)?;
            }
            b'r' => {
                let k = u32::from_le_bytes(self.input.array::<4>().map_err(trunc)?);
                self.memo_put(k as u64, at)?;
            }
            0x94 => {
                let k = self.memo.len() as u64;
                self.memo_put(k, at)?;
            }
            b'g' => {
                let l = self.line(at)?;
                let key = text(&l)
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| Fail::Invalid(at, "GET key is not a number".into()))?;
                self.memo_get(key, at, "GET")?;
            }
            b'h' => {
                let k = self.input.u8().map_err(trunc)?;
                self.memo_get(k as u64, at, "BINGET")?;
            }
            b'j' => {
                let k = u32::from_le_bytes(self.input.array::<4>().map_err(trunc)?);
                self.memo_get(k as u64, at, "LONG_BINGET")?;
            }
            // Globals.
            b'c' => {
                let module = text(&self.line(at)?);
                let name = text(&self.line(at)?);
                if !python_name(&module) || !python_name(&name) {
                    return self.invalid(at, "GLOBAL operands are not Python names");
                }
                let g = self.global(module, name, at);
                self.push(g, at)?;
            }
            0x93 => {
                let name = self.pop(at)?;
                let module = self.pop(at)?;
                match (&module, &name) {
                    (Value::Str(m), Value::Str(n)) => {
                        let g = self.global(m.to_string(), n.to_string(), at);
                        self.push(g, at)?;
                    }
                    (m, n) => {
                        self.event(
                            at,
                            EventKind::Unresolved {
                                opcode: "STACK_GLOBAL",
                                detail: format!(
                                    "module and name are {} and {}, not constant strings",
                                    kind(m),
                                    kind(n)
                                ),
                            },
                        );
                        self.push(Value::Opaque, at)?;
                    }
                }
            }
            0x82..=0x84 => {
                let code = match op {
                    0x82 => self.input.u8().map_err(trunc)? as u32,
                    0x83 => u16::from_le_bytes(self.input.array::<2>().map_err(trunc)?) as u32,
                    _ => u32::from_le_bytes(self.input.array::<4>().map_err(trunc)?),
                };
                self.event(
                    at,
                    EventKind::Unresolved {
                        opcode: "EXT",
                        detail: format!(
                            "extension code {code} resolves through copyreg's registry at load time"
                        ),
                    },
                );
                self.push(Value::Opaque, at)?;
            }
            // Calls.
            b'R' => {
                let args = self.pop(at)?;
                let callee = self.pop(at)?;
                let r = self.call(&callee, Some(args), "REDUCE", at);
                self.push(r, at)?;
            }
            0x81 => {
                let args = self.pop(at)?;
                let cls = self.pop(at)?;
                let r = self.call(&cls, Some(args), "NEWOBJ", at);
                self.push(r, at)?;
            }
            0x92 => {
                let _kwargs = self.pop(at)?;
                let args = self.pop(at)?;
                let cls = self.pop(at)?;
                let r = self.call(&cls, Some(args), "NEWOBJ_EX", at);
                self.push(r, at)?;
            }
            b'o' => {
                let mut items = self.pop_mark(at)?;
                if items.is_empty() {
                    return self.invalid(at, "OBJ without a class");
                }
                let cls = items.remove(0);
                let r = self.call(&cls, Some(tuple(items)), "OBJ", at);
                self.push(r, at)?;
            }
            b'i' => {
                let module = text(&self.line(at)?);
                let name = text(&self.line(at)?);
                let items = self.pop_mark(at)?;
                let cls = self.global(module, name, at);
                let r = self.call(&cls, Some(tuple(items)), "INST", at);
                self.push(r, at)?;
            }
            b'b' => self.build(at)?,
            // Persistent ids: resolved by the loading program (PyTorch's
            // storages); the id itself is data.
            b'P' => {
                self.line(at)?;
                self.push(Value::Opaque, at)?;
            }
            b'Q' => {
                self.pop(at)?;
                self.push(Value::Opaque, at)?;
            }
            other => return self.invalid(at, format!("unknown opcode 0x{other:02x}")),
        }
        Ok(Flow::Continue)
    }
}

/// A dotted Python identifier, as GLOBAL and INST operands must be.
fn python_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        })
}

fn tuple(mut items: Vec<Value>) -> Value {
    items.truncate(KEEP_ITEMS);
    Value::Tuple(items.into_iter().map(frozen).collect())
}

fn long(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Int(0);
    }
    if bytes.len() > 16 {
        return Value::BigInt;
    }
    let mut buf = if bytes[bytes.len() - 1] & 0x80 != 0 {
        [0xffu8; 16]
    } else {
        [0u8; 16]
    };
    buf[..bytes.len()].copy_from_slice(bytes);
    Value::Int(i128::from_le_bytes(buf))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::None => "None",
        Value::Bool => "bool",
        Value::Int(_) | Value::BigInt => "int",
        Value::Float => "float",
        Value::Str(_) => "str",
        Value::Bytes(_) => "bytes",
        Value::Long { .. } => "long string",
        Value::Tuple(_) => "tuple",
        Value::List(_) => "list",
        Value::Dict(_) => "dict",
        Value::Set => "set",
        Value::Global(_) => "global",
        Value::Object(_) => "object",
        Value::Opaque => "computed value",
    }
}

/// Protocol 0 STRING operand: a Python repr in quotes.
fn unquote(line: &[u8]) -> Option<String> {
    let s = text(line);
    let s = s.trim_end();
    let q = s.chars().next()?;
    if (q != '\'' && q != '"') || s.len() < 2 || !s.ends_with(q) {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('x') => {
                let h: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&h, 16).ok()? as char);
            }
            Some(c) => out.push(c),
            None => return None,
        }
    }
    Some(out)
}

/// Protocol 0 UNICODE operand (raw-unicode-escape).
fn raw_unicode_escape(line: &[u8]) -> String {
    let s: String = line.iter().map(|&b| b as char).collect();
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('u') | Some('U')) {
            let width = if chars.next() == Some('u') { 4 } else { 8 };
            let h: String = chars.by_ref().take(width).collect();
            match u32::from_str_radix(&h, 16).ok().and_then(char::from_u32) {
                Some(ch) => out.push(ch),
                None => out.push_str(&h),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Bytes per element of a NumPy dtype string such as `<f8`, `|u1`, `<U10`.
pub fn dtype_itemsize(descr: &str) -> Option<u64> {
    let d = descr.trim_start_matches(['<', '>', '|', '=']);
    let (kind, rest) = d.split_at(d.find(|c: char| c.is_ascii_digit()).unwrap_or(d.len()));
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if d == "?" {
        return Some(1);
    }
    let n: u64 = digits.parse().ok()?;
    match kind {
        "f" | "i" | "u" | "c" | "b" | "V" | "S" | "a" | "M" | "m" => Some(n),
        "U" => Some(n * 4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> Outcome {
        scan(bytes, &Limits::default())
    }

    fn calls(o: &Outcome) -> Vec<String> {
        o.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Call {
                    module,
                    name,
                    opcode,
                } => Some(format!("{opcode} {module}.{name}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn protocol_0_global_and_reduce() {
        let o = run(b"cos\nsystem\n(S'id'\ntR.");
        assert_eq!(calls(&o), vec!["REDUCE os.system"]);
        assert_eq!(o.stop, Stop::Complete { trailing: 0 });
    }

    #[test]
    fn stack_global_operands_from_the_memo() {
        // "os" and "system" memoized, then fetched back for STACK_GLOBAL.
        let o = run(b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x02id\x85R.");
        assert_eq!(calls(&o), vec!["REDUCE os.system"]);
    }

    #[test]
    fn computed_stack_global_fails_closed() {
        let o = run(b"\x80\x04K\x01K\x02\x93)R.");
        assert!(o.events.iter().any(|e| matches!(
            &e.kind,
            EventKind::Unresolved {
                opcode: "STACK_GLOBAL",
                ..
            }
        )));
    }

    #[test]
    fn limits_end_in_incomplete_not_a_hang() {
        let limits = Limits {
            max_opcodes: 10,
            ..Limits::default()
        };
        let mut bytes = b"\x80\x02]".to_vec();
        bytes.extend(std::iter::repeat_n(b'N', 100));
        let o = scan(&bytes[..], &limits);
        assert!(matches!(o.stop, Stop::Incomplete { .. }), "{:?}", o.stop);
        let limits = Limits {
            max_memo: 2,
            ..Limits::default()
        };
        let o = scan(&b"\x80\x04N\x94N\x94N\x94."[..], &limits);
        assert!(matches!(o.stop, Stop::Incomplete { .. }), "{:?}", o.stop);
    }

    #[test]
    fn truncated_and_unknown_opcodes_are_invalid() {
        assert!(matches!(run(b"\x80\x02}q\x00").stop, Stop::Invalid { .. }));
        assert!(matches!(run(b"\x80\x02\xff.").stop, Stop::Invalid { .. }));
        assert!(matches!(run(b"\x80\x09.").stop, Stop::Invalid { .. }));
    }

    #[test]
    fn nested_payload_is_scanned_with_its_path() {
        let inner = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.";
        let mut outer = b"\x80\x03cpickle\nloads\nC".to_vec();
        outer.push(inner.len() as u8);
        outer.extend_from_slice(inner);
        outer.extend_from_slice(b"\x85R.");
        let o = run(&outer);
        let nested: Vec<_> = o.events.iter().filter(|e| !e.path.is_empty()).collect();
        assert!(
            nested
                .iter()
                .any(|e| matches!(&e.kind, EventKind::Call { name, .. } if name == "system")),
            "{:?}",
            o.events
        );
    }

    #[test]
    fn stacked_pickles_and_trailing_data() {
        let o = run(b"\x80\x02N.\x80\x02N.trailing!");
        assert_eq!(o.pickles, 2);
        assert_eq!(o.stop, Stop::Complete { trailing: 9 });
    }

    #[test]
    fn dtype_sizes() {
        assert_eq!(dtype_itemsize("<f8"), Some(8));
        assert_eq!(dtype_itemsize("|u1"), Some(1));
        assert_eq!(dtype_itemsize("<U10"), Some(40));
        assert_eq!(dtype_itemsize("?"), Some(1));
        assert_eq!(dtype_itemsize("O"), None);
    }

    /// Scan on a thread with a small native stack: in wasm the stack is
    /// about 1 MiB, so recursion whose depth a pickle chooses overflows
    /// there; here it overflows at a quarter of that.
    fn run_on_small_stack(bytes: Vec<u8>) -> Outcome {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || scan(&bytes[..], &Limits::default()))
            .expect("thread")
            .join()
            .expect("the scan did not panic")
    }

    const DEEP: usize = 1_000_000;
    const STACK: usize = 256 << 10;

    #[test]
    fn deeply_nested_lists_do_not_overflow_the_stack() {
        // EMPTY_LIST a million times, then APPEND each into the one below.
        let mut b = b"\x80\x02".to_vec();
        b.extend(std::iter::repeat_n(b']', DEEP));
        b.extend(std::iter::repeat_n(b'a', DEEP - 1));
        b.push(b'.');
        assert_eq!(run_on_small_stack(b).stop, Stop::Complete { trailing: 0 });
        // The same with MARK and APPENDS.
        let mut b = b"\x80\x02]".to_vec();
        for _ in 0..DEEP {
            b.extend(b"(]");
        }
        b.extend(std::iter::repeat_n(b'e', DEEP));
        b.push(b'.');
        assert_eq!(run_on_small_stack(b).stop, Stop::Complete { trailing: 0 });
    }

    #[test]
    fn deeply_nested_tuples_and_dicts_do_not_overflow_the_stack() {
        let mut b = b"\x80\x02)".to_vec();
        b.extend(std::iter::repeat_n(0x85, DEEP));
        b.push(b'.');
        assert_eq!(run_on_small_stack(b).stop, Stop::Complete { trailing: 0 });
        // {0: {0: {0: ...}}} with SETITEM.
        let mut b = b"\x80\x02}".to_vec();
        for _ in 0..DEEP {
            b.extend(b"K\x00}");
        }
        b.extend(std::iter::repeat_n(b's', DEEP));
        b.push(b'.');
        assert_eq!(run_on_small_stack(b).stop, Stop::Complete { trailing: 0 });
    }

    #[test]
    fn deeply_nested_objects_do_not_overflow_the_stack() {
        // f(f(f(...f(())))) with REDUCE: objects holding their arguments.
        let mut b = b"\x80\x02cm\nf\nq\x00".to_vec();
        b.extend(std::iter::repeat_n(*b"h\x00", DEEP).flatten());
        b.push(b')');
        b.extend(std::iter::repeat_n(*b"\x85R", DEEP).flatten());
        b.push(b'.');
        let o = run_on_small_stack(b);
        assert_eq!(o.stop, Stop::Complete { trailing: 0 });
        assert_eq!(calls(&o), vec!["REDUCE m.f"]);
        // Each object given the next as its BUILD state.
        let mut b = b"\x80\x02cm\nf\nq\x00".to_vec();
        b.extend(std::iter::repeat_n(*b"h\x00)R", DEEP).flatten());
        b.extend(std::iter::repeat_n(b'b', DEEP - 1));
        b.push(b'.');
        assert_eq!(run_on_small_stack(b).stop, Stop::Complete { trailing: 0 });
    }

    #[test]
    fn self_referencing_values_are_freed() {
        // l = []; l.append(l); d = {}; d[0] = d; o = f(o_args) with
        // o_args.append(o): as cycles, reference counting would never
        // free them, and a pickle of such loops fills the memory.
        let bytes = b"\x80\x02]q\x00h\x00a}q\x01K\x00h\x01scm\nf\n]q\x02Rq\x03h\x02h\x03a.";
        let mut input = Input::new(&bytes[..]);
        let (limits, mut shared) = (Limits::default(), Shared::default());
        let mut vm = Vm::new(&mut input, &limits, &mut shared, Vec::new(), 0);
        assert!(vm.run().is_ok());
        let weak = |v: &Value| match v {
            Value::List(l) => Rc::downgrade(l) as std::rc::Weak<dyn std::any::Any>,
            Value::Dict(d) => Rc::downgrade(d) as std::rc::Weak<dyn std::any::Any>,
            Value::Object(o) => Rc::downgrade(o) as std::rc::Weak<dyn std::any::Any>,
            other => panic!("{other:?}"),
        };
        let held: Vec<_> = (0..4).map(|k| weak(&vm.memo[&k])).collect();
        drop(vm);
        for (k, w) in held.iter().enumerate() {
            assert!(w.upgrade().is_none(), "memo {k} is never freed");
        }
    }

    #[test]
    fn payloads_nested_past_the_depth_limit_stay_within_a_small_stack() {
        // pickle.loads(b"pickle.loads(b\"...\")"), twelve levels around
        // os.system: each level a recursion of the scanner, which stops
        // following at eight.
        let nest = |levels: usize| {
            let mut payload = b"\x80\x02cos\nsystem\n)R.".to_vec();
            for _ in 0..levels {
                let mut outer = b"\x80\x02cpickle\nloads\nB".to_vec();
                outer.extend((payload.len() as u32).to_le_bytes());
                outer.extend(&payload);
                outer.extend(b"\x85R.");
                payload = outer;
            }
            payload
        };
        let o = run_on_small_stack(nest(12));
        assert_eq!(o.stop, Stop::Complete { trailing: 0 });
        assert!(
            o.events.iter().any(|e| matches!(&e.kind,
                EventKind::PayloadNotScanned { detail } if detail.contains("deeper than 8"))),
            "{:?}",
            o.events
        );
        // At the limit, the innermost call is found.
        let o = run_on_small_stack(nest(8));
        assert!(
            calls(&o).contains(&"REDUCE os.system".to_string()),
            "{:?}",
            o.events
        );
    }

    #[test]
    fn a_payload_loaded_again_and_again_is_scanned_once() {
        // Each level stores the next as a constant and calls pickle.loads
        // on it ten times: rescanning every call is 10^8 scans.
        let mut payload = b"\x80\x02cos\nsystem\n)R.".to_vec();
        for _ in 0..8 {
            let mut outer = b"\x80\x02cpickle\nloads\nq\x00B".to_vec();
            outer.extend((payload.len() as u32).to_le_bytes());
            outer.extend(&payload);
            outer.extend(b"q\x01");
            outer.extend(std::iter::repeat_n(*b"h\x00h\x01\x85R0", 10).flatten());
            outer.push(b'.');
            payload = outer;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(run(&payload)));
        let o = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("scanned within 30 s");
        assert_eq!(o.stop, Stop::Complete { trailing: 0 });
        assert!(
            calls(&o).contains(&"REDUCE os.system".to_string()),
            "{:?}",
            o.events
        );
    }

    #[test]
    fn repeated_reported_opcodes_end_in_incomplete() {
        // BUILD on a global, a million times: each would be a finding.
        let mut b = b"\x80\x02cm\nf\n".to_vec();
        b.extend(std::iter::repeat_n(*b"Nb", 1_000_000).flatten());
        b.push(b'.');
        let o = run(&b);
        match &o.stop {
            Stop::Incomplete { limit, .. } => assert!(limit.contains("100000"), "{limit}"),
            other => panic!("{other:?}"),
        }
        assert!(o.events.len() <= Limits::default().max_events + 1);
    }

    #[test]
    fn joblib_object_arrays_nested_in_each_other_hit_the_depth_limit() {
        // Each level is an object array whose elements are a pickle that
        // is again an object array: the scanner recursed once per level.
        let level = b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(X\x05\x00\x00\x00dtypecnumpy\ndtype\nX\x02\x00\x00\x00O8\x85Rub";
        let mut b = Vec::new();
        for _ in 0..20_000 {
            b.extend(level);
        }
        b.extend(b"\x80\x02N.");
        b.extend(std::iter::repeat_n(b'.', 20_000));
        let o = run_on_small_stack(b);
        match &o.stop {
            Stop::Incomplete { limit, .. } => assert!(limit.contains("nested"), "{limit}"),
            other => panic!("{other:?}"),
        }
        // Within the limit, the nested pickles are scanned to the end.
        let mut b = Vec::new();
        for _ in 0..3 {
            b.extend(level);
        }
        b.extend(b"\x80\x02cos\nsystem\n)R.");
        b.extend(b"...");
        let o = run(&b);
        assert_eq!(o.stop, Stop::Complete { trailing: 0 });
        assert!(
            calls(&o).contains(&"REDUCE os.system".to_string()),
            "{:?}",
            o.events
        );
    }
}
