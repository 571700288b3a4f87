//! The kernel flipped and slid along f: the shift (played or dragged), the product whose area
//! is one point of the result, and the result so far.

use convlab_kernels::conv1d::SlidingView;
use leptos::prelude::*;

use super::{
    F_COLOR, FRAME, G_COLOR, HALF_RANGE, PRODUCT_COLOR, RESULT_COLOR, SAMPLES, STEP, extent,
};
use crate::components::player::{PlayButton, use_player};
use crate::components::plot::{Bounds, LinePlot, Marker, Series};
use crate::url_state::{format_number, use_query_state};

/// The shift slider, its readout and the two plots.
#[component]
pub(super) fn SlidingSection(
    times: StoredValue<Vec<f32>>,
    f_samples: Memo<Vec<f32>>,
    g_samples: Memo<Vec<f32>>,
) -> impl IntoView {
    // The shift: local while it moves, in the URL once it rests.
    let (shift_url, set_shift_url) = use_query_state("t", 0usize);
    let shift = RwSignal::new(shift_url.get_untracked().min(SAMPLES - 1));
    Effect::new(move |_| shift.set(shift_url.get().min(SAMPLES - 1)));
    let t_value = move || times.with_value(|t| t[shift.get().min(SAMPLES - 1)]);

    let sliding = Memo::new(move |_| {
        let j = shift.get();
        f_samples.with(|f| g_samples.with(|g| SlidingView::new(f, g, STEP, j).ok()))
    });
    let value_text = move || {
        sliding.with(|v| {
            v.as_ref()
                .map_or_else(|| "—".to_string(), |v| format!("{:.3}", v.value + 0.0))
        })
    };

    // The play button: a timer that advances the shift; the shift reaches the URL when it stops.
    let player = use_player(FRAME, move || match shift.try_get_untracked() {
        Some(j) if j + 1 < SAMPLES => {
            shift.set(j + 1);
            true
        }
        _ => false,
    })
    .on_play(move || {
        if shift.get_untracked() >= SAMPLES - 1 {
            shift.set(0);
        }
    })
    .on_pause(move || set_shift_url.run(shift.get_untracked()));
    let on_shift_input = move |ev| {
        if let Ok(j) = event_target_value(&ev).trim().parse::<usize>() {
            player.pause();
            shift.set(j.min(SAMPLES - 1));
        }
    };
    let on_shift_change = move |ev| {
        if let Ok(j) = event_target_value(&ev).trim().parse::<usize>() {
            set_shift_url.run(j.min(SAMPLES - 1));
        }
    };

    // The sliding picture.
    let sliding_series = Signal::derive(move || {
        let t = format_number(t_value()).replace('-', "−");
        sliding.with(|v| {
            let Some(v) = v else { return Vec::new() };
            times.with_value(|times| {
                let pair = |ys: &[f32]| {
                    times
                        .iter()
                        .copied()
                        .zip(ys.iter().copied())
                        .collect::<Vec<_>>()
                };
                vec![
                    Series::area(
                        format!("f(τ)·g({t} − τ): its area is (f ∗ g)(t)"),
                        PRODUCT_COLOR,
                        pair(&v.product),
                    ),
                    Series::line("f(τ)", F_COLOR, pair(&v.f)),
                    Series::line(
                        format!("g({t} − τ): g flipped, shifted to t"),
                        G_COLOR,
                        pair(&v.g_flipped_shifted),
                    ),
                ]
            })
        })
    });
    let sliding_bounds = Memo::new(move |_| {
        let (f_lo, f_hi) = f_samples.with(|f| extent(f.iter().copied()));
        let (g_lo, g_hi) = g_samples.with(|g| extent(g.iter().copied()));
        // The product never leaves the range of products of the extremes.
        let corners = [f_lo * g_lo, f_lo * g_hi, f_hi * g_lo, f_hi * g_hi];
        let (lo, hi) = extent([f_lo, f_hi, g_lo, g_hi].into_iter().chain(corners));
        Bounds::new((-HALF_RANGE, HALF_RANGE), (lo, hi)).with_headroom(0.06)
    });
    let guides = Signal::derive(move || vec![t_value()]);

    // The running result.
    let result_series = Signal::derive(move || {
        let j = shift.get();
        sliding.with(|v| {
            let Some(v) = v else { return Vec::new() };
            times.with_value(|times| {
                let points = times
                    .iter()
                    .copied()
                    .zip(v.result.iter().copied())
                    .take(j + 1)
                    .collect();
                vec![Series::line("(f ∗ g)(t), so far", RESULT_COLOR, points)]
            })
        })
    });
    let result_bounds = Memo::new(move |_| {
        let (lo, hi) = sliding.with(|v| {
            v.as_ref()
                .map_or((0.0, 1.0), |v| extent(v.result.iter().copied()))
        });
        Bounds::new((-HALF_RANGE, HALF_RANGE), (lo, hi)).with_headroom(0.08)
    });
    let result_marker = Signal::derive(move || {
        let t = t_value();
        sliding.with(|v| {
            v.as_ref()
                .map(|v| Marker {
                    x: t,
                    y: v.value,
                    color: RESULT_COLOR,
                })
                .into_iter()
                .collect::<Vec<_>>()
        })
    });
    let t_text = move || format!("{:.2}", t_value() + 0.0);

    view! {
        <div class="conv1d-shift">
            <PlayButton player testid="conv1d-play" />
            <label class="field conv1d-shift-field">
                <span class="field-label">"Shift t"</span>
                <input
                    type="range"
                    min=0
                    max=SAMPLES - 1
                    step=1
                    aria-valuetext=t_text
                    prop:value=move || shift.get().to_string()
                    on:input=on_shift_input
                    on:change=on_shift_change
                    data-testid="conv1d-shift"
                />
            </label>
            <p class="conv1d-readout">
                "t = " <span data-testid="conv1d-t">{t_text}</span> "   (f ∗ g)(t) = "
                <output data-testid="conv1d-value">{value_text}</output>
            </p>
        </div>

        <LinePlot
            series=sliding_series
            bounds=Signal::from(sliding_bounds)
            guides=guides
            x_label="τ"
            label="f(τ), the flipped and shifted kernel g(t − τ), and their product"
            testid="conv1d-sliding-plot"
        />
        <LinePlot
            series=result_series
            bounds=Signal::from(result_bounds)
            markers=result_marker
            guides=guides
            x_label="t"
            y_label="(f ∗ g)(t)"
            label="The result (f ∗ g)(t) up to the current shift"
            testid="conv1d-result-plot"
            height=200.0
        />
    }
}
