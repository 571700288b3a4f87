//! `/latent-map`: the latent space of a VAE as a scatter of encoded digits coloured by
//! class; a click or hover decodes that point; the decoded manifold at the prior's quantiles;
//! trained against untrained weights (the lecture's "random before, structured after"); the
//! latent-16 VAE through a 2-D projection. The dots are synthetic digits, or the first
//! [`MNIST_POINTS`] images of the real MNIST test set once it has been loaded (`data=mnist`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use convlab_digits::MnistDataset;
use convlab_digits::latent::{Projection, manifold_grid};
use leptos::prelude::*;

use crate::components::canvas::ImageCanvas;
use crate::components::controls::{NumberField, SelectField};
use crate::components::digit::{DigitCanvas, tile};
use crate::components::mnist_loader::MnistLoader;
use crate::components::model_status::ModelStatus;
use crate::components::scatter::{LatentScatter, Mark};
use crate::ml::{
    Backend, Models, REFERENCE_PER_CLASS, ReferenceSet, VaeChoice, use_helpers, use_models,
};
use crate::mnist_store::{thousands, use_mnist};
use crate::url_state::use_query_state;

/// Largest manifold side (30 × 30 = 900 decodes).
const MAX_GRID: usize = 30;

/// MNIST test images on the map: the first ones, in the file's order.
pub const MNIST_POINTS: usize = 1_000;

/// MNIST scatters already encoded on this page: (model, backend, test set, scatter).
type MnistCache = Rc<RefCell<Vec<(VaeChoice, Backend, Arc<MnistDataset>, Rc<ReferenceSet>)>>>;

/// The first [`MNIST_POINTS`] images of `set` encoded by `which`, with their true labels.
async fn mnist_reference(
    models: &Models,
    which: VaeChoice,
    set: &MnistDataset,
) -> Result<ReferenceSet, String> {
    let n = set.len().min(MNIST_POINTS);
    let images: Vec<Vec<f32>> = (0..n)
        .filter_map(|i| set.image(i).map(<[f32]>::to_vec))
        .collect();
    let labels: Vec<u8> = set.labels().iter().take(n).copied().collect();
    let posteriors = models.encode(which, &images).await?;
    let mus: Vec<Vec<f32>> = posteriors.iter().map(|p| p.mu.clone()).collect();
    let projection = Projection::fit(&mus, models.latent_dim(which));
    Ok(ReferenceSet {
        images,
        labels,
        posteriors,
        projection,
    })
}

/// The latent-map page.
#[component]
pub fn LatentMapPage() -> impl IntoView {
    let models = use_models();
    use_helpers(models);
    let (model, set_model) = use_query_state("model", "vae2".to_string());
    let (grid_side, set_grid_side) = use_query_state("n", 20usize);
    let which = Signal::derive(move || VaeChoice::from_slug(&model.get()));

    // The digits: synthetic (the default), or the MNIST test set when it is loaded.
    let mnist = use_mnist();
    let (data, set_data) = use_query_state("data", "synthetic".to_string());
    let test_set = {
        let test_set = mnist.test_set.clone();
        Signal::derive(move || test_set.get())
    };
    let has_mnist = Memo::new(move |_| test_set.with(Option::is_some));
    let chosen = Signal::derive(move || {
        if data.get() == "mnist" {
            test_set.get()
        } else {
            None
        }
    });
    let shown_data = Signal::derive(move || {
        if chosen.with(Option::is_some) {
            "mnist".to_string()
        } else {
            "synthetic".to_string()
        }
    });

    let cache = MnistCache::default();
    let references = LocalResource::new(move || {
        let (models, which, dataset) = (models.get(), which.get(), chosen.get());
        let cache = cache.clone();
        async move {
            let Some(Ok(m)) = models else {
                return None;
            };
            let Some(set) = dataset else {
                return Some(m.references(which).await);
            };
            let hit = cache
                .borrow()
                .iter()
                .find(|(w, b, d, _)| *w == which && *b == m.backend && Arc::ptr_eq(d, &set))
                .map(|(.., r)| r.clone());
            if let Some(hit) = hit {
                return Some(Ok(hit));
            }
            let made = mnist_reference(&m, which, &set).await.map(Rc::new);
            if let Ok(r) = &made {
                let mut cache = cache.borrow_mut();
                cache.retain(|(_, _, d, _)| Arc::ptr_eq(d, &set));
                cache.push((which, m.backend, set.clone(), r.clone()));
            }
            Some(made)
        }
    });
    let reference = move || references.get().flatten().and_then(Result::ok);
    let points = Signal::derive(move || reference().map(|r| r.scatter()).unwrap_or_default());
    // The square shown: wide enough for the dots (the untrained encoder's codes are tiny,
    // a trained one's spread over a few units).
    let extent = Signal::derive(move || {
        let spread = points.with(|p: &Vec<([f32; 2], u8)>| {
            p.iter()
                .map(|(z, _)| z[0].abs().max(z[1].abs()))
                .fold(0.0f32, f32::max)
        });
        if spread <= 0.0 {
            4.0
        } else {
            (spread * 1.15).clamp(0.05, 8.0)
        }
    });

    // The point to decode: clicked (kept) or hovered (while the pointer is there).
    let (picked, set_picked) = signal(None::<[f32; 2]>);
    let (hovered, set_hovered) = signal(None::<[f32; 2]>);
    let probe = Signal::derive(move || hovered.get().or(picked.get()));
    let decoded = LocalResource::new(move || {
        let (models, which, at) = (models.get(), which.get(), probe.get());
        let reference = reference();
        async move {
            let (Some(Ok(m)), Some(at), Some(r)) = (models, at, reference) else {
                return None;
            };
            let code = r.projection.unproject(at);
            m.decode(which, &[code]).await.ok()?.pop()
        }
    });
    let marks = Signal::derive(move || {
        probe
            .get()
            .map(|at| {
                vec![Mark {
                    at,
                    radii: None,
                    label: "decoded".into(),
                    color: "var(--fg)",
                }]
            })
            .unwrap_or_default()
    });

    // The manifold: decode a grid of codes at the prior's quantiles (along the projection's
    // axes for VAE-16), in slices so the page keeps responding.
    let manifold = LocalResource::new(move || {
        let (models, which, n) = (
            models.get(),
            which.get(),
            grid_side.get().clamp(2, MAX_GRID),
        );
        let reference = reference();
        async move {
            let (Some(Ok(m)), Some(r)) = (models, reference) else {
                return None;
            };
            let codes: Vec<Vec<f32>> = manifold_grid(n, 0.05)
                .into_iter()
                .map(|p| r.projection.unproject(p))
                .collect();
            let images = m.decode(which, &codes).await.ok()?;
            Some(tile(&images, n))
        }
    });

    let options = vec![
        ("vae2", "VAE-2, trained"),
        ("untrained", "VAE-2, untrained (random weights)"),
        ("vae16", "VAE-16, trained (2-D projection)"),
    ];
    let explanation = move || match which.get() {
        VaeChoice::Vae2 => {
            "Trained: the encoder has grouped the digits by class and kept the whole cloud near N(0, I), so every point of the plane decodes to something digit-like."
        }
        VaeChoice::Untrained2 => {
            "Untrained: the same network with random weights. The codes are an unstructured clump and every point decodes to grey noise — this is where training starts."
        }
        VaeChoice::Vae16 => {
            "Latent size 16, shown on the plane of its two principal components (the directions the codes vary most). Clicking decodes the mean moved along those two directions."
        }
    };
    let axes = Signal::derive(move || {
        if which.get() == VaeChoice::Vae16 {
            ("PC₁", "PC₂")
        } else {
            ("z₁", "z₂")
        }
    });
    let probe_text = move || {
        probe
            .get()
            .map(|z| format!("({:.2}, {:.2})", z[0], z[1]))
            .unwrap_or_else(|| "click or hover the map".into())
    };

    view! {
        <section class="page model-page" data-testid="page-latent-map">
            <h1>"The latent space"</h1>
            <p class="lead">
                {move || match chosen.get() {
                    Some(set) => format!(
                        "The first {} images of the MNIST test set, each encoded to its μ and coloured by its true label. ",
                        thousands(set.len().min(MNIST_POINTS))
                    ),
                    None => format!("{} synthetic digits ({REFERENCE_PER_CLASS} of each class), each encoded to its μ. ", 10 * REFERENCE_PER_CLASS),
                }}
                "Point anywhere on the map to decode that point; below, the decoder's answer on a whole grid of points."
            </p>
            <ModelStatus models=models />
            <div class="controls">
                <SelectField label="Model" options=options value=model on_change=set_model testid="latent-map-model" />
                {move || {
                    let mut digits = vec![("synthetic", "Synthetic digits")];
                    if has_mnist.get() {
                        digits.push(("mnist", "MNIST test set"));
                    }
                    view! { <SelectField label="Digits" options=digits value=shown_data on_change=set_data testid="latent-map-data" /> }
                }}
            </div>
            {move || (data.get() == "mnist" && !has_mnist.get()).then(|| view! {
                <p class="notice" data-testid="latent-map-data-note">
                    "The MNIST test set is not loaded (yet), so the map shows synthetic digits: load the files below."
                </p>
            })}
            <p data-testid="latent-map-explanation">{explanation}</p>
            <div class="row">
                {move || {
                    let axes = axes.get();
                    view! {
                        <LatentScatter
                            points=points
                            extent=extent
                            marks=marks
                            on_pick=Callback::new(move |z| set_picked.set(Some(z)))
                            on_hover=Callback::new(move |z| set_hovered.set(z))
                            axes=axes
                            testid="latent-map"
                        />
                    }
                }}
                <figure>
                    <DigitCanvas image=Signal::derive(move || decoded.get().flatten()) testid="latent-map-decoded" label="the decoded point" />
                    <figcaption data-testid="latent-map-probe">{probe_text}</figcaption>
                </figure>
            </div>

            <h2>"The decoded manifold"</h2>
            <p>
                "An n×n grid of codes at the prior's quantiles Φ⁻¹(p), p from 5% to 95%, so every cell stands for the same "
                "share of N(0, I). Neighbouring cells decode to similar digits, and one digit morphs into the next: the "
                "structure the KL term buys."
            </p>
            <div class="controls">
                <NumberField label="Grid n" value=grid_side on_change=set_grid_side min=2 max=MAX_GRID testid="latent-map-grid-size" />
            </div>
            {move || match manifold.get() {
                Some(Some(image)) => view! {
                    <ImageCanvas image=Signal::derive(move || image.clone()) testid="latent-map-manifold" label="the decoded manifold" class="manifold" />
                }.into_any(),
                _ => view! { <p class="notice" data-testid="latent-map-manifold-loading">"Decoding the grid…"</p> }.into_any(),
            }}

            <h2>"Real MNIST"</h2>
            <p>
                "With the four MNIST files (or only the two t10k test files) the map can show the real test set. "
                "They are read and checked here in the browser and kept for your next visit; nothing is uploaded."
            </p>
            <MnistLoader />
        </section>
    }
}
