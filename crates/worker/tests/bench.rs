//! The models' benchmark (not a test of speed: it asserts only that the work was done) in
//! WebAssembly, in headless Chromium, on the CPU backend: the cases of
//! `crates/model/benches/shared/cases.rs`, which the native bench (`cargo bench -p
//! convlab-model --bench inference`) runs too, so `cargo xtask bench` prints the two side by
//! side. Run it in release mode, as `cargo xtask bench` does:
//! `cargo test --release --target wasm32-unknown-unknown -p convlab-worker --no-default-features --test bench -- --nocapture`
//! (add `--features relaxed-simd` for the worker's build with fused multiply-adds).
#![allow(clippy::unwrap_used)]

use wasm_bindgen_test::*;

mod common;

use common::now_ms;

#[path = "../../model/benches/shared/cases.rs"]
mod cases;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn models_on_the_cpu_median() {
    let models = cases::Models::load(
        (
            include_str!("../../../weights/vae2.json"),
            include_bytes!("../../../weights/vae2.bpk"),
        ),
        (
            include_str!("../../../weights/lenet5.json"),
            include_bytes!("../../../weights/lenet5.bpk"),
        ),
        burn::tensor::Device::flex(),
    );
    // `wasm-fma`: built with relaxed SIMD (`--features relaxed-simd`), as `convlab-worker-fma`.
    let target = if cfg!(feature = "relaxed-simd") {
        "wasm-fma"
    } else {
        "wasm"
    };
    cases::run_all(&models, target, &now_ms, &|line| console_log!("{line}"));
}
