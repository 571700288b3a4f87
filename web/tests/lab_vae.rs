//! Browser test of the VAE lab's "Use this VAE on the model pages": a run's VAE-2 answers on
//! `/generate` (each model page says so) until the shipped one is put back. In a file of its
//! own, so it runs in a fresh page: the test follows a navigation link, and a router mounted
//! and unmounted by an earlier test can leave its window click listener behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The model-status line's note on the lab's VAE, empty while there is none.
fn note() -> String {
    find("lab-vae-note")
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_trained_vae_answers_on_the_model_pages_until_put_back() {
    let _app = mount_model_page("/train-vae?n=64&nv=32&ep=1&bs=32", "page-train-vae").await;
    click("vae-start");
    wait_until("the run to finish", 120.0, || {
        text("vae-status").starts_with("finished")
    })
    .await;
    click("vae-use");
    wait_until("the lab's VAE in use", 30.0, || {
        note().starts_with("VAE-2 here is the VAE lab's after step 2")
    })
    .await;
    assert!(
        text("vae-in-use").starts_with("The model pages' VAE-2 is the VAE lab's"),
        "{}",
        text("vae-in-use")
    );

    let link: web_sys::HtmlElement = document()
        .query_selector("header nav a[href=\"/generate\"]")
        .unwrap()
        .expect("a link to /generate")
        .unchecked_into();
    link.click();
    wait_for("page-generate").await;
    assert!(
        note().starts_with("VAE-2 here is the VAE lab's"),
        "{}",
        note()
    );
    wait_until("the lab VAE's samples", 60.0, || {
        !cell_texts("generate-samples").is_empty()
    })
    .await;
    let trained = cell_texts("generate-samples");
    click("lab-vae-back");
    wait_until("the shipped VAE's samples", 60.0, || {
        let now = cell_texts("generate-samples");
        find("lab-vae-note").is_none() && !now.is_empty() && now != trained
    })
    .await;
}
