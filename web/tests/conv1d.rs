//! Browser tests of `/convolution-1d`: the sliding picture's value against the kernels crate,
//! the shift slider, the signal choices, the discrete modes, drawing and the URL.
// Tests unwrap: a failure should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use convlab_kernels::conv1d::SlidingView;
use convlab_kernels::signals::{Signal, sample_times};
use convlab_web::pages::conv1d::{SAMPLES, STEP};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CENTRE: usize = (SAMPLES - 1) / 2;

/// The value the page shows, as a number.
fn shown_value() -> f32 {
    let t = text("conv1d-value");
    t.parse()
        .unwrap_or_else(|_| panic!("conv1d-value is not a number: {t:?}"))
}

/// (f ∗ g)(t) at shift index `j`, from the kernels crate.
fn expected(f: &Signal, g: &Signal, j: usize) -> f32 {
    let times = sample_times(SAMPLES, STEP);
    SlidingView::new(&f.sample(&times), &g.sample(&times), STEP, j)
        .unwrap()
        .value
}

fn assert_close(shown: f32, want: f32) {
    assert!(
        (shown - want).abs() < 1.5e-3,
        "shown {shown}, expected {want}"
    );
}

const DEFAULT_BOX: Signal = Signal::Box { width: 2.0 };

#[wasm_bindgen_test]
async fn opens_with_two_boxes_and_t_at_the_start() {
    let _app = mount_app_at("/convolution-1d", "page-convolution-1d").await;
    settle().await;
    let slider: web_sys::HtmlInputElement = find("conv1d-shift").unwrap().unchecked_into();
    assert_eq!(slider.type_(), "range");
    assert_eq!(slider.value(), "0");
    assert_eq!(text("conv1d-t"), "-5.00");
    assert_close(shown_value(), 0.0);
    assert!(find("conv1d-sliding-plot").is_some() && find("conv1d-result-plot").is_some());
    // The formula is MathML, with f(τ) under the integral.
    let math = document()
        .query_selector("[data-testid=page-convolution-1d] math")
        .unwrap()
        .expect("a formula");
    assert!(math.text_content().unwrap_or_default().contains("f(τ)"));
}

#[wasm_bindgen_test]
async fn the_shift_slider_builds_the_triangle() {
    let _app = mount_app_at("/convolution-1d", "page-convolution-1d").await;
    settle().await;
    set_value("conv1d-shift", &CENTRE.to_string());
    settle().await;
    assert_eq!(text("conv1d-t"), "0.00");
    let peak = expected(&DEFAULT_BOX, &DEFAULT_BOX, CENTRE);
    assert!(
        peak > 2.0,
        "two boxes of width 2 overlap fully at t = 0: {peak}"
    );
    assert_close(shown_value(), peak);
    assert!(
        query().contains(&format!("t={CENTRE}")),
        "query was {}",
        query()
    );

    // Either side of the centre the triangle is lower, by the same amount.
    set_value("conv1d-shift", &(CENTRE - 10).to_string());
    settle().await;
    let left = shown_value();
    set_value("conv1d-shift", &(CENTRE + 10).to_string());
    settle().await;
    let right = shown_value();
    assert!(left < peak && right < peak);
    assert_close(left, right);
    assert_close(left, expected(&DEFAULT_BOX, &DEFAULT_BOX, CENTRE - 10));
}

#[wasm_bindgen_test]
async fn choosing_other_signals_changes_the_value() {
    let _app = mount_app_at("/convolution-1d?t=120", "page-convolution-1d").await;
    settle().await;
    assert_close(shown_value(), expected(&DEFAULT_BOX, &DEFAULT_BOX, 120));
    set_value("conv1d-f-kind", "step");
    settle().await;
    assert_close(shown_value(), expected(&Signal::Step, &DEFAULT_BOX, 120));
    set_value("conv1d-g-kind", "gaussian");
    settle().await;
    assert_close(
        shown_value(),
        expected(&Signal::Step, &Signal::Gaussian { sigma: 0.5 }, 120),
    );
    assert!(
        query().contains("f=step") && query().contains("g=gaussian"),
        "query was {}",
        query()
    );
}

#[wasm_bindgen_test]
async fn settings_come_back_from_the_url() {
    let url = "/convolution-1d?f=sine&f_freq=0.25&f_noise=0.5&f_seed=7&g=decay&g_tau=2&t=140";
    let _app = mount_app_at(url, "page-convolution-1d").await;
    settle().await;
    let f = Signal::NoisySine {
        frequency: 0.25,
        noise: 0.5,
        seed: 7,
    };
    let g = Signal::Decay { tau: 2.0 };
    assert_close(shown_value(), expected(&f, &g, 140));
    let slider: web_sys::HtmlInputElement = find("conv1d-shift").unwrap().unchecked_into();
    assert_eq!(slider.value(), "140");
    let kind: web_sys::HtmlSelectElement = find("conv1d-f-kind").unwrap().unchecked_into();
    assert_eq!(kind.value(), "sine");
}

#[wasm_bindgen_test]
async fn the_discrete_modes_have_their_lengths() {
    let _app = mount_app_at("/convolution-1d", "page-convolution-1d").await;
    settle().await;
    // n = 201 samples of f, m = 41 of g.
    assert_eq!(text("conv1d-len-full"), "241");
    assert_eq!(text("conv1d-len-same"), "201");
    assert_eq!(text("conv1d-len-valid"), "161");
    set_value("conv1d-kernel-length", "21");
    set_value("conv1d-mode", "valid");
    settle().await;
    assert_eq!(text("conv1d-len-full"), "221");
    assert_eq!(text("conv1d-len-valid"), "181");
    let selected = document()
        .query_selector("table.conv1d-modes tr.selected code")
        .unwrap()
        .unwrap();
    assert_eq!(selected.text_content().unwrap(), "valid");
    assert!(
        query().contains("mode=valid") && query().contains("m=21"),
        "query was {}",
        query()
    );
}

#[wasm_bindgen_test]
async fn play_moves_t_and_pause_keeps_it_in_the_url() {
    let _app = mount_app_at("/convolution-1d", "page-convolution-1d").await;
    settle().await;
    click("conv1d-play");
    sleep_ms(600).await;
    click("conv1d-play");
    settle().await;
    let slider: web_sys::HtmlInputElement = find("conv1d-shift").unwrap().unchecked_into();
    let j: usize = slider.value().parse().unwrap();
    assert!(j > 0, "the animation moved t");
    assert!(query().contains(&format!("t={j}")), "query was {}", query());
    sleep_ms(200).await;
    assert_eq!(slider.value(), j.to_string(), "paused");
}

/// Dispatches a pointer event at client coordinates on an element (web-sys' PointerEventInit
/// is not among the app's features, so the event is built in JavaScript).
fn pointer(el: &web_sys::Element, kind: &str, x: f64, y: f64) {
    let fire = js_sys::Function::new_with_args(
        "el, kind, x, y",
        "el.dispatchEvent(new PointerEvent(kind, { clientX: x, clientY: y, buttons: kind === 'pointerup' ? 0 : 1, \
         pointerId: 1, bubbles: true, cancelable: true }))",
    );
    fire.call4(
        &wasm_bindgen::JsValue::NULL,
        el,
        &kind.into(),
        &x.into(),
        &y.into(),
    )
    .unwrap();
}

#[wasm_bindgen_test]
async fn a_drawn_signal_follows_the_pointer() {
    let _app = mount_app_at(
        &format!("/convolution-1d?f=drawn&t={CENTRE}"),
        "page-convolution-1d",
    )
    .await;
    let pad = wait_for("conv1d-draw-f").await;
    settle().await;
    let rect = pad.get_bounding_client_rect();
    let y = rect.top() + rect.height() * 0.3;
    // One horizontal stroke across the whole pad makes f the same everywhere.
    pointer(&pad, "pointerdown", rect.left() + 2.0, y);
    for k in 1..=10 {
        pointer(
            &pad,
            "pointermove",
            rect.left() + 2.0 + (rect.width() - 4.0) * k as f64 / 10.0,
            y,
        );
    }
    pointer(&pad, "pointerup", rect.right() - 2.0, y);
    settle().await;
    let query = query();
    let drawn = query
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("f_drawn="))
        .expect("the drawing is in the URL");
    let drawn = drawn.replace("%2C", ",");
    let values: Vec<f32> = drawn.split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!(values.len(), 41);
    assert!(
        values.iter().all(|v| *v == values[0] && *v > 0.0),
        "a flat stroke: {values:?}"
    );
    let f = vec![values[0]; SAMPLES];
    let g = DEFAULT_BOX.sample(&sample_times(SAMPLES, STEP));
    assert_close(
        shown_value(),
        SlidingView::new(&f, &g, STEP, CENTRE).unwrap().value,
    );
}
