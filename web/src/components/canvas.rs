//! Canvases that show pixel data computed by the kernels crate.

use convlab_kernels::Grid;
use convlab_kernels::image::{Tone, grid_to_rgba};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

/// An RGBA picture: `width × height` pixels, 4 bytes each.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Rgba {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Rgba {
    /// A grid shown in grey levels.
    pub fn from_grid(grid: &Grid, tone: Tone) -> Self {
        Self {
            width: grid.cols(),
            height: grid.rows(),
            pixels: grid_to_rgba(grid, tone),
        }
    }
}

/// The 2D context of a canvas element.
pub fn context_2d(canvas: &web_sys::HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// Draws `image` onto `canvas`, resizing the canvas to the image.
pub fn paint(canvas: &web_sys::HtmlCanvasElement, image: &Rgba) {
    if image.width == 0 || image.height == 0 || image.pixels.len() != image.width * image.height * 4
    {
        return;
    }
    if canvas.width() != image.width as u32 {
        canvas.set_width(image.width as u32);
    }
    if canvas.height() != image.height as u32 {
        canvas.set_height(image.height as u32);
    }
    let Some(ctx) = context_2d(canvas) else {
        return;
    };
    if let Ok(data) = ImageData::new_with_u8_clamped_array_and_sh(
        Clamped(&image.pixels),
        image.width as u32,
        image.height as u32,
    ) {
        let _ = ctx.put_image_data(&data, 0.0, 0.0);
    }
}

/// A canvas that always shows the current value of `image`, scaled up with crisp pixels.
#[component]
pub fn ImageCanvas(
    /// What to show.
    #[prop(into)]
    image: Signal<Rgba>,
    /// The `data-testid` of the canvas.
    #[prop(into)]
    testid: String,
    /// Accessible description of the picture.
    #[prop(into)]
    label: String,
    /// Extra CSS classes.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let image = image.get();
        if let Some(c) = canvas.get() {
            paint(&c, &image);
        }
    });
    view! {
        <canvas
            node_ref=canvas
            class=format!("pixel-canvas {class}")
            data-testid=testid
            role="img"
            aria-label=label
        ></canvas>
    }
}
