//! The line at the top of every model page: loading, the error when the models cannot be
//! had, or which backend runs them (and a switch).

use std::rc::Rc;

use leptos::prelude::*;

use crate::ml::{Backend, MlContext, Models};

/// What [`crate::ml::use_models`] gives a page.
pub type ModelsResource = LocalResource<Result<Rc<Models>, String>>;

/// "Loading…", an error (`role="alert"`) with a "Try again" button, or the backend (`data-testid="backend"`: `webgpu`
/// or `cpu`; on the CPU, whether its decoder has fused multiply-adds: `data-testid="cpu-kernels"`)
/// with a switch between the backends this browser has.
#[component]
pub fn ModelStatus(models: ModelsResource) -> impl IntoView {
    let ctx = use_context::<MlContext>().unwrap_or_default();
    let state = move || {
        models
            .get()
            .map(|loaded| loaded.map(|m| (m.backend, m.fused_multiply_add())))
    };
    view! {
        <div class="model-status" data-testid="model-status">
            {move || match state() {
                None => view! { <span class="notice">"Loading the trained models (about 2 MB, once)…"</span> }.into_any(),
                Some(Err(e)) => view! {
                    <span class="error" role="alert">{format!("The models could not be loaded: {e}")}</span>
                    " "
                    <button data-testid="models-retry" on:click=move |_| models.refetch()>
                        "Try again"
                    </button>
                }.into_any(),
                Some(Ok((backend, fma))) => view! {
                    <span>
                        "Running on "
                        <b data-testid="backend">{backend.name()}</b>
                        {(backend == Backend::Cpu).then(|| view! {
                            <span
                                class="muted"
                                data-testid="cpu-kernels"
                                title="The decoder's WebAssembly loops: 128-bit SIMD, and fused multiply-adds where the browser has relaxed SIMD"
                            >
                                {if fma { " (SIMD, fused multiply-add)" } else { " (SIMD)" }}
                            </span>
                        })}
                        {move || {
                            ctx.gpu_note
                                .get()
                                .map(|n| view! { <span class="muted">{format!(" ({n})")}</span> })
                        }}
                    </span>
                    <BackendSwitch />
                }.into_any(),
            }}
            <LabVaeNote />
        </div>
    }
}

/// Buttons to move the models to the other backend, when the browser offers one.
#[component]
fn BackendSwitch() -> impl IntoView {
    let ctx = use_context::<MlContext>().unwrap_or_default();
    let available = move || ctx.available.get();
    view! {
        {move || {
            let current = ctx.backend.get();
            available()
                .into_iter()
                .filter(move |b| *b != current)
                .map(|b: Backend| {
                    view! {
                        <button
                            class="backend-switch"
                            data-testid=format!("backend-{}", b.name())
                            on:click=move |_| ctx.choose(b)
                        >
                            {format!("Use {}", b.name())}
                        </button>
                    }
                })
                .collect_view()
        }}
    }
}

/// Which VAE the lab put in a shipped one's place, with a button to put the shipped one back.
#[component]
fn LabVaeNote() -> impl IntoView {
    let ctx = use_context::<MlContext>().unwrap_or_default();
    let back = move |_| {
        leptos::task::spawn_local(async move {
            if let Err(e) = crate::ml::vae_training::use_vae(ctx, None).await {
                web_sys::console::warn_1(&e.into());
            }
        });
    };
    move || {
        ctx.trained_vae.get().map(|t| {
            view! {
                <p class="hint" data-testid="lab-vae-note">
                    {format!("{} here is {}. ", t.choice.title(), t.label)}
                    <button data-testid="lab-vae-back" on:click=back>{format!("Back to the shipped {}", t.choice.title())}</button>
                </p>
            }
        })
    }
}
