//! The worker's models in headless Chromium (run on the test page itself, without a Worker:
//! `serve` is what adds the messages, and the web app's tests go through a real one). Real
//! shipped weights, the CPU backend and WebGPU on SwiftShader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use convlab_protocol::{Backend, VaeChoice};
use convlab_worker::{Failure, Models, Stop, WeightFiles, WeightSource};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn webgpu_and_the_cpu_give_the_same_outputs() {
    let gpu = Models::load(Backend::WebGpu, &shipped_weights())
        .await
        .expect("headless Chromium offers WebGPU (SwiftShader)");
    let cpu = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    // The build with relaxed SIMD says so (the page shows it).
    assert_eq!(
        cpu.info().fused_multiply_add,
        cfg!(feature = "relaxed-simd")
    );
    assert!(!gpu.info().fused_multiply_add);
    let (stop, images) = (Stop::default(), example_digits());
    // On the CPU the VAEs decode with their `CpuDecoder`s; the untrained VAE's weights are
    // drawn on the CPU for both.
    for which in VaeChoice::ALL {
        let (mg, lg) = gpu.encode(which, &images, &stop).await.unwrap();
        let (mc, lc) = cpu.encode(which, &images, &stop).await.unwrap();
        assert!(
            max_diff(&mg, &mc) <= 1e-4,
            "{which:?} μ: {}",
            max_diff(&mg, &mc)
        );
        assert!(max_diff(&lg, &lc) <= 1e-4, "{which:?} log σ²");
        let (dg, dc) = (
            gpu.decode(which, &mc, &stop).await.unwrap(),
            cpu.decode(which, &mc, &stop).await.unwrap(),
        );
        assert_eq!(dc.len(), 10 * 784);
        assert!(
            max_diff(&dg, &dc) <= 1e-4,
            "{which:?} decode: {}",
            max_diff(&dg, &dc)
        );
    }
    let (cg, cc) = (
        gpu.classify(&images, &stop).await.unwrap(),
        cpu.classify(&images, &stop).await.unwrap(),
    );
    assert!(
        max_diff(&cg, &cc) <= 1e-4,
        "LeNet-5: {}",
        max_diff(&cg, &cc)
    );
    // And LeNet-5 knows the examples.
    for (digit, p) in cc.chunks(10).enumerate() {
        let best = (0..10).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(best, digit, "{p:?}");
    }
}

#[wasm_bindgen_test]
async fn wrong_sizes_are_errors_not_panics() {
    let cpu = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    let stop = Stop::default();
    let err = cpu
        .encode(VaeChoice::Vae2, &[0.5; 783], &stop)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Failure::Error(e) if e.contains("783")),
        "{err:?}"
    );
    let err = cpu
        .decode(VaeChoice::Vae16, &[0.0; 2], &stop)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Failure::Error(e) if e.contains("16")),
        "{err:?}"
    );
    assert!(cpu.classify(&[1.0; 785], &stop).await.is_err());
    // Nothing asked, nothing answered.
    assert!(
        cpu.decode(VaeChoice::Vae2, &[], &stop)
            .await
            .unwrap()
            .is_empty()
    );
}

#[wasm_bindgen_test]
async fn a_cancelled_job_stops_between_slices() {
    let cpu = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    let stop = Stop::default();
    stop.set();
    let codes = vec![0.25; 400 * 2];
    let result = cpu.decode(VaeChoice::Vae2, &codes, &stop).await;
    assert_eq!(result, Err(Failure::Cancelled));
}

#[wasm_bindgen_test]
async fn reference_digits_are_encoded_with_their_labels() {
    let cpu = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    let refs = cpu
        .references(VaeChoice::Vae16, &Stop::default())
        .await
        .unwrap();
    assert_eq!(refs.labels.len(), 300);
    assert_eq!(refs.images.len(), 300 * 784);
    assert_eq!(refs.mu.len(), 300 * 16);
    assert_eq!(&refs.labels[..12], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
}

#[wasm_bindgen_test]
async fn a_missing_autoencoder_is_said_and_the_rest_works() {
    let cpu = Models::load(Backend::Cpu, &shipped_weights_without(&["ae2"]))
        .await
        .unwrap();
    let info = cpu.info();
    assert!(
        info.autoencoder_missing
            .as_deref()
            .is_some_and(|why| why.contains("not shipped")),
        "{info:?}"
    );
    assert_eq!(info.latent_dim(VaeChoice::Vae16), 16);
    let answer = cpu.autoencode(&example_digits(), &Stop::default()).await;
    assert_eq!(answer, Ok(None));
}

#[wasm_bindgen_test]
async fn corrupt_weights_are_refused_with_the_name() {
    let WeightSource::Files(mut files) = shipped_weights() else {
        unreachable!()
    };
    let vae16 = files.get("vae16").unwrap().clone();
    files.insert(
        "vae16".into(),
        WeightFiles {
            json: vae16.json,
            bpk: vae16.bpk[..vae16.bpk.len() / 2].to_vec(),
        },
    );
    let err = Models::load(Backend::Cpu, &WeightSource::Files(files))
        .await
        .unwrap_err();
    assert!(err.starts_with("vae16:"), "{err}");
}

#[wasm_bindgen_test]
async fn every_layer_of_lenet5_agrees_on_webgpu_and_the_cpu_and_ends_in_classify() {
    let gpu = Models::load(Backend::WebGpu, &shipped_weights())
        .await
        .expect("headless Chromium offers WebGPU (SwiftShader)");
    let cpu = Models::load(Backend::Cpu, &shipped_weights())
        .await
        .unwrap();
    let stop = Stop::default();
    let digit = &example_digits()[3 * 784..4 * 784];
    let (mg, mc) = (
        gpu.feature_maps(digit).await.unwrap(),
        cpu.feature_maps(digit).await.unwrap(),
    );
    let names: Vec<&str> = mc.iter().map(|m| m.layer.as_str()).collect();
    assert_eq!(
        names,
        [
            "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3", "softmax"
        ]
    );
    for (g, c) in mg.iter().zip(&mc) {
        assert_eq!(g.shape, c.shape, "{}", c.layer);
        let [maps, rows, cols] = c.shape.map(|v| v as usize);
        assert_eq!(c.values.len(), maps * rows * cols, "{}", c.layer);
        let scale = c.values.iter().fold(1f32, |m, v| m.max(v.abs()));
        assert!(
            max_diff(&g.values, &c.values) <= 1e-4 * scale,
            "{}: {}",
            c.layer,
            max_diff(&g.values, &c.values)
        );
    }
    let probs = cpu.classify(digit, &stop).await.unwrap();
    assert!(max_diff(&mc[7].values, &probs) <= 1e-6);
    // The networks' layers and LeNet-5's kernels, read from the modules on either device.
    let (ng, nc) = (gpu.networks().await.unwrap(), cpu.networks().await.unwrap());
    assert_eq!(ng.lenet5, nc.lenet5);
    assert_eq!(nc.conv1.shape, [6, 1, 5, 5]);
    assert_eq!(nc.conv2.shape, [16, 6, 5, 5]);
    assert!(max_diff(&ng.conv2.weights, &nc.conv2.weights) <= 1e-7);
    assert_eq!(nc.alexnet.layers.len(), 19);
    // A wrong size is an error, not a panic.
    assert!(cpu.feature_maps(&digit[..700]).await.is_err());
}
