//! aicomply: check an AI service against a security baseline with
//! sandboxed WebAssembly plugins.
//!
//! The flow runs one way: the CLI reads options; `plugin` finds and
//! validates components; `sandbox` runs each in a fresh wasmtime store;
//! `run` schedules them and collects outcomes; `report` turns outcomes into
//! per-check and per-control status; `render` writes JSON, HTML and
//! Markdown from that report. `collect` checks and bounds what a plugin
//! hands over as it arrives; `safe_fs` is how the host itself reads and
//! writes files, so a hostile tree cannot block, exhaust or redirect it.

pub mod baseline;
pub mod cli;
pub mod collect;
pub mod model;
pub mod plugin;
pub mod policy;
pub mod probe;
pub mod render;
pub mod report;
pub mod run;
pub mod safe_fs;
pub mod sandbox;
pub mod terminal;
