//! `/convolution-1d`: the lecture's `(f ∗ g)(t) = ∫ f(τ) g(t − τ) dτ` as its 1D example
//! animates it — the kernel g flipped and slid along f, the area under their product, and the
//! running result — plus the discrete `full` / `same` / `valid` modes of sampled signals.
//!
//! Every setting lives in the URL except the shift while it is being animated or dragged:
//! browsers throttle address-bar updates, so the shift reaches the URL when it comes to rest.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use convlab_kernels::conv1d::{Mode1d, SlidingView, convolve1d};
use convlab_kernels::signals::{self, sample_times};
use leptos::prelude::*;

use crate::components::controls::{NumberField, SelectField, SliderField};
use crate::components::math::Math;
use crate::components::player::{PlayButton, use_player};
use crate::components::plot::{Bounds, LinePlot, Marker, PlotPointer, PointerPhase, Series};
use crate::url_state::{format_number, use_query_state};

/// Samples of f and g on the grid τₖ = (k − 100)·h: τ runs from −5 to 5. The shift slider
/// goes over the same indices (public for the browser tests).
pub const SAMPLES: usize = 201;
/// The spacing h of the samples; sums times h approximate the integrals.
pub const STEP: f32 = 0.05;
/// Half the visible range of τ and t.
const HALF_RANGE: f32 = (SAMPLES - 1) as f32 / 2.0 * STEP;
/// A drawn curve is this many points 0.25 apart across the whole range, joined by lines.
const DRAWN_POINTS: usize = 41;
const DRAWN_SPACING: f32 = 2.0 * HALF_RANGE / (DRAWN_POINTS - 1) as f32;
/// Drawn values are kept within ±this.
const DRAWN_LIMIT: f32 = 1.5;
/// Time between two frames of the animation (the whole range takes about 8 s).
const FRAME: Duration = Duration::from_millis(40);

const F_COLOR: &str = "var(--accent)";
const G_COLOR: &str = "var(--accent-2)";
const PRODUCT_COLOR: &str = "var(--ok)";
const RESULT_COLOR: &str = "var(--conv1d-result)";

/// The shapes f and g can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SignalKind {
    Box,
    Gaussian,
    Step,
    NoisySine,
    Decay,
    Drawn,
}

impl SignalKind {
    const ALL: [SignalKind; 6] = [
        Self::Box,
        Self::Gaussian,
        Self::Step,
        Self::NoisySine,
        Self::Decay,
        Self::Drawn,
    ];

    fn slug(self) -> &'static str {
        match self {
            Self::Box => "box",
            Self::Gaussian => "gaussian",
            Self::Step => "step",
            Self::NoisySine => "sine",
            Self::Decay => "decay",
            Self::Drawn => "drawn",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Box => "Box",
            Self::Gaussian => "Gaussian",
            Self::Step => "Step",
            Self::NoisySine => "Noisy sine",
            Self::Decay => "Exponential decay",
            Self::Drawn => "Drawn by hand",
        }
    }

    /// The kind named in the URL; a box for anything unknown.
    fn from_slug(slug: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.slug() == slug)
            .unwrap_or(Self::Box)
    }
}

/// A curve drawn with the pointer: [`DRAWN_POINTS`] values at τ = −5, −4.75, …, 5, written
/// to the URL as comma-separated numbers with two decimals.
#[derive(Clone, Debug, PartialEq)]
struct DrawnCurve(Vec<f32>);

impl Default for DrawnCurve {
    /// A ramp from τ = −1.5 to 1.5: lopsided on purpose, so the flip of g(t − τ) shows.
    fn default() -> Self {
        Self(
            (0..DRAWN_POINTS)
                .map(|k| {
                    let x = Self::position(k);
                    if (-1.5..=1.5).contains(&x) {
                        (x + 1.5) / 3.0
                    } else {
                        0.0
                    }
                })
                .collect(),
        )
    }
}

impl DrawnCurve {
    /// τ of control point `k`.
    fn position(k: usize) -> f32 {
        -HALF_RANGE + k as f32 * DRAWN_SPACING
    }

    /// The control point nearest to τ = `x`.
    fn nearest(x: f32) -> usize {
        (((x + HALF_RANGE) / DRAWN_SPACING).round().max(0.0) as usize).min(DRAWN_POINTS - 1)
    }

    /// The curve at `times`, joining the points by straight lines; 0 outside the range.
    fn sample(&self, times: &[f32]) -> Vec<f32> {
        times
            .iter()
            .map(|&t| {
                let u = (t + HALF_RANGE) / DRAWN_SPACING;
                if !(0.0..=(DRAWN_POINTS - 1) as f32).contains(&u) {
                    return 0.0;
                }
                let k = (u.floor() as usize).min(DRAWN_POINTS - 2);
                let frac = u - k as f32;
                self.0[k] * (1.0 - frac) + self.0[k + 1] * frac
            })
            .collect()
    }

    /// Sets the points between two pointer positions to the straight line joining them, so a
    /// fast stroke leaves no gaps.
    fn paint(&mut self, (x0, y0): (f32, f32), (x1, y1): (f32, f32)) {
        let clean = |y: f32| (y.clamp(-DRAWN_LIMIT, DRAWN_LIMIT) * 100.0).round() / 100.0;
        let (k0, k1) = (Self::nearest(x0), Self::nearest(x1));
        let (lo, hi) = (k0.min(k1), k0.max(k1));
        for k in lo..=hi {
            let y = if k0 == k1 {
                y1
            } else {
                let frac = (k as f32 - k0 as f32) / (k1 as f32 - k0 as f32);
                y0 + (y1 - y0) * frac
            };
            self.0[k] = clean(y);
        }
    }
}

impl fmt::Display for DrawnCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<String> = self
            .0
            .iter()
            .map(|v| format_number((v * 100.0).round() / 100.0))
            .collect();
        f.write_str(&values.join(","))
    }
}

impl FromStr for DrawnCurve {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let values: Vec<f32> = s
            .split(',')
            .map(|v| v.trim().parse::<f32>().map_err(|e| format!("{v:?}: {e}")))
            .collect::<Result<_, _>>()?;
        if values.len() != DRAWN_POINTS || values.iter().any(|v| !v.is_finite()) {
            return Err(format!("a drawn curve has {DRAWN_POINTS} finite values"));
        }
        Ok(Self(
            values
                .into_iter()
                .map(|v| v.clamp(-DRAWN_LIMIT, DRAWN_LIMIT))
                .collect(),
        ))
    }
}

/// The URL keys and test ids of one signal's settings.
struct Keys {
    name: &'static str,
    kind: &'static str,
    width: &'static str,
    sigma: &'static str,
    frequency: &'static str,
    noise: &'static str,
    seed: &'static str,
    tau: &'static str,
    drawn: &'static str,
    kind_testid: &'static str,
    draw_testid: &'static str,
}

const F_KEYS: Keys = Keys {
    name: "f",
    kind: "f",
    width: "f_width",
    sigma: "f_sigma",
    frequency: "f_freq",
    noise: "f_noise",
    seed: "f_seed",
    tau: "f_tau",
    drawn: "f_drawn",
    kind_testid: "conv1d-f-kind",
    draw_testid: "conv1d-draw-f",
};

const G_KEYS: Keys = Keys {
    name: "g",
    kind: "g",
    width: "g_width",
    sigma: "g_sigma",
    frequency: "g_freq",
    noise: "g_noise",
    seed: "g_seed",
    tau: "g_tau",
    drawn: "g_drawn",
    kind_testid: "conv1d-g-kind",
    draw_testid: "conv1d-draw-g",
};

/// One URL setting: its value and its setter.
type Setting<T> = (Signal<T>, Callback<T>);

/// Everything that defines one of the two signals.
#[derive(Clone, Copy)]
struct SignalSettings {
    name: &'static str,
    kind_testid: &'static str,
    draw_testid: &'static str,
    kind: Setting<String>,
    width: Setting<f32>,
    sigma: Setting<f32>,
    frequency: Setting<f32>,
    noise: Setting<f32>,
    seed: Setting<usize>,
    tau: Setting<f32>,
    drawn: Setting<DrawnCurve>,
    /// The curve while the pointer is drawing it (the URL gets it when the stroke ends).
    draft: RwSignal<Option<DrawnCurve>>,
}

impl SignalSettings {
    fn new(keys: &Keys) -> Self {
        let settings = Self {
            name: keys.name,
            kind_testid: keys.kind_testid,
            draw_testid: keys.draw_testid,
            kind: use_query_state(keys.kind, SignalKind::Box.slug().to_string()),
            width: use_query_state(keys.width, 2.0f32),
            sigma: use_query_state(keys.sigma, 0.5f32),
            frequency: use_query_state(keys.frequency, 0.5f32),
            noise: use_query_state(keys.noise, 0.3f32),
            seed: use_query_state(keys.seed, 1usize),
            tau: use_query_state(keys.tau, 1.0f32),
            drawn: use_query_state(keys.drawn, DrawnCurve::default()),
            draft: RwSignal::new(None),
        };
        // Once the finished stroke is in the URL, the URL is the truth again.
        let (drawn, draft) = (settings.drawn.0, settings.draft);
        Effect::new(move |previous: Option<DrawnCurve>| {
            let current = drawn.get();
            if previous.is_some_and(|p| p != current) {
                draft.set(None);
            }
            current
        });
        settings
    }

    fn kind(&self) -> SignalKind {
        SignalKind::from_slug(&self.kind.0.get())
    }

    /// The drawn curve as it looks now (the stroke in progress, if any).
    fn curve(&self) -> DrawnCurve {
        self.draft.get().unwrap_or_else(|| self.drawn.0.get())
    }

    /// The signal at `times` (reactive: reads the settings it depends on).
    fn sample(&self, times: &[f32]) -> Vec<f32> {
        let signal = match self.kind() {
            SignalKind::Box => signals::Signal::Box {
                width: self.width.0.get(),
            },
            SignalKind::Gaussian => signals::Signal::Gaussian {
                sigma: self.sigma.0.get(),
            },
            SignalKind::Step => signals::Signal::Step,
            SignalKind::NoisySine => signals::Signal::NoisySine {
                frequency: self.frequency.0.get(),
                noise: self.noise.0.get(),
                seed: self.seed.0.get() as u64,
            },
            SignalKind::Decay => signals::Signal::Decay {
                tau: self.tau.0.get(),
            },
            SignalKind::Drawn => return self.curve().sample(times),
        };
        signal.sample(times)
    }
}

/// The kind of one signal and the settings that kind has.
#[component]
fn SignalControls(settings: SignalSettings) -> impl IntoView {
    let s = settings;
    let options: Vec<(&'static str, &'static str)> = SignalKind::ALL
        .iter()
        .map(|k| (k.slug(), k.label()))
        .collect();
    let label = if s.name == "f" {
        "Signal f(τ)"
    } else {
        "Kernel g(τ)"
    };
    let parameters = move || {
        match s.kind() {
        SignalKind::Box => {
            view! { <SliderField label="Width" value=s.width.0 on_change=s.width.1 min=0.1 max=6.0 step=0.1 /> }
                .into_any()
        }
        SignalKind::Gaussian => {
            view! { <SliderField label="σ" value=s.sigma.0 on_change=s.sigma.1 min=0.1 max=3.0 step=0.05 /> }
                .into_any()
        }
        SignalKind::Step => view! { <span class="muted">"0 before τ = 0, 1 from there on"</span> }.into_any(),
        SignalKind::NoisySine => view! {
            <SliderField label="Frequency" value=s.frequency.0 on_change=s.frequency.1 min=0.05 max=3.0 step=0.05 />
            <SliderField label="Noise σ" value=s.noise.0 on_change=s.noise.1 min=0.0 max=1.0 step=0.05 />
            <NumberField label="Seed" value=s.seed.0 on_change=s.seed.1 min=0 max=9999 />
        }
        .into_any(),
        SignalKind::Decay => {
            view! { <SliderField label="Time constant" value=s.tau.0 on_change=s.tau.1 min=0.1 max=5.0 step=0.1 /> }
                .into_any()
        }
        SignalKind::Drawn => view! { <span class="muted">"Draw it below"</span> }.into_any(),
    }
    };
    view! {
        <fieldset class="conv1d-signal">
            <legend>{label}</legend>
            <SelectField label="Shape" options=options value=s.kind.0 on_change=s.kind.1 testid=s.kind_testid />
            {parameters}
        </fieldset>
    }
}

/// A plot to draw a curve on with the pointer, shown while a signal is "drawn by hand".
#[component]
fn DrawPad(settings: SignalSettings) -> impl IntoView {
    let s = settings;
    let last = StoredValue::new(None::<(f32, f32)>);
    let on_pointer = Callback::new(move |p: PlotPointer| {
        let here = (p.x, p.y);
        match p.phase {
            PointerPhase::Down => {
                let mut curve = s
                    .draft
                    .get_untracked()
                    .unwrap_or_else(|| s.drawn.0.get_untracked());
                curve.paint(here, here);
                s.draft.set(Some(curve));
                last.set_value(Some(here));
            }
            PointerPhase::Move => {
                if let Some(from) = last.get_value() {
                    let mut curve = s
                        .draft
                        .get_untracked()
                        .unwrap_or_else(|| s.drawn.0.get_untracked());
                    curve.paint(from, here);
                    s.draft.set(Some(curve));
                    last.set_value(Some(here));
                }
            }
            PointerPhase::Up => {
                if last.get_value().is_some() {
                    last.set_value(None);
                    if let Some(curve) = s.draft.get_untracked() {
                        s.drawn.1.run(curve);
                    }
                }
            }
        }
    });
    let series = Signal::derive(move || {
        let curve = s.curve();
        let points = curve
            .0
            .iter()
            .enumerate()
            .map(|(k, v)| (DrawnCurve::position(k), *v))
            .collect();
        vec![Series::line(
            format!("{}(τ), drawn", s.name),
            if s.name == "f" { F_COLOR } else { G_COLOR },
            points,
        )]
    });
    let bounds = Signal::derive(|| {
        Bounds::new(
            (-HALF_RANGE, HALF_RANGE),
            (-DRAWN_LIMIT - 0.1, DRAWN_LIMIT + 0.1),
        )
    });
    view! {
        <div class="conv1d-drawpad">
            <p class="muted">
                "Press and drag across the plot to draw " {s.name} "(τ) (mouse, pen or finger). "
                <button on:click=move |_| {
                    s.draft.set(None);
                    s.drawn.1.run(DrawnCurve::default());
                }>"Reset drawing"</button>
                " "
                <button on:click=move |_| {
                    s.draft.set(None);
                    s.drawn.1.run(DrawnCurve(vec![0.0; DRAWN_POINTS]));
                }>"Clear"</button>
            </p>
            <LinePlot
                series=series
                bounds=bounds
                x_label="τ"
                label=format!("Drawing area for {}(τ)", s.name)
                testid=s.draw_testid
                height=180.0
                on_pointer=on_pointer
            />
        </div>
    }
}

/// The slide's formula, with f(τ) inside the integral.
const FORMULA: &str = "<mrow><mo>(</mo><mi>f</mi><mo>∗</mo><mi>g</mi><mo>)</mo><mo>(</mo><mi>t</mi><mo>)</mo></mrow>\
    <mo>=</mo><msubsup><mo>∫</mo><mrow><mo>−</mo><mi>∞</mi></mrow><mi>∞</mi></msubsup>\
    <mi>f</mi><mo>(</mo><mi>τ</mi><mo>)</mo><mspace width=\"0.2em\"></mspace><mi>g</mi><mo>(</mo><mi>t</mi><mo>−</mo><mi>τ</mi><mo>)</mo>\
    <mspace width=\"0.2em\"></mspace><mi>d</mi><mi>τ</mi>\
    <mo>≈</mo><munder><mo>∑</mo><mi>k</mi></munder><mi>f</mi><mo>(</mo><msub><mi>τ</mi><mi>k</mi></msub><mo>)</mo>\
    <mspace width=\"0.2em\"></mspace><mi>g</mi><mo>(</mo><mi>t</mi><mo>−</mo><msub><mi>τ</mi><mi>k</mi></msub><mo>)</mo><mspace width=\"0.2em\"></mspace><mi>h</mi>";

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

    // The discrete modes.
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

    let t_text = move || format!("{:.2}", t_value() + 0.0);

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
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn drawn_curves_round_trip_through_the_url() {
        let curve = DrawnCurve::default();
        let text = curve.to_string();
        let back: DrawnCurve = text.parse().unwrap();
        assert!(
            back.0
                .iter()
                .zip(&curve.0)
                .all(|(a, b)| (a - b).abs() < 0.006)
        );
        assert!("1,2".parse::<DrawnCurve>().is_err());
        assert!("x".parse::<DrawnCurve>().is_err());
    }

    #[test]
    fn painting_fills_the_points_between_two_positions() {
        let mut curve = DrawnCurve(vec![0.0; DRAWN_POINTS]);
        curve.paint((-1.0, 1.0), (1.0, -1.0));
        assert_eq!(curve.0[DrawnCurve::nearest(-1.0)], 1.0);
        assert_eq!(curve.0[DrawnCurve::nearest(0.0)], 0.0);
        assert_eq!(curve.0[DrawnCurve::nearest(1.0)], -1.0);
        curve.paint((9.0, 7.0), (9.0, 7.0));
        assert_eq!(curve.0[DRAWN_POINTS - 1], DRAWN_LIMIT);
    }

    #[test]
    fn drawn_curves_are_sampled_by_joining_the_points() {
        let curve = DrawnCurve::default();
        let v = curve.sample(&[0.0, -HALF_RANGE - 1.0]);
        assert!((v[0] - 0.5).abs() < 1e-5);
        assert_eq!(v[1], 0.0);
    }
}
