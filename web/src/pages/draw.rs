//! `/draw`: draw a digit; see it brought to MNIST's format step by step, encoded by the VAE
//! (μ, σ, its place on the latent map), reconstructed, sampled around, classified by
//! LeNet-5, and put through the plain autoencoder beside the VAE.

use convlab_digits::{Preprocessed, preprocess_drawing};
use convlab_kernels::Grid;
use convlab_kernels::image::{Tone, resize};
use leptos::prelude::*;

use crate::components::bars::ClassBars;
use crate::components::canvas::{ImageCanvas, Rgba};
use crate::components::digit::{DigitCanvas, DigitStrip};
use crate::components::drawing_pad::{DrawingPad, strokes_from_text, strokes_to_text};
use crate::components::model_status::ModelStatus;
use crate::components::scatter::{LatentScatter, Mark};
use crate::ml::{Posterior, VaeChoice, top_class, use_models, use_reference_scatter};
use crate::storage;

/// Where the strokes are kept between visits.
const STORAGE_KEY: &str = "convlab.draw.strokes";
/// Samples z ~ N(μ, σ²) shown under the reconstruction.
const SAMPLES: usize = 6;

/// Everything the models say about one drawing.
#[derive(Clone, Debug)]
struct Analysis {
    /// The 28×28 digit analysed: a result for an earlier drawing is not shown as current.
    input: Vec<f32>,
    posterior: Posterior,
    reconstruction: Vec<f32>,
    samples: Vec<Vec<f32>>,
    probs: [f32; 10],
    vae16: Vec<f32>,
    /// The autoencoder's code and reconstruction, or why there is none.
    ae: Result<(Vec<f32>, Vec<f32>), String>,
}

/// The drawing page.
#[component]
pub fn DrawPage() -> impl IntoView {
    let models = use_models();
    let strokes =
        RwSignal::new(storage::load(STORAGE_KEY).map_or_else(Vec::new, |s| strokes_from_text(&s)));
    Effect::new(move |_| storage::save(STORAGE_KEY, &strokes_to_text(&strokes.get())));

    let drawing = RwSignal::new(None::<Grid>);
    let on_change = Callback::new(move |g: Grid| drawing.set(Some(g)));
    let prepared = Memo::new(move |_| {
        drawing.with(|g| {
            g.as_ref().map(|g| {
                preprocess_drawing(g.data(), g.cols(), g.rows()).map_err(|e| e.to_string())
            })
        })
    });
    let digit = Memo::new(move |_| {
        prepared.with(|p| {
            p.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|p| p.pixels.clone())
        })
    });

    let ctx = use_context::<crate::ml::MlContext>().unwrap_or_default();
    let analysis = LocalResource::new(move || {
        let digit = digit.get();
        let models = models.get();
        // A classifier put in use by the training lab (or taken back) answers anew.
        ctx.trained_classifier.track();
        async move {
            let (Some(digit), Some(Ok(models))) = (digit, models) else {
                return None;
            };
            Some(analyse(&models, digit).await)
        }
    });
    // Only the answer for the drawing as it is now (not the last stroke's, while the new
    // one is being computed).
    let result = move || {
        analysis
            .get()
            .flatten()
            .and_then(Result::ok)
            .filter(|a| digit.with(|d| d.as_ref() == Some(&a.input)))
    };
    let error = move || analysis.get().flatten().and_then(Result::err);

    let points = use_reference_scatter(models, Signal::derive(|| VaeChoice::Vae2));
    let marks = Signal::derive(move || {
        result()
            .map(|a| {
                let sigma = a.posterior.sigma();
                vec![Mark {
                    at: [a.posterior.mu[0], a.posterior.mu[1]],
                    radii: Some([sigma[0], sigma[1]]),
                    label: "your digit".into(),
                    color: "var(--fg)",
                }]
            })
            .unwrap_or_default()
    });

    let mu_text = move || {
        result()
            .map(|a| format!("μ = ({})", join(&a.posterior.mu)))
            .unwrap_or_else(|| "μ = –".into())
    };
    let sigma_text = move || {
        result()
            .map(|a| format!("σ = ({})", join(&a.posterior.sigma())))
            .unwrap_or_else(|| "σ = –".into())
    };
    let prediction = move || {
        result()
            .map(|a| top_class(&a.probs).0.to_string())
            .unwrap_or_default()
    };
    let confidence = move || {
        result()
            .map(|a| format!("{:.1}% sure", 100.0 * top_class(&a.probs).1))
            .unwrap_or_default()
    };

    view! {
        <section class="page model-page" data-testid="page-draw">
            <h1>"Draw a digit"</h1>
            <p class="lead">
                "Draw a digit from 0 to 9. The encoder of a variational autoencoder trained on MNIST turns it into a "
                "probability distribution N(μ, σ²) over a two-dimensional latent space; the decoder turns a point of that "
                "space back into a digit. LeNet-5, a CNN classifier, says which digit it sees. Your drawing is kept in this "
                "browser when you leave the page."
            </p>
            <ModelStatus models=models />
            <div class="row">
                <div>
                    <DrawingPad strokes=strokes on_change=on_change />
                </div>
                <div class="draw-results">
                    <h2>"What the networks see"</h2>
                    <p class="big-answer">
                        "LeNet-5 says: " <b data-testid="draw-prediction">{prediction}</b>
                        " " <span class="muted">{confidence}</span>
                    </p>
                    <ClassBars probs=Signal::derive(move || result().map(|a| a.probs)) testid="draw-probabilities" />
                    <p class="hint" data-testid="draw-classifier">
                        {move || ctx.trained_classifier.get().map(|d| format!("LeNet-5 here is {d}; reset the training lab's run to go back to the shipped weights."))}
                    </p>
                    <p class="mono" data-testid="draw-mu">{mu_text}</p>
                    <p class="mono" data-testid="draw-sigma">{sigma_text}</p>
                    {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    {move || {
                        prepared.with(|p| {
                            let hint = match p {
                                Some(Ok(_)) => return None,
                                Some(Err(e)) if !strokes.with(Vec::is_empty) => {
                                    format!("{e}: draw a digit on the black square.")
                                }
                                _ => "Draw a digit on the black square.".to_string(),
                            };
                            Some(view! { <p class="notice" data-testid="draw-empty">{hint}</p> })
                        })
                    }}
                </div>
            </div>

            <h2>"1 · The drawing in MNIST's format"</h2>
            <p>
                "MNIST's digits were cropped to their ink, scaled so the longer side is 20 pixels, and placed in a 28×28 "
                "frame with the centre of mass in the middle. A network trained on them expects exactly that, so a "
                "drawing goes through the same three steps."
            </p>
            <Steps drawing=drawing prepared=prepared />

            <h2>"2 · Encode, decode, sample"</h2>
            <div class="row images">
                <figure>
                    <DigitCanvas image=digit testid="draw-input" label="the 28×28 input" />
                    <figcaption>"Input x (28×28)"</figcaption>
                </figure>
                <figure>
                    <DigitCanvas image=Signal::derive(move || result().map(|a| a.reconstruction)) testid="draw-reconstruction" label="the VAE's reconstruction" />
                    <figcaption>"VAE-2 reconstruction: decode(μ)"</figcaption>
                </figure>
                <figure>
                    <DigitCanvas image=Signal::derive(move || result().map(|a| a.vae16)) testid="draw-reconstruction-16" label="the latent-16 VAE's reconstruction" />
                    <figcaption>"VAE-16 reconstruction: 16 numbers keep more detail"</figcaption>
                </figure>
            </div>
            <p>"Samples z = μ + σ·ε with ε ~ N(0, I): the decoder's answer to nearby points of the distribution."</p>
            <DigitStrip
                items=Signal::derive(move || {
                    result().map(|a| a.samples.into_iter().enumerate().map(|(i, s)| (s, format!("sample {}", i + 1))).collect()).unwrap_or_default()
                })
                testid="draw-samples"
            />

            <h2>"3 · Where it lands in the latent space"</h2>
            <p>
                "Each dot is a synthetic digit encoded by the same VAE, coloured by its class; the ellipse is your digit's "
                "μ ± σ. Digits that look alike (4 and 9, 3 and 5) sit close together."
            </p>
            <LatentScatter points=points extent=4.0 marks=marks testid="draw-latent-map" />

            <h2>"4 · Autoencoder versus variational autoencoder"</h2>
            <AeComparison result=Signal::derive(result) />
        </section>
    }
}

/// Encode, reconstruct, sample, classify.
async fn analyse(models: &crate::ml::Models, digit: Vec<f32>) -> Result<Analysis, String> {
    let mut images = vec![digit];
    let posterior = models
        .encode(VaeChoice::Vae2, &images)
        .await?
        .pop()
        .ok_or("the encoder gave no answer")?;
    // Fixed ε per sample, so the strip does not flicker on every stroke.
    let sigma = posterior.sigma();
    let mut codes = vec![posterior.mu.clone()];
    let mut rng = convlab_kernels::rng::SplitMix64::new(11);
    for _ in 0..SAMPLES {
        codes.push(
            posterior
                .mu
                .iter()
                .zip(&sigma)
                .map(|(m, s)| m + s * rng.next_gaussian())
                .collect(),
        );
    }
    let mut decoded = models.decode(VaeChoice::Vae2, &codes).await?;
    let reconstruction = decoded.remove(0);
    let probs = models
        .classify(&images)
        .await?
        .pop()
        .ok_or("LeNet-5 gave no answer")?;
    let mu16 = models.encode(VaeChoice::Vae16, &images).await?;
    let codes16: Vec<Vec<f32>> = mu16.into_iter().map(|p| p.mu).collect();
    let vae16 = models
        .decode(VaeChoice::Vae16, &codes16)
        .await?
        .pop()
        .unwrap_or_default();
    let ae = match models.autoencode(&images).await?.and_then(|mut v| v.pop()) {
        Some(ae) => Ok(ae),
        None => Err(models
            .autoencoder_missing()
            .unwrap_or("the autoencoder gave no answer")
            .to_string()),
    };
    Ok(Analysis {
        input: images.swap_remove(0),
        posterior,
        reconstruction,
        samples: decoded,
        probs,
        vae16,
        ae,
    })
}

/// The three preprocessing steps as pictures.
#[component]
fn Steps(
    drawing: RwSignal<Option<Grid>>,
    prepared: Memo<Option<Result<Preprocessed, String>>>,
) -> impl IntoView {
    let crop = move || -> Option<Grid> {
        let p = prepared.get()?.ok()?;
        drawing.with(|g| {
            let g = g.as_ref()?;
            let b = p.ink_box;
            Some(Grid::from_fn(b.rows, b.cols, |r, c| {
                g[(b.top + r, b.left + c)]
            }))
        })
    };
    let scaled = move || -> Option<Grid> {
        let p = prepared.get()?.ok()?;
        resize(&crop()?, p.scaled_size.0, p.scaled_size.1).ok()
    };
    let picture = |g: Option<Grid>| {
        g.map(|g| Rgba::from_grid(&g, Tone::Unit))
            .unwrap_or_default()
    };
    let caption = move |i: usize| {
        prepared.get().and_then(Result::ok).map(|p| match i {
            0 => format!(
                "1. Crop to the ink: {}×{} pixels at ({}, {})",
                p.ink_box.cols, p.ink_box.rows, p.ink_box.left, p.ink_box.top
            ),
            1 => format!(
                "2. Scale the longer side to 20: {}×{}",
                p.scaled_size.1, p.scaled_size.0
            ),
            _ => format!(
                "3. Centre of mass at ({:.1}, {:.1}) in 28×28 (the centre is (14, 14))",
                p.centre_of_mass.1, p.centre_of_mass.0
            ),
        })
    };
    view! {
        <div class="row images steps" data-testid="draw-steps">
            <figure>
                <ImageCanvas image=Signal::derive(move || picture(crop())) testid="draw-step-crop" label="the drawing cropped to its ink" />
                <figcaption>{move || caption(0)}</figcaption>
            </figure>
            <figure>
                <ImageCanvas image=Signal::derive(move || picture(scaled())) testid="draw-step-scaled" label="the crop scaled to 20 pixels" />
                <figcaption>{move || caption(1)}</figcaption>
            </figure>
            <figure>
                <DigitCanvas
                    image=Signal::derive(move || prepared.get().and_then(Result::ok).map(|p| p.pixels))
                    testid="draw-step-centred"
                    label="the digit centred in 28×28"
                />
                <figcaption>{move || caption(2)}</figcaption>
            </figure>
        </div>
    }
}

/// The plain AE beside the VAE.
#[component]
fn AeComparison(result: Signal<Option<Analysis>>) -> impl IntoView {
    view! {
        <p>
            "An autoencoder maps each digit to one point; a VAE maps it to a distribution and is trained to keep those "
            "distributions near N(0, I). Both reconstruct; only the VAE's space is smooth enough to sample from."
        </p>
        {move || match result.get() {
            Some(Analysis { ae: Ok((z, recon)), reconstruction, posterior, .. }) => view! {
                <div class="row images" data-testid="draw-ae">
                    <figure>
                        <DigitCanvas image=Signal::derive(move || Some(recon.clone())) testid="draw-ae-reconstruction" label="the autoencoder's reconstruction" />
                        <figcaption>{format!("AE-2: z = ({})", join(&z))}</figcaption>
                    </figure>
                    <figure>
                        <DigitCanvas image=Signal::derive(move || Some(reconstruction.clone())) testid="draw-vae-reconstruction" label="the VAE's reconstruction" />
                        <figcaption>{format!("VAE-2: μ = ({})", join(&posterior.mu))}</figcaption>
                    </figure>
                </div>
            }.into_any(),
            Some(Analysis { ae: Err(why), .. }) => view! {
                <p class="notice" data-testid="draw-ae">{format!("Only the VAE is shown: {why}.")}</p>
            }
            .into_any(),
            None => ().into_any(),
        }}
    }
}

fn join(values: &[f32]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}
