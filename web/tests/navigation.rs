//! Browser test of the navigation bar. In a file of its own, so it runs in a fresh page: a
//! router mounted and unmounted by an earlier test can leave its window click listener behind,
//! which would take the click first.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn navigation_links_open_each_page() {
    let _app = mount_app_at("/", "page-home").await;
    for (route, testid) in [
        ("/pooling", "page-pooling"),
        ("/arithmetic", "page-arithmetic"),
        ("/sobel", "page-sobel"),
        ("/convolution-1d", "page-convolution-1d"),
    ] {
        let link: web_sys::HtmlElement = document()
            .query_selector(&format!("header nav a[href=\"{route}\"]"))
            .unwrap()
            .unwrap_or_else(|| panic!("no nav link to {route}"))
            .unchecked_into();
        link.click();
        wait_for(testid).await;
        assert_eq!(
            web_sys::window().unwrap().location().pathname().unwrap(),
            route
        );
    }
}
