//! `/convolution-1d`: the lecture's `(f ∗ g)(t) = ∫ f(τ) g(t − τ) dτ` as its 1D example
//! animates it — the kernel g flipped and slid along f, the area under their product, and the
//! running result — plus the discrete `full` / `same` / `valid` modes of sampled signals.
//!
//! Every setting lives in the URL except the shift while it is being animated or dragged:
//! browsers throttle address-bar updates, so the shift reaches the URL when it comes to rest.

mod controls;
mod modes;
mod signal;
mod sliding;

use std::time::Duration;

use convlab_kernels::signals::sample_times;
use leptos::prelude::*;

use self::controls::{DrawPad, SignalControls};
use self::modes::ModesSection;
use self::signal::{F_KEYS, G_KEYS, SignalKind, SignalSettings};
use self::sliding::SlidingSection;
use crate::components::math::Math;
use crate::url_state::format_number;

/// Samples of f and g on the grid τₖ = (k − 100)·h: τ runs from −5 to 5. The shift slider
/// goes over the same indices (public for the browser tests).
pub const SAMPLES: usize = 201;
/// The spacing h of the samples; sums times h approximate the integrals.
pub const STEP: f32 = 0.05;
/// Half the visible range of τ and t.
const HALF_RANGE: f32 = (SAMPLES - 1) as f32 / 2.0 * STEP;
/// Time between two frames of the animation (the whole range takes about 8 s).
const FRAME: Duration = Duration::from_millis(40);

const F_COLOR: &str = "var(--accent)";
const G_COLOR: &str = "var(--accent-2)";
const PRODUCT_COLOR: &str = "var(--ok)";
const RESULT_COLOR: &str = "var(--conv1d-result)";

/// The slide's formula, with f(τ) inside the integral.
const FORMULA: &str = "<mrow><mo>(</mo><mi>f</mi><mo>∗</mo><mi>g</mi><mo>)</mo><mo>(</mo><mi>t</mi><mo>)</mo></mrow>\
    <mo>=</mo><msubsup><mo>∫</mo><mrow><mo>−</mo><mi>∞</mi></mrow><mi>∞</mi></msubsup>\
    <mi>f</mi><mo>(</mo><mi>τ</mi><mo>)</mo><mspace width=\"0.2em\"></mspace><mi>g</mi><mo>(</mo><mi>t</mi><mo>−</mo><mi>τ</mi><mo>)</mo>\
    <mspace width=\"0.2em\"></mspace><mi>d</mi><mi>τ</mi>\
    <mo>≈</mo><munder><mo>∑</mo><mi>k</mi></munder><mi>f</mi><mo>(</mo><msub><mi>τ</mi><mi>k</mi></msub><mo>)</mo>\
    <mspace width=\"0.2em\"></mspace><mi>g</mi><mo>(</mo><mi>t</mi><mo>−</mo><msub><mi>τ</mi><mi>k</mi></msub><mo>)</mo><mspace width=\"0.2em\"></mspace><mi>h</mi>";

/// `[lo, hi]` of some values together with 0.
fn extent(values: impl IntoIterator<Item = f32>) -> (f32, f32) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((0.0f32, 0.0f32), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// The 1D convolution page.
#[component]
pub fn Convolution1dPage() -> impl IntoView {
    let f = SignalSettings::new(&F_KEYS);
    let g = SignalSettings::new(&G_KEYS);
    let times = StoredValue::new(sample_times(SAMPLES, STEP));
    let f_samples = Memo::new(move |_| times.with_value(|t| f.sample(t)));
    let g_samples = Memo::new(move |_| times.with_value(|t| g.sample(t)));

    view! {
        <section class="page conv1d" data-testid="page-convolution-1d">
            <h1>"1D convolution"</h1>
            <p class="lead">
                "Convolution slides one function across another. To get " <b>"(f ∗ g)(t)"</b> ", flip the kernel g, shift it "
                "to t, multiply it with f point by point and take the area under the product. Move t and watch the "
                "shaded area become one point of the result below — two boxes make the classic triangle."
            </p>
            <Math mathml=FORMULA.to_string() block=true />
            <p class="note">
                "A note on the slide: it writes " <i>"f(t)"</i> " inside the integral. The usual definition, used here, "
                "has " <i>"f(τ)"</i> ": the integral runs over τ, so both factors depend on τ (with f(t) the first factor "
                "would simply leave the integral). On a computer the integral becomes a sum over samples τ"
                <sub>"k"</sub> " that are h = " {format_number(STEP)} " apart."
            </p>
            <div class="controls conv1d-signals">
                <SignalControls settings=f />
                <SignalControls settings=g />
            </div>
            {move || (f.kind() == SignalKind::Drawn).then(|| view! { <DrawPad settings=f /> })}
            {move || (g.kind() == SignalKind::Drawn).then(|| view! { <DrawPad settings=g /> })}

            <SlidingSection times f_samples g_samples />
            <ModesSection times f_samples g />
        </section>
    }
}
