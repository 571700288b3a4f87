//! Browser tests of `/pooling`: the lecture's numbers, and controls that change the output.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn lecture_example_gives_the_slide_numbers() {
    let _app = mount_app_at("/pooling", "page-pooling").await;
    settle().await;
    assert_eq!(cell_texts("pooling-max"), ["6", "8", "3", "4"]);
    assert_eq!(cell_texts("pooling-mean"), ["3", "5", "2", "2"]);
    assert_eq!(cell_texts("pooling-input").len(), 16);
}

#[wasm_bindgen_test]
async fn stride_one_gives_overlapping_windows_and_lands_in_the_url() {
    let _app = mount_app_at("/pooling", "page-pooling").await;
    set_value("pooling-stride", "1");
    settle().await;
    assert_eq!(
        cell_texts("pooling-max"),
        ["6", "7", "8", "6", "7", "8", "3", "3", "4"]
    );
    assert!(query().contains("s=1"), "query was {}", query());
}

#[wasm_bindgen_test]
async fn settings_come_back_from_the_url() {
    let _app = mount_app_at("/pooling?k=4&s=1", "page-pooling").await;
    settle().await;
    assert_eq!(cell_texts("pooling-max"), ["8"]);
    assert_eq!(cell_texts("pooling-mean"), ["3"]);
}

#[wasm_bindgen_test]
async fn editing_a_cell_changes_the_output() {
    let _app = mount_app_at("/pooling", "page-pooling").await;
    settle().await;
    let input = find("pooling-input").unwrap();
    let first: web_sys::HtmlInputElement =
        wasm_bindgen::JsCast::unchecked_into(input.first_element_child().unwrap());
    first.set_value("20");
    first
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle().await;
    assert_eq!(cell_texts("pooling-max")[0], "20");
    assert_eq!(cell_texts("pooling-mean")[0], "8");
}

#[wasm_bindgen_test]
async fn a_window_larger_than_the_input_shows_an_error_and_recovers() {
    let _app = mount_app_at("/pooling", "page-pooling").await;
    set_value("pooling-kernel", "5");
    settle().await;
    let err = document()
        .query_selector("[data-testid=page-pooling] .error")
        .unwrap();
    assert!(err.is_some(), "an error message is shown");
    set_value("pooling-kernel", "2");
    settle().await;
    assert_eq!(cell_texts("pooling-max"), ["6", "8", "3", "4"]);
}

#[wasm_bindgen_test]
async fn the_image_is_pooled_to_half_size() {
    let _app = mount_app_at("/pooling", "page-pooling").await;
    settle().await;
    let (w, h, _) = canvas_pixels("pooling-image-input");
    let (w2, h2, px) = canvas_pixels("pooling-image-max");
    assert_eq!((w2, h2), (w / 2, h / 2));
    assert!(
        px.chunks(4).any(|p| p[0] > 200),
        "the pooled image has bright pixels"
    );
}
