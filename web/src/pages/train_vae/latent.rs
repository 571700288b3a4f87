//! The latent space forming: the validation codes coloured by class with the prior's 2σ
//! circle, the decoded grid over the prior's square, digits decoded from N(0, I) (beside the
//! previous run's, for AE versus VAE), each unit's KL with the active ones counted, the
//! reparameterisation of one digit, and a scrubber over the snapshots.

use std::sync::Arc;

use leptos::prelude::*;

use super::run::VaeLab;
use crate::components::canvas::ImageCanvas;
use crate::components::digit::{DigitCanvas, DigitStrip, SIDE, tile};
use crate::components::scatter::{LatentScatter, Mark};
use crate::ml::vae_training::LatentSnapshot;

/// A unit counts as active above this mean KL (nats).
pub(super) const ACTIVE_KL: f32 = 0.01;

/// The two units the scatter shows: z₁, z₂ for a latent size of 2, else the two with the
/// largest KL (the first two when none has any, as for the autoencoder).
fn shown_units(s: &LatentSnapshot) -> [usize; 2] {
    let mut order: Vec<usize> = (0..s.latent as usize).collect();
    order.sort_by(|&a, &b| {
        s.kl_per_unit[b]
            .total_cmp(&s.kl_per_unit[a])
            .then(a.cmp(&b))
    });
    if s.latent < 2 || s.kl_per_unit.iter().all(|&k| k <= 0.0) {
        return [0, 1.min(s.latent.saturating_sub(1) as usize)];
    }
    let mut two = [order[0], order[1]];
    two.sort_unstable();
    two
}

fn points(s: &LatentSnapshot) -> Vec<([f32; 2], u8)> {
    let latent = s.latent.max(1) as usize;
    let [a, b] = shown_units(s);
    s.codes
        .chunks(latent)
        .zip(&s.labels)
        .map(|(code, &label)| ([code[a], code.get(b).copied().unwrap_or(0.0)], label))
        .collect()
}

/// Half-width of the square that holds every dot (at least the prior's ±3).
fn extent(points: &[([f32; 2], u8)]) -> f32 {
    let reach = points
        .iter()
        .flat_map(|(p, _)| p.iter().map(|v| v.abs()))
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    (reach * 1.05).clamp(3.0, 200.0)
}

fn images(values: &[f32]) -> Vec<Vec<f32>> {
    values.chunks(SIDE * SIDE).map(<[f32]>::to_vec).collect()
}

fn vector(values: &[f32]) -> String {
    let parts: Vec<String> = values.iter().map(|v| format!("{v:.3}")).collect();
    format!("({})", parts.join(", "))
}

/// The snapshot's headline: when it was taken, the active units and the codes' spread.
fn summary(s: &LatentSnapshot) -> String {
    let kl: f32 = s.kl_per_unit.iter().sum();
    let grouping = s
        .class_grouping()
        .map(|g| format!(" {:.0}% of the codes lie nearer their own class's mean than any other's (about 10% when the classes are not grouped).", 100.0 * g))
        .unwrap_or_default();
    format!(
        "After step {} (epoch {}): {} of {} latent units active (KL > {ACTIVE_KL} nats), KL {kl:.3} nats per image, mean ‖μ‖ = {:.3} over {} validation digits.{grouping}",
        s.step,
        s.epoch,
        s.active_units(ACTIVE_KL),
        s.latent,
        s.mean_code_norm,
        s.labels.len()
    )
}

/// The scrubber and everything drawn from the snapshot on show.
#[component]
pub(super) fn LatentSpace(lab: VaeLab) -> impl IntoView {
    let snapshot = Memo::new(move |_| lab.snapshot());
    let count = move || lab.snapshots.with(Vec::len);
    let position = move || lab.shown.get().unwrap_or(count().saturating_sub(1));
    let dots = Signal::derive(move || snapshot.get().map(|s| points(&s)).unwrap_or_default());
    let reach = Signal::derive(move || extent(&dots.get()));
    let prior_circle = Signal::derive(|| {
        vec![Mark {
            at: [0.0, 0.0],
            radii: Some([2.0, 2.0]),
            label: "2σ of N(0, I)".to_string(),
            color: "#888888",
        }]
    });
    let units_caption = move || {
        snapshot.get().map(|s| {
            let [a, b] = shown_units(&s);
            if s.latent == 2 {
                "The codes μ of the validation digits (z₁ across, z₂ up).".to_string()
            } else {
                format!(
                    "Units {} and {} of {} (the two with the largest KL) of each validation digit's μ.",
                    a + 1,
                    b + 1,
                    s.latent
                )
            }
        })
    };
    let grid = Signal::derive(move || {
        snapshot
            .get()
            .filter(|s| s.grid_side > 0)
            .map(|s| tile(&images(&s.grid), s.grid_side as usize))
            .unwrap_or_default()
    });
    let samples = Signal::derive(move || {
        snapshot
            .get()
            .map(|s| {
                images(&s.prior_samples)
                    .into_iter()
                    .map(|i| (i, String::new()))
                    .collect()
            })
            .unwrap_or_default()
    });
    let previous_samples = Signal::derive(move || {
        lab.previous
            .get()
            .map(|(_, s)| {
                images(&s.prior_samples)
                    .into_iter()
                    .map(|i| (i, String::new()))
                    .collect()
            })
            .unwrap_or_default()
    });
    view! {
        <div class="vae-latent">
            <label class="field">
                <span>"snapshot"</span>
                <input
                    type="range"
                    min=0
                    max=move || count().saturating_sub(1)
                    prop:value=move || position().to_string()
                    disabled=move || count() < 2
                    data-testid="vae-scrubber"
                    on:input=move |ev| {
                        let at: usize = event_target_value(&ev).parse().unwrap_or(0);
                        let last = count().saturating_sub(1);
                        lab.shown.set((at < last).then_some(at));
                    }
                />
                <span>{move || format!("{} of {}", (position() + 1).min(count()), count())}</span>
            </label>
            <p data-testid="vae-snapshot-summary" aria-live="polite">{move || snapshot.get().map(|s| summary(&s))}</p>
            <div class="vae-latent-row">
                <figure>
                    <LatentScatter points=dots extent=reach marks=prior_circle testid="vae-scatter" />
                    <figcaption>{units_caption}</figcaption>
                </figure>
                <Show when=move || snapshot.get().is_some_and(|s| s.grid_side > 0)>
                    <figure>
                        <ImageCanvas image=grid testid="vae-grid" label="digits decoded from a grid of codes over the prior's square" class="manifold" />
                        <figcaption>{move || snapshot.get().map(|s| format!("Decoded from a {0}×{0} grid over [−{1}, {1}]²: the prior's square.", s.grid_side, s.grid_reach))}</figcaption>
                    </figure>
                </Show>
            </div>
            <h3>"Sampling the prior: z ~ N(0, I), decoded"</h3>
            <DigitStrip items=samples testid="vae-samples" />
            <Show when=move || lab.previous.with(Option::is_some)>
                <p class="hint">{move || lab.previous.get().map(|(d, _)| format!("The same draws decoded by the previous run ({d}):"))}</p>
                <DigitStrip items=previous_samples testid="vae-previous-samples" />
            </Show>
            <h3>"KL of each latent unit"</h3>
            <UnitKl snapshot=snapshot />
            <h3>"Reparameterisation: z = μ + σ·ε"</h3>
            <Reparameterisation snapshot=snapshot />
        </div>
    }
}

/// One bar per latent unit: its mean KL, active ones marked.
#[component]
fn UnitKl(snapshot: Memo<Option<Arc<LatentSnapshot>>>) -> impl IntoView {
    view! {
        <div class="class-bars" data-testid="vae-unit-kl" role="list" aria-label="KL of each latent unit">
            {move || {
                snapshot.get().map(|s| {
                    let top = s.kl_per_unit.iter().copied().fold(1e-6f32, f32::max);
                    s.kl_per_unit
                        .iter()
                        .enumerate()
                        .map(|(j, &kl)| {
                            let width = format!("width: {:.1}%", 100.0 * (kl / top).clamp(0.0, 1.0));
                            let active = kl > ACTIVE_KL;
                            view! {
                                <div class="bar-row" class:best=active role="listitem" data-unit=j data-kl=format!("{kl:.4}")>
                                    <span class="bar-label">{format!("z{}", j + 1)}</span>
                                    <span class="bar-track"><span class="bar-fill" style=width></span></span>
                                    <span class="bar-value">{format!("{kl:.3}")}</span>
                                </div>
                            }
                        })
                        .collect_view()
                })
            }}
        </div>
    }
}

/// μ, σ, ε and z of the first validation digit, and the digit z decodes to.
#[component]
fn Reparameterisation(snapshot: Memo<Option<Arc<LatentSnapshot>>>) -> impl IntoView {
    let r = move || snapshot.get().and_then(|s| s.reparameterised.clone());
    let decoded = Signal::derive(move || r().map(|r| r.decoded));
    view! {
        <Show
            when=move || r().is_some()
            fallback=|| view! { <p class="hint">"The autoencoder has no σ and no sampling: its code is z = μ."</p> }
        >
            <div class="vae-reparam" data-testid="vae-reparam">
                <table>
                    <tbody>
                        <tr><th>"μ"</th><td data-testid="vae-mu">{move || r().map(|r| vector(&r.mu))}</td></tr>
                        <tr><th>"σ = exp(½ log σ²)"</th><td>{move || r().map(|r| vector(&r.sigma))}</td></tr>
                        <tr><th>"ε ~ N(0, I)"</th><td>{move || r().map(|r| vector(&r.epsilon))}</td></tr>
                        <tr><th>"z = μ + σ·ε"</th><td data-testid="vae-z">{move || r().map(|r| vector(&r.z))}</td></tr>
                    </tbody>
                </table>
                <DigitCanvas image=decoded testid="vae-reparam-decoded" label="the digit decoded from z" class="small" />
            </div>
        </Show>
    }
}
