//! What the worker's browser tests share: the shipped weights, embedded.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;

use convlab_worker::{WeightFiles, WeightSource};

/// The shipped files (the same bytes Trunk copies into `dist/weights/`), leaving out `skip`.
pub fn shipped_weights_without(skip: &[&str]) -> WeightSource {
    let files = |json: &str, bpk: &[u8]| WeightFiles {
        json: json.to_string(),
        bpk: bpk.to_vec(),
    };
    let all = [
        (
            "vae2",
            files(
                include_str!("../../../../weights/vae2.json"),
                include_bytes!("../../../../weights/vae2.bpk"),
            ),
        ),
        (
            "vae16",
            files(
                include_str!("../../../../weights/vae16.json"),
                include_bytes!("../../../../weights/vae16.bpk"),
            ),
        ),
        (
            "lenet5",
            files(
                include_str!("../../../../weights/lenet5.json"),
                include_bytes!("../../../../weights/lenet5.bpk"),
            ),
        ),
        (
            "ae2",
            files(
                include_str!("../../../../weights/ae2.json"),
                include_bytes!("../../../../weights/ae2.bpk"),
            ),
        ),
    ];
    let map: HashMap<String, WeightFiles> = all
        .into_iter()
        .filter(|(name, _)| !skip.contains(name))
        .map(|(name, f)| (name.to_string(), f))
        .collect();
    WeightSource::Files(map)
}

/// Every shipped file.
pub fn shipped_weights() -> WeightSource {
    shipped_weights_without(&[])
}

/// The ten example digits, flattened (10 × 784 values).
pub fn example_digits() -> Vec<f32> {
    (0..10u8)
        .flat_map(|d| convlab_digits::example_digit(d).unwrap())
        .collect()
}

/// The largest absolute difference between two lists of equal length.
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max)
}

/// Waits `ms` milliseconds (`setTimeout` of whatever global this runs in).
pub async fn sleep_ms(ms: i32) {
    use wasm_bindgen::{JsCast, JsValue};
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = js_sys::Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        set_timeout
            .call2(&global, &resolve, &JsValue::from(ms))
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// `performance.now()`: sub-millisecond, unlike `Date.now()`.
pub fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let now: js_sys::Function = js_sys::Reflect::get(&performance, &"now".into())
        .unwrap()
        .unchecked_into();
    now.call0(&performance).unwrap().as_f64().unwrap()
}

/// The wasm linear memory in bytes (64 KiB pages); natively, where these tests do not run, 0.
pub fn memory_bytes() -> usize {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) * 64 * 1024;
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// The JavaScript heap in use (`performance.memory.usedJSHeapSize`, Chromium's), if the
/// browser says.
pub fn js_heap_bytes() -> Option<f64> {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok()?;
    let memory = js_sys::Reflect::get(&performance, &"memory".into()).ok()?;
    js_sys::Reflect::get(&memory, &"usedJSHeapSize".into())
        .ok()?
        .as_f64()
}
