//! A benchmark (not a test of speed: it asserts only that the work was done) in WebAssembly,
//! in headless Chromium: Sobel — Gx, Gy, G and Θ — on a 1920×1080 image. Prints the median of
//! several runs. (The models' benchmark is the worker's, `crates/worker/tests/bench.rs`.) Run
//! it in release mode, as `cargo xtask bench` does:
//! `cargo test --release --target wasm32-unknown-unknown -p convlab-web --test bench -- --nocapture`.
#![allow(clippy::unwrap_used)]

use convlab_kernels::samples::Sample;
use convlab_kernels::sobel::{Border, SobelOutput, sobel_into};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[wasm_bindgen_test]
fn sobel_1920x1080_median() {
    let image = Sample::Shapes.generate(1080, 1920);
    let mut out = SobelOutput::default();
    sobel_into(&image, Border::Replicate, &mut out).unwrap();
    let times: Vec<f64> = (0..21)
        .map(|_| {
            let t0 = now_ms();
            sobel_into(&image, Border::Replicate, &mut out).unwrap();
            now_ms() - t0
        })
        .collect();
    let simd = cfg!(target_feature = "simd128");
    console_log!(
        "BENCH sobel_1920x1080 wasm median_ms={:.2} min_ms={:.2} runs={} simd128={simd}",
        median(times.clone()),
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.len()
    );
    // The work was done: the shapes image has edges.
    assert!(out.magnitude.min_max().1 > 0.5);
}
