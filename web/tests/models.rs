//! Browser tests of the model pages (`/draw`, `/interpolate`, `/latent-map`, `/generate`,
//! `/denoise`) with the shipped weights on the CPU backend: real Burn models in the real
//! model worker (served by `cargo xtask test`), real pointer events, real canvases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use convlab_digits::latent::distance;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn every_model_page_mounts_and_names_its_backend() {
    for (url, page) in [
        ("/draw", "page-draw"),
        ("/interpolate", "page-interpolate"),
        ("/latent-map", "page-latent-map"),
        ("/generate", "page-generate"),
        ("/denoise", "page-denoise"),
    ] {
        let _app = mount_model_page(url, page).await;
        assert_eq!(text("backend"), "cpu", "{url}");
    }
}

/// Draws the synthetic `digit` on the draw page's pad and returns LeNet-5's answer.
async fn draw_digit(digit: u8, seed: u64) -> String {
    draw_synthetic_digit("draw-canvas", digit, seed).await;
    wait_until("LeNet-5's answer", 30.0, || {
        !text("draw-prediction").is_empty()
    })
    .await;
    // The answer for the last stroke (earlier strokes may have been answered first).
    settle().await;
    sleep_ms(300).await;
    text("draw-prediction")
}

#[wasm_bindgen_test]
async fn drawn_digits_are_classified_as_intended() {
    let _app = mount_model_page("/draw", "page-draw").await;
    let mut wrong = Vec::new();
    for digit in 0..10u8 {
        let answer = draw_digit(digit, 3).await;
        if answer != digit.to_string() {
            wrong.push((digit, answer));
        }
    }
    // The shipped LeNet-5 labels ≥ 90% of synthetic digits right: allow one miss in ten.
    assert!(wrong.len() <= 1, "misclassified (drawn, answer): {wrong:?}");

    // The VAE's side of the last drawing: μ has two numbers, the reconstruction has ink, the
    // preprocessing steps are shown.
    let mu = text("draw-mu");
    assert!(
        mu.starts_with("μ = (") && mu.matches(',').count() == 1,
        "{mu}"
    );
    assert!(
        ink_pixels("draw-reconstruction") > 20,
        "the reconstruction is blank"
    );
    assert!(ink_pixels("draw-step-centred") > 20);
    assert_eq!(canvas_pixels("draw-reconstruction").0, 28);
    assert_eq!(cell_texts("draw-samples").len(), 6);
    // The plain autoencoder beside the VAE.
    assert!(
        ink_pixels("draw-ae-reconstruction") > 20,
        "the AE's reconstruction is blank"
    );
    assert!(ink_pixels("draw-vae-reconstruction") > 20);
}

#[wasm_bindgen_test]
async fn a_drawing_survives_leaving_the_page() {
    {
        let _app = mount_model_page("/draw", "page-draw").await;
        draw_digit(7, 1).await;
        assert!(ink_pixels("draw-canvas") > 500);
    }
    let _app = mount_model_page("/draw", "page-draw").await;
    settle().await;
    assert!(ink_pixels("draw-canvas") > 500, "the drawing came back");
    click("draw-canvas-clear");
    settle().await;
    assert_eq!(ink_pixels("draw-canvas"), 0);
}

#[wasm_bindgen_test]
async fn the_slider_moves_the_decode_away_from_a() {
    let _app = mount_model_page("/interpolate?t=0", "page-interpolate").await;
    let mut previous = String::new();
    let mut images = Vec::new();
    for t in ["0", "0.25", "0.5", "0.75", "1"] {
        set_value("interpolate-slider", t);
        wait_until(&format!("the decode at t={t}"), 30.0, || {
            let z = text("interpolate-z");
            !z.is_empty() && z != previous
        })
        .await;
        previous = text("interpolate-z");
        images.push(canvas_grey("interpolate-output"));
    }
    // Where each decode lies between A's and B's: d(x, A) / (d(x, A) + d(x, B)) goes from 0
    // to 1 and rises all the way (the middle decodes are blurred, so d(x, A) alone may dip).
    let (a, b) = (&images[0], &images[4]);
    let position: Vec<f32> = images
        .iter()
        .map(|x| distance(x, a) / (distance(x, a) + distance(x, b)))
        .collect();
    for pair in position.windows(2) {
        assert!(pair[1] > pair[0], "positions between A and B: {position:?}");
    }
    // The strip shows ten decodes with LeNet-5's label under each. VAE-2 blurs a 4 towards
    // a 9 (they are neighbours); VAE-16 keeps the two apart: a 4 at one end, a 9 at the other.
    wait_until("the strip", 30.0, || {
        cell_texts("interpolate-strip").len() == 10
    })
    .await;
    set_value("interpolate-model", "vae16");
    wait_until("the VAE-16 strip", 30.0, || {
        let labels = cell_texts("interpolate-strip");
        labels.len() == 10 && labels[0].contains("→ 4") && labels[9].contains("→ 9")
    })
    .await;
    assert!(
        text("interpolate-turning").contains("becomes"),
        "{}",
        text("interpolate-turning")
    );
    assert!(query().contains("t=1"), "{}", query());
}

#[wasm_bindgen_test]
async fn the_latent_map_scatters_digits_and_decodes_a_click() {
    let _app = mount_model_page("/latent-map?n=8", "page-latent-map").await;
    wait_until("the scatter", 60.0, || {
        document()
            .query_selector_all("[data-testid=latent-map] circle[data-class]")
            .unwrap()
            .length()
            == 300
    })
    .await;
    click_centre("latent-map");
    wait_until("the decoded point", 30.0, || {
        find("latent-map-decoded").is_some_and(|_| canvas_pixels("latent-map-decoded").0 == 28)
    })
    .await;
    assert!(text("latent-map-probe").starts_with('('));
    wait_until("the manifold", 60.0, || {
        find("latent-map-manifold").is_some()
    })
    .await;
    settle().await;
    assert_eq!(canvas_pixels("latent-map-manifold").0, 8 * 28);
    assert!(ink_pixels("latent-map-manifold") > 8 * 8 * 20);

    // Untrained weights: the codes collapse into a clump (the lecture's "random before").
    set_value("latent-map-model", "untrained");
    wait_until("the untrained scatter", 60.0, || {
        text("latent-map-explanation").starts_with("Untrained")
    })
    .await;
    assert!(query().contains("model=untrained"));
}

#[wasm_bindgen_test]
async fn generated_digits_get_labels() {
    let _app = mount_model_page("/generate?n=12", "page-generate").await;
    wait_until("the samples", 60.0, || {
        cell_texts("generate-samples").len() == 12
    })
    .await;
    let first = cell_texts("generate-samples");
    assert!(first.iter().all(|l| l.contains('%')), "{first:?}");
    assert!(text("generate-census").starts_with("LeNet-5 labels"));
    click("generate-resample");
    wait_until("new samples", 60.0, || {
        let now = cell_texts("generate-samples");
        now.len() == 12 && now != first
    })
    .await;
    assert!(query().contains("seed=2"), "{}", query());
}

#[wasm_bindgen_test]
async fn noise_is_removed_and_letters_score_as_anomalies() {
    let _app = mount_model_page("/denoise?digit=3", "page-denoise").await;
    wait_until("a verdict", 60.0, || !text("denoise-verdict").is_empty()).await;
    // Salt and pepper on a fifth of the pixels (the default) with VAE-16: the reconstruction
    // is closer to the clean digit than the noisy input is.
    let clean = canvas_grey("denoise-clean");
    let noisy = canvas_grey("denoise-noisy");
    let output = canvas_grey("denoise-output");
    assert!(
        distance(&output, &clean) < distance(&noisy, &clean),
        "reconstruction {} vs noisy {}",
        distance(&output, &clean),
        distance(&noisy, &clean)
    );
    set_value("denoise-level", "0");
    wait_until("the clean digit's verdict", 30.0, || {
        text("denoise-verdict").starts_with("typical")
    })
    .await;

    click("denoise-try-x");
    wait_until("the letter's verdict", 30.0, || {
        text("denoise-verdict").starts_with("anomaly")
    })
    .await;
    assert!(query().contains("src=drawn"));
}

#[wasm_bindgen_test]
async fn a_crashed_worker_is_replaced_and_the_page_goes_on() {
    let _app = mount_model_page("/draw", "page-draw").await;
    assert_eq!(draw_digit(3, 3).await, "3");
    let ink = ink_pixels("draw-canvas");
    let crash = convlab_web::ml::crash_worker().await.unwrap_err();
    assert!(crash.contains("crashed"), "{crash}");
    assert_eq!(ink_pixels("draw-canvas"), ink, "the drawing is kept");
    // The next request starts a new worker, which loads the models again first.
    draw_digit(7, 3).await;
    wait_until("LeNet-5's answer from a new worker", 60.0, || {
        text("draw-prediction") == "7"
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_lost_gpu_moves_the_page_to_the_cpu_and_keeps_the_drawing() {
    let _app = mount_model_page_on("/draw", "page-draw", "webgpu").await;
    assert_eq!(text("backend"), "webgpu");
    let answer = draw_digit(3, 3).await;
    assert_eq!(answer, "3");
    let ink = ink_pixels("draw-canvas");
    convlab_web::ml::lose_gpu().await.unwrap();
    wait_until("the move to the CPU", 30.0, || {
        find("backend").is_some_and(|_| text("backend") == "cpu")
    })
    .await;
    wait_until("LeNet-5 on the CPU", 30.0, || {
        text("draw-prediction") == "3"
    })
    .await;
    assert_eq!(ink_pixels("draw-canvas"), ink, "the drawing is kept");
    assert!(
        text("model-status").contains("lost"),
        "{}",
        text("model-status")
    );
}

#[wasm_bindgen_test]
async fn long_cpu_requests_are_spread_over_workers_and_agree() {
    use convlab_web::ml::client;
    use convlab_web::ml::{self, Backend, VaeChoice};

    let _app = mount_model_page("/latent-map", "page-latent-map").await;
    let models = ml::models(Backend::Cpu).await.unwrap();
    let codes: Vec<Vec<f32>> = convlab_digits::latent::manifold_grid(7, 0.05)
        .into_iter()
        .map(|[x, y]| vec![3.0 * x, 3.0 * y])
        .collect();
    let worst = |a: &[Vec<f32>], b: &[Vec<f32>]| {
        assert_eq!(a.len(), b.len());
        a.iter()
            .flatten()
            .zip(b.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max)
    };

    client::set_workers(1);
    assert_eq!(client::helpers_ready().await, 0);
    let alone = models.decode(VaeChoice::Vae2, &codes).await.unwrap();
    let mu = |posteriors: Vec<ml::Posterior>| -> Vec<Vec<f32>> {
        posteriors.into_iter().map(|p| p.mu).collect()
    };
    let alone_mu = mu(models.encode(VaeChoice::Vae16, &alone).await.unwrap());

    // Three workers: 49 codes in parts of 16, 8, 8, 8, 8 and 1, taken by whichever worker is
    // free, answered in order.
    client::set_workers(3);
    assert_eq!(client::helpers_ready().await, 2, "both helpers load");
    let spread = models.decode(VaeChoice::Vae2, &codes).await.unwrap();
    assert!(worst(&alone, &spread) <= 1e-5, "decodes differ");
    let spread_mu = mu(models.encode(VaeChoice::Vae16, &alone).await.unwrap());
    assert!(worst(&alone_mu, &spread_mu) <= 1e-5, "encodes differ");

    // A helper that crashes while it holds a part: the main worker redoes that part, and the
    // helper is not used again.
    let helper = client::helpers()[0].clone();
    let (again, crash) = futures::future::join(
        models.decode(VaeChoice::Vae2, &codes),
        helper.call(convlab_protocol::Request::Crash),
    )
    .await;
    assert!(crash.is_err(), "the helper crashed: {crash:?}");
    assert!(
        worst(&alone, &again.unwrap()) <= 1e-5,
        "decodes after a crash"
    );
    assert_eq!(client::helpers().len(), 1);
    client::set_workers(1);
}
