//! Inference on the CPU without Burn: the browser's CPU backend decodes with these.
//!
//! - [`CpuDecoder`] (`decoder`): a decoder's weights read once from the Burn module, run code by
//!   code through channels-last layers.
//! - [`transposed`]: a transposed convolution that skips zero inputs, one sample or two at once.
//! - `simd`: the SIMD128 vectors (and relaxed fused multiply-adds) both are written with.

mod decoder;
mod simd;
pub mod transposed;

pub use decoder::CpuDecoder;
