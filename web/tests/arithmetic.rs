//! Browser tests of `/arithmetic`: the lecture's worked examples as presets, controls that
//! change the output, errors that recover, and settings that round-trip through the URL.
// Tests unwrap: a failure should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn error_shown() -> bool {
    document()
        .query_selector("[data-testid=page-arithmetic] .error[role=alert]")
        .unwrap()
        .is_some()
}

#[wasm_bindgen_test]
async fn opens_with_the_lecture_aside() {
    let _app = mount_app_at("/arithmetic", "page-arithmetic").await;
    settle().await;
    assert_eq!(text("arithmetic-size"), "3×3");
    assert_eq!(
        cell_texts("arithmetic-output"),
        ["27", "39", "51", "55", "59", "63", "25", "21", "17"]
    );
    assert_eq!(cell_texts("arithmetic-input").len(), 16);
    assert_eq!(cell_texts("arithmetic-kernel"), ["3", "5", "2", "2"]);
    // 1·1·2·2 weights + 1 bias; 4 multiply-adds for each of the 9 output cells.
    assert_eq!(text("arithmetic-params"), "5");
    assert_eq!(text("arithmetic-macs"), "36");
    assert!(!error_shown());
    let picture = find("arithmetic-picture").expect("the animated picture");
    let labels = picture.text_content().unwrap_or_default();
    assert!(
        labels.contains("Input") && labels.contains("Output"),
        "picture labels: {labels}"
    );
}

#[wasm_bindgen_test]
async fn stride_two_on_the_aside_gives_two_by_two() {
    let _app = mount_app_at("/arithmetic", "page-arithmetic").await;
    settle().await;
    set_value("arithmetic-stride", "2");
    settle().await;
    assert_eq!(text("arithmetic-size"), "2×2");
    // Windows at (0,0), (0,2), (2,0), (2,2) of the lecture input with [[3,5],[2,2]].
    assert_eq!(cell_texts("arithmetic-output"), ["27", "51", "25", "17"]);
    assert!(query().contains("s=2"), "query was {}", query());
}

#[wasm_bindgen_test]
async fn presets_give_the_lecture_numbers() {
    let _app = mount_app_at("/arithmetic", "page-arithmetic").await;
    settle().await;

    set_value("arithmetic-preset", "aside-transposed");
    settle().await;
    assert_eq!(text("arithmetic-size"), "4×4");
    assert_eq!(
        cell_texts("arithmetic-output"),
        [
            "81", "252", "348", "255", "219", "584", "664", "417", "185", "416", "400", "211",
            "50", "92", "76", "34"
        ]
    );
    assert_eq!(
        cell_texts("arithmetic-input"),
        ["27", "39", "51", "55", "59", "63", "25", "21", "17"]
    );
    assert!(text("arithmetic-aside-note").contains("not the values"));

    set_value("arithmetic-preset", "vae-encoder");
    settle().await;
    assert_eq!(text("arithmetic-size"), "14×14");
    assert_eq!(cell_texts("arithmetic-output").len(), 14 * 14);
    assert_eq!(text("arithmetic-params"), "320");

    set_value("arithmetic-preset", "vae-decoder");
    settle().await;
    assert_eq!(text("arithmetic-size"), "14×14");

    set_value("arithmetic-preset", "lenet-c1");
    settle().await;
    assert_eq!(text("arithmetic-size"), "28×28");
    assert_eq!(text("arithmetic-params"), "156");
    // 28×28 values are shown as their top-left 16×16.
    assert_eq!(cell_texts("arithmetic-output").len(), 16 * 16);

    set_value("arithmetic-preset", "dilated");
    settle().await;
    assert_eq!(text("arithmetic-size"), "3×3");

    set_value("arithmetic-preset", "pooling");
    settle().await;
    assert_eq!(text("arithmetic-size"), "2×2");

    set_value("arithmetic-preset", "aside");
    settle().await;
    assert_eq!(text("arithmetic-size"), "3×3");
    assert_eq!(cell_texts("arithmetic-output")[0], "27");
}

#[wasm_bindgen_test]
async fn the_transposed_toggle_turns_the_aside_around() {
    let _app = mount_app_at("/arithmetic?i=3", "page-arithmetic").await;
    settle().await;
    assert_eq!(text("arithmetic-size"), "2×2");
    click("arithmetic-transposed");
    settle().await;
    assert_eq!(text("arithmetic-size"), "4×4");
    assert_eq!(cell_texts("arithmetic-output")[0], "81");
    assert!(query().contains("tr=true"), "query was {}", query());
    // Step 1: input cell (0, 0) = 27 stamps the kernel onto the four top-left output cells.
    let highlighted = document()
        .query_selector_all("[data-testid=arithmetic-output] .cell.hl")
        .unwrap()
        .length();
    assert_eq!(highlighted, 4);
    assert!(text("arithmetic-step-text").contains("input cell (row 1, column 1) = 27"));
}

#[wasm_bindgen_test]
async fn impossible_settings_show_an_error_and_recover() {
    let _app = mount_app_at("/arithmetic", "page-arithmetic").await;
    settle().await;
    set_value("arithmetic-kernel-size", "5");
    settle().await;
    assert!(error_shown(), "a kernel larger than the input is an error");
    assert_eq!(text("arithmetic-size"), "—");
    set_value("arithmetic-padding", "1");
    settle().await;
    assert!(!error_shown(), "padding 1 makes room for the 5×5 kernel");
    assert_eq!(text("arithmetic-size"), "2×2");
    set_value("arithmetic-padding", "0");
    set_value("arithmetic-kernel-size", "2");
    settle().await;
    assert!(!error_shown());
    assert_eq!(cell_texts("arithmetic-output")[0], "27");

    // Output padding must be smaller than the stride (or the dilation).
    click("arithmetic-transposed");
    settle().await;
    set_value("arithmetic-output-padding", "1");
    settle().await;
    assert!(error_shown(), "output padding 1 with stride 1 is an error");
    set_value("arithmetic-stride", "2");
    settle().await;
    assert!(!error_shown());
    // (4 − 1)·2 + (2 − 1) + 1 + 1 = 9.
    assert_eq!(text("arithmetic-size"), "9×9");
}

#[wasm_bindgen_test]
async fn settings_come_back_from_the_url() {
    let _app = mount_app_at("/arithmetic?i=28&k=3&s=2&p=1&cout=32", "page-arithmetic").await;
    settle().await;
    assert_eq!(text("arithmetic-size"), "14×14");
    assert_eq!(text("arithmetic-params"), "320");
    let preset = find("arithmetic-preset").unwrap();
    let select: &web_sys::HtmlSelectElement = wasm_bindgen::JsCast::unchecked_ref(&preset);
    assert_eq!(
        select.value(),
        "vae-encoder",
        "the matching preset is shown"
    );
    drop(_app);

    let _app = mount_app_at("/arithmetic?i=3&tr=true", "page-arithmetic").await;
    settle().await;
    assert_eq!(text("arithmetic-size"), "4×4");
    assert_eq!(cell_texts("arithmetic-output")[15], "34");
}

#[wasm_bindgen_test]
async fn the_step_buttons_move_the_highlighted_output_cell() {
    let _app = mount_app_at("/arithmetic", "page-arithmetic").await;
    settle().await;
    let highlighted = || {
        let cells = cell_texts("arithmetic-output");
        let grid = find("arithmetic-output").unwrap();
        let children = grid.children();
        (0..children.length())
            .filter(|&k| children.item(k).unwrap().class_list().contains("hl"))
            .map(|k| cells[k as usize].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(highlighted(), ["27"]);
    click("arithmetic-next");
    settle().await;
    assert_eq!(highlighted(), ["39"]);
    assert!(
        text("arithmetic-step-text").contains("= 39"),
        "{}",
        text("arithmetic-step-text")
    );
    set_value("arithmetic-step", "8");
    settle().await;
    assert_eq!(highlighted(), ["17"]);
    // Play from the last step starts again at the first and moves on by itself.
    click("arithmetic-play");
    settle().await;
    sleep_ms(1300).await;
    let now = highlighted();
    assert!(now != ["17"], "the animation moved on: {now:?}");
    click("arithmetic-play");
}

#[wasm_bindgen_test]
async fn editing_the_kernel_changes_the_output() {
    let _app = mount_app_at("/arithmetic", "page-arithmetic").await;
    settle().await;
    let kernel = find("arithmetic-kernel").unwrap();
    let first: web_sys::HtmlInputElement =
        wasm_bindgen::JsCast::unchecked_into(kernel.first_element_child().unwrap());
    first.set_value("1");
    first
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle().await;
    // 0·1 + 1·5 + 5·2 + 6·2 = 27 − 0 (the top-left input is 0), then 1·1 + 2·5 + 6·2 + 7·2 = 37.
    assert_eq!(cell_texts("arithmetic-output")[..2], ["27", "37"]);
    assert!(query().contains("w="), "query was {}", query());
}
