//! The two signals f and g: their shapes, their settings in the URL (one set of keys each) and
//! a hand-drawn curve.

use std::fmt;
use std::str::FromStr;

use convlab_kernels::signals;
use leptos::prelude::*;

use super::HALF_RANGE;
use crate::url_state::{format_number, use_query_state};

/// A drawn curve is this many points 0.25 apart across the whole range, joined by lines.
pub(super) const DRAWN_POINTS: usize = 41;
const DRAWN_SPACING: f32 = 2.0 * HALF_RANGE / (DRAWN_POINTS - 1) as f32;
/// Drawn values are kept within ±this.
pub(super) const DRAWN_LIMIT: f32 = 1.5;

/// The shapes f and g can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SignalKind {
    Box,
    Gaussian,
    Step,
    NoisySine,
    Decay,
    Drawn,
}

impl SignalKind {
    pub(super) const ALL: [SignalKind; 6] = [
        Self::Box,
        Self::Gaussian,
        Self::Step,
        Self::NoisySine,
        Self::Decay,
        Self::Drawn,
    ];

    pub(super) fn slug(self) -> &'static str {
        match self {
            Self::Box => "box",
            Self::Gaussian => "gaussian",
            Self::Step => "step",
            Self::NoisySine => "sine",
            Self::Decay => "decay",
            Self::Drawn => "drawn",
        }
    }

    pub(super) fn label(self) -> &'static str {
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
    pub(super) fn from_slug(slug: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.slug() == slug)
            .unwrap_or(Self::Box)
    }
}

/// A curve drawn with the pointer: [`DRAWN_POINTS`] values at τ = −5, −4.75, …, 5, written
/// to the URL as comma-separated numbers with two decimals.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct DrawnCurve(pub(super) Vec<f32>);

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
    pub(super) fn position(k: usize) -> f32 {
        -HALF_RANGE + k as f32 * DRAWN_SPACING
    }

    /// The control point nearest to τ = `x`.
    pub(super) fn nearest(x: f32) -> usize {
        (((x + HALF_RANGE) / DRAWN_SPACING).round().max(0.0) as usize).min(DRAWN_POINTS - 1)
    }

    /// The curve at `times`, joining the points by straight lines; 0 outside the range.
    pub(super) fn sample(&self, times: &[f32]) -> Vec<f32> {
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
    pub(super) fn paint(&mut self, (x0, y0): (f32, f32), (x1, y1): (f32, f32)) {
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
pub(super) struct Keys {
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

pub(super) const F_KEYS: Keys = Keys {
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

pub(super) const G_KEYS: Keys = Keys {
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
pub(super) type Setting<T> = (Signal<T>, Callback<T>);

/// Everything that defines one of the two signals.
#[derive(Clone, Copy)]
pub(super) struct SignalSettings {
    pub(super) name: &'static str,
    pub(super) kind_testid: &'static str,
    pub(super) draw_testid: &'static str,
    pub(super) kind: Setting<String>,
    pub(super) width: Setting<f32>,
    pub(super) sigma: Setting<f32>,
    pub(super) frequency: Setting<f32>,
    pub(super) noise: Setting<f32>,
    pub(super) seed: Setting<usize>,
    pub(super) tau: Setting<f32>,
    pub(super) drawn: Setting<DrawnCurve>,
    /// The curve while the pointer is drawing it (the URL gets it when the stroke ends).
    pub(super) draft: RwSignal<Option<DrawnCurve>>,
}

impl SignalSettings {
    pub(super) fn new(keys: &Keys) -> Self {
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

    pub(super) fn kind(&self) -> SignalKind {
        SignalKind::from_slug(&self.kind.0.get())
    }

    /// The drawn curve as it looks now (the stroke in progress, if any).
    pub(super) fn curve(&self) -> DrawnCurve {
        self.draft.get().unwrap_or_else(|| self.drawn.0.get())
    }

    /// The signal at `times` (reactive: reads the settings it depends on).
    pub(super) fn sample(&self, times: &[f32]) -> Vec<f32> {
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
