//! Helpers shared by the browser tests: mount the app at a URL, wait for the DOM to settle,
//! find elements by `data-testid`, and fire real DOM events.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use leptos::mount::mount_to;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement, HtmlInputElement};

/// The app mounted into its own element; dropping it unmounts the app and removes the element.
pub struct Mounted {
    /// The `UnmountHandle` (its type names Leptos' view-state types; only its drop matters).
    _handle: Box<dyn std::any::Any>,
    root: HtmlElement,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.root.remove();
    }
}

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Puts `url` (path and query) in the address bar, mounts the whole app and waits until the
/// element with `data-testid=ready_testid` exists.
pub async fn mount_app_at(url: &str, ready_testid: &str) -> Mounted {
    let history = web_sys::window().unwrap().history().unwrap();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url))
        .unwrap();
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let handle = mount_to(root.clone(), || convlab_web::App().into_any());
    let mounted = Mounted {
        _handle: Box::new(handle),
        root,
    };
    wait_for(ready_testid).await;
    mounted
}

/// Waits one animation frame (URL-state updates and effects land by then) and a macrotask.
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().unwrap();
        let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
        window.request_animation_frame(cb.unchecked_ref()).unwrap();
    });
    JsFuture::from(promise).await.unwrap();
    sleep_ms(0).await;
}

/// Waits `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// A few frames: enough for a navigation triggered by a setting to re-render the page.
pub async fn settle() {
    for _ in 0..4 {
        next_frame().await;
    }
}

/// The element with this `data-testid`, if present.
pub fn find(testid: &str) -> Option<Element> {
    document()
        .query_selector(&format!("[data-testid=\"{testid}\"]"))
        .unwrap()
}

/// The element with this `data-testid`, waiting up to ~5 s for it to appear.
pub async fn wait_for(testid: &str) -> Element {
    for _ in 0..300 {
        if let Some(e) = find(testid) {
            return e;
        }
        next_frame().await;
    }
    panic!("no element with data-testid={testid:?} appeared");
}

/// The text of every direct child of a grid element (e.g. the cells of `pooling-max`).
pub fn cell_texts(testid: &str) -> Vec<String> {
    let grid = find(testid).unwrap_or_else(|| panic!("no {testid}"));
    let children = grid.children();
    (0..children.length())
        .filter_map(|i| children.item(i))
        .map(|c| match c.dyn_ref::<HtmlInputElement>() {
            Some(input) => input.value(),
            None => c.text_content().unwrap_or_default().trim().to_string(),
        })
        .collect()
}

/// Sets an `<input>` or `<select>` value and fires `input` and `change`, like a user would.
pub fn set_value(testid: &str, value: &str) {
    let el = find(testid).unwrap_or_else(|| panic!("no {testid}"));
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else if let Some(select) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.set_value(value);
    } else {
        panic!("{testid} is neither an input nor a select");
    }
    for kind in ["input", "change"] {
        let ev = web_sys::Event::new_with_event_init_dict(kind, &{
            let init = web_sys::EventInit::new();
            init.set_bubbles(true);
            init
        })
        .unwrap();
        el.dispatch_event(&ev).unwrap();
    }
}

/// Clicks the element.
pub fn click(testid: &str) {
    let el: HtmlElement = find(testid)
        .unwrap_or_else(|| panic!("no {testid}"))
        .unchecked_into();
    el.click();
}

/// The current query string of the address bar (e.g. `?k=3`).
pub fn query() -> String {
    web_sys::window().unwrap().location().search().unwrap()
}

/// RGBA pixels of a canvas.
pub fn canvas_pixels(testid: &str) -> (u32, u32, Vec<u8>) {
    let canvas: web_sys::HtmlCanvasElement = find(testid)
        .unwrap_or_else(|| panic!("no {testid}"))
        .unchecked_into();
    let ctx: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let (w, h) = (canvas.width(), canvas.height());
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .unwrap()
        .data()
        .0;
    (w, h, data)
}

/// The trimmed text of the element with this `data-testid`.
pub fn text(testid: &str) -> String {
    find(testid)
        .unwrap_or_else(|| panic!("no {testid}"))
        .text_content()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Fires a DOM event of class `class` (e.g. "PointerEvent") at the given client position.
pub fn fire_at(target: &web_sys::Element, class: &str, kind: &str, x: f64, y: f64) {
    let init = js_sys::Object::new();
    let set = |k: &str, v: wasm_bindgen::JsValue| {
        js_sys::Reflect::set(&init, &wasm_bindgen::JsValue::from_str(k), &v).unwrap();
    };
    set("bubbles", wasm_bindgen::JsValue::TRUE);
    set("cancelable", wasm_bindgen::JsValue::TRUE);
    set("clientX", x.into());
    set("clientY", y.into());
    set("button", 0.into());
    set("pointerId", 7.into());
    set("pointerType", "pen".into());
    set("isPrimary", wasm_bindgen::JsValue::TRUE);
    let window = web_sys::window().unwrap();
    let ctor: js_sys::Function =
        js_sys::Reflect::get(&window, &wasm_bindgen::JsValue::from_str(class))
            .unwrap()
            .unchecked_into();
    let event = js_sys::Reflect::construct(
        &ctor,
        &js_sys::Array::of2(&wasm_bindgen::JsValue::from_str(kind), &init),
    )
    .unwrap();
    target.dispatch_event(event.unchecked_ref()).unwrap();
}

/// Draws `strokes` (points in canvas pixels) on the drawing-pad canvas `testid` with
/// synthetic pointer events, one press-move-release per stroke, as a pen would.
pub async fn draw_strokes(testid: &str, strokes: &[Vec<(f64, f64)>]) {
    let canvas: web_sys::HtmlCanvasElement = find(testid)
        .unwrap_or_else(|| panic!("no {testid}"))
        .unchecked_into();
    let rect = canvas.get_bounding_client_rect();
    let (sx, sy) = (
        rect.width() / canvas.width() as f64,
        rect.height() / canvas.height() as f64,
    );
    let at = |(x, y): (f64, f64)| (rect.left() + x * sx, rect.top() + y * sy);
    for stroke in strokes {
        let Some((&first, rest)) = stroke.split_first() else {
            continue;
        };
        let (x, y) = at(first);
        fire_at(&canvas, "PointerEvent", "pointerdown", x, y);
        let mut last = (x, y);
        for &p in rest {
            last = at(p);
            fire_at(&canvas, "PointerEvent", "pointermove", last.0, last.1);
        }
        fire_at(&canvas, "PointerEvent", "pointerup", last.0, last.1);
        next_frame().await;
    }
}

/// Clears the drawing pad `pad` and replays the synthetic generator's strokes of `digit` on it,
/// scaled from the generator's canvas to the pad's 280×280, with its brush width.
pub async fn draw_synthetic_digit(pad: &str, digit: u8, seed: u64) {
    click(&format!("{pad}-clear"));
    settle().await;
    let drawn = convlab_digits::synthetic_strokes(digit, seed).unwrap();
    let scale = 280.0 / drawn.canvas as f64;
    set_value(
        &format!("{pad}-brush"),
        &((drawn.thickness as f64 * scale).round() as u32).to_string(),
    );
    let strokes: Vec<Vec<(f64, f64)>> = drawn
        .strokes
        .iter()
        .map(|s| {
            s.iter()
                .map(|&(x, y)| (x as f64 * scale, y as f64 * scale))
                .collect()
        })
        .collect();
    draw_strokes(pad, &strokes).await;
}

/// Points the app at the model worker and the shipped weights that `cargo xtask test` serves
/// for the browser tests (the test page's own server has neither). The address is fixed when
/// the tests are compiled, from `CONVLAB_TEST_WORKER_URL`.
pub fn use_test_worker() {
    match option_env!("CONVLAB_TEST_WORKER_URL") {
        Some(url) => convlab_web::ml::client::set_base(url),
        None => panic!(
            "CONVLAB_TEST_WORKER_URL is not set: the model pages' browser tests need the model \
             worker served beside them; run them with `cargo xtask test`"
        ),
    }
}

/// Waits until `ready()` holds, up to `seconds`, frame by frame; panics with `what` after.
pub async fn wait_until(what: &str, seconds: f64, ready: impl Fn() -> bool) {
    let start = js_sys::Date::now();
    while !ready() {
        if js_sys::Date::now() - start > seconds * 1000.0 {
            panic!("timed out after {seconds} s waiting for {what}");
        }
        sleep_ms(20).await;
    }
}

/// Mounts a model page (its models in the served worker) on the CPU backend and waits until the
/// models are loaded (the `backend` badge shows).
pub async fn mount_model_page(url: &str, page_testid: &str) -> Mounted {
    mount_model_page_on(url, page_testid, "cpu").await
}

/// [`mount_model_page`] with the user's backend choice (`webgpu` or `cpu`) stored first, as
/// the backend switch stores it.
pub async fn mount_model_page_on(url: &str, page_testid: &str, backend: &str) -> Mounted {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .set_item("convlab.backend", backend)
        .unwrap();
    use_test_worker();
    let app = mount_app_at(url, page_testid).await;
    wait_until("the models to load", 60.0, || find("backend").is_some()).await;
    app
}

/// The number of pixels brighter than half in a canvas (ink, for a white-on-black digit).
pub fn ink_pixels(testid: &str) -> usize {
    let (_, _, px) = canvas_pixels(testid);
    px.chunks(4).filter(|p| p[0] > 127).count()
}

/// A canvas's grey levels in `[0, 1]` (the red channel).
pub fn canvas_grey(testid: &str) -> Vec<f32> {
    let (_, _, px) = canvas_pixels(testid);
    px.chunks(4).map(|p| f32::from(p[0]) / 255.0).collect()
}

/// A mouse click at the centre of the element with this `data-testid`.
pub fn click_centre(testid: &str) {
    let el = find(testid).unwrap_or_else(|| panic!("no {testid}"));
    let rect = el.get_bounding_client_rect();
    fire_at(
        &el,
        "MouseEvent",
        "click",
        rect.left() + rect.width() / 2.0,
        rect.top() + rect.height() / 2.0,
    );
}
