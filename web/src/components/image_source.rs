//! Pictures from the user: an uploaded file of any size and a still from the webcam, both
//! turned into a greyscale [`Grid`] no larger than a given side.
//!
//! Everything that comes from the user or the browser can fail (a text file, an empty file, a
//! refused camera, no camera at all), so every step returns a `Result` and the components show
//! the reason as an alert next to the control; the page keeps the picture it had.

use convlab_kernels::Grid;
use convlab_kernels::image::{fit_within, luma_from_rgba, resize};
use leptos::html::Video;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement, MediaStream};

use crate::components::canvas::context_2d;

/// Decoded pictures are first drawn at most this large, so a 50-megapixel photo does not
/// become a 200 MB pixel buffer before it is scaled down to the working size.
const DECODE_LIMIT: usize = 2048;

/// A picture from the user, in greyscale `[0, 1]` (Rec. 601 luma), already reduced.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedImage {
    /// The pixels, at most `max_side` along the longer side.
    pub grid: Grid,
    /// Where it came from, for captions ("cat.jpg", "Webcam frame").
    pub name: String,
    /// The size the browser decoded, `(rows, cols)`.
    pub original: (usize, usize),
}

impl LoadedImage {
    /// True when the picture was made smaller than the original.
    pub fn was_scaled(&self) -> bool {
        self.grid.shape() != self.original
    }
}

/// A file input (and drop zone) that decodes an image in the browser and reports it.
#[component]
pub fn ImageUpload(
    /// Called with each successfully decoded picture.
    on_image: Callback<LoadedImage>,
    /// The longest side of the reported grid; larger pictures are scaled down.
    max_side: usize,
    /// The `data-testid` of the `<input type="file">`.
    #[prop(default = "image-upload")]
    testid: &'static str,
    /// Also called with the message when a file cannot be used (it is shown here either way).
    #[prop(optional)]
    on_error: Option<Callback<String>>,
) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let (dragging, set_dragging) = signal(false);
    let fail = move |message: String| {
        if let Some(report) = on_error {
            report.try_run(message.clone());
        }
        set_error.try_set(Some(message));
    };

    let load = move |file: web_sys::File| {
        set_busy.set(true);
        spawn_local(async move {
            let result = decode_file(&file, max_side).await;
            // The page may have moved on while the browser decoded: report only if still here.
            match result {
                Ok(image) => {
                    set_error.try_set(None);
                    on_image.try_run(image);
                }
                Err(message) => fail(message),
            }
            set_busy.try_set(false);
        });
    };

    let on_change = move |ev: web_sys::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        let file = input.files().and_then(|files| files.get(0));
        if let Some(file) = file {
            load(file);
        }
        // Choosing the same file again must fire `change` again.
        input.set_value("");
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        set_dragging.set(false);
        let file = ev
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|files| files.get(0));
        match file {
            Some(file) => load(file),
            None => fail("Nothing to load: drop an image file here.".into()),
        }
    };

    view! {
        <div
            class="image-upload"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                set_dragging.set(true);
            }
            on:dragleave=move |_| set_dragging.set(false)
            on:drop=on_drop
        >
            <label class="field">
                <span class="field-label">"Image file (PNG, JPEG, GIF, WebP, BMP…) — or drop one here"</span>
                <input type="file" accept="image/*" data-testid=testid on:change=on_change />
            </label>
            {move || busy.get().then(|| view! { <p class="notice" role="status">"Decoding…"</p> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

/// Decodes `file` with the browser's image decoders and reduces it to `max_side`.
pub async fn decode_file(file: &web_sys::File, max_side: usize) -> Result<LoadedImage, String> {
    let name = file.name();
    if file.size() <= 0.0 {
        return Err(format!(
            "“{name}” is empty (0 bytes). Choose an image file."
        ));
    }
    let kind = file.type_();
    if !kind.is_empty() && !kind.starts_with("image/") {
        return Err(format!(
            "“{name}” is not an image (its type is {kind}). Choose a PNG, JPEG, GIF, WebP or BMP file."
        ));
    }
    let window = web_sys::window().ok_or("No browser window to decode the image in.")?;
    let promise = window
        .create_image_bitmap_with_blob(file)
        .map_err(|e| format!("“{name}” could not be read: {}", js_message(&e)))?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| format!("“{name}” could not be decoded as an image. Is it really a picture?"))?
        .dyn_into()
        .map_err(|_| format!("“{name}” did not decode to a picture."))?;
    let (rows, cols) = (bitmap.height() as usize, bitmap.width() as usize);
    let grid = read_luma(rows, cols, |ctx, w, h| {
        ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w, h)
    });
    bitmap.close();
    let grid = grid.map_err(|e| format!("“{name}”: {e}"))?;
    Ok(LoadedImage {
        grid: shrink(grid, max_side)?,
        name,
        original: (rows, cols),
    })
}

/// Draws a `rows × cols` source (at most [`DECODE_LIMIT`] per side) on a scratch canvas with
/// `draw(ctx, width, height)` and reads it back as luma.
fn read_luma(
    rows: usize,
    cols: usize,
    draw: impl FnOnce(&CanvasRenderingContext2d, f64, f64) -> Result<(), JsValue>,
) -> Result<Grid, String> {
    if rows == 0 || cols == 0 {
        return Err("the picture has no pixels".into());
    }
    let ((rows, cols), _) = fit_within(rows, cols, DECODE_LIMIT);
    let canvas: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|e| e.dyn_into().ok())
        .ok_or("no scratch canvas")?;
    canvas.set_width(cols as u32);
    canvas.set_height(rows as u32);
    let ctx = context_2d(&canvas).ok_or("no 2D canvas context")?;
    draw(&ctx, cols as f64, rows as f64).map_err(|e| js_message(&e))?;
    let data = ctx
        .get_image_data(0.0, 0.0, cols as f64, rows as f64)
        .map_err(|e| js_message(&e))?;
    luma_from_rgba(&data.data().0, cols, rows).map_err(|e| e.to_string())
}

/// Scales `grid` down so that its longer side is at most `max_side`.
fn shrink(grid: Grid, max_side: usize) -> Result<Grid, String> {
    let ((rows, cols), smaller) = fit_within(grid.rows(), grid.cols(), max_side);
    if smaller {
        resize(&grid, rows, cols).map_err(|e| e.to_string())
    } else {
        Ok(grid)
    }
}

/// The `message` (or the text) of a JavaScript error.
fn js_message(err: &JsValue) -> String {
    js_sys::Reflect::get(err, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// Where the camera stands.
#[derive(Clone, Debug, PartialEq)]
enum Camera {
    Off,
    Starting,
    On,
}

/// Live webcam with a "Capture frame" button. Nothing starts until the user asks, and a
/// refused permission or a missing camera gives a message instead of a broken page.
#[component]
pub fn WebcamCapture(
    /// Called with each captured frame.
    on_image: Callback<LoadedImage>,
    /// The longest side of the reported grid.
    max_side: usize,
    /// Prefix of the `data-testid`s: `{prefix}-start`, `-capture`, `-stop`, `-video`, `-error`.
    #[prop(default = "webcam")]
    testid: &'static str,
    /// Also called with the message when the camera cannot be used (it is shown here either way).
    #[prop(optional)]
    on_error: Option<Callback<String>>,
) -> impl IntoView {
    let video = NodeRef::<Video>::new();
    let (camera, set_camera) = signal(Camera::Off);
    let (error, set_error) = signal(None::<String>);
    let fail = move |message: String| {
        if let Some(report) = on_error {
            report.try_run(message.clone());
        }
        set_error.try_set(Some(message));
    };
    let stream = StoredValue::new_local(None::<MediaStream>);

    let stop = move || {
        stream.try_update_value(|s| {
            if let Some(s) = s.take() {
                stop_tracks(&s);
            }
        });
        if let Some(v) = video.try_get_untracked().flatten() {
            let _ = js_sys::Reflect::set(&v, &JsValue::from_str("srcObject"), &JsValue::NULL);
        }
        set_camera.try_set(Camera::Off);
    };
    on_cleanup(stop);

    let start = move |_| {
        set_error.set(None);
        set_camera.set(Camera::Starting);
        spawn_local(async move {
            match open_camera().await {
                Ok(s) => {
                    // Gone while the user was answering the permission prompt: let go at once.
                    let Some(v) = video.try_get_untracked().flatten() else {
                        stop_tracks(&s);
                        return;
                    };
                    if stream.try_set_value(Some(s.clone())).is_some() {
                        stop_tracks(&s);
                        return;
                    }
                    let _ = js_sys::Reflect::set(&v, &JsValue::from_str("srcObject"), &s);
                    if let Ok(play) = js_sys::Reflect::get(&v, &JsValue::from_str("play"))
                        && let Ok(play) = play.dyn_into::<js_sys::Function>()
                    {
                        let _ = play.call0(&v);
                    }
                    set_camera.try_set(Camera::On);
                }
                Err(message) => {
                    fail(message);
                    set_camera.try_set(Camera::Off);
                }
            }
        });
    };

    let capture = move |_| {
        let Some(v) = video.get_untracked() else {
            return;
        };
        let (rows, cols) = (v.video_height() as usize, v.video_width() as usize);
        if rows == 0 || cols == 0 {
            fail("The camera has not delivered a picture yet; try again in a moment.".into());
            return;
        }
        let grid = read_luma(rows, cols, |ctx, w, h| {
            ctx.draw_image_with_html_video_element_and_dw_and_dh(&v, 0.0, 0.0, w, h)
        })
        .and_then(|g| shrink(g, max_side));
        match grid {
            Ok(grid) => {
                set_error.set(None);
                on_image.run(LoadedImage {
                    grid,
                    name: "Webcam frame".into(),
                    original: (rows, cols),
                });
            }
            Err(e) => fail(format!("The frame could not be read: {e}")),
        }
    };

    view! {
        <div class="webcam">
            <div class="controls">
                <button
                    data-testid=format!("{testid}-start")
                    on:click=start
                    disabled=move || camera.get() != Camera::Off
                >
                    "Start camera"
                </button>
                <button
                    class="primary"
                    data-testid=format!("{testid}-capture")
                    on:click=capture
                    disabled=move || camera.get() != Camera::On
                >
                    "Capture frame"
                </button>
                <button
                    data-testid=format!("{testid}-stop")
                    on:click=move |_| stop()
                    disabled=move || camera.get() == Camera::Off
                >
                    "Stop camera"
                </button>
            </div>
            {move || {
                (camera.get() == Camera::Starting)
                    .then(|| view! { <p class="notice" role="status">"Waiting for the camera (allow it if the browser asks)…"</p> })
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid=format!("{testid}-error")>{e}</p> })}
            <video
                node_ref=video
                class="webcam-video"
                class:hidden=move || camera.get() != Camera::On
                data-testid=format!("{testid}-video")
                autoplay=true
                muted=true
                playsinline=true
            ></video>
        </div>
    }
}

/// Asks for a video stream; the error says in plain words why there is none.
async fn open_camera() -> Result<MediaStream, String> {
    let window = web_sys::window().ok_or("No browser window.")?;
    let navigator = window.navigator();
    let has_devices = js_sys::Reflect::get(&navigator, &JsValue::from_str("mediaDevices"))
        .map(|d| !d.is_undefined() && !d.is_null())
        .unwrap_or(false);
    if !has_devices {
        return Err(
            "This browser offers no camera here (cameras need an https:// or localhost address). \
                    Use a sample, an upload or the drawing pad instead."
                .into(),
        );
    }
    let devices = navigator
        .media_devices()
        .map_err(|e| format!("No camera access: {}", js_message(&e)))?;
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&JsValue::TRUE);
    constraints.set_audio(&JsValue::FALSE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| format!("The camera could not be started: {}", js_message(&e)))?;
    let stream = JsFuture::from(promise)
        .await
        .map_err(|e| camera_error(&e))?;
    stream
        .dyn_into::<MediaStream>()
        .map_err(|_| "The browser returned no video stream.".into())
}

/// A sentence for a `getUserMedia` rejection.
fn camera_error(err: &JsValue) -> String {
    let name = js_sys::Reflect::get(err, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let what = match name.as_str() {
        "NotAllowedError" | "SecurityError" => {
            "Camera permission was refused. Allow the camera in the browser's site settings to use it"
        }
        "NotFoundError" | "OverconstrainedError" => "No camera was found on this device",
        "NotReadableError" | "AbortError" => "The camera is busy (another program may be using it)",
        _ => {
            return format!(
                "The camera could not be started ({}). The rest of the page still works.",
                js_message(err)
            );
        }
    };
    format!("{what}. The rest of the page still works: use a sample, an upload or the drawing pad.")
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}
