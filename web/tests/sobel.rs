//! Browser tests of `/sobel`: the five Sobel canvases, the sign of Gx at a known edge,
//! convolution against cross-correlation, the kernel editor, the step-through sum, the URL,
//! and pictures from uploads (good, too large and bad), the drawing pad and the webcam.
// Test helpers fail loudly: a missing element is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use convlab_kernels::samples::Sample;
use convlab_kernels::sobel::{Border, sobel};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

const FIVE: [&str; 5] = [
    "sobel-input",
    "sobel-gx",
    "sobel-gy",
    "sobel-g",
    "sobel-theta",
];

/// The RGBA of pixel `(row, col)` of a canvas.
fn pixel(testid: &str, row: u32, col: u32) -> [u8; 4] {
    let (w, h, px) = canvas_pixels(testid);
    assert!(
        row < h && col < w,
        "({row}, {col}) is outside {testid} ({w}×{h})"
    );
    let i = ((row * w + col) * 4) as usize;
    [px[i], px[i + 1], px[i + 2], px[i + 3]]
}

/// How many different RGB colours a canvas shows.
fn distinct_colours(testid: &str) -> usize {
    let (_, _, px) = canvas_pixels(testid);
    let mut colours: Vec<[u8; 3]> = px.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

/// The first element matching `selector` inside the page, if any.
fn in_page(selector: &str) -> Option<Element> {
    document()
        .query_selector(&format!("[data-testid=page-sobel] {selector}"))
        .unwrap()
}

/// Waits up to ~5 s for an element matching `selector` inside the page.
async fn wait_for_selector(selector: &str) -> Element {
    for _ in 0..300 {
        if let Some(e) = in_page(selector) {
            return e;
        }
        next_frame().await;
    }
    panic!("nothing matched {selector:?}");
}

/// The step-through terms (their full-precision products) and the sum the page shows.
fn step_products_and_sum() -> (Vec<f32>, f32) {
    let list = find("sobel-steps").expect("the step list");
    let items = list.query_selector_all("li").unwrap();
    let products = (0..items.length())
        .map(|i| {
            let li: Element = items.item(i).unwrap().unchecked_into();
            li.get_attribute("data-product")
                .unwrap()
                .parse::<f32>()
                .unwrap()
        })
        .collect();
    let sum = find("sobel-step-sum")
        .unwrap()
        .get_attribute("data-value")
        .unwrap()
        .parse::<f32>()
        .unwrap();
    (products, sum)
}

/// A `File` as the file picker would give it.
fn file(bytes: &[u8], name: &str, kind: &str) -> web_sys::File {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::FilePropertyBag::new();
    options.set_type(kind);
    web_sys::File::new_with_u8_array_sequence_and_options(&parts, name, &options).unwrap()
}

/// Puts `file` into the file input and fires `change`, as choosing it in the picker does.
fn choose_file(testid: &str, file: &web_sys::File) {
    let input: HtmlInputElement = find(testid)
        .unwrap_or_else(|| panic!("no {testid}"))
        .unchecked_into();
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(file).unwrap();
    input.set_files(transfer.files().as_ref());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

/// A 24-bit BMP, `width × height`, black left of `edge_col` and white from it on.
fn bmp_with_vertical_edge(width: u32, height: u32, edge_col: u32) -> Vec<u8> {
    let row_len = (width * 3).div_ceil(4) * 4;
    let size = 54 + row_len * height;
    let mut out = Vec::with_capacity(size as usize);
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(width as i32).to_le_bytes());
    out.extend_from_slice(&(height as i32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(&[0; 24]);
    for _ in 0..height {
        for x in 0..width {
            let v = if x >= edge_col { 255 } else { 0 };
            out.extend_from_slice(&[v, v, v]);
        }
        out.resize(out.len() + (row_len - width * 3) as usize, 0);
    }
    out
}

/// The client position of the centre of pixel `(row, col)` of a canvas as displayed.
fn client_position(canvas: &Element, rows: u32, cols: u32, row: f64, col: f64) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    (
        rect.left() + (col + 0.5) / cols as f64 * rect.width(),
        rect.top() + (row + 0.5) / rows as f64 * rect.height(),
    )
}

#[wasm_bindgen_test]
async fn the_page_opens_with_a_sample_the_sobel_operators_and_five_pictures() {
    let _app = mount_app_at("/sobel", "page-sobel").await;
    settle().await;
    for id in FIVE {
        let (w, h, _) = canvas_pixels(id);
        assert_eq!((w, h), (160, 160), "{id} has the sample's size");
        assert!(distinct_colours(id) > 3, "{id} is not blank");
    }
    assert!(
        distinct_colours("sobel-theta") > 50,
        "Θ is drawn in many colours"
    );
    assert!(
        distinct_colours("sobel-wheel") > 50,
        "the colour-wheel legend is drawn"
    );
    // The lecture's Gx is the default kernel, and the formulas are MathML.
    assert_eq!(
        cell_texts("sobel-kernel"),
        ["1", "0", "-1", "2", "0", "-2", "1", "0", "-1"]
    );
    let maths = document()
        .query_selector_all("[data-testid=page-sobel] math")
        .unwrap()
        .length();
    assert!(
        maths >= 5,
        "Gx, Gy, G, Θ and the sums are MathML ({maths} found)"
    );
    assert!(find("sobel-steps").is_some() && find("sobel-step-sum").is_some());
}

#[wasm_bindgen_test]
async fn gx_is_light_where_the_picture_gets_brighter_to_the_right() {
    // Checkerboard cells are 20 px: light 0.85 at columns 0–19 of row 10, dark 0.15 at 20–39,
    // light again from 40.
    let _app = mount_app_at("/sobel?sample=checkerboard", "page-sobel").await;
    settle().await;
    let grey = |p: [u8; 4]| p[0];
    assert!(grey(pixel("sobel-input", 10, 10)) > 200 && grey(pixel("sobel-input", 10, 30)) < 60);
    // Light → dark going right: negative Gx, drawn dark; dark → light: positive, drawn light.
    assert!(
        grey(pixel("sobel-gx", 10, 20)) < 30,
        "Gx at the light→dark edge is dark"
    );
    assert!(
        grey(pixel("sobel-gx", 10, 40)) > 225,
        "Gx at the dark→light edge is light"
    );
    assert!(
        (127..=129).contains(&grey(pixel("sobel-gx", 10, 10))),
        "flat area is mid-grey"
    );
    // A vertical edge has no vertical change: Gy stays at zero there.
    assert!((127..=129).contains(&grey(pixel("sobel-gy", 10, 20))));
    // G is large on both edges and zero on flat areas.
    assert!(grey(pixel("sobel-g", 10, 20)) > 150 && grey(pixel("sobel-g", 10, 40)) > 150);
    assert!(grey(pixel("sobel-g", 10, 10)) < 5);
    // Θ: brighter to the right (Θ = 0) is red, brighter to the left (Θ = ±π) is cyan.
    let [r, g, b, _] = pixel("sobel-theta", 10, 40);
    assert!(r > 200 && g < 40 && b < 40, "Θ = 0 is red, got {r},{g},{b}");
    let [r, g, b, _] = pixel("sobel-theta", 10, 20);
    assert!(
        r < 40 && g > 200 && b > 200,
        "Θ = π is cyan, got {r},{g},{b}"
    );
}

#[wasm_bindgen_test]
async fn cross_correlation_flips_the_sign_of_the_custom_output() {
    let _app = mount_app_at("/sobel?sample=checkerboard", "page-sobel").await;
    settle().await;
    let grey = |id: &str, r, c| pixel(id, r, c)[0];
    // Default: the lecture's true convolution with Gx, same as the Gx picture.
    assert!(grey("sobel-custom", 10, 40) > 225);
    assert!(grey("sobel-custom", 10, 20) < 30);
    click("sobel-mode-correlation");
    settle().await;
    assert!(
        query().contains("mode=correlation"),
        "query was {}",
        query()
    );
    assert!(
        grey("sobel-custom", 10, 40) < 30,
        "cross-correlation turns the light edge dark"
    );
    assert!(
        grey("sobel-custom", 10, 20) > 225,
        "and the dark edge light"
    );
    // Sobel itself (the lecture's Gx ∗ Input) is unaffected.
    assert!(grey("sobel-gx", 10, 40) > 225);
    // A kernel that looks the same after a half turn gives the same picture either way.
    set_value("sobel-preset", "laplacian");
    settle().await;
    let (_, _, correlated) = canvas_pixels("sobel-custom");
    click("sobel-mode-convolution");
    settle().await;
    let (_, _, convolved) = canvas_pixels("sobel-custom");
    assert_eq!(correlated, convolved);
}

#[wasm_bindgen_test]
async fn changing_the_preset_changes_the_filtered_picture_and_the_url() {
    let _app = mount_app_at("/sobel", "page-sobel").await;
    settle().await;
    let (_, _, before) = canvas_pixels("sobel-custom");
    let explanation_before = find("sobel-explanation").unwrap().text_content().unwrap();
    set_value("sobel-preset", "box");
    settle().await;
    let (_, _, after) = canvas_pixels("sobel-custom");
    assert_ne!(before, after, "the box blur gives another picture");
    assert!(query().contains("preset=box"), "query was {}", query());
    assert_eq!(cell_texts("sobel-kernel"), vec!["0.111"; 9]);
    let explanation = find("sobel-explanation").unwrap().text_content().unwrap();
    assert_ne!(explanation, explanation_before);
    assert!(explanation.contains("blur"));
    // The blur is shown as brightness: the bright disc stays bright.
    assert!(pixel("sobel-custom", 56, 45)[0] > 200);
}

#[wasm_bindgen_test]
async fn editing_a_kernel_cell_makes_a_custom_kernel() {
    let _app = mount_app_at("/sobel", "page-sobel").await;
    settle().await;
    let (_, _, before) = canvas_pixels("sobel-custom");
    let kernel = find("sobel-kernel").unwrap();
    let centre: HtmlInputElement = kernel.children().item(4).unwrap().unchecked_into();
    centre.set_value("3");
    centre
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle().await;
    assert!(query().contains("preset=custom"), "query was {}", query());
    assert!(query().contains("kernel="), "query was {}", query());
    let select: web_sys::HtmlSelectElement = find("sobel-preset").unwrap().unchecked_into();
    assert_eq!(select.value(), "custom");
    assert_eq!(cell_texts("sobel-kernel")[4], "3");
    let (_, _, after) = canvas_pixels("sobel-custom");
    assert_ne!(before, after);
}

#[wasm_bindgen_test]
async fn the_step_through_lists_nine_products_that_add_up_to_gx() {
    let _app = mount_app_at("/sobel", "page-sobel").await;
    settle().await;
    let image = Sample::Shapes.generate(160, 160);
    let gx = sobel(&image, Border::Replicate).unwrap().gx;

    let (products, sum) = step_products_and_sum();
    assert_eq!(products.len(), 9);
    let added: f32 = products.iter().sum();
    assert!(
        (added - sum).abs() < 1e-5,
        "listed products add to {added}, the page says {sum}"
    );
    // The default pixel (48, 88) lies on the left edge of the square: Gx ∗ Input is large there.
    assert!(
        (sum - gx[(48, 88)]).abs() < 1e-4,
        "sum {sum} vs Gx {}",
        gx[(48, 88)]
    );
    assert!(sum > 0.5);
    assert_eq!(cell_texts("sobel-crop").len(), 25);
    let shown = find("sobel-step-sum")
        .unwrap()
        .text_content()
        .unwrap()
        .replace('−', "-");
    assert!(
        (shown.trim().parse::<f32>().unwrap() - sum).abs() < 1e-3,
        "shown {shown}, sum {sum}"
    );

    click("sobel-step-next");
    settle().await;
    assert!(query().contains("col=89"), "query was {}", query());
    let (products, sum) = step_products_and_sum();
    assert_eq!(products.len(), 9);
    assert!((products.iter().sum::<f32>() - sum).abs() < 1e-5);
    assert!((sum - gx[(48, 89)]).abs() < 1e-4);

    // Cross-correlation lists the same pixels with the kernel unrotated: the sum changes sign.
    click("sobel-mode-correlation");
    settle().await;
    let (_, correlated) = step_products_and_sum();
    assert!((correlated + gx[(48, 89)]).abs() < 1e-4);

    click("sobel-step-prev");
    settle().await;
    assert!(
        query().contains("col=88") || !query().contains("col="),
        "query was {}",
        query()
    );
}

#[wasm_bindgen_test]
async fn clicking_the_input_chooses_the_step_pixel_and_play_moves_it() {
    let _app = mount_app_at("/sobel", "page-sobel").await;
    settle().await;
    let canvas = find("sobel-input").unwrap();
    let (x, y) = client_position(&canvas, 160, 160, 100.0, 30.0);
    fire_at(&canvas, "MouseEvent", "click", x, y);
    settle().await;
    assert!(
        query().contains("row=100") && query().contains("col=30"),
        "query was {}",
        query()
    );
    let row: HtmlInputElement = find("sobel-row").unwrap().unchecked_into();
    assert_eq!(row.value(), "100");

    click("sobel-step-play");
    sleep_ms(1500).await;
    click("sobel-step-play");
    settle().await;
    let col: HtmlInputElement = find("sobel-col").unwrap().unchecked_into();
    let col: usize = col.value().parse().unwrap();
    assert!(col > 30, "play moved the pixel to the right (column {col})");
}

#[wasm_bindgen_test]
async fn settings_come_back_from_the_url() {
    let url =
        "/sobel?sample=checkerboard&preset=laplacian&border=zero&mode=correlation&row=5&col=7";
    let _app = mount_app_at(url, "page-sobel").await;
    settle().await;
    let select = |id: &str| {
        find(id)
            .unwrap()
            .unchecked_into::<web_sys::HtmlSelectElement>()
            .value()
    };
    assert_eq!(select("sobel-sample"), "checkerboard");
    assert_eq!(select("sobel-preset"), "laplacian");
    assert_eq!(select("sobel-border"), "zero");
    let correlation: HtmlInputElement = find("sobel-mode-correlation").unwrap().unchecked_into();
    assert!(correlation.checked());
    assert_eq!(
        find("sobel-row")
            .unwrap()
            .unchecked_into::<HtmlInputElement>()
            .value(),
        "5"
    );
    assert_eq!(
        find("sobel-col")
            .unwrap()
            .unchecked_into::<HtmlInputElement>()
            .value(),
        "7"
    );
    assert_eq!(
        cell_texts("sobel-kernel"),
        ["0", "1", "0", "1", "-4", "1", "0", "1", "0"]
    );
    // Zero padding makes a false edge around the bright top-left cell.
    assert!(
        pixel("sobel-g", 0, 5)[0] > 100,
        "zero border: an edge along the top"
    );
    let (products, sum) = step_products_and_sum();
    assert_eq!(products.len(), 9);
    assert!((products.iter().sum::<f32>() - sum).abs() < 1e-5);
}

#[wasm_bindgen_test]
async fn a_bad_upload_shows_an_error_and_the_page_keeps_working() {
    let _app = mount_app_at("/sobel?src=upload", "page-sobel").await;
    wait_for("sobel-upload").await;
    settle().await;
    let (_, _, input_before) = canvas_pixels("sobel-input");

    choose_file(
        "sobel-upload",
        &file(b"not an image", "notes.txt", "text/plain"),
    );
    let error = wait_for_selector(".error").await;
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(
        error.text_content().unwrap().contains("not an image"),
        "{:?}",
        error.text_content()
    );

    choose_file("sobel-upload", &file(b"", "empty.png", "image/png"));
    settle().await;
    let error = wait_for_selector(".error").await;
    assert!(
        error.text_content().unwrap().contains("empty"),
        "{:?}",
        error.text_content()
    );

    // Claims to be a PNG but is not: the browser's decoder refuses it.
    choose_file(
        "sobel-upload",
        &file(b"not an image", "fake.png", "image/png"),
    );
    for _ in 0..300 {
        if in_page(".error")
            .and_then(|e| e.text_content())
            .is_some_and(|t| t.contains("decoded"))
        {
            break;
        }
        next_frame().await;
    }
    let error = in_page(".error").expect("an error for the undecodable file");
    assert!(
        error
            .text_content()
            .unwrap()
            .contains("could not be decoded"),
        "{:?}",
        error.text_content()
    );

    // The previous picture is still there and every control still works.
    let (_, _, input_after) = canvas_pixels("sobel-input");
    assert_eq!(input_before, input_after);
    let (_, _, before) = canvas_pixels("sobel-custom");
    set_value("sobel-preset", "gaussian");
    settle().await;
    let (_, _, after) = canvas_pixels("sobel-custom");
    assert_ne!(
        before, after,
        "the page still filters after the bad uploads"
    );
}

#[wasm_bindgen_test]
async fn a_large_upload_is_scaled_down_with_a_notice() {
    let _app = mount_app_at("/sobel?src=upload", "page-sobel").await;
    wait_for("sobel-upload").await;
    choose_file(
        "sobel-upload",
        &file(
            &bmp_with_vertical_edge(1000, 500, 500),
            "edge.bmp",
            "image/bmp",
        ),
    );
    let notice = wait_for("sobel-scaled-notice").await;
    let text = notice.text_content().unwrap();
    assert!(
        text.contains("1000×500") && text.contains("512×256"),
        "{text}"
    );
    settle().await;
    for id in FIVE {
        let (w, h, _) = canvas_pixels(id);
        assert_eq!((w, h), (512, 256), "{id}");
    }
    // Black left half, white right half: the picture gets brighter to the right at column 256.
    assert!(pixel("sobel-input", 128, 100)[0] < 10 && pixel("sobel-input", 128, 400)[0] > 245);
    assert!(pixel("sobel-gx", 128, 256)[0] > 225);
    assert!((127..=129).contains(&pixel("sobel-gx", 128, 100)[0]));
    assert!(in_page(".error").is_none());
}

#[wasm_bindgen_test]
async fn a_drawn_stroke_becomes_the_input_and_undo_removes_it() {
    let _app = mount_app_at("/sobel", "page-sobel").await;
    click("sobel-source-draw");
    let pad = wait_for("sobel-draw").await;
    settle().await;
    assert!(query().contains("src=draw"), "query was {}", query());
    assert_eq!(
        distinct_colours("sobel-input"),
        1,
        "an empty pad is one colour"
    );

    // A vertical stroke down column 128, from row 40 to row 210.
    let (x0, y0) = client_position(&pad, 256, 256, 40.0, 128.0);
    fire_at(&pad, "PointerEvent", "pointerdown", x0, y0);
    for i in 1..=10 {
        let (x, y) = client_position(&pad, 256, 256, 40.0 + 17.0 * i as f64, 128.0);
        fire_at(&pad, "PointerEvent", "pointermove", x, y);
    }
    let (x1, y1) = client_position(&pad, 256, 256, 210.0, 128.0);
    fire_at(&pad, "PointerEvent", "pointerup", x1, y1);
    settle().await;
    let (w, h, _) = canvas_pixels("sobel-input");
    assert_eq!((w, h), (256, 256));
    assert!(
        pixel("sobel-input", 128, 128)[0] > 240,
        "white ink where the stroke went"
    );
    assert!(
        pixel("sobel-input", 128, 20)[0] < 10,
        "black paper elsewhere"
    );
    let (_, _, g) = canvas_pixels("sobel-g");
    let row: Vec<u8> = g[128 * 256 * 4..129 * 256 * 4]
        .chunks_exact(4)
        .map(|p| p[0])
        .collect();
    assert!(
        row[..100].iter().all(|&v| v < 5),
        "no edges left of the stroke"
    );
    assert!(
        row[100..160].iter().any(|&v| v > 200),
        "the stroke's edges show in G"
    );

    click("sobel-draw-undo");
    settle().await;
    assert_eq!(
        distinct_colours("sobel-input"),
        1,
        "undo removed the only stroke"
    );
}

#[wasm_bindgen_test]
async fn the_webcam_either_captures_or_says_why_not() {
    let _app = mount_app_at("/sobel?src=webcam", "page-sobel").await;
    wait_for("sobel-webcam-start").await;
    click("sobel-webcam-start");
    let mut outcome = None;
    for _ in 0..600 {
        if find("sobel-webcam-error").is_some() {
            outcome = Some(false);
            break;
        }
        let capture: web_sys::HtmlButtonElement =
            find("sobel-webcam-capture").unwrap().unchecked_into();
        if !capture.disabled() {
            outcome = Some(true);
            break;
        }
        next_frame().await;
    }
    match outcome {
        Some(false) => {
            let error = find("sobel-webcam-error").unwrap();
            assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
            assert!(error.class_list().contains("error"));
            assert!(!error.text_content().unwrap().is_empty());
        }
        Some(true) => {
            sleep_ms(500).await;
            click("sobel-webcam-capture");
            settle().await;
            let caption = find("sobel-input-caption").unwrap().text_content().unwrap();
            assert!(caption.contains("Webcam frame"), "{caption}");
            click("sobel-webcam-stop");
        }
        None => panic!("the camera neither started nor reported an error"),
    }
    // Whatever the camera did, the page still filters.
    let (_, _, before) = canvas_pixels("sobel-custom");
    set_value("sobel-preset", "sharpen");
    settle().await;
    let (_, _, after) = canvas_pixels("sobel-custom");
    assert_ne!(before, after);
}
