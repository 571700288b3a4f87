//! A lost GPU device in headless Chromium (its own test page: the device is destroyed for
//! good, which would spoil the other tests' WebGPU).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use convlab_protocol::{Backend, VaeChoice};
use convlab_worker::{Failure, Models, Stop, gpu};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn work_on_a_lost_device_is_an_error_and_the_cpu_goes_on() {
    let gpu_models = Models::load(Backend::WebGpu, &shipped_weights())
        .await
        .expect("headless Chromium offers WebGPU (SwiftShader)");
    let heard = std::rc::Rc::new(std::cell::RefCell::new(None));
    let hook = heard.clone();
    gpu::on_lost(move |why| *hook.borrow_mut() = Some(why));
    let stop = Stop::default();
    let codes = [0.5f32, -0.5];
    assert!(
        gpu_models
            .decode(VaeChoice::Vae2, &codes, &stop)
            .await
            .is_ok()
    );

    gpu::destroy();
    // The callback comes from the browser a moment later.
    for _ in 0..200 {
        if heard.borrow().is_some() {
            break;
        }
        sleep_ms(25).await;
    }
    let why = heard
        .borrow()
        .clone()
        .expect("the device-lost callback ran");
    assert!(why.contains("lost"), "{why}");
    let err = gpu_models
        .decode(VaeChoice::Vae2, &codes, &stop)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Failure::Error(e) if e.contains("lost")),
        "{err:?}"
    );
    assert!(
        Models::load(Backend::WebGpu, &shipped_weights())
            .await
            .is_err()
    );

    let cpu = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    let image = cpu.decode(VaeChoice::Vae2, &codes, &stop).await.unwrap();
    assert_eq!(image.len(), 784);
}
