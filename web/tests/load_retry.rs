//! A failed download of the weights (in a page of its own: the models must not be loaded
//! yet) shows why, with a button that tries again, and trying again loads them once they can
//! be had.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_failed_weights_download_is_not_kept_and_try_again_loads_them() {
    use_test_worker();
    let base = option_env!("CONVLAB_TEST_WORKER_URL").unwrap_or_default();
    // A folder the server does not have: every weights file is a 404.
    convlab_web::ml::set_weights_url(Some(format!("{base}no-such-folder/")));
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .set_item("convlab.backend", "cpu")
        .unwrap();
    let _app = mount_app_at("/generate?n=4", "page-generate").await;
    wait_until("the load to fail", 60.0, || find("models-retry").is_some()).await;
    let status = text("model-status");
    assert!(status.contains("could not be loaded"), "{status}");
    assert!(find("backend").is_none());

    // The files are back (the network returned): the same page loads them on request.
    convlab_web::ml::set_weights_url(None);
    click("models-retry");
    wait_until("the models after trying again", 60.0, || {
        find("backend").is_some()
    })
    .await;
    assert!(find("models-retry").is_none());
}
