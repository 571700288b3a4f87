//! convlab's model worker: the Burn models in a Web Worker of their own.
//!
//! The page (`convlab-web`) has no Burn in it. When a model page first opens, it starts this
//! module as a dedicated Web Worker and talks to it in the messages of `convlab-protocol`:
//! load the models on a backend, encode, decode, classify, autoencode, reference digits,
//! cancel. So the page's own WebAssembly stays small and loads fast, and inference never runs
//! on the page's thread, however long it takes.
//!
//! - [`models`]: the shipped models (VAE-2, VAE-16, an untrained VAE-2, LeNet-5, AE-2) on one
//!   Burn device, with sliced, cancellable inference on flat `f32` lists.
//! - [`gpu`]: the browser's WebGPU device, initialised once; a lost device is reported.
//! - [`training`]: one training run of LeNet-5 (`convlab-learn`'s loop), in bursts of steps.
//! - [`serve`]: the message loop (`main.rs` calls [`serve::run`]).
//! - [`js`]: fetch and yield, written for any global scope (worker or page, so the browser
//!   tests can run [`models`] on a page).

pub mod gpu;
pub mod js;
pub mod models;
pub mod serve;
pub mod training;

pub use models::{Failure, Models, Stop, WeightFiles, WeightSource};
