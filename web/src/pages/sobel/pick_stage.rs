//! A picture the user clicks to choose the step-through pixel.

use leptos::html::Div;
use leptos::prelude::*;

use crate::components::canvas::{ImageCanvas, Rgba};

/// A picture that reports the pixel the user clicks and marks the chosen pixel with a box
/// `span` pixels wide (3: the kernel's window on the input; 1: the output pixel).
#[component]
pub(super) fn PickStage(
    #[prop(into)] image: Signal<Rgba>,
    testid: &'static str,
    #[prop(into)] label: String,
    #[prop(into)] shape: Signal<(usize, usize)>,
    #[prop(into)] point: Signal<(usize, usize)>,
    span: usize,
    on_pick: Callback<(usize, usize)>,
) -> impl IntoView {
    let stage = NodeRef::<Div>::new();
    let pick = move |ev: web_sys::MouseEvent| {
        let Some(el) = stage.get_untracked() else {
            return;
        };
        // The canvas itself, not the stage: without the page's CSS the two differ in size.
        let picture = el.query_selector("canvas").ok().flatten();
        let rect = picture
            .unwrap_or_else(|| el.into())
            .get_bounding_client_rect();
        let (rows, cols) = shape.get_untracked();
        if rect.width() <= 0.0 || rect.height() <= 0.0 || rows == 0 || cols == 0 {
            return;
        }
        let fx = (ev.client_x() as f64 - rect.left()) / rect.width();
        let fy = (ev.client_y() as f64 - rect.top()) / rect.height();
        let c = ((fx * cols as f64).floor().max(0.0) as usize).min(cols - 1);
        let r = ((fy * rows as f64).floor().max(0.0) as usize).min(rows - 1);
        on_pick.run((r, c));
    };
    let marker = move || {
        let (rows, cols) = shape.get();
        let (r, c) = point.get();
        if rows == 0 || cols == 0 {
            return String::from("display: none");
        }
        let half = (span / 2) as f64;
        let pct = |v: f64, n: usize| v / n as f64 * 100.0;
        format!(
            "left: {:.3}%; top: {:.3}%; width: {:.3}%; height: {:.3}%",
            pct(c as f64 - half, cols),
            pct(r as f64 - half, rows),
            pct(span as f64, cols),
            pct(span as f64, rows)
        )
    };
    view! {
        <div class="pick-stage" node_ref=stage on:click=pick title="Click to choose the step-through pixel">
            <ImageCanvas image=image testid=testid label=label />
            <div class="pick-marker" style=marker aria-hidden="true"></div>
        </div>
    }
}
