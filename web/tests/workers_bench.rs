//! A benchmark (not a test of speed: it asserts only that the work was done, and done the
//! same) in WebAssembly, in headless Chromium: the latent map's 20×20 manifold decoded on the
//! CPU backend through the app's own path (`ml::Models::decode`) by the real model workers,
//! first by the main worker alone, then spread over more of them. Prints the median of each.
//! Then the two training labs' pages while a run trains in the worker: the gaps between the page's
//! animation frames (the main thread must never stall on training).
//! It needs a release build of the worker served beside it, which `cargo xtask bench` makes:
//! run it that way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convlab_digits::latent::manifold_grid;
use convlab_web::ml::client;
use convlab_web::ml::{self, Backend, VaeChoice};
use wasm_bindgen_test::*;

mod common;

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
    client::set_base(url);
    let cores = client::workers();
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
        client::set_workers(workers);
        assert_eq!(
            client::helpers_ready().await,
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

/// How long the page's frames are watched while the lab trains.
const WATCH_MS: f64 = 5000.0;

/// The times of the page's animation frames over `ms` milliseconds.
async fn frame_times(ms: f64) -> Vec<f64> {
    let watch = js_sys::Function::new_with_args(
        "ms",
        "const times = []; const start = performance.now();
         return new Promise((done) => {
           const frame = (t) => { times.push(t); if (t - start < ms) requestAnimationFrame(frame); else done(times); };
           requestAnimationFrame(frame);
         });",
    );
    let promise: js_sys::Promise = watch
        .call1(&wasm_bindgen::JsValue::NULL, &ms.into())
        .unwrap()
        .into();
    let times = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    js_sys::Array::from(&times)
        .iter()
        .filter_map(|t| t.as_f64())
        .collect()
}

/// Watches the frames of the lab page at `url` while its run trains (started with
/// `<lab>-start`, its status in `<lab>-status`) and prints them as the case `case`.
async fn frame_gaps_while_training(url: &str, page: &str, lab: &str, case: &str) {
    let _app = common::mount_model_page(url, page).await;
    common::click(&format!("{lab}-start"));
    let status = format!("{lab}-status");
    common::wait_until("the run to train", 60.0, || {
        common::text(&status).contains("step ")
    })
    .await;
    let times = frame_times(WATCH_MS).await;
    let steps = common::text(&status);
    common::click(&format!("{lab}-pause"));
    let mut gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(!gaps.is_empty(), "no animation frames in {WATCH_MS} ms");
    gaps.sort_by(f64::total_cmp);
    let over_50 = gaps.iter().filter(|&&g| g > 50.0).count();
    console_log!(
        "BENCH {case} wasm median_ms={:.3} max_ms={:.3} runs={} over_50_ms={over_50} ({steps})",
        gaps[gaps.len() / 2],
        gaps[gaps.len() - 1],
        gaps.len()
    );
}

#[wasm_bindgen_test]
async fn the_training_labs_keep_their_frames_short() {
    frame_gaps_while_training(
        "/train?n=2000&ep=10",
        "page-train",
        "train",
        "train_page_frame_gap",
    )
    .await;
    frame_gaps_while_training(
        "/train-vae?n=2000&ep=10",
        "page-train-vae",
        "vae",
        "train_vae_page_frame_gap",
    )
    .await;
}
