//! Loading faults, in a page of its own (the models must not be loaded yet): a server that
//! never sends the worker or the weights, and one that has no weights. Each shows why, with a
//! button that tries again, and trying again loads the models once they can be had.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use convlab_web::ml;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Seconds the page and the worker wait here before giving up (30 in the app).
const TIMEOUT_MS: u32 = 3_000;

/// Clicks "Try again" and waits until the status line says `expected` (with the button back).
async fn try_again_until(what: &str, expected: &str) {
    click("models-retry");
    wait_until(what, 60.0, || {
        find("models-retry").is_some() && text("model-status").contains(expected)
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_stalled_or_failed_load_says_why_and_try_again_loads_the_models() {
    let base = option_env!("CONVLAB_TEST_WORKER_URL").unwrap_or_default();
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .set_item("convlab.backend", "cpu")
        .unwrap();
    ml::client::set_timeout_ms(TIMEOUT_MS);

    // The worker's files never come: the page stops waiting for its start.
    ml::client::set_base(&format!("{base}stall/"));
    let _app = mount_app_at("/generate?n=4", "page-generate").await;
    wait_until("the worker's start to time out", 60.0, || {
        find("models-retry").is_some()
    })
    .await;
    let status = text("model-status");
    assert!(
        status.contains("could not be loaded") && status.contains("did not start within 3 s"),
        "{status}"
    );
    assert!(find("backend").is_none());

    // The worker starts, but the weights never come: the worker stops waiting for them.
    use_test_worker();
    ml::set_weights_url(Some(format!("{base}stall/weights/")));
    try_again_until("the weights to time out", "did not arrive within 3 s").await;

    // A folder the server does not have: every weights file is a 404 (without CORS headers,
    // so the browser reports a failed fetch of that file).
    ml::set_weights_url(Some(format!("{base}no-such-folder/")));
    try_again_until("the weights' 404", "no-such-folder/vae2.json").await;

    // The files are back (the network returned): the same page loads them on request.
    ml::set_weights_url(None);
    click("models-retry");
    wait_until("the models after trying again", 60.0, || {
        find("backend").is_some()
    })
    .await;
    assert!(find("models-retry").is_none());
}
