//! `/train`: the training lab — train LeNet-5 in the model worker and cause the lecture's
//! training pitfalls: train / validation / test, over-training and early stopping,
//! augmentation (6 ≠ 9) and the confusion matrix, a learning rate too high, L1 and L2.
//!
//! The maths runs in the worker (`convlab-learn`'s loop, the native trainer's); this page holds
//! the settings (in the URL), drives the run in short bursts and draws what comes back.

mod confusion;
mod curves;
mod gradients;
mod lab;
mod query;
mod settings;
mod weights;

use convlab_digits::augment::augment;
use convlab_digits::synthetic_digit;
use convlab_kernels::rng::SplitMix64;
use leptos::prelude::*;

use self::confusion::Confusion;
use self::curves::Curves;
use self::gradients::Gradients;
use self::lab::{Lab, Status};
use self::query::use_lab_settings;
use self::settings::{
    ActivationParam, DataParam, LabSettings, MAX_BATCH, MAX_DEPTH, MAX_EPOCHS, MAX_IMAGES,
    MAX_WIDTH, ModelParam, OptimizerParam, presets,
};
use self::weights::Weights;
use crate::components::controls::{NumberField, SelectField, SliderField, Toggle};
use crate::components::digit::DigitStrip;
use crate::components::mnist_loader::MnistLoader;
use crate::components::model_status::ModelStatus;
use crate::ml::training::Split;
use crate::ml::{MlContext, use_models};
use crate::mnist_store::{thousands, use_mnist};

/// The training lab.
#[component]
pub fn TrainPage() -> impl IntoView {
    let models = use_models();
    let ctx = use_context::<MlContext>().unwrap_or_default();
    let (settings, set_settings) = use_lab_settings();
    let lab = Lab::new(settings, ctx);
    let mnist = use_mnist();
    let train_set = {
        let train_set = mnist.train_set.clone();
        Signal::derive(move || train_set.get())
    };
    on_cleanup(move || {
        // Free the run's memory in the worker when the page goes.
        leptos::task::spawn_local(async {
            let _ = crate::ml::training::reset().await;
        });
    });
    let change = move |f: fn(&mut LabSettings, f32)| {
        Callback::new(move |v: f32| {
            let mut s = settings.get_untracked();
            f(&mut s, v);
            set_settings.run(s);
        })
    };
    let change_count = move |f: fn(&mut LabSettings, usize)| {
        Callback::new(move |v: usize| {
            let mut s = settings.get_untracked();
            f(&mut s, v);
            set_settings.run(s);
        })
    };

    let preset_buttons = presets()
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let chosen = p.settings.clone();
            view! {
                <button
                    title=p.slide
                    data-testid=format!("preset-{i}")
                    on:click=move |_| set_settings.run(chosen.clone())
                >
                    {p.name}
                </button>
            }
        })
        .collect_view();

    let status = move || {
        let started = lab.started.get();
        let (step, epoch) = lab
            .steps
            .with(|s| s.last().map_or((0, 0), |p| (p.step, p.epoch)));
        let state = match lab.status.get() {
            Status::Idle => "no run yet",
            Status::Starting => "starting…",
            Status::Running => "training",
            Status::Paused => "paused",
            Status::Finished => "finished",
        };
        let backend = ctx.backend.get().name();
        let network = lab.run_settings.with(|s| {
            s.as_ref().map_or("LeNet-5", |s| match s.model {
                ModelParam::LeNet5 => "LeNet-5",
                ModelParam::Mlp => "MLP",
            })
        });
        match started {
            Some(s) => format!(
                "{state} · step {step}, epoch {epoch} · {:.0} images/s on {backend} · {network}, {} parameters · {} training, {} validation, {} test images",
                lab.images_per_second.get(),
                thousands(s.parameters),
                thousands(s.train),
                thousands(s.validation),
                thousands(s.test)
            ),
            None => format!("{state} · runs on {backend}"),
        }
    };
    let running = move || lab.status.get() == Status::Running;
    let can_go_on = move || matches!(lab.status.get(), Status::Paused | Status::Finished);
    let has_run = move || !matches!(lab.status.get(), Status::Idle | Status::Starting);
    let test_note = move || {
        lab.test_used.get().map(|used| {
            let now = settings.get().describe();
            if used == now {
                format!("The test set has been used, once, with: {used}. Use it again only for a final figure.")
            } else {
                format!(
                    "The test set was used with: {used}. The settings have changed since ({now}): a test score now is no longer an unbiased estimate — the test set is used once."
                )
            }
        })
    };
    let preview = Signal::derive(move || {
        let s = settings.get();
        let mut rng = SplitMix64::new(s.seed);
        (0..12u8)
            .filter_map(|i| {
                let digit = [6, 9, 2, 5, 1, 7][usize::from(i) % 6];
                let image = synthetic_digit(digit, s.seed.wrapping_add(u64::from(i))).ok()?;
                Some((augment(&image, &s.augment, &mut rng), format!("{digit}")))
            })
            .collect::<Vec<_>>()
    });

    view! {
        <section class="page model-page train" data-testid="page-train">
            <h1>"Training lab"</h1>
            <p class="lede">
                "Train LeNet-5 (or a perceptron of any depth) here, in your browser, on synthetic digits, and cause each pitfall of the lecture's "
                "training slides: a fit that is good, one that learns its 300 images by heart (over-training), "
                "a learning rate so high the loss stops being a number, rotations that make a 6 a 9, L1 and L2, "
                "gradients that vanish in a deep sigmoid network. "
                "The images are split into a training set (what the optimiser sees), a validation set (scored after "
                "every epoch, to choose settings and when to stop) and a test set (kept apart for one final score)."
            </p>
            <ModelStatus models=models />
            <div class="train-presets" role="group" aria-label="presets">
                <span>"Presets: "</span>
                {preset_buttons}
            </div>
            <div class="train-settings">
                <fieldset>
                    <legend>"Data and model (a new run)"</legend>
                    <SelectField
                        label="images"
                        options=DataParam::OPTIONS.to_vec()
                        value=Signal::derive(move || settings.get().data.to_string())
                        on_change=Callback::new(move |v: String| {
                            if let Ok(d) = v.parse() {
                                let mut s = settings.get_untracked();
                                s.data = d;
                                set_settings.run(s);
                            }
                        })
                        testid="train-data"
                    />
                    <Show when=move || settings.get().data == DataParam::Mnist>
                        <p class="hint">
                            {move || match train_set.get() {
                                Some(set) => format!("MNIST training files loaded: {} images; the run takes the first ones, in the file's order.", thousands(set.len())),
                                None => "Load MNIST's training files (train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz) below.".to_string(),
                            }}
                        </p>
                        <MnistLoader />
                    </Show>
                    <NumberField label="training images" value=Signal::derive(move || settings.get().train) on_change=change_count(|s, v| s.train = v) min=1 max=MAX_IMAGES testid="train-n" />
                    <NumberField label="validation images" value=Signal::derive(move || settings.get().validation) on_change=change_count(|s, v| s.validation = v) min=0 max=MAX_IMAGES testid="train-nv" />
                    <NumberField label="test images" value=Signal::derive(move || settings.get().test) on_change=change_count(|s, v| s.test = v) min=0 max=MAX_IMAGES testid="train-nt" />
                    <NumberField label="seed" value=Signal::derive(move || settings.get().seed as usize) on_change=change_count(|s, v| s.seed = v as u64) min=0 max=1_000_000 testid="train-seed" />
                    <SelectField
                        label="optimizer"
                        options=OptimizerParam::OPTIONS.to_vec()
                        value=Signal::derive(move || settings.get().optimizer.to_string())
                        on_change=Callback::new(move |v: String| {
                            if let Ok(o) = v.parse() {
                                let mut s = settings.get_untracked();
                                s.optimizer = o;
                                set_settings.run(s);
                            }
                        })
                        testid="train-optimizer"
                    />
                    <SelectField
                        label="network"
                        options=ModelParam::OPTIONS.to_vec()
                        value=Signal::derive(move || settings.get().model.to_string())
                        on_change=Callback::new(move |v: String| {
                            if let Ok(m) = v.parse() {
                                let mut s = settings.get_untracked();
                                s.model = m;
                                set_settings.run(s);
                            }
                        })
                        testid="train-model"
                    />
                    <Show when=move || settings.get().model == ModelParam::Mlp>
                        <NumberField label="hidden layers" value=Signal::derive(move || settings.get().depth) on_change=change_count(|s, v| s.depth = v) min=1 max=MAX_DEPTH slider=true testid="train-depth" />
                        <NumberField label="units per layer" value=Signal::derive(move || settings.get().width) on_change=change_count(|s, v| s.width = v) min=1 max=MAX_WIDTH testid="train-width" />
                        <SelectField
                            label="activation"
                            options=ActivationParam::OPTIONS.to_vec()
                            value=Signal::derive(move || settings.get().activation.to_string())
                            on_change=Callback::new(move |v: String| {
                                if let Ok(a) = v.parse() {
                                    let mut s = settings.get_untracked();
                                    s.activation = a;
                                    set_settings.run(s);
                                }
                            })
                            testid="train-activation"
                        />
                        <Toggle label="biases" value=Signal::derive(move || settings.get().bias) on_change=Callback::new(move |v| { let mut s = settings.get_untracked(); s.bias = v; set_settings.run(s); }) testid="train-bias" />
                        <Toggle label="LayerNorm after each hidden layer" value=Signal::derive(move || settings.get().layer_norm) on_change=Callback::new(move |v| { let mut s = settings.get_untracked(); s.layer_norm = v; set_settings.run(s); }) testid="train-layernorm" />
                    </Show>
                </fieldset>
                <fieldset>
                    <legend>"Augmentation of the training images (a new run)"</legend>
                    <SliderField label="shift (pixels)" value=Signal::derive(move || settings.get().augment.translate) on_change=change(|s, v| s.augment.translate = v) min=0.0 max=6.0 step=1.0 testid="train-shift" />
                    <SliderField label="rotation (± degrees)" value=Signal::derive(move || settings.get().augment.rotate) on_change=change(|s, v| s.augment.rotate = v) min=0.0 max=180.0 step=5.0 testid="train-rotate" />
                    <SliderField label="zoom (±)" value=Signal::derive(move || settings.get().augment.scale) on_change=change(|s, v| s.augment.scale = v) min=0.0 max=0.5 step=0.05 testid="train-zoom" />
                    <Toggle label="mirror left–right (half the images)" value=Signal::derive(move || settings.get().augment.flip) on_change=Callback::new(move |v| { let mut s = settings.get_untracked(); s.augment.flip = v; set_settings.run(s); }) testid="train-flip" />
                    <Toggle label="turn upside down (half the images)" value=Signal::derive(move || settings.get().augment.flip_vertical) on_change=Callback::new(move |v| { let mut s = settings.get_untracked(); s.augment.flip_vertical = v; set_settings.run(s); }) testid="train-vflip" />
                    <SliderField label="noise (σ)" value=Signal::derive(move || settings.get().augment.noise) on_change=change(|s, v| s.augment.noise = v) min=0.0 max=0.5 step=0.05 testid="train-noise" />
                    <DigitStrip items=preview testid="train-augment-preview" />
                </fieldset>
                <fieldset>
                    <legend>"Steps (change any time)"</legend>
                    <SliderField label="log₁₀ learning rate" value=Signal::derive(move || settings.get().learning_rate.log10()) on_change=change(|s, v| s.learning_rate = 10f32.powf(v)) min=-5.0 max=3.0 step=0.1 testid="train-lr" />
                    <p class="hint">{move || format!("learning rate {:.5}", settings.get().learning_rate)}</p>
                    <NumberField label="batch size" value=Signal::derive(move || settings.get().batch_size) on_change=change_count(|s, v| s.batch_size = v) min=1 max=MAX_BATCH testid="train-bs" />
                    <SliderField label="L1 strength λ₁" value=Signal::derive(move || settings.get().l1) on_change=change(|s, v| s.l1 = v) min=0.0 max=0.002 step=0.0001 testid="train-l1" />
                    <SliderField label="L2 strength λ₂" value=Signal::derive(move || settings.get().l2) on_change=change(|s, v| s.l2 = v) min=0.0 max=0.02 step=0.0005 testid="train-l2" />
                    <NumberField label="epochs" value=Signal::derive(move || settings.get().epochs) on_change=change_count(|s, v| s.epochs = v) min=1 max=MAX_EPOCHS testid="train-epochs" />
                </fieldset>
            </div>
            <div class="train-controls" role="group" aria-label="run">
                <button data-testid="train-start" on:click=move |_| lab.start(ctx.backend.get_untracked(), settings.get_untracked(), train_set.get_untracked())>"Start a new run"</button>
                <button data-testid="train-pause" disabled=move || !running() on:click=move |_| lab.pause()>"Pause"</button>
                <button data-testid="train-resume" disabled=move || !can_go_on() on:click=move |_| lab.resume(settings.get_untracked(), false)>"Go on"</button>
                <button data-testid="train-step" disabled=move || !can_go_on() on:click=move |_| lab.resume(settings.get_untracked(), true)>"One step"</button>
                <button data-testid="train-reset" disabled=move || !has_run() on:click=move |_| lab.reset()>"Reset"</button>
            </div>
            <p class="train-status" data-testid="train-status" aria-live="polite">{status}</p>
            <p class="train-message" role="alert" data-testid="train-message">{move || lab.message.get()}</p>
            <p class="hint" data-testid="train-in-use">{move || ctx.trained_classifier.get().map(|d| format!("The draw page classifies with {d}."))}</p>
            <h2>"Loss and accuracy"</h2>
            <Curves lab=lab />
            <div class="train-controls" role="group" aria-label="early stopping">
                <button data-testid="train-restore" disabled=move || running() || lab.best_epoch().is_none() on:click=move |_| lab.restore_best()>"Restore the best epoch (early stopping)"</button>
                <button
                    data-testid="train-use"
                    disabled=move || running() || !has_run() || lab.run_settings.with(|s| s.as_ref().is_none_or(|s| s.model != ModelParam::LeNet5))
                    title="The draw page's LeNet-5 becomes this one (a copy of the weights now) until you reset here"
                    on:click=move |_| lab.use_classifier(true)
                >
                    "Use this model on the draw page"
                </button>
                <button data-testid="train-unuse" disabled=move || ctx.trained_classifier.with(Option::is_none) on:click=move |_| lab.use_classifier(false)>"Back to the shipped LeNet-5"</button>
                <button
                    data-testid="train-download"
                    disabled=move || running() || !has_run() || lab.run_settings.with(|s| s.as_ref().is_none_or(|s| s.model != ModelParam::LeNet5))
                    title="The run's LeNet-5 now, as a .json + .bpk pair in the shipped weights' format"
                    on:click=move |_| lab.download()
                >
                    "Download weights"
                </button>
            </div>
            <p class="hint" data-testid="train-saved">{move || lab.saved.get()}</p>
            <h2>"Validation, test and the confusion matrix"</h2>
            <div class="train-controls" role="group" aria-label="evaluate">
                <button data-testid="train-eval-validation" disabled=move || running() || !has_run() on:click=move |_| lab.evaluate(Split::Validation, settings.get_untracked())>"Confusion matrix on the validation set"</button>
                <button data-testid="train-eval-test" disabled=move || running() || !has_run() on:click=move |_| lab.evaluate(Split::Test, settings.get_untracked())>"Evaluate on the test set"</button>
            </div>
            <p data-testid="train-test-note">{test_note}</p>
            <Confusion lab=lab />
            <h2>"Regularisation: the weights"</h2>
            <Weights lab=lab />
            <h2>"Vanishing gradients"</h2>
            <Gradients lab=lab />
        </section>
    }
}
