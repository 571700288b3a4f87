//! Entry point of the model worker: Trunk builds this binary as a `data-type="worker"` module,
//! which the page starts when a model page first needs the models.

fn main() {
    #[cfg(target_arch = "wasm32")]
    convlab_worker::serve::run();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("convlab-worker runs in a browser, as the web app's model worker (see index.html).");
}
