//! 28×28 digits (784 values in `[0, 1]`, ink high) on canvases, one at a time or as a strip.

use convlab_kernels::Grid;
use convlab_kernels::image::Tone;
use leptos::prelude::*;

use crate::components::canvas::{ImageCanvas, Rgba};

/// Side of an MNIST digit.
pub const SIDE: usize = 28;

/// A digit as white ink on black, or an empty picture when it is not 28×28.
pub fn digit_rgba(pixels: &[f32]) -> Rgba {
    if pixels.len() != SIDE * SIDE {
        return Rgba::default();
    }
    let grid = Grid::from_fn(SIDE, SIDE, |r, c| pixels[r * SIDE + c]);
    Rgba::from_grid(&grid, Tone::Unit)
}

/// `n × n` digits in one picture, row-major; missing digits stay black.
pub fn tile(images: &[Vec<f32>], n: usize) -> Rgba {
    let side = n * SIDE;
    let grid = Grid::from_fn(side, side, |r, c| {
        images
            .get((r / SIDE) * n + c / SIDE)
            .and_then(|img| img.get((r % SIDE) * SIDE + c % SIDE))
            .copied()
            .unwrap_or(0.0)
    });
    Rgba::from_grid(&grid, Tone::Unit)
}

/// One digit, scaled up with crisp pixels; blank while `image` is `None`.
#[component]
pub fn DigitCanvas(
    #[prop(into)] image: Signal<Option<Vec<f32>>>,
    testid: &'static str,
    #[prop(into)] label: String,
    /// `small` for strips and grids.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let rgba =
        Signal::derive(move || image.with(|i| i.as_deref().map(digit_rgba).unwrap_or_default()));
    view! { <ImageCanvas image=rgba testid=testid label=label class=class /> }
}

/// A row (wrapping) of small digits, each with a caption under it; `data-testid` on the row,
/// `{testid}-{i}` on each canvas.
#[component]
pub fn DigitStrip(
    /// The digits and their captions.
    #[prop(into)]
    items: Signal<Vec<(Vec<f32>, String)>>,
    testid: &'static str,
    /// Highlight this item (e.g. the slider's position).
    #[prop(optional, into)]
    current: Option<Signal<Option<usize>>>,
    /// Called with the index of a clicked item.
    #[prop(optional)]
    on_pick: Option<Callback<usize>>,
) -> impl IntoView {
    view! {
        <div class="digit-strip" data-testid=testid>
            {move || {
                items
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(i, (pixels, caption))| {
                        let is_current = move || current.is_some_and(|c| c.get() == Some(i));
                        let rgba = digit_rgba(&pixels);
                        view! {
                            <figure
                                class="digit-cell"
                                class:current=is_current
                                on:click=move |_| {
                                    if let Some(pick) = on_pick {
                                        pick.run(i);
                                    }
                                }
                            >
                                <StaticCanvas image=rgba testid=format!("{testid}-{i}") />
                                <figcaption>{caption}</figcaption>
                            </figure>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}

/// A canvas painted once with a fixed picture.
#[component]
fn StaticCanvas(image: Rgba, testid: String) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            crate::components::canvas::paint(&c, &image);
        }
    });
    view! { <canvas node_ref=canvas class="pixel-canvas small" data-testid=testid role="img" aria-label="a decoded digit"></canvas> }
}
