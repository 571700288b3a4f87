//! A model worker that keeps crashing on WebGPU (in a page of its own: the GPU is given up
//! for the rest of the page's life) moves the page to the CPU, the drawing kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn two_worker_crashes_on_webgpu_move_the_page_to_the_cpu() {
    let _app = mount_model_page_on("/draw", "page-draw", "webgpu").await;
    if text("backend") != "webgpu" {
        // No WebGPU adapter in this browser: nothing to move away from.
        return;
    }
    for _ in 0..2 {
        let crash = convlab_web::ml::crash_worker().await.unwrap_err();
        assert!(crash.contains("crashed"), "{crash}");
    }
    // The page's next request (this drawing's) notices the second crash.
    draw_synthetic_digit("draw-canvas", 3, 3).await;
    let ink = ink_pixels("draw-canvas");
    wait_until("the move to the CPU", 60.0, || {
        find("backend").is_some_and(|_| text("backend") == "cpu")
    })
    .await;
    let status = text("model-status");
    assert!(status.contains("crashed 2 times"), "{status}");
    wait_until("LeNet-5 on the CPU", 60.0, || {
        text("draw-prediction") == "3"
    })
    .await;
    assert_eq!(ink_pixels("draw-canvas"), ink, "the drawing is kept");
}
