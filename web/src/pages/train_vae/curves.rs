//! The loss, term by term: the reconstruction BCE, the KL term and the objective, each per
//! step (training batches) and per epoch (training and validation), with its formula in
//! MathML and the latest values substituted.

use leptos::prelude::*;

use super::run::VaeLab;
use crate::components::math::{Math, mn};
use crate::components::plot::{LinePlot, Series, along_epochs};
use crate::ml::vae_training::{VaeEpochPoint, VaeTerms};

/// Which curve a plot draws.
#[derive(Clone, Copy)]
enum Term {
    Bce,
    Kl,
    /// `BCE + KL`, the negative ELBO.
    Elbo,
}

impl Term {
    fn of(self, t: &VaeTerms) -> f32 {
        match self {
            Term::Bce => t.bce,
            Term::Kl => t.kl,
            Term::Elbo => t.negative_elbo(),
        }
    }
}

fn plot_series(lab: VaeLab, term: Term) -> Memo<Vec<Series>> {
    Memo::new(move |_| {
        let epochs = lab.epochs.get();
        let ends: Vec<(u32, u32)> = epochs.iter().map(|e| (e.epoch, e.step)).collect();
        let epoch_steps = match (lab.started.get(), lab.run_settings.get()) {
            (Some(started), Some(run)) => started.train.div_ceil(run.batch_size.max(1) as u32),
            _ => 0,
        };
        let steps = lab.steps.with(|s| {
            along_epochs(
                s.iter().map(|p| (p.step, p.epoch, term.of(&p.terms))),
                &ends,
                epoch_steps,
            )
        });
        let per_epoch = |pick: fn(&VaeEpochPoint) -> Option<VaeTerms>| {
            epochs
                .iter()
                .filter_map(|e| pick(e).map(|t| (e.epoch as f32, term.of(&t))))
                .collect::<Vec<_>>()
        };
        vec![
            Series::line("training batches, each step", "#c9c9c9", steps),
            Series::line(
                "training, epoch mean",
                "var(--accent)",
                per_epoch(|e| Some(e.train)),
            ),
            Series::line("validation", "#d9534f", per_epoch(|e| e.validation)),
        ]
    })
}

/// The latest training step's terms and β.
fn latest(lab: VaeLab) -> Option<(VaeTerms, f32)> {
    lab.steps.with(|s| s.last().map(|p| (p.terms, p.beta)))
}

fn bce_formula(value: Option<f32>) -> String {
    let value = value.map_or_else(String::new, |v| format!("<mo>=</mo>{}", mn(v)));
    format!(
        "<msub><mi>L</mi><mi>BCE</mi></msub><mo>=</mo><mo>−</mo><munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mn>784</mn></munderover>\
         <mo>[</mo><msub><mi>x</mi><mi>i</mi></msub><mi>log</mi><msub><mover><mi>x</mi><mo>^</mo></mover><mi>i</mi></msub><mo>+</mo>\
         <mo>(</mo><mn>1</mn><mo>−</mo><msub><mi>x</mi><mi>i</mi></msub><mo>)</mo><mi>log</mi><mo>(</mo><mn>1</mn><mo>−</mo><msub><mover><mi>x</mi><mo>^</mo></mover><mi>i</mi></msub><mo>)</mo><mo>]</mo>{value}"
    )
}

fn kl_formula(value: Option<f32>) -> String {
    let value = value.map_or_else(String::new, |v| format!("<mo>=</mo>{}", mn(v)));
    format!(
        "<msub><mi>L</mi><mi>KL</mi></msub><mo>=</mo><mo>−</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><munder><mo>∑</mo><mi>j</mi></munder>\
         <mo>(</mo><mn>1</mn><mo>+</mo><mi>log</mi><msubsup><mi>σ</mi><mi>j</mi><mn>2</mn></msubsup><mo>−</mo><msubsup><mi>μ</mi><mi>j</mi><mn>2</mn></msubsup><mo>−</mo><msubsup><mi>σ</mi><mi>j</mi><mn>2</mn></msubsup><mo>)</mo>{value}"
    )
}

fn total_formula(now: Option<(VaeTerms, f32)>) -> String {
    let head = "<mi>L</mi><mo>=</mo><msub><mi>L</mi><mi>BCE</mi></msub><mo>+</mo><mi>β</mi><mo>·</mo><msub><mi>L</mi><mi>KL</mi></msub>";
    match now {
        Some((t, beta)) => format!(
            "{head}<mo>=</mo>{}<mo>+</mo>{}<mo>·</mo>{}<mo>=</mo>{}",
            mn(t.bce),
            mn(beta),
            mn(t.kl),
            mn(t.bce + beta * t.kl)
        ),
        None => head.to_string(),
    }
}

/// The three plots, each beside its formula.
#[component]
pub(super) fn Curves(lab: VaeLab) -> impl IntoView {
    let bce = plot_series(lab, Term::Bce);
    let kl = plot_series(lab, Term::Kl);
    let elbo = plot_series(lab, Term::Elbo);
    view! {
        <div class="train-curves vae-curves">
            <figure>
                <p data-testid="vae-bce-formula"><Math block=true mathml=Signal::derive(move || bce_formula(latest(lab).map(|(t, _)| t.bce))) /></p>
                <LinePlot series=bce x_label="epoch" y_label="nats per image" label="Reconstruction BCE, training and validation" testid="vae-bce-plot" height=200.0 />
                <figcaption>"Reconstruction: how unlike its input each decoded digit is (x̂ = the decoder's sigmoid)."</figcaption>
            </figure>
            <figure>
                <p data-testid="vae-kl-formula"><Math block=true mathml=Signal::derive(move || kl_formula(latest(lab).map(|(t, _)| t.kl))) /></p>
                <LinePlot series=kl x_label="epoch" y_label="nats per image" label="KL divergence from the prior, training and validation" testid="vae-kl-plot" height=200.0 />
                <figcaption>"The KL term pulls every posterior N(μ, σ²) towards the prior N(0, I); it is 0 when the code carries nothing about the image."</figcaption>
            </figure>
            <figure>
                <p data-testid="vae-total-formula"><Math block=true mathml=Signal::derive(move || total_formula(latest(lab))) /></p>
                <LinePlot series=elbo x_label="epoch" y_label="nats per image" label="Negative ELBO (BCE + KL), training and validation" testid="vae-elbo-plot" height=200.0 />
                <figcaption>"Plotted: BCE + KL (the negative ELBO, what β = 1 minimises), so runs with different β compare; the optimiser minimises the weighted sum above."</figcaption>
            </figure>
        </div>
    }
}
