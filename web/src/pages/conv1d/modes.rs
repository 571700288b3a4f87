//! Sampled signals: NumPy's `full`, `same` and `valid` modes of the discrete convolution.

use convlab_kernels::conv1d::{Mode1d, convolve1d};
use convlab_kernels::signals::sample_times;
use leptos::prelude::*;

use super::signal::SignalSettings;
use super::{F_COLOR, G_COLOR, HALF_RANGE, RESULT_COLOR, SAMPLES, STEP, extent};
use crate::components::controls::{NumberField, SelectField};
use crate::components::plot::{Bounds, LinePlot, Series};
use crate::url_state::use_query_state;

/// The discrete modes with their length formulas.
const MODES: [(Mode1d, &str, &str, &str); 3] = [
    (
        Mode1d::Full,
        "full",
        "every shift where f and g overlap at all",
        "n + m − 1",
    ),
    (
        Mode1d::Same,
        "same",
        "the centre of full, as long as f",
        "max(n, m)",
    ),
    (
        Mode1d::Valid,
        "valid",
        "only shifts where g lies wholly inside f",
        "max(n, m) − min(n, m) + 1",
    ),
];

fn mode_from_slug(slug: &str) -> Mode1d {
    MODES
        .iter()
        .find(|(_, s, _, _)| *s == slug)
        .map_or(Mode1d::Same, |(m, _, _, _)| *m)
}

/// The length formula of `mode` with `n` and `m` written in.
fn filled_length(mode: Mode1d, n: usize, m: usize) -> String {
    match mode {
        Mode1d::Full => format!("{n} + {m} − 1"),
        Mode1d::Same => format!("max({n}, {m})"),
        Mode1d::Valid => format!("max({n}, {m}) − min({n}, {m}) + 1"),
    }
}

/// The kernel length, the mode, the table of lengths and the discrete result.
#[component]
pub(super) fn ModesSection(
    times: StoredValue<Vec<f32>>,
    f_samples: Memo<Vec<f32>>,
    g: SignalSettings,
) -> impl IntoView {
    let (kernel_len, set_kernel_len) = use_query_state("m", 41usize);
    let (mode_slug, set_mode) = use_query_state("mode", "same".to_string());
    let kernel_len = Signal::derive(move || kernel_len.get().clamp(1, SAMPLES));
    let mode = Signal::derive(move || mode_from_slug(&mode_slug.get()));
    let kernel_samples = Memo::new(move |_| g.sample(&sample_times(kernel_len.get(), STEP)));
    let discrete = Memo::new(move |_| {
        let mode = mode.get();
        f_samples.with(|f| {
            kernel_samples.with(|k| {
                convolve1d(f, k, mode).map(|v| v.into_iter().map(|x| x * STEP).collect::<Vec<_>>())
            })
        })
    });
    let length_of = move |m: Mode1d| {
        let (n, k) = (SAMPLES, kernel_len.get());
        match m {
            Mode1d::Full => n + k - 1,
            Mode1d::Same => n.max(k),
            Mode1d::Valid => n.max(k) - n.min(k) + 1,
        }
    };
    let discrete_series = Signal::derive(move || {
        let m = kernel_len.get();
        let (cf, cg) = ((SAMPLES - 1) / 2, (m - 1) / 2);
        let start = match mode.get() {
            Mode1d::Full => 0,
            Mode1d::Same => (SAMPLES.min(m) - 1) / 2,
            Mode1d::Valid => SAMPLES.min(m) - 1,
        };
        let f_points = times.with_value(|t| t.iter().copied().zip(f_samples.get()).collect());
        let kernel_points = sample_times(m, STEP)
            .into_iter()
            .zip(kernel_samples.get())
            .collect();
        let out_points = discrete.with(|d| {
            d.as_ref().map_or_else(
                |_| Vec::new(),
                |d| {
                    d.iter()
                        .enumerate()
                        .map(|(k, v)| ((start + k) as f32 * STEP - (cf + cg) as f32 * STEP, *v))
                        .collect()
                },
            )
        });
        vec![
            Series::line("f (n samples)", F_COLOR, f_points).dashed(),
            Series::line("g (m samples)", G_COLOR, kernel_points).dashed(),
            Series::line(
                format!("convolve(f, g, \"{}\") × h", mode_slug.get()),
                RESULT_COLOR,
                out_points,
            ),
        ]
    });
    let discrete_bounds = Memo::new(move |_| {
        let reach = (SAMPLES - 1 + kernel_len.get() - 1) as f32 / 2.0 * STEP;
        let (f_lo, f_hi) = f_samples.with(|f| extent(f.iter().copied()));
        let (k_lo, k_hi) = kernel_samples.with(|k| extent(k.iter().copied()));
        let (d_lo, d_hi) =
            discrete.with(|d| d.as_ref().map_or((0.0, 0.0), |d| extent(d.iter().copied())));
        Bounds::new(
            (-reach, reach),
            (f_lo.min(k_lo).min(d_lo), f_hi.max(k_hi).max(d_hi)),
        )
        .with_headroom(0.06)
    });
    let discrete_guides = Signal::derive(|| vec![-HALF_RANGE, HALF_RANGE]);
    let mode_options: Vec<(&'static str, &'static str)> =
        MODES.iter().map(|(_, s, _, _)| (*s, *s)).collect();

    view! {
        <h2>"Sampled signals: full, same and valid"</h2>
        <p>
            "With n samples of f and m samples of g, the discrete convolution "
            <code>"(f ∗ g)[i] = Σₖ f[k] · g[i − k]"</code>
            " (NumPy's " <code>"numpy.convolve(f, g, mode)"</code>
            ") can keep three different stretches of the result. Here f has its n = " {SAMPLES}
            " samples from τ = −5 to 5 and g is cut to its m samples around τ = 0. The sliding picture above is "
            <b>"same"</b> " with g sampled on the whole grid (m = n)."
        </p>
        <div class="controls">
            <NumberField label="Samples of g, m" value=kernel_len on_change=set_kernel_len min=1 max=SAMPLES testid="conv1d-kernel-length" />
            <SelectField label="Mode" options=mode_options value=mode_slug on_change=set_mode testid="conv1d-mode" />
        </div>
        <table class="conv1d-modes">
            <thead>
                <tr><th>"Mode"</th><th>"Keeps"</th><th>"Length"</th><th>"Here"</th></tr>
            </thead>
            <tbody>
                {MODES
                    .iter()
                    .map(|&(m, slug, keeps, formula)| {
                        let (n, k) = (SAMPLES, kernel_len);
                        view! {
                            <tr class:selected=move || mode.get() == m>
                                <td><code>{slug}</code></td>
                                <td>{keeps}</td>
                                <td>{formula}</td>
                                <td>
                                    {move || format!("{} = ", filled_length(m, n, k.get()))}
                                    <b data-testid=format!("conv1d-len-{slug}")>{move || length_of(m)}</b>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {move || discrete.with(|d| d.as_ref().err().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> }))}
        <LinePlot
            series=discrete_series
            bounds=Signal::from(discrete_bounds)
            guides=discrete_guides
            x_label="t"
            label="The discrete convolution in the chosen mode, over f and g"
            testid="conv1d-discrete-plot"
            height=220.0
        />
        <p class="muted">
            "The dashed lines mark where f's samples end. " <b>"full"</b> " reaches past them by half of g on each side, "
            <b>"same"</b> " stays on f's grid, and " <b>"valid"</b>
            " keeps only the shifts where g never leaves f — the same trade-off that padding controls in 2D."
        </p>
    }
}
