//! Browsers without a usable WebGPU, in a page of its own (which GPU the page has is decided
//! once per page): a GPU that gives no adapter, then no `navigator.gpu` at all. Both run the
//! models on the CPU and say why.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn no_adapter_and_no_navigator_gpu_each_run_the_models_on_the_cpu() {
    let navigator = web_sys::window().unwrap().navigator();
    let has_gpu = js_sys::Reflect::get(&navigator, &"gpu".into())
        .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null());
    if has_gpu {
        // The worker's GPU answers every adapter request with none (as a blocklisted driver
        // does), while the page still offers WebGPU.
        convlab_web::ml::client::set_worker_prelude(
            "if (self.navigator.gpu) { self.navigator.gpu.requestAdapter = \
             function () { return Promise.resolve(null); }; }",
        );
        let app = mount_model_page_on("/draw", "page-draw", "webgpu").await;
        wait_until("the move to the CPU", 60.0, || text("backend") == "cpu").await;
        let status = text("model-status");
        assert!(status.contains("WebGPU failed"), "{status}");
        draw_synthetic_digit("draw-canvas", 3, 3).await;
        wait_until("LeNet-5 on the CPU", 60.0, || {
            text("draw-prediction") == "3"
        })
        .await;
        drop(app);
        convlab_web::ml::client::set_worker_prelude("");
    }

    // No `navigator.gpu` on the page: WebGPU is not offered at all.
    let hidden = js_sys::Object::new();
    js_sys::Reflect::set(&hidden, &"value".into(), &JsValue::UNDEFINED).unwrap();
    js_sys::Reflect::set(&hidden, &"configurable".into(), &JsValue::TRUE).unwrap();
    js_sys::Object::define_property(&navigator, &"gpu".into(), &hidden);
    let _app = mount_model_page_on("/draw", "page-draw", "webgpu").await;
    assert_eq!(text("backend"), "cpu");
    let status = text("model-status");
    assert!(status.contains("this browser offers no WebGPU"), "{status}");
    assert!(find("backend-webgpu").is_none(), "no switch to WebGPU");
    draw_synthetic_digit("draw-canvas", 3, 3).await;
    wait_until("LeNet-5 on the CPU", 60.0, || {
        text("draw-prediction") == "3"
    })
    .await;
}
