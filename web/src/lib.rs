//! convlab in the browser: a Leptos (client-side rendered) app with one page per slide topic.
//!
//! `main.rs` only mounts [`App`]; everything else lives in this library so the browser tests
//! (`web/tests/`) can mount single pages. Pages use components, never the reverse, and pages
//! never import each other. The maths comes from `convlab-kernels` and `convlab-digits`; the
//! models run in the model worker (`convlab-worker`), which [`ml`] asks through [`worker`].
//! This crate has no Burn in it: it only turns answers into DOM, canvases and URL state.

pub mod app;
pub mod components;
pub mod download;
pub mod ml;
pub mod mnist_store;
pub mod pages;
pub mod panic_notice;
pub mod run_params;
pub mod storage;
pub mod url_state;

pub use app::App;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
