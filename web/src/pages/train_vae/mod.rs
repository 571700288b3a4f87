//! `/train-vae`: the VAE lab — train the lecture's VAE (or the plain autoencoder with the
//! same layers) in the model worker and watch its two loss terms, the β weight on KL,
//! posterior collapse, and the latent space forming epoch by epoch.
//!
//! The maths runs in the worker (`convlab-learn`'s loop, the native trainer's); this page holds
//! the settings (in the URL), drives the run in short bursts and draws what comes back.

mod curves;
mod latent;
mod run;
mod settings;

use leptos::prelude::*;

use self::curves::Curves;
use self::latent::LatentSpace;
use self::run::{Status, VaeLab};
use self::settings::{
    BETA_POSITIONS, KindParam, MAX_BATCH, MAX_EPOCHS, MAX_IMAGES, VaeLabSettings, beta_at,
    position_of, presets, use_vae_lab_settings,
};
use crate::components::controls::{NumberField, SelectField, SliderField};
use crate::components::mnist_loader::MnistLoader;
use crate::components::model_status::ModelStatus;
use crate::ml::{MlContext, use_models};
use crate::mnist_store::{thousands, use_mnist};
use crate::run_params::{DataParam, OptimizerParam};

/// The VAE lab.
#[component]
pub fn TrainVaePage() -> impl IntoView {
    let models = use_models();
    let ctx = use_context::<MlContext>().unwrap_or_default();
    let (settings, set_settings) = use_vae_lab_settings();
    let lab = VaeLab::new(settings, ctx);
    let mnist = use_mnist();
    let train_set = {
        let train_set = mnist.train_set.clone();
        Signal::derive(move || train_set.get())
    };
    on_cleanup(move || {
        leptos::task::spawn_local(async {
            let _ = crate::ml::training::reset().await;
        });
    });
    let update = move |f: Box<dyn Fn(&mut VaeLabSettings)>| {
        let mut s = settings.get_untracked();
        f(&mut s);
        set_settings.run(s);
    };
    let change_count = move |f: fn(&mut VaeLabSettings, usize)| {
        Callback::new(move |v: usize| update(Box::new(move |s| f(s, v))))
    };
    let choose = move |f: fn(&mut VaeLabSettings, &str)| {
        Callback::new(move |v: String| update(Box::new(move |s| f(s, &v))))
    };
    let preset_buttons = presets()
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let chosen = p.settings.clone();
            view! {
                <button title=p.slide data-testid=format!("vae-preset-{i}") on:click=move |_| set_settings.run(chosen.clone())>
                    {p.name}
                </button>
            }
        })
        .collect_view();
    let status = move || {
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
        match (lab.started.get(), lab.run_settings.get()) {
            (Some(started), Some(run)) => format!(
                "{state} · step {step}, epoch {epoch} · {:.0} images/s on {backend} · {}, {} parameters · {} training, {} validation images",
                lab.images_per_second.get(),
                run.describe(),
                thousands(started.parameters),
                thousands(started.train),
                thousands(started.validation)
            ),
            _ => format!("{state} · runs on {backend}"),
        }
    };
    let running = move || lab.status.get() == Status::Running;
    let can_go_on = move || matches!(lab.status.get(), Status::Paused | Status::Finished);
    let has_run = move || !matches!(lab.status.get(), Status::Idle | Status::Starting);
    let is_vae = move || settings.get().kind == KindParam::Vae;

    view! {
        <section class="page model-page train train-vae" data-testid="page-train-vae">
            <h1>"VAE lab"</h1>
            <p class="lede">
                "Train the lecture's variational autoencoder here, in your browser, and watch its loss "
                "as the lecture writes it: the reconstruction term (BCE) and the KL term that pulls each digit's posterior towards N(0, I). "
                "Weight the KL term with β while it trains: β = 0 is an autoencoder whose codes wander off (sampling the prior then gives garbage); "
                "a large β collapses the posterior — KL goes to 0 and every digit decodes to the same blurry mean. "
                "Before training the latent space is a random cloud; watch it become grouped and structured, epoch by epoch."
            </p>
            <ModelStatus models=models />
            <div class="train-presets" role="group" aria-label="presets">
                <span>"Presets: "</span>
                {preset_buttons}
            </div>
            <div class="train-settings">
                <fieldset>
                    <legend>"Data and model (a new run)"</legend>
                    <SelectField label="images" options=DataParam::OPTIONS.to_vec() value=Signal::derive(move || settings.get().data.to_string()) on_change=choose(|s, v| if let Ok(d) = v.parse() { s.data = d }) testid="vae-data" />
                    <Show when=move || settings.get().data == DataParam::Mnist>
                        <p class="hint">
                            {move || match train_set.get() {
                                Some(set) => format!("MNIST training files loaded: {} images; the run takes the first ones, in the file's order.", thousands(set.len())),
                                None => "Load MNIST's training files (train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz) below.".to_string(),
                            }}
                        </p>
                        <MnistLoader />
                    </Show>
                    <NumberField label="training images" value=Signal::derive(move || settings.get().train) on_change=change_count(|s, v| s.train = v) min=1 max=MAX_IMAGES testid="vae-n" />
                    <NumberField label="validation images" value=Signal::derive(move || settings.get().validation) on_change=change_count(|s, v| s.validation = v) min=0 max=MAX_IMAGES testid="vae-nv" />
                    <NumberField label="seed" value=Signal::derive(move || settings.get().seed as usize) on_change=change_count(|s, v| s.seed = v as u64) min=0 max=1_000_000 testid="vae-seed" />
                    <SelectField label="model" options=KindParam::OPTIONS.to_vec() value=Signal::derive(move || settings.get().kind.to_string()) on_change=choose(|s, v| if let Ok(k) = v.parse() { s.kind = k }) testid="vae-kind" />
                    <SelectField label="latent size" options=vec![("2", "2 (the map is the latent space)"), ("16", "16 (count the active units)")] value=Signal::derive(move || settings.get().latent.to_string()) on_change=choose(|s, v| if let Ok(l) = v.parse() { s.latent = l }) testid="vae-latent" />
                    <SelectField label="optimizer" options=OptimizerParam::OPTIONS.to_vec() value=Signal::derive(move || settings.get().optimizer.to_string()) on_change=choose(|s, v| if let Ok(o) = v.parse() { s.optimizer = o }) testid="vae-optimizer" />
                </fieldset>
                <fieldset>
                    <legend>"Steps (change any time)"</legend>
                    <Show when=is_vae fallback=|| view! { <p class="hint">"The autoencoder has no KL term: β does not apply."</p> }>
                        <SliderField label="β (the KL term's weight)" value=Signal::derive(move || position_of(settings.get().beta)) on_change=Callback::new(move |p: f32| update(Box::new(move |s| s.beta = round_beta(beta_at(p))))) min=0.0 max=BETA_POSITIONS step=1.0 testid="vae-beta" />
                        <p class="hint" data-testid="vae-beta-value">{move || format!("β = {} {}", settings.get().beta, if settings.get().beta == 1.0 { "(the lecture's loss)" } else { "" })}</p>
                    </Show>
                    <SliderField label="log₁₀ learning rate" value=Signal::derive(move || settings.get().learning_rate.log10()) on_change=Callback::new(move |v: f32| update(Box::new(move |s| s.learning_rate = 10f32.powf(v)))) min=-5.0 max=1.0 step=0.1 testid="vae-lr" />
                    <p class="hint">{move || format!("learning rate {:.5}", settings.get().learning_rate)}</p>
                    <NumberField label="batch size" value=Signal::derive(move || settings.get().batch_size) on_change=change_count(|s, v| s.batch_size = v) min=1 max=MAX_BATCH testid="vae-bs" />
                    <NumberField label="epochs" value=Signal::derive(move || settings.get().epochs) on_change=change_count(|s, v| s.epochs = v) min=1 max=MAX_EPOCHS testid="vae-epochs" />
                </fieldset>
            </div>
            <div class="train-controls" role="group" aria-label="run">
                <button data-testid="vae-start" on:click=move |_| lab.start(ctx.backend.get_untracked(), settings.get_untracked(), train_set.get_untracked())>"Start a new run"</button>
                <button data-testid="vae-pause" disabled=move || !running() on:click=move |_| lab.pause()>"Pause"</button>
                <button data-testid="vae-resume" disabled=move || !can_go_on() on:click=move |_| lab.resume(settings.get_untracked(), false)>"Go on"</button>
                <button data-testid="vae-step" disabled=move || !can_go_on() on:click=move |_| lab.resume(settings.get_untracked(), true)>"One step"</button>
                <button data-testid="vae-reset" disabled=move || !has_run() on:click=move |_| lab.reset()>"Reset"</button>
            </div>
            <p class="train-status" data-testid="vae-status" aria-live="polite">{status}</p>
            <p class="train-message" role="alert" data-testid="vae-message">{move || lab.message.get()}</p>
            <div class="train-controls" role="group" aria-label="use the result">
                <button
                    data-testid="vae-use"
                    disabled=move || running() || !has_run() || lab.run_settings.with(|s| s.as_ref().is_none_or(|s| s.kind != KindParam::Vae || !matches!(s.latent, 2 | 16)))
                    title="The model pages' VAE of this latent size (VAE-2 or VAE-16) becomes this one (a copy of the weights now) until you reset here"
                    on:click=move |_| lab.use_vae(true)
                >
                    "Use this VAE on the model pages"
                </button>
                <button data-testid="vae-unuse" disabled=move || ctx.trained_vae.with(Option::is_none) on:click=move |_| lab.use_vae(false)>"Back to the shipped VAEs"</button>
                <button
                    data-testid="vae-download"
                    disabled=move || running() || !has_run()
                    title="The run's network now, as a .json + .bpk pair in the shipped weights' format"
                    on:click=move |_| lab.download()
                >
                    "Download weights"
                </button>
            </div>
            <p class="hint" data-testid="vae-in-use">{move || ctx.trained_vae.get().map(|t| format!("The model pages' {} is {}.", t.choice.title(), t.label))}</p>
            <p class="hint" data-testid="vae-saved">{move || lab.saved.get()}</p>
            <h2>"The two terms of the loss"</h2>
            <Curves lab=lab />
            <h2>"The latent space"</h2>
            <LatentSpace lab=lab />
        </section>
    }
}

/// β rounded to two significant digits, as the slider's positions are meant (0.1, not
/// 0.099999994).
fn round_beta(beta: f32) -> f32 {
    if beta > 0.0 {
        format!("{beta:.1e}").parse().unwrap_or(beta)
    } else {
        0.0
    }
}
