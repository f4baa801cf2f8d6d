//! End-to-end tests: the real `aicomply` binary, the real embedded plugins
//! and test plugins built from tests/plugins, on fixture trees.

mod support;

mod access;
mod browser;
mod capabilities;
mod cdp;
mod models;
mod network;
mod pipeline;
mod probes;
mod reports;
mod sandbox;
mod secrets;
mod targets;
