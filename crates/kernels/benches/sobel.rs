//! Sobel (Gx, Gy, G, Θ) on a 1920×1080 image, natively. The wasm figure comes from
//! `web/tests/bench.rs` in headless Chromium; `cargo xtask bench` runs both.

use convlab_kernels::samples::Sample;
use convlab_kernels::sobel::{Border, SobelOutput, sobel_into, sobel_reference};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench_sobel(c: &mut Criterion) {
    let image = Sample::Shapes.generate(1080, 1920);
    let mut out = SobelOutput::default();
    let mut group = c.benchmark_group("sobel_1920x1080");
    group.sample_size(30);
    group.bench_function("fast (Gx, Gy, G, Θ)", |b| {
        b.iter(|| sobel_into(black_box(&image), Border::Replicate, &mut out))
    });
    // The general convolution path, for the ratio: what the specialised pass buys.
    group.sample_size(10);
    group.bench_function("reference (convolve2d + atan2)", |b| {
        b.iter(|| sobel_reference(black_box(&image), Border::Replicate))
    });
    group.finish();
}

criterion_group!(benches, bench_sobel);
criterion_main!(benches);
