//! Loading real MNIST: a file input (several files at once) and a drop zone for the four IDX
//! `.gz` files, the line saying what is loaded, and why a file was refused (`role="alert"`).
//! The files are parsed and checked in wasm by [`crate::mnist_store`], which also keeps them
//! for the next visit.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

use crate::mnist_store::{forget, load_files, use_mnist};

fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// The MNIST loader. Test hooks: `mnist-input` (the `<input type="file">`), `mnist-status`,
/// `mnist-error`, `mnist-forget`.
#[component]
pub fn MnistLoader() -> impl IntoView {
    let mnist = use_mnist();
    let (dragging, set_dragging) = signal(false);
    let status = mnist.status.clone();
    let error = mnist.error.clone();
    let loaded = mnist.status.clone();

    let on_change = move |ev: web_sys::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        let files = files_of(input.files());
        if !files.is_empty() {
            load_files(files);
        }
        // Choosing the same files again must fire `change` again.
        input.set_value("");
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        set_dragging.set(false);
        load_files(files_of(ev.data_transfer().and_then(|dt| dt.files())));
    };

    view! {
        <div
            class="image-upload mnist-loader"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                set_dragging.set(true);
            }
            on:dragleave=move |_| set_dragging.set(false)
            on:drop=on_drop
        >
            <label class="field">
                <span class="field-label">
                    "MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) — choose or drop them here"
                </span>
                <input type="file" multiple accept=".gz,application/gzip" data-testid="mnist-input" on:change=on_change />
            </label>
            <p class="muted">
                <span role="status" data-testid="mnist-status">{move || status.get()}</span>
                {move || {
                    (!loaded.get().starts_with("No MNIST")).then(|| view! {
                        " "
                        <button type="button" data-testid="mnist-forget" on:click=move |_| forget()>
                            "Forget the files"
                        </button>
                    })
                }}
            </p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="mnist-error">{e}</p> })}
        </div>
    }
}
