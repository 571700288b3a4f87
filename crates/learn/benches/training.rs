//! LeNet-5's training step natively on `flex` (`cargo bench -p convlab-learn --bench training`);
//! `cargo xtask bench` prints it beside the same step in wasm (see `shared/throughput.rs`).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use burn::tensor::Device;
use futures::executor::block_on;

#[path = "shared/throughput.rs"]
mod throughput;

fn main() {
    let start = Instant::now();
    let now_ms = move || start.elapsed().as_secs_f64() * 1000.0;
    block_on(throughput::run(
        &Device::flex(),
        "native",
        &now_ms,
        &|line| println!("{line}"),
    ));
}
