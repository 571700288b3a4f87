//! `/cnn`: CNN neurons and architectures — one neuron with its kernel, bias and activation;
//! LeNet-5 and AlexNet as architecture cards computed from the models' modules; what each
//! layer of LeNet-5 sees of a drawing; and why convolutions need so few weights.
//!
//! The neuron and the calculator are `convlab-kernels` maths on the page; the cards and the
//! feature maps come from the model worker (the real LeNet-5, one request per drawing).

mod cards;
mod maps;
mod neuron;
mod settings;
mod why;

use convlab_digits::preprocess_drawing;
use convlab_kernels::Grid;
use leptos::prelude::*;

use self::cards::ArchitectureCard;
use self::maps::FeatureMaps;
use self::neuron::NeuronSection;
use self::settings::STROKES_KEY;
use self::why::WhyConvolutions;
use crate::components::drawing_pad::{DrawingPad, strokes_from_text, strokes_to_text};
use crate::components::model_status::ModelStatus;
use crate::ml::use_models;
use crate::storage;

/// The CNN page.
#[component]
pub fn CnnPage() -> impl IntoView {
    let models = use_models();
    let strokes =
        RwSignal::new(storage::load(STROKES_KEY).map_or_else(Vec::new, |s| strokes_from_text(&s)));
    Effect::new(move |_| storage::save(STROKES_KEY, &strokes_to_text(&strokes.get())));
    let drawing = RwSignal::new(None::<Grid>);
    let on_change = Callback::new(move |g: Grid| drawing.set(Some(g)));
    // The drawing as LeNet-5 sees it: MNIST's cropping, scaling and centring.
    let digit = Memo::new(move |_| {
        drawing.with(|g| {
            let g = g.as_ref()?;
            preprocess_drawing(g.data(), g.cols(), g.rows())
                .ok()
                .map(|p| p.pixels)
        })
    });

    let networks = LocalResource::new(move || {
        let models = models.get();
        async move {
            match models {
                Some(Ok(m)) => Some(m.networks().await),
                _ => None,
            }
        }
    });
    let networks_ok = Signal::derive(move || networks.get().flatten().and_then(Result::ok));
    let conv1 = Signal::derive(move || networks_ok.get().map(|n| n.conv1));

    let analysis = LocalResource::new(move || {
        let (digit, models) = (digit.get(), models.get());
        async move {
            let (Some(digit), Some(Ok(models))) = (digit, models) else {
                return None;
            };
            let maps = models.feature_maps(&digit).await;
            Some(maps.map(|maps| (digit, maps)))
        }
    });
    // Only the maps of the drawing as it is now.
    let maps = Signal::derive(move || {
        analysis
            .get()
            .flatten()
            .and_then(Result::ok)
            .filter(|(input, _)| digit.with(|d| d.as_ref() == Some(input)))
            .map(|(_, maps)| maps)
    });
    let error = move || {
        let from_maps = analysis.get().flatten().and_then(Result::err);
        from_maps.or_else(|| networks.get().flatten().and_then(Result::err))
    };

    view! {
        <section class="page model-page cnn" data-testid="page-cnn">
            <h1>"CNN neurons and architectures"</h1>
            <p class="lead">
                "A convolutional network is made of neurons that convolve: each holds a small matrix of weights, slides it "
                "over its input, adds a bias and applies an activation. Stack such layers with pooling, end with dense "
                "layers, and you have LeNet-5 (1998) — or, much larger, AlexNet (2012)."
            </p>
            <ModelStatus models=models />
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}

            <h2>"1 · One CNN neuron"</h2>
            <NeuronSection drawing=digit.into() conv1=conv1 />

            <h2>"2 · LeNet-5 and AlexNet, layer by layer"</h2>
            <p>
                "Each card is computed from the network's module in the model worker: the shapes of its weights, its "
                "strides and paddings. The receptive field is how many input pixels one value of the layer depends on; "
                "the multiply-adds are for one image."
            </p>
            {move || match networks_ok.get() {
                Some(n) => view! {
                    <ArchitectureCard network=n.lenet5 testid="cnn-card-lenet5" />
                    <ArchitectureCard network=n.alexnet testid="cnn-card-alexnet" />
                }
                .into_any(),
                None => view! { <p class="muted">"The cards appear when the models have loaded."</p> }.into_any(),
            }}

            <h2>"3 · What each layer sees of your drawing"</h2>
            <p>
                "Draw a digit. The shipped LeNet-5 runs on it in the model worker and sends back every layer's output: "
                "six maps after conv1, their 2×2 maxima, sixteen maps after conv2, … down to ten probabilities. Point at "
                "a map to see the kernel that produced it. Your drawing is kept in this browser."
            </p>
            <div class="row">
                <div>
                    <DrawingPad strokes=strokes on_change=on_change testid="cnn-canvas" />
                </div>
                <div class="grow">
                    <FeatureMaps maps=maps networks=networks_ok />
                </div>
            </div>

            <h2>"4 · Why convolutions"</h2>
            <WhyConvolutions />
        </section>
    }
}
