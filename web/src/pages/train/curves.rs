//! Section 2: the curves — training loss per step, training and validation loss and accuracy
//! per epoch, the epoch of lowest validation loss marked, and earlier runs beside this one.

use leptos::prelude::*;

use super::lab::Lab;
use crate::components::controls::Toggle;
use crate::components::plot::{LinePlot, Marker, Series, along_epochs};
use crate::ml::training::EpochPoint;

/// Colours of the earlier runs' validation curves, oldest first.
const EARLIER: [&str; 6] = [
    "#8e6c8a", "#6c8e7d", "#b5894b", "#5b7db5", "#a15d5d", "#7d7d7d",
];

fn ln_or_log(value: f32, log: bool) -> f32 {
    if log { value.max(1e-6).log10() } else { value }
}

fn epoch_series(
    epochs: &[EpochPoint],
    pick: impl Fn(&EpochPoint) -> Option<f32>,
    log: bool,
) -> Vec<(f32, f32)> {
    epochs
        .iter()
        .filter_map(|e| pick(e).map(|v| (e.epoch as f32, ln_or_log(v, log))))
        .collect()
}

/// The loss and accuracy plots.
#[component]
pub(super) fn Curves(lab: Lab) -> impl IntoView {
    let log = RwSignal::new(false);
    let loss_series = Memo::new(move |_| {
        let log = log.get();
        let epochs = lab.epochs.get();
        let ends: Vec<(u32, u32)> = epochs.iter().map(|e| (e.epoch, e.step)).collect();
        let epoch_steps = match (lab.started.get(), lab.run_settings.get()) {
            (Some(started), Some(run)) => started.train.div_ceil(run.batch_size.max(1) as u32),
            _ => 0,
        };
        let steps = lab.steps.with(|steps| {
            along_epochs(
                steps
                    .iter()
                    .map(|s| (s.step, s.epoch, ln_or_log(s.loss, log))),
                &ends,
                epoch_steps,
            )
        });
        let mut series: Vec<Series> = lab
            .earlier
            .get()
            .iter()
            .zip(EARLIER)
            .map(|(run, color)| {
                Series::line(
                    format!("earlier: {}", run.label),
                    color,
                    epoch_series(&run.epochs, |e| e.validation_loss, log),
                )
                .dashed()
            })
            .collect();
        series.push(Series::line("training loss, each step", "#c9c9c9", steps));
        series.push(Series::line(
            "training loss, epoch mean",
            "var(--accent)",
            epoch_series(&epochs, |e| Some(e.train_loss), log),
        ));
        series.push(Series::line(
            "validation loss",
            "#d9534f",
            epoch_series(&epochs, |e| e.validation_loss, log),
        ));
        series
    });
    let best = Memo::new(move |_| {
        let log = log.get();
        lab.best_epoch()
            .and_then(|e| e.validation_loss.map(|v| (e.epoch, v)))
            .map(|(epoch, v)| {
                vec![Marker {
                    x: epoch as f32,
                    y: ln_or_log(v, log),
                    color: "#d9534f",
                }]
            })
            .unwrap_or_default()
    });
    let accuracy_series = Memo::new(move |_| {
        let epochs = lab.epochs.get();
        vec![
            Series::line(
                "training accuracy",
                "var(--accent)",
                epoch_series(&epochs, |e| Some(100.0 * e.train_accuracy), false),
            ),
            Series::line(
                "validation accuracy",
                "#d9534f",
                epoch_series(&epochs, |e| e.validation_accuracy.map(|a| 100.0 * a), false),
            ),
        ]
    });
    let best_line = move || {
        lab.best_epoch().map(|e| {
            format!(
                "Lowest validation loss: {:.4} at epoch {} (marked).",
                e.validation_loss.unwrap_or(f32::NAN),
                e.epoch
            )
        })
    };
    view! {
        <div class="train-curves">
            <Toggle
                label="log scale (log₁₀ of the loss)"
                value=log
                on_change=Callback::new(move |v| log.set(v))
                testid="train-log"
            />
            <LinePlot
                series=loss_series
                markers=best
                x_label="epoch"
                y_label="cross-entropy"
                label="Training and validation loss"
                testid="train-loss-plot"
            />
            <p data-testid="train-best">{best_line}</p>
            <LinePlot
                series=accuracy_series
                x_label="epoch"
                y_label="accuracy (%)"
                label="Training and validation accuracy"
                testid="train-accuracy-plot"
                height=180.0
            />
        </div>
    }
}
