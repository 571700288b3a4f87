//! `/denoise`: the lecture's two uses of a trained autoencoder beyond generation. Put noise
//! on a digit and watch the reconstruction come back clean (noise reduction), and score how
//! unusual an input is against the scores of typical digits (anomaly detection): a letter or
//! a scribble scores higher than nearly every digit.

use convlab_digits::anomaly::{AnomalyScore, Corruption, Histogram, quantile};
use convlab_digits::preprocess_drawing;
use leptos::prelude::*;

use crate::components::controls::{SelectField, SliderField};
use crate::components::digit::DigitCanvas;
use crate::components::drawing_pad::{DrawingPad, Stroke};
use crate::components::model_status::ModelStatus;
use crate::components::plot::{Bounds, LinePlot, Series};
use crate::ml::{Models, Posterior, VaeChoice, example_digit, use_helpers, use_models};
use crate::url_state::use_query_state;

/// Side of the drawing pad.
const PAD: f64 = 224.0;
/// Bins of the histogram of typical scores.
const BINS: usize = 30;

/// What the VAE makes of one input.
#[derive(Clone, Debug, PartialEq)]
struct Verdict {
    reconstruction: Vec<f32>,
    score: AnomalyScore,
}

/// The scores of the reference digits.
#[derive(Clone, Debug, PartialEq)]
struct Typical {
    totals: Vec<f32>,
}

/// The page.
#[component]
pub fn DenoisePage() -> impl IntoView {
    let models = use_models();
    use_helpers(models);
    let (source, set_source) = use_query_state("src", "example".to_string());
    let (digit, set_digit) = use_query_state("digit", 3u8);
    let (noise, set_noise) = use_query_state("noise", "salt-pepper".to_string());
    let (level, set_level) = use_query_state("level", 0.2f32);
    let (model, set_model) = use_query_state("model", "vae16".to_string());
    let (q, set_q) = use_query_state("q", 0.99f32);
    let which = Signal::derive(move || VaeChoice::from_slug(&model.get()));
    let kind = Signal::derive(move || Corruption::from_slug(&noise.get()).unwrap_or_default());

    let strokes = RwSignal::new(Vec::<Stroke>::new());
    let (drawing, set_drawing) = signal(None::<Vec<f32>>);
    let on_draw = Callback::new(move |g: convlab_kernels::Grid| {
        set_drawing.set(
            preprocess_drawing(g.data(), g.cols(), g.rows())
                .ok()
                .map(|p| p.pixels),
        );
    });

    let clean = Memo::new(move |_| match source.get().as_str() {
        "drawn" => drawing.get(),
        _ => Some(example_digit(digit.get().min(9))),
    });
    let noisy = Memo::new(move |_| clean.get().map(|x| kind.get().apply(&x, level.get(), 42)));

    let verdict = LocalResource::new(move || {
        let (models, which, input) = (models.get(), which.get(), noisy.get());
        async move {
            let (Some(Ok(m)), Some(x)) = (models, input) else {
                return None;
            };
            score(&m, which, vec![x]).await.ok()?.pop()
        }
    });
    let typical = LocalResource::new(move || {
        let (models, which) = (models.get(), which.get());
        async move {
            let Some(Ok(m)) = models else { return None };
            let refs = m.references(which).await.ok()?;
            // The reference digits are encoded already: only their decodes are new.
            let verdicts = score_encoded(&m, which, &refs.images, refs.posteriors.clone())
                .await
                .ok()?;
            Some(Typical {
                totals: verdicts.iter().map(|v| v.score.total()).collect(),
            })
        }
    });
    let threshold = Signal::derive(move || {
        typical
            .get()
            .flatten()
            .and_then(|t| quantile(&t.totals, q.get()))
    });
    let current = move || verdict.get().flatten();
    let is_anomaly = move || Some(current()?.score.total() > threshold.get()?);

    let histogram = Signal::derive(move || {
        let Some(t) = typical.get().flatten() else {
            return Vec::new();
        };
        let top = t.totals.iter().copied().fold(0.0f32, f32::max);
        let hi = current().map_or(top, |v| v.score.total().max(top)) * 1.05;
        let h = Histogram::new(&t.totals, 0.0, hi.max(1.0), BINS);
        let mut points = Vec::new();
        for (i, &c) in h.counts.iter().enumerate() {
            let (x0, x1) = (h.lo + i as f32 * h.width, h.lo + (i + 1) as f32 * h.width);
            points.push((x0, c as f32));
            points.push((x1, c as f32));
        }
        vec![Series::area("typical digits", "var(--accent)", points)]
    });
    let bounds = Signal::derive(move || {
        let series = histogram.get();
        let hi_x = series
            .first()
            .and_then(|s| s.points.last())
            .map_or(1.0, |p| p.0);
        let hi_y = series
            .first()
            .map_or(1.0, |s| s.points.iter().map(|p| p.1).fold(1.0, f32::max));
        Bounds::new((0.0, hi_x), (0.0, hi_y * 1.1))
    });
    let guides = Signal::derive(move || {
        let mut g = Vec::new();
        g.extend(threshold.get());
        g.extend(current().map(|v| v.score.total()));
        g
    });

    let try_shape = move |shape: &str| {
        strokes.set(shape_strokes(shape));
        set_source.run("drawn".to_string());
    };
    let noise_options: Vec<(&'static str, &'static str)> = Corruption::ALL
        .iter()
        .map(|c| (c.slug(), c.label()))
        .collect();
    let digit_options: Vec<(&'static str, &'static str)> =
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
            .iter()
            .map(|d| (*d, *d))
            .collect();

    view! {
        <section class="page model-page" data-testid="page-denoise">
            <h1>"Denoising and anomaly scores"</h1>
            <p class="lead">
                "A trained autoencoder can only draw what it has learned. Give it a damaged digit and it reconstructs a "
                "clean one: the noise does not fit through the bottleneck. Give it something that is not a digit and the "
                "reconstruction is poor and the code lands far from the prior, so the score BCE + KL is unusually large."
            </p>
            <ModelStatus models=models />
            <div class="controls">
                <SelectField label="Input" options=vec![("example", "an example digit"), ("drawn", "my drawing")] value=source on_change=set_source testid="denoise-source" />
                <SelectField label="Digit" options=digit_options value=Signal::derive(move || digit.get().to_string())
                    on_change=Callback::new(move |s: String| if let Ok(d) = s.parse::<u8>() { set_digit.run(d.min(9)) }) testid="denoise-digit" />
                <SelectField label="Noise" options=noise_options value=noise on_change=set_noise testid="denoise-noise" />
                <SliderField label="Level" value=level on_change=set_level min=0.0 max=1.0 step=0.05 testid="denoise-level" />
                <SelectField label="Model" options=vec![("vae16", "VAE-16"), ("vae2", "VAE-2")] value=model on_change=set_model testid="denoise-model" />
            </div>
            <div class="row images">
                <figure>
                    <DigitCanvas image=clean testid="denoise-clean" label="the clean input" />
                    <figcaption>"Clean"</figcaption>
                </figure>
                <figure>
                    <DigitCanvas image=noisy testid="denoise-noisy" label="the input with noise" />
                    <figcaption>{move || format!("With {} at {:.2}", kind.get().slug(), level.get())}</figcaption>
                </figure>
                <figure>
                    <DigitCanvas image=Signal::derive(move || current().map(|v| v.reconstruction)) testid="denoise-output" label="the reconstruction" />
                    <figcaption>"Reconstruction: decode(μ(noisy))"</figcaption>
                </figure>
            </div>
            <h2>"Anomaly score"</h2>
            <p>
                "Score = reconstruction BCE (how badly the decoder redraws the input) + KL (how far its code is from N(0, I)), "
                "in nats. The histogram holds the scores of 300 typical synthetic digits; the threshold is their q-quantile. "
                "A noisy digit scores high too — noise is as unlike the training digits as a letter is; set the level to 0 "
                "to score the clean digit."
            </p>
            <div class="controls">
                <SliderField label="Threshold quantile q" value=q on_change=set_q min=0.5 max=1.0 step=0.01 testid="denoise-quantile" />
            </div>
            <p data-testid="denoise-score" class="mono">
                {move || current().map(|v| format!("score = {:.1} (BCE {:.1} + KL {:.1})", v.score.total(), v.score.bce, v.score.kl))}
                {move || threshold.get().map(|t| format!("; threshold {t:.1}"))}
            </p>
            <p class="big-answer" data-testid="denoise-verdict" class:error=move || is_anomaly() == Some(true)>
                {move || match is_anomaly() {
                    Some(true) => "anomaly: unlike the digits the model knows",
                    Some(false) => "typical: looks like a digit the model knows",
                    None => "",
                }}
            </p>
            <LinePlot series=histogram bounds=bounds guides=guides x_label="score (nats)" y_label="digits"
                label="histogram of the anomaly scores of typical digits, with the threshold and the current input" testid="denoise-histogram" />
            <h2>"Draw something"</h2>
            <p>"Draw a digit — or a letter, a shape, a scribble — and choose “my drawing” as the input."</p>
            <div class="controls">
                <button data-testid="denoise-try-letter" on:click=move |_| try_shape("A")>"A letter A"</button>
                <button data-testid="denoise-try-x" on:click=move |_| try_shape("X")>"A letter X"</button>
                <button data-testid="denoise-try-box" on:click=move |_| try_shape("box")>"A box"</button>
            </div>
            <DrawingPad size=PAD as u32 brush=16 testid="denoise-pad" strokes=strokes on_change=on_draw />
        </section>
    }
}

/// Reconstruction and score of each image (decode of μ, BCE + KL).
async fn score(
    models: &Models,
    which: VaeChoice,
    images: Vec<Vec<f32>>,
) -> Result<Vec<Verdict>, String> {
    let posteriors = models.encode(which, &images).await?;
    score_encoded(models, which, &images, posteriors).await
}

/// [`score`] for images whose posteriors are known.
async fn score_encoded(
    models: &Models,
    which: VaeChoice,
    images: &[Vec<f32>],
    posteriors: Vec<Posterior>,
) -> Result<Vec<Verdict>, String> {
    let codes: Vec<Vec<f32>> = posteriors.iter().map(|p| p.mu.clone()).collect();
    let reconstructions = models.decode(which, &codes).await?;
    Ok(images
        .iter()
        .zip(posteriors)
        .zip(reconstructions)
        .map(|((x, p), r)| Verdict {
            score: AnomalyScore::of(x, &r, &p.mu, &p.log_var),
            reconstruction: r,
        })
        .collect())
}

/// Strokes of a few non-digits on the pad.
fn shape_strokes(shape: &str) -> Vec<Stroke> {
    let s = |points: &[(f64, f64)]| Stroke {
        width: 16.0,
        points: points.iter().map(|(x, y)| (x * PAD, y * PAD)).collect(),
    };
    match shape {
        "A" => vec![
            s(&[(0.2, 0.85), (0.5, 0.15), (0.8, 0.85)]),
            s(&[(0.32, 0.58), (0.68, 0.58)]),
        ],
        "X" => vec![s(&[(0.2, 0.2), (0.8, 0.8)]), s(&[(0.8, 0.2), (0.2, 0.8)])],
        _ => vec![s(&[
            (0.2, 0.2),
            (0.8, 0.2),
            (0.8, 0.8),
            (0.2, 0.8),
            (0.2, 0.2),
        ])],
    }
}
