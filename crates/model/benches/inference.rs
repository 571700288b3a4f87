//! Inference latencies of the shipped models, natively, on Burn's CPU backend: the native
//! column of `cargo xtask bench` (the wasm column is `crates/worker/tests/bench.rs`, same cases).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "shared/cases.rs"]
mod cases;

use std::time::Instant;

use burn::tensor::Device;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../weights/");
    let read = |name: &str| std::fs::read(format!("{root}{name}")).expect("shipped weights");
    let text = |name: &str| String::from_utf8(read(name)).expect("UTF-8");
    let (vae_json, vae_bpk) = (text("vae2.json"), read("vae2.bpk"));
    let (lenet_json, lenet_bpk) = (text("lenet5.json"), read("lenet5.bpk"));
    let models = cases::Models::load(
        (&vae_json, &vae_bpk),
        (&lenet_json, &lenet_bpk),
        Device::flex(),
    );
    let start = Instant::now();
    cases::run_all(
        &models,
        "native",
        &|| start.elapsed().as_secs_f64() * 1000.0,
        &|line| println!("{line}"),
    );
}
