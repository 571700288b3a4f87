//! Section 4: what L1 and L2 do to the weights — the loss as data term plus penalty, the
//! weights' histogram, and how many are exactly zero or nearly so.

use leptos::prelude::*;

use super::lab::Lab;
use crate::components::plot::{LinePlot, Series};
use crate::mnist_store::thousands;

/// The weights' histogram and the loss's two terms.
#[component]
pub(super) fn Weights(lab: Lab) -> impl IntoView {
    let histogram = Memo::new(move |_| {
        lab.weights
            .get()
            .map(|w| {
                let n = w.bins.len().max(1) as f32;
                let width = (w.hi - w.lo) / n;
                let points = w
                    .bins
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| (w.lo + (i as f32 + 0.5) * width, (c as f32 + 1.0).log10()))
                    .collect();
                vec![Series::area(
                    "log₁₀(1 + weights in the bin)",
                    "var(--accent)",
                    points,
                )]
            })
            .unwrap_or_default()
    });
    let fractions = move || {
        lab.weights.get().map(|w| {
            let pct = |k: u32| 100.0 * k as f64 / f64::from(w.count.max(1));
            format!(
                "{} weights (biases aside): {:.2}% exactly 0, {:.2}% within ±0.001; largest |w| {:.3}.",
                thousands(w.count),
                pct(w.zero),
                pct(w.tiny),
                w.hi
            )
        })
    };
    let terms = move || {
        lab.steps.with(|s| {
            s.last().map(|p| {
                format!(
                    "Last step: data term (cross-entropy) {:.4} + penalty {:.4} = {:.4}",
                    p.loss,
                    p.penalty,
                    p.loss + p.penalty
                )
            })
        })
    };
    view! {
        <div class="train-weights">
            <p>
                <math display="inline">
                    <mi>"L"</mi><mo>"="</mo><msub><mi>"L"</mi><mtext>"data"</mtext></msub><mo>"+"</mo>
                    <msub><mi>"λ"</mi><mn>"1"</mn></msub><mo>"∑"</mo><mo>"|"</mo><mi>"w"</mi><mo>"|"</mo><mo>"+"</mo>
                    <msub><mi>"λ"</mi><mn>"2"</mn></msub><mo>"∑"</mo><msup><mi>"w"</mi><mn>"2"</mn></msup>
                </math>
                " — L1 pushes every weight towards 0 by the same step (many end exactly at 0: a sparse model); "
                "L2 shrinks each weight in proportion to its size (small, but not zero)."
            </p>
            <p data-testid="train-terms">{terms}</p>
            <p data-testid="train-sparsity">{fractions}</p>
            <LinePlot
                series=histogram
                x_label="weight"
                y_label="log₁₀(1 + count)"
                label="Histogram of the weights"
                testid="train-histogram"
                height=180.0
            />
        </div>
    }
}
