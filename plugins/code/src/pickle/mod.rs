//! A pickle opcode interpreter that never unpickles.
//!
//! Hand-written for security reasons: the only way to know what a pickle
//! does is to follow its opcodes, and the only safe way to follow them is
//! without Python. This emulates the stack, the mark stack and the memo of
//! CPython's unpickler for protocols 0 to 5, resolves every global the way
//! CPython would, and records which globals are *called* (REDUCE, NEWOBJ,
//! NEWOBJ_EX, OBJ, INST, BUILD) as opposed to merely referenced.
//!
//! It streams: values are summarised (long strings and bytes keep their
//! length and offset, collections their first few items), so memory does
//! not grow with the file, and limits on opcodes, memo entries, stack depth
//! and nesting end the scan with an explicit *incomplete* result.

pub mod policy;
mod vm;

pub use vm::{
    Event, EventKind, Limits, Outcome, Stop, dtype_itemsize, is_pickle_start, scan,
    scan_as_file_read,
};
