//! A benchmark (not a test of speed: it asserts only that the work was done, and done the
//! same) in WebAssembly, in headless Chromium: the latent map's 20×20 manifold decoded on the
//! CPU backend through the app's own path (`ml::Models::decode`) by the real model workers,
//! first by the main worker alone, then spread over more of them. Prints the median of each.
//! It needs a release build of the worker served beside it, which `cargo xtask bench` makes:
//! run it that way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convlab_digits::latent::manifold_grid;
use convlab_web::ml::{self, Backend, VaeChoice};
use convlab_web::worker;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// Untimed work first, at least this long per worker count: V8 compiles wasm with its
/// optimising tier in the background, in each new worker again, on cores the workers keep
/// busy (with 1.5 s, the median of two workers swung between 130 and 188 ms from run to run,
/// their minimum stayed 128–135 ms).
const WARM_UP_MS: f64 = 4000.0;
const RUNS: usize = 15;

#[wasm_bindgen_test]
async fn manifold_over_the_model_workers() {
    let url = option_env!("CONVLAB_TEST_WORKER_URL")
        .expect("CONVLAB_TEST_WORKER_URL is not set: run this with `cargo xtask bench`");
    worker::set_base(url);
    let cores = worker::workers();
    let models = ml::models(Backend::Cpu).await.unwrap();
    // The worker build the page started: with fused multiply-adds where the server has it.
    let target = if models.fused_multiply_add() {
        "wasm-fma"
    } else {
        "wasm"
    };
    let codes: Vec<Vec<f32>> = manifold_grid(20, 0.05)
        .into_iter()
        .map(|[x, y]| vec![x, y])
        .collect();
    let mut counts = vec![1, 2, cores, 2 * cores];
    counts.sort_unstable();
    counts.dedup();
    let mut alone: Option<Vec<Vec<f32>>> = None;
    for workers in counts {
        worker::set_workers(workers);
        assert_eq!(
            worker::helpers_ready().await,
            workers - 1,
            "helpers started"
        );
        let start = now_ms();
        while now_ms() - start < WARM_UP_MS {
            models.decode(VaeChoice::Vae2, &codes).await.unwrap();
        }
        let mut times = Vec::with_capacity(RUNS);
        let mut images = Vec::new();
        for _ in 0..RUNS {
            let t0 = now_ms();
            images = models.decode(VaeChoice::Vae2, &codes).await.unwrap();
            times.push(now_ms() - t0);
        }
        times.sort_by(f64::total_cmp);
        console_log!(
            "BENCH manifold_20x20_workers_{workers} {target} median_ms={:.3} min_ms={:.3} runs={RUNS} cores={cores}",
            times[RUNS / 2],
            times[0],
        );
        // The same images whichever worker drew them.
        assert_eq!(images.len(), codes.len());
        match &alone {
            None => alone = Some(images),
            Some(alone) => {
                let worst = alone
                    .iter()
                    .flatten()
                    .zip(images.iter().flatten())
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                assert!(worst <= 1e-5, "{workers} workers differ by {worst}");
            }
        }
    }
}
