//! Memory under load (a benchmark: it asserts only that the work was done): 10,000 inferences
//! through the worker's models, as the pages ask for them one drawing at a time (classify,
//! encode, decode its code, in turn), on the CPU, then 2,000 on WebGPU (SwiftShader here, a
//! CPU: 10,000 would take many minutes). It prints
//! the wasm memory and the JavaScript heap after a warm-up of 500, half-way and at the end,
//! each after a pause of a second (time for the browser's idle garbage collection); the goal
//! is flat (under 5 % growth). Five training runs one after another are `training_bench`'s.
//! Run it in release mode, as `cargo xtask bench` does:
//! `cargo test --release --target wasm32-unknown-unknown -p convlab-worker --test memory_bench -- --nocapture`
#![allow(clippy::unwrap_used)]

use convlab_protocol::{Backend, VaeChoice};
use convlab_worker::{Models, Stop};
use wasm_bindgen_test::*;

mod common;

use common::{example_digits, js_heap_bytes, memory_bytes, shipped_weights, sleep_ms};

wasm_bindgen_test_configure!(run_in_browser);

/// Inferences on the CPU and on WebGPU, and those before the first reading.
const INFERENCES: [(Backend, usize); 2] = [(Backend::Cpu, 10_000), (Backend::WebGpu, 2_000)];
const WARM_UP: usize = 500;

#[wasm_bindgen_test]
async fn memory_under_many_inferences() {
    for (backend, inferences) in INFERENCES {
        if backend == Backend::WebGpu && !cfg!(feature = "webgpu") {
            continue;
        }
        let models = Models::load(backend, &shipped_weights()).await.unwrap();
        let digits = example_digits();
        let stop = Stop::default();
        let mut readings = Vec::new();
        for i in 0..inferences {
            if i == WARM_UP || i == inferences / 2 {
                sleep_ms(1000).await;
                readings.push((memory_bytes(), js_heap_bytes()));
            }
            let image = &digits[(i % 10) * 784..(i % 10 + 1) * 784];
            match i % 3 {
                0 => assert_eq!(models.classify(image, &stop).await.unwrap().len(), 10),
                1 => {
                    let (mu, _) = models.encode(VaeChoice::Vae2, image, &stop).await.unwrap();
                    assert_eq!(mu.len(), 2);
                }
                _ => {
                    let code = [(i % 7) as f32 * 0.5 - 1.5, (i % 5) as f32 * 0.5 - 1.0];
                    let decoded = models.decode(VaeChoice::Vae2, &code, &stop).await.unwrap();
                    assert_eq!(decoded.len(), 784);
                }
            }
        }
        sleep_ms(1000).await;
        readings.push((memory_bytes(), js_heap_bytes()));
        let mib = |b: f64| format!("{:.1}", b / (1024.0 * 1024.0));
        let wasm: Vec<String> = readings.iter().map(|r| mib(r.0 as f64)).collect();
        let heap: Vec<String> = readings
            .iter()
            .map(|r| r.1.map_or("?".to_string(), mib))
            .collect();
        let (start, end) = (readings[0], readings[2]);
        let heap_growth = match (start.1, end.1) {
            (Some(a), Some(b)) => format!("{:.3}", b / a),
            _ => "not reported".to_string(),
        };
        console_log!(
            "MEMORY {backend:?}: {inferences} inferences (read after {WARM_UP}, {}, {inferences}): \
             wasm memory {} MiB (end / start {:.3}), JS heap {} MiB (end / start {heap_growth})",
            inferences / 2,
            wasm.join(" → "),
            end.0 as f64 / start.0 as f64,
            heap.join(" → "),
        );
    }
}
