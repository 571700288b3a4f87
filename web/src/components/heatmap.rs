//! Signed values (feature maps, a neuron's output) as a picture on a diverging colour scale:
//! zero white, positive red, negative blue. A click reports the cell under the pointer.

use convlab_kernels::Grid;
use convlab_kernels::image::diverging_to_rgba;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::canvas::{ImageCanvas, Rgba};

/// The largest |value| of `values` (at least the smallest positive float), the scale that
/// shows them with full colour.
pub fn max_abs<'a>(values: impl IntoIterator<Item = &'a f32>) -> f32 {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(f32::MIN_POSITIVE, |m, v| m.max(v.abs()))
}

/// A grid on the diverging scale: `scale` is the |value| drawn at full colour.
#[component]
pub fn HeatMap(
    #[prop(into)] grid: Signal<Grid>,
    #[prop(into)] scale: Signal<f32>,
    /// The `data-testid` of the canvas.
    testid: String,
    /// Accessible description of the picture.
    #[prop(into)]
    label: String,
    /// Called with `(row, col)` of a clicked cell.
    #[prop(optional)]
    on_pick: Option<Callback<(usize, usize)>>,
    /// Extra CSS classes of the canvas (`small` for grids of maps).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let rgba = Signal::derive(move || {
        grid.with(|g| Rgba {
            width: g.cols(),
            height: g.rows(),
            pixels: diverging_to_rgba(g, scale.get()),
        })
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        let (Some(pick), Some(target)) = (on_pick, ev.target()) else {
            return;
        };
        let Ok(element) = target.dyn_into::<web_sys::Element>() else {
            return;
        };
        let rect = element.get_bounding_client_rect();
        let (rows, cols) = grid.with_untracked(|g| g.shape());
        if rect.width() <= 0.0 || rect.height() <= 0.0 || rows == 0 || cols == 0 {
            return;
        }
        let fraction = |at: f64, start: f64, size: f64| ((at - start) / size).clamp(0.0, 0.999_999);
        let row =
            (fraction(ev.client_y() as f64, rect.top(), rect.height()) * rows as f64) as usize;
        let col =
            (fraction(ev.client_x() as f64, rect.left(), rect.width()) * cols as f64) as usize;
        pick.run((row, col));
    };
    view! {
        <div class="heatmap" class:pickable=on_pick.is_some() on:click=on_click>
            <ImageCanvas image=rgba testid=testid label=label class=class />
        </div>
    }
}
