//! The image maths behind convlab's convolution lab, in plain Rust.
//!
//! This crate is what the lecture's slides compute: 1D and 2D convolution (and the
//! cross-correlation that deep-learning libraries call "convolution"), stride, zero padding,
//! dilation, several channels and filters, transposed convolution, max and mean pooling, the
//! Sobel operators with G = √(Gx² + Gy²) and Θ = atan2(Gy, Gx), the output-size formulas, one
//! CNN neuron (`neuron`), and a network's shapes, parameters and multiply-adds (`architecture`).
//!
//! It is *not* a tensor library and knows nothing of Burn, the DOM or the GPU: the web app
//! draws what these functions return, and the `tests` crate checks them against Burn's own
//! operators.
//!
//! # Conventions
//! - A [`Grid`] is one row-major matrix of `f32`, indexed `(row, col)`; row 0 is the top.
//! - Several channels are a slice of grids of equal shape (`&[Grid]`, shape `[C, H, W]`).
//! - Filter banks are `weights[out][in]` for convolution (PyTorch's `[out, in, kh, kw]`) and
//!   `weights[in][out]` for transposed convolution (PyTorch's `[in, out, kh, kw]`).
//! - Errors are values ([`KernelError`]), never panics: every shape comes from a user.

pub mod architecture;
pub mod arithmetic;
pub mod conv1d;
pub mod conv2d;
pub mod crop;
pub mod error;
pub mod filters;
pub mod grid;
pub mod image;
pub mod neuron;
pub mod pool;
pub mod rng;
pub mod samples;
pub mod signals;
pub mod sobel;
pub mod transposed;

pub use arithmetic::{Conv2dParams, ConvTranspose2dParams};
pub use error::KernelError;
pub use grid::Grid;

/// The lecture's 4×4 example input (pooling and the Conv2DTranspose aside).
pub fn lecture_input() -> Grid {
    Grid::from_fn(4, 4, |r, c| {
        [
            [0., 1., 2., 3.],
            [5., 6., 7., 8.],
            [3., 2., 1., 0.],
            [1., 2., 3., 4.],
        ][r][c]
    })
}

/// The lecture's 2×2 kernel `[[3, 5], [2, 2]]` from the Conv2DTranspose aside.
pub fn lecture_kernel() -> Grid {
    Grid::from_fn(2, 2, |r, c| [[3., 5.], [2., 2.]][r][c])
}
