//! Any number in the address bar, however large, gives a working page: the largest `u32` (and
//! floats at `f32::MAX`) on every page's numeric settings. Each page either shows its limits
//! message or keeps to its limits; none panics, allocates without bound or stops answering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MAX: &str = "4294967295";

/// Mounts `path?query`, waits a moment for its effects, and checks the page is still there.
async fn survives(path: &str, query: &str, page: &str) -> String {
    let _app = mount_app_at(&format!("{path}?{query}"), page).await;
    settle().await;
    sleep_ms(200).await;
    assert!(find(page).is_some(), "{path}?{query}: the page is gone");
    text(page)
}

#[wasm_bindgen_test]
async fn the_convolution_pages_survive_the_largest_numbers() {
    let q = |keys: &[&str]| {
        keys.iter()
            .map(|k| format!("{k}={MAX}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    survives("/convolution-1d", &q(&["t", "m"]), "page-convolution-1d").await;
    survives("/pooling", &q(&["k", "s"]), "page-pooling").await;
    survives("/sobel", &q(&["row", "col"]), "page-sobel").await;
    let text = survives(
        "/arithmetic",
        &q(&["i", "k", "s", "p", "d", "cin", "cout", "op"]),
        "page-arithmetic",
    )
    .await;
    assert!(text.contains("must be between"), "{text}");
}

#[wasm_bindgen_test]
async fn the_cnn_page_survives_the_largest_numbers() {
    let query = format!(
        "iw={MAX}&ih={MAX}&ic={MAX}&n={MAX}&k={MAX}&f={MAX}&sn={MAX}&sl={MAX}&sw={MAX}&b=3.4e38"
    );
    let text = survives("/cnn", &query, "page-cnn").await;
    assert!(text.contains("must be between"), "{text}");
}

#[wasm_bindgen_test]
async fn the_training_lab_survives_the_largest_numbers() {
    let query = format!(
        "n={MAX}&nv={MAX}&nt={MAX}&seed=18446744073709551615&bs={MAX}&ep={MAX}&lr=3.4e38&l1=3.4e38&shift=3.4e38"
    );
    let _app = mount_app_at(&format!("/train?{query}"), "page-train").await;
    settle().await;
    click("train-start");
    settle().await;
    let message = text("train-message");
    assert!(message.contains("images in all"), "{message}");
}
