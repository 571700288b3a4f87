//! Browser tests of `/train-vae` with the real model worker on the CPU backend: a short run
//! finishes with its three curves and their formulas filled in, snapshots from step 0 on that
//! the scrubber replays, the latent scatter, grid, samples, unit KL and reparameterisation,
//! and its weights download as a pair in the shipped format; an autoencoder run afterwards
//! shows the VAE's samples beside its own; β moves on a log scale up to 10.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Two epochs of 64 synthetic digits in batches of 32, validation 32.
const SHORT_RUN: &str = "/train-vae?n=64&nv=32&ep=2&bs=32";

fn dots() -> u32 {
    document()
        .query_selector_all("[data-testid=vae-scatter] circle[data-class]")
        .unwrap()
        .length()
}

#[wasm_bindgen_test]
async fn a_short_run_shows_both_terms_and_the_latent_space_forming() {
    let _app = mount_model_page(SHORT_RUN, "page-train-vae").await;
    assert_eq!(text("vae-beta-value").trim(), "β = 1 (the lecture's loss)");
    click("vae-start");
    wait_until("the run to finish", 120.0, || {
        text("vae-status").starts_with("finished")
    })
    .await;
    let status = text("vae-status");
    assert!(status.contains("step 4, epoch 2"), "{status}");
    assert!(status.contains("VAE-2"), "{status}");
    // The formulas carry the last step's values: L = BCE + β·KL = … .
    let total = text("vae-total-formula");
    assert!(total.matches('=').count() >= 3, "{total}");
    assert!(text("vae-kl-formula").contains('='));
    // Snapshots: step 0, after each epoch (the last one also the finish).
    wait_until("the last snapshot", 30.0, || {
        text("vae-snapshot-summary").starts_with("After step 4")
    })
    .await;
    assert_eq!(dots(), 32);
    assert!(find("vae-grid").is_some());
    assert!(find("vae-samples-15").is_some() && find("vae-samples-16").is_none());
    assert_eq!(
        document()
            .query_selector_all("[data-testid=vae-unit-kl] [data-unit]")
            .unwrap()
            .length(),
        2
    );
    assert!(text("vae-z").starts_with('('), "{}", text("vae-z"));
    set_value("vae-scrubber", "0");
    settle().await;
    let first = text("vae-snapshot-summary");
    assert!(first.starts_with("After step 0 (epoch 0)"), "{first}");
    assert_eq!(dots(), 32);

    // The weights go to the browser as a pair in the shipped format.
    click("vae-download");
    wait_until("the weights saved", 30.0, || {
        text("vae-saved").starts_with("Saved lab-vae.json and lab-vae.bpk")
    })
    .await;

    // The autoencoder: no β, no σ; the VAE's prior samples stay beside its own.
    set_value("vae-kind", "ae");
    settle().await;
    assert!(find("vae-beta").is_none());
    click("vae-start");
    // The VAE run's status says "finished" too until the new run's first update.
    wait_until("the autoencoder run to finish", 120.0, || {
        let status = text("vae-status");
        status.starts_with("finished") && status.contains("· AE-2")
    })
    .await;
    assert!(find("vae-previous-samples-0").is_some());
    assert!(find("vae-reparam").is_none());
    assert_eq!(text("vae-message"), "");
    assert!(
        find("vae-use")
            .unwrap()
            .unchecked_into::<web_sys::HtmlButtonElement>()
            .disabled(),
        "an autoencoder cannot stand in for a VAE"
    );
    click("vae-reset");
    settle().await;
    assert!(text("vae-status").starts_with("no run yet"));
}

#[wasm_bindgen_test]
async fn beta_runs_from_zero_to_ten_on_a_log_scale_in_the_address() {
    let _app = mount_model_page("/train-vae", "page-train-vae").await;
    set_value("vae-beta", "40");
    settle().await;
    assert!(
        text("vae-beta-value").starts_with("β = 10"),
        "{}",
        text("vae-beta-value")
    );
    assert!(query().contains("beta=10"), "{}", query());
    set_value("vae-beta", "0");
    settle().await;
    assert!(text("vae-beta-value").starts_with("β = 0"));
    set_value("vae-beta", "20");
    settle().await;
    assert!(
        text("vae-beta-value").starts_with("β = 0.1"),
        "{}",
        text("vae-beta-value")
    );
}
