//! Entry point of the model worker built with relaxed SIMD (feature `relaxed-simd`): the same
//! worker as `convlab-worker`, its CPU decoder using fused multiply-adds. The page starts it
//! instead of `convlab-worker` where the browser validates relaxed SIMD.

fn main() {
    #[cfg(target_arch = "wasm32")]
    convlab_worker::serve::run();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!(
        "convlab-worker-fma runs in a browser, as the web app's model worker (see index.html)."
    );
}
