//! The controls of one signal, and the pad a curve is drawn on.

use leptos::prelude::*;

use super::signal::{DRAWN_LIMIT, DRAWN_POINTS, DrawnCurve, SignalKind, SignalSettings};
use super::{F_COLOR, G_COLOR, HALF_RANGE};
use crate::components::controls::{NumberField, SelectField, SliderField};
use crate::components::plot::{Bounds, LinePlot, PlotPointer, PointerPhase, Series};

/// The kind of one signal and the settings that kind has.
#[component]
pub(super) fn SignalControls(settings: SignalSettings) -> impl IntoView {
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
pub(super) fn DrawPad(settings: SignalSettings) -> impl IntoView {
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
