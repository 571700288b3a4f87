//! Section 5: vanishing gradients — the norm of each weight layer's gradient at the latest
//! step, input side first, on a log scale. In a deep sigmoid MLP the first layers' bars are
//! orders of magnitude below the last ones' (σ′ ≤ ¼ at every layer on the way back) and those
//! layers hardly learn; ReLU and LayerNorm keep the bars level.

use leptos::prelude::*;

use super::lab::Lab;

/// Height of the chart in SVG units (its width is 640).
const HEIGHT: f32 = 200.0;

/// The bar chart.
#[component]
pub(super) fn Gradients(lab: Lab) -> impl IntoView {
    let chart = move || {
        let gradients = lab.gradients.get();
        if gradients.is_empty() {
            return None;
        }
        let logs: Vec<f32> = gradients
            .iter()
            .map(|g| g.norm.max(1e-30).log10())
            .collect();
        let lo = logs
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min)
            .floor()
            .min(-1.0);
        let hi = logs
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max)
            .ceil()
            .max(lo + 1.0);
        let slot = 600.0 / gradients.len() as f32;
        let bars = gradients
            .iter()
            .zip(&logs)
            .enumerate()
            .map(|(i, (g, &log))| {
                let height = (log - lo) / (hi - lo) * (HEIGHT - 40.0);
                let x = 30.0 + i as f32 * slot;
                let y = HEIGHT - 24.0 - height;
                view! {
                    <g data-testid=format!("gradient-{i}") data-norm=g.norm.to_string()>
                        <rect x=x + 2.0 y=y width=(slot - 4.0).max(1.0) height=height.max(1.0)>
                            <title>{format!("{}: ‖∂L/∂W‖ = {:.3e}", g.layer, g.norm)}</title>
                        </rect>
                        <text x=x + slot / 2.0 y=HEIGHT - 8.0 text-anchor="middle">
                            {g.layer.replace("hidden ", "h")}
                        </text>
                    </g>
                }
            })
            .collect_view();
        let ratio = match (gradients.first(), gradients.last()) {
            (Some(first), Some(last)) if last.norm > 0.0 => Some(first.norm / last.norm),
            _ => None,
        };
        Some(view! {
            <svg class="gradient-bars" viewBox=format!("0 0 640 {HEIGHT}") role="img" aria-label="gradient norm per layer" data-testid="train-gradients">
                <text x="2" y="12">{format!("10^{hi}")}</text>
                <text x="2" y=HEIGHT - 26.0>{format!("10^{lo}")}</text>
                {bars}
            </svg>
            <p data-testid="train-gradient-ratio">
                {ratio.map(|r| format!("The first layer's gradient is {r:.2e} times the last layer's."))}
            </p>
        })
    };
    view! {
        <div class="train-gradients">
            <p>
                "‖∂L/∂W‖ of each layer at the latest step, input side first (log scale). Backpropagation "
                "multiplies by each layer's activation slope on the way back: a sigmoid's is at most ¼, "
                "so twelve of them shrink the first layers' gradients by orders of magnitude and those layers stop "
                "learning. Choose the MLP, then ReLU and LayerNorm, to keep them level."
            </p>
            {chart}
        </div>
    }
}
