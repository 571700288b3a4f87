//! Browser tests of `/cnn` with the shipped weights on the CPU backend: the neuron against the
//! lecture's numbers, the architecture cards from the real modules, every layer of the real
//! LeNet-5 on a drawn digit (and its answer against the draw page's), the weight counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn value_of(testid: &str) -> String {
    find(testid)
        .unwrap_or_else(|| panic!("no {testid}"))
        .get_attribute("data-value")
        .unwrap_or_default()
}

/// Clicks cell `index` (row-major) of the matrix grid `testid`.
fn click_cell(testid: &str, index: u32) {
    let cell = find(testid).unwrap().children().item(index).unwrap();
    let rect = cell.get_bounding_client_rect();
    fire_at(
        &cell,
        "MouseEvent",
        "click",
        rect.left() + 2.0,
        rect.top() + 2.0,
    );
}

#[wasm_bindgen_test]
async fn the_neuron_gives_the_lectures_numbers_then_adds_the_bias_and_activates() {
    {
        let _app = mount_model_page("/cnn", "page-cnn").await;
        // The lecture's 4×4 example with [[3, 5], [2, 2]], no bias, no activation.
        assert_eq!(
            cell_texts("cnn-neuron-output"),
            ["27", "39", "51", "55", "59", "63", "25", "21", "17"]
        );
        click_cell("cnn-neuron-output", 4);
        settle().await;
        // 6·3 + 7·5 + 2·2 + 1·2 = 59.
        assert_eq!(value_of("cnn-neuron-sum"), "59");
        assert_eq!(cell_texts("cnn-neuron-terms").len(), 4);
    }
    let _app = mount_model_page("/cnn?b=-40&act=relu", "page-cnn").await;
    assert_eq!(
        cell_texts("cnn-neuron-output"),
        ["0", "0", "11", "15", "19", "23", "0", "0", "0"]
    );
    click_cell("cnn-neuron-output", 0);
    settle().await;
    assert_eq!(value_of("cnn-neuron-sum"), "27");
    assert_eq!(value_of("cnn-neuron-pre"), "-13");
    assert_eq!(value_of("cnn-neuron-value"), "0");
    // A sigmoid neuron: 1 / (1 + e^13) for the same cell.
    set_value("cnn-neuron-activation", "sigmoid");
    settle().await;
    sleep_ms(100).await;
    let sigmoid: f32 = value_of("cnn-neuron-value").parse().unwrap();
    assert!(
        (sigmoid - 1.0 / (1.0 + 13f32.exp())).abs() < 1e-9,
        "{sigmoid}"
    );
}

#[wasm_bindgen_test]
async fn the_cards_count_the_real_modules_parameters() {
    let _app = mount_model_page("/cnn", "page-cnn").await;
    wait_until("the architecture cards", 30.0, || {
        find("cnn-card-alexnet-params").is_some()
    })
    .await;
    assert_eq!(value_of("cnn-card-lenet5-params"), "61706");
    assert_eq!(value_of("cnn-card-alexnet-params"), "62378344");
    // LeNet-5's conv1 kernels became presets: one sets a 5×5 kernel.
    click("cnn-kernel-lenet-0");
    settle().await;
    sleep_ms(100).await;
    assert_eq!(cell_texts("cnn-neuron-kernel").len(), 25);
}

#[wasm_bindgen_test]
async fn every_layer_of_a_drawing_is_finite_and_the_answer_matches_the_draw_page() {
    let expected = [
        ("conv1", 6 * 28 * 28),
        ("pool1", 6 * 14 * 14),
        ("conv2", 16 * 10 * 10),
        ("pool2", 16 * 5 * 5),
        ("fc1", 120),
        ("fc2", 84),
        ("fc3", 10),
    ];
    let cnn_answer = {
        let _app = mount_model_page("/cnn", "page-cnn").await;
        draw_synthetic_digit("cnn-canvas", 3, 5).await;
        wait_until("the feature maps", 30.0, || {
            !text("cnn-prediction").is_empty()
        })
        .await;
        settle().await;
        sleep_ms(300).await;
        for (layer, values) in expected {
            let section = find(&format!("cnn-layer-{layer}")).unwrap();
            assert_eq!(
                section.get_attribute("data-values").unwrap(),
                values.to_string(),
                "{layer}"
            );
            assert_eq!(
                section.get_attribute("data-finite").unwrap(),
                "true",
                "{layer}"
            );
        }
        assert_eq!(cell_texts("cnn-probabilities").len(), 10);
        // conv1's first map is drawn, and not all white (zero).
        let (w, h, px) = canvas_pixels("cnn-map-conv1-0");
        assert_eq!((w, h), (28, 28));
        assert!(px.chunks(4).any(|p| p[1] < 250), "conv1 map 1 is blank");
        // Pointing at conv1's first map shows its 5×5 kernel.
        let canvas = find("cnn-map-conv1-0").unwrap();
        let map: web_sys::Element = canvas.parent_element().unwrap().parent_element().unwrap();
        map.dispatch_event(&web_sys::Event::new("mouseenter").unwrap())
            .unwrap();
        settle().await;
        assert_eq!(cell_texts("cnn-map-kernel-values").len(), 25);
        text("cnn-prediction")
    };
    let _app = mount_model_page("/draw", "page-draw").await;
    draw_synthetic_digit("draw-canvas", 3, 5).await;
    wait_until("LeNet-5's answer", 30.0, || {
        !text("draw-prediction").is_empty()
    })
    .await;
    settle().await;
    sleep_ms(300).await;
    assert_eq!(text("draw-prediction"), cnn_answer);
}

#[wasm_bindgen_test]
async fn the_lectures_weight_counts_and_a_limit_from_the_url() {
    {
        let _app = mount_model_page("/cnn", "page-cnn").await;
        // 3 · 3840 · 2160 weights per dense neuron; ~4 × 10¹¹ for the dense stack.
        assert_eq!(value_of("cnn-dense-weights"), "24883200");
        assert_eq!(value_of("cnn-conv-weights"), "27");
        assert_eq!(value_of("cnn-stack-weights"), "400000000000");
    }
    let _app = mount_model_page("/cnn?iw=4294967295&n=100", "page-cnn").await;
    let alert = text("page-cnn");
    assert!(
        alert.contains("The width must be between 1 and 100000"),
        "{alert}"
    );
}
