//! convlab's native trainer: trains, evaluates and benchmarks the lecture's models from
//! `convlab-model` (LeNet-5, the VAE, the autoencoder) on MNIST.
//!
//! - [`cli`]: the command line (`train`, `eval`, `export`, `bench`, `import-torch`) and its
//!   `--help` text.
//! - [`device`]: `--device auto|gpu|cpu` to a Burn [`Device`](burn::tensor::Device); the only
//!   code that knows the `gpu` feature.
//! - [`data`]: the training/validation split, the batch order and the augmented batches.
//! - [`training`]: the loop (Adam, checkpoints, a clean stop on NaN).
//! - [`eval`]: test-set scores.
//! - [`export`]: a run packaged for the web app (`weights/NAME.bpk` + `weights/NAME.json`).
//! - [`bench`]: throughput and latency, comparable with `bench/torch_vae.py`.
//! - [`import`]: the reference VAE trained in PyTorch (a `state_dict` in `.pt` or
//!   `.safetensors`) read into a run folder, and checked against PyTorch's outputs.
//! - [`checkpoint`]: an epoch's weights, optimizer and state committed together.
//! - [`artifacts`]: the run folder (`config.json`, `model-E.bpk`, `optimizer-E.bpk`, `state.json`,
//!   `metrics.csv`).
//!
//! It is *not* where models live: every network, loss and the MNIST reader come from
//! `convlab-model`. Library code takes a `Device`; only `main` chooses one.

pub mod artifacts;
pub mod bench;
pub mod checkpoint;
pub mod cli;
pub mod data;
pub mod device;
pub mod eval;
pub mod export;
pub mod import;
pub mod training;
