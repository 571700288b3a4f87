//! `/generate`: the VAE as a generative model. Sample the prior z ~ N(0, T²·I), decode, and
//! let LeNet-5 say what each sample looks like.

use convlab_kernels::rng::SplitMix64;
use leptos::prelude::*;

use crate::components::controls::{NumberField, SelectField, SliderField};
use crate::components::digit::DigitStrip;
use crate::components::model_status::ModelStatus;
use crate::ml::{VaeChoice, top_class, use_helpers, use_models};
use crate::url_state::use_query_state;

/// One generated digit and LeNet-5's opinion of it.
#[derive(Clone, Debug, PartialEq)]
struct Sample {
    image: Vec<f32>,
    class: usize,
    confidence: f32,
}

/// The generation page.
#[component]
pub fn GeneratePage() -> impl IntoView {
    let models = use_models();
    use_helpers(models);
    let (model, set_model) = use_query_state("model", "vae2".to_string());
    let (temperature, set_temperature) = use_query_state("t", 1.0f32);
    let (count, set_count) = use_query_state("n", 48usize);
    let (seed, set_seed) = use_query_state("seed", 1u64);
    let which = Signal::derive(move || VaeChoice::from_slug(&model.get()));

    let samples = LocalResource::new(move || {
        let (models, which) = (models.get(), which.get());
        let (t, n, seed) = (temperature.get(), count.get().clamp(1, 100), seed.get());
        async move {
            let Some(Ok(m)) = models else { return None };
            let mut rng = SplitMix64::new(seed);
            let dim = m.latent_dim(which);
            let codes: Vec<Vec<f32>> = (0..n)
                .map(|_| (0..dim).map(|_| t * rng.next_gaussian()).collect())
                .collect();
            let images = m.decode(which, &codes).await.ok()?;
            let probs = m.classify(&images).await.ok()?;
            Some(
                images
                    .into_iter()
                    .zip(probs)
                    .map(|(image, p)| {
                        let (class, confidence) = top_class(&p);
                        Sample {
                            image,
                            class,
                            confidence,
                        }
                    })
                    .collect::<Vec<_>>(),
            )
        }
    });
    let result = move || samples.get().flatten();
    let items = Signal::derive(move || {
        result()
            .map(|s| {
                s.into_iter()
                    .map(|s| {
                        (
                            s.image,
                            format!("{} ({:.0}%)", s.class, 100.0 * s.confidence),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    let census = move || {
        result().map(|s| {
            let mut counts = [0usize; 10];
            for x in &s {
                counts[x.class] += 1;
            }
            let sure = s.iter().filter(|x| x.confidence >= 0.9).count();
            let list = counts
                .iter()
                .enumerate()
                .map(|(d, c)| format!("{d}: {c}"))
                .collect::<Vec<_>>()
                .join(" · ");
            format!(
                "LeNet-5 labels — {list}. It is ≥ 90% sure of {sure} of {}.",
                s.len()
            )
        })
    };
    let options = vec![("vae2", "VAE-2"), ("vae16", "VAE-16")];

    view! {
        <section class="page model-page" data-testid="page-generate">
            <h1>"Generate new digits"</h1>
            <p class="lead">
                "A VAE's decoder is a generator: because training pulled every digit's code towards N(0, I), a point drawn "
                "from N(0, I) decodes to something digit-like. The temperature T scales the draw, z = T·ε: small T stays near "
                "the centre (blurry, typical digits), large T reaches the edges (stranger ones)."
            </p>
            <ModelStatus models=models />
            <div class="controls">
                <SelectField label="Model" options=options value=model on_change=set_model testid="generate-model" />
                <SliderField label="Temperature T" value=temperature on_change=set_temperature min=0.1 max=3.0 step=0.1 testid="generate-temperature" />
                <NumberField label="Samples" value=count on_change=set_count min=1 max=100 testid="generate-count" />
                <button class="primary" data-testid="generate-resample" on:click=move |_| set_seed.run(seed.get_untracked().wrapping_add(1))>
                    "New samples"
                </button>
            </div>
            <p data-testid="generate-census">{census}</p>
            {move || result().is_none().then(|| view! { <p class="notice">"Sampling…"</p> })}
            <DigitStrip items=items testid="generate-samples" />
        </section>
    }
}
