//! Files the page hands to the browser as downloads (a Blob behind a link with `download`).

use std::future::Future;

use convlab_protocol::ExportedWeights;
use leptos::prelude::{RwSignal, Set};
use wasm_bindgen::JsCast;

/// Offers `bytes` as a file called `name` of type `mime`.
pub fn save(name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    let fail = |what: &str| format!("cannot save {name}: {what}");
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| fail("the browser refused the file"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| fail("no address for the file"))?;
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| fail("no document"))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Freed once the browser has surely read the file (some read it after the click returns).
    let free = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(free.unchecked_ref(), 60_000);
    }
    Ok(())
}

/// Offers the two files of `weights`; says what was saved.
pub fn save_pair(weights: &ExportedWeights, step: u32) -> Result<String, String> {
    let name = &weights.name;
    save(
        &format!("{name}.json"),
        weights.json.as_bytes(),
        "application/json",
    )?;
    save(
        &format!("{name}.bpk"),
        &weights.bpk,
        "application/octet-stream",
    )?;
    Ok(format!(
        "Saved {name}.json and {name}.bpk ({} KB), the weights after step {step}, in the format \
         of the shipped weights: `convlab-train eval --weights {name}.json` scores them on the \
         MNIST test set.",
        weights.bpk.len().div_ceil(1024)
    ))
}

/// The page's address now, with its settings in the query (a run's record of how to repeat it).
pub fn page_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// Waits for `export`'s weights pair (the weights after `step`) and offers it; says what was
/// saved in `saved`, or why nothing was in `message`.
pub fn offer_pair(
    export: impl Future<Output = Result<ExportedWeights, String>> + 'static,
    step: u32,
    saved: RwSignal<Option<String>>,
    message: RwSignal<Option<String>>,
) {
    leptos::task::spawn_local(async move {
        match export.await.and_then(|weights| save_pair(&weights, step)) {
            Ok(note) => {
                let _ = saved.try_set(Some(note));
            }
            Err(e) => {
                let _ = message.try_set(Some(e));
            }
        }
    });
}
