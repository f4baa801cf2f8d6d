//! End-to-end tests: the real `aicomply` binary, the real embedded plugins
//! and test plugins built from tests/plugins, on fixture trees.

mod support;

mod browser;
mod capabilities;
mod cdp;
mod models;
mod pipeline;
mod reports;
mod sandbox;
mod targets;
