//! [`FasterConv`]: the weight gradients, a transposed convolution's input gradient and the
//! transposed convolution itself as one im2col and matrix products on `flex`.

use burn::backend::flex::FlexTensor;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, TensorMetadata};
use burn::tensor::{Shape, Slice, TensorData};
use rayon::prelude::*;

/// Backends with faster convolution gradients (and transposed convolutions) than Burn's.
pub trait FasterConv: Backend {
    /// The correlation both weight gradients are:
    /// `out[c_b, c_a, kh, kw] = Σ_{n,i,j} b[n, c_b, i, j] · a_pad[n, c_a, s·i + kh, s·j + kw]`,
    /// where `a_pad` is `a` with `padding` zeros before each spatial axis (reads past the end
    /// are zeros too). `a` is `[n, c_a, h_a, w_a]`, `b` is `[n, c_b, h_b, w_b]`, the result
    /// `[c_b, c_a, k_h, k_w]`; `None` where the backend has nothing faster (Burn's runs).
    ///
    /// - Convolution `y = conv2d(x, w)`: `∂L/∂w = weight_gradient(x, ∂L/∂y)`.
    /// - Transposed convolution `y = conv_transpose2d(x, w)`: `∂L/∂w = weight_gradient(∂L/∂y, x)`.
    fn weight_gradient(
        a: &FloatTensor<Self>,
        b: &FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Option<FloatTensor<Self>>;

    /// `(∂L/∂x, ∂L/∂w)` of `y = conv_transpose2d(x, w)` (groups 1, dilation 1) from
    /// `grad` = `∂L/∂y`, each only where asked for. Both read `grad` through the same
    /// kernel positions, `∂L/∂x[n, c, i, j] = Σ_{o,kh,kw} w[c, o, kh, kw] ·
    /// grad_pad[n, o, s·i + kh, s·j + kw]`, so a backend can gather those once for both.
    /// `None` where the backend has nothing faster (Burn's run).
    fn conv_transpose2d_gradients(
        x: &FloatTensor<Self>,
        weight: &FloatTensor<Self>,
        grad: &FloatTensor<Self>,
        stride: [usize; 2],
        padding: [usize; 2],
        wanted: [bool; 2],
    ) -> Option<[Option<FloatTensor<Self>>; 2]>;

    /// `conv_transpose2d(x, weight)` without bias (groups 1, dilation 1) onto an `out` map
    /// (`out_h × out_w`; the output padding is what `out` leaves past the last kernel tap).
    /// It is also a convolution's input gradient: `∂L/∂x = transposed_conv(∂L/∂y, w, …,
    /// x's map)`. `None` where the backend has nothing faster (Burn's runs).
    fn transposed_conv(
        x: &FloatTensor<Self>,
        weight: &FloatTensor<Self>,
        stride: [usize; 2],
        padding: [usize; 2],
        out: [usize; 2],
    ) -> Option<FloatTensor<Self>>;
}

/// `a` seen through every kernel position: a `[c_a·k_h·k_w, n·h_b·w_b]` matrix whose row
/// `(c, kh, kw)` holds, for each output position `(sample, i, j)` of a `h_b × w_b` map,
/// `a[sample, c, s·i + kh − p, s·j + kw − p]` (zero outside `a`). This is im2col, written
/// straight into memory, its rows split between the cores.
struct Columns {
    matrix: FlexTensor,
    /// `n·h_b·w_b`: the batch and the positions, the products' long inner dimension.
    positions: usize,
}

impl Columns {
    fn of(
        a: &FlexTensor,
        map: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Option<Self> {
        let a = a.to_contiguous();
        let a_data = a.as_slice::<f32>()?;
        let [n, c_a, h_a, w_a] = a.shape().dims();
        let [h_b, w_b] = map;
        let [k_h, k_w] = kernel;
        let (map_a, map_b) = (h_a * w_a, h_b * w_b);
        let positions = n * map_b;
        let rows = c_a * k_h * k_w;
        if positions == 0 || rows == 0 {
            return None; // Nothing to gain on empty shapes; Burn's handles them.
        }
        let mut columns = vec![0f32; rows * positions];
        let fill_row = |row: usize, out: &mut [f32]| {
            let (c, kh, kw) = (row / (k_h * k_w), row / k_w % k_h, row % k_w);
            // The output columns j whose input column s·j + kw − p lies inside `a`.
            let first_j = padding[1].saturating_sub(kw).div_ceil(stride[1]);
            let end_j = match (w_a + padding[1]).checked_sub(kw + 1) {
                Some(last) => (last / stride[1] + 1).min(w_b),
                None => 0,
            };
            if first_j >= end_j {
                return;
            }
            let first_col = stride[1] * first_j + kw - padding[1];
            for (sample, out) in out.chunks_exact_mut(map_b).enumerate() {
                let map = &a_data[(sample * c_a + c) * map_a..][..map_a];
                for (i, out) in out.chunks_exact_mut(w_b).enumerate() {
                    let Some(r) = (stride[0] * i + kh).checked_sub(padding[0]) else {
                        continue;
                    };
                    if r >= h_a {
                        break;
                    }
                    let line = map[r * w_a + first_col..(r + 1) * w_a].iter();
                    for (value, x) in out[first_j..end_j].iter_mut().zip(line.step_by(stride[1])) {
                        *value = *x;
                    }
                }
            }
        };
        // The rows split between the cores (the products after it are threaded too).
        columns
            .par_chunks_mut(positions)
            .enumerate()
            .for_each(|(row, out)| fill_row(row, out));
        let matrix = FlexTensor::from_data(TensorData::new(columns, [rows, positions]));
        Some(Self { matrix, positions })
    }

    /// `Σ_positions b[c_b, position] · columns[row, position]`, as `[c_b, c_a, k_h, k_w]`:
    /// [`FasterConv::weight_gradient`] with `b` copied to `[c_b, n·h_b·w_b]`.
    fn weight_gradient(&self, b: &FlexTensor, kernel: [usize; 2]) -> Option<FlexTensor> {
        let b = b.to_contiguous();
        let b_data = b.as_slice::<f32>()?;
        let [_, c_b, h_b, w_b] = b.shape().dims();
        let map_b = h_b * w_b;
        let [rows, _] = self.matrix.shape().dims();
        if c_b == 0 || map_b == 0 {
            return None;
        }
        // b as [c_b, n·h_b·w_b]: each sample's maps copied whole.
        let mut b_matrix = vec![0f32; c_b * self.positions];
        for (sample, maps) in b_data.chunks_exact(c_b * map_b).enumerate() {
            for (channel, map) in maps.chunks_exact(map_b).enumerate() {
                b_matrix[channel * self.positions + sample * map_b..][..map_b].copy_from_slice(map);
            }
        }
        let b_matrix = FlexTensor::from_data(TensorData::new(b_matrix, [c_b, self.positions]));
        // [c_b, positions] × [positions, rows], the second a transposed view (no copy).
        let out = Flex::float_matmul(b_matrix, Flex::float_swap_dims(self.matrix.clone(), 0, 1));
        let [k_h, k_w] = kernel;
        Some(Flex::float_reshape(
            out,
            Shape::new([c_b, rows / (k_h * k_w), k_h, k_w]),
        ))
    }

    /// `Σ_rows w[c, row] · columns[row, position]`, as `[n, c, h_b, w_b]`: the input gradient
    /// of a transposed convolution whose weight is `w` (`[c, c_a, k_h, k_w]`, rows matching);
    /// `None` where the product is not `f32` (Burn's gradient runs instead).
    fn transposed_input_gradient(
        &self,
        weight: &FlexTensor,
        map: [usize; 2],
    ) -> Option<FlexTensor> {
        let [channels, _, _, _] = weight.shape().dims();
        let [rows, _] = self.matrix.shape().dims();
        let weight = Flex::float_reshape(weight.to_contiguous(), Shape::new([channels, rows]));
        // [c, rows] × [rows, positions] = [c, n·h_b·w_b], then back to one block per sample.
        let product = Flex::float_matmul(weight, self.matrix.clone()).to_contiguous();
        let map_b = map[0] * map[1];
        let n = self.positions / map_b;
        let values = product.as_slice::<f32>()?;
        let mut out = vec![0f32; values.len()];
        for (channel, row) in values.chunks_exact(self.positions).enumerate() {
            for (sample, map_values) in row.chunks_exact(map_b).enumerate() {
                out[(sample * channels + channel) * map_b..][..map_b].copy_from_slice(map_values);
            }
        }
        Some(FlexTensor::from_data(TensorData::new(
            out,
            [n, channels, map[0], map[1]],
        )))
    }
}

/// One im2col of `a` and one matrix product with `b`: the batch and the positions are the
/// product's long inner dimension. Burn's generic gradient is a convolution with the batch as
/// channels and a whole feature map as its kernel, which `flex` runs as many products only
/// `k_h·k_w` columns wide. A transposed convolution's input gradient is one more product
/// with the same columns, instead of Burn's convolution, which gathers them again.
impl FasterConv for Flex {
    fn weight_gradient(
        a: &FlexTensor,
        b: &FlexTensor,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Option<FlexTensor> {
        let [_, _, h_b, w_b] = b.shape().dims();
        Columns::of(a, [h_b, w_b], kernel, stride, padding)?.weight_gradient(b, kernel)
    }

    fn conv_transpose2d_gradients(
        x: &FlexTensor,
        weight: &FlexTensor,
        grad: &FlexTensor,
        stride: [usize; 2],
        padding: [usize; 2],
        wanted: [bool; 2],
    ) -> Option<[Option<FlexTensor>; 2]> {
        let [_, _, h_x, w_x] = x.shape().dims();
        let [_, _, k_h, k_w] = weight.shape().dims();
        let columns = Columns::of(grad, [h_x, w_x], [k_h, k_w], stride, padding)?;
        let dw = match wanted[1] {
            true => Some(columns.weight_gradient(x, [k_h, k_w])?),
            false => None,
        };
        let dx = match wanted[0] {
            true => Some(columns.transposed_input_gradient(weight, [h_x, w_x])?),
            false => None,
        };
        Some([dx, dw])
    }

    /// For each sample `n` (the samples split between the cores), one product `x_nᵀ · w`
    /// (`[h·w, c_in] × [c_in, k_h·k_w·c_out]`), whose rows hold every kernel tap's channel
    /// vector for one input position, then a col2im that adds those vectors whole into a
    /// channels-last map and copies it to NCHW. Burn's products are the same, but its
    /// col2im adds one float at a time along rows only 7–28 long.
    fn transposed_conv(
        x: &FlexTensor,
        weight: &FlexTensor,
        stride: [usize; 2],
        padding: [usize; 2],
        out: [usize; 2],
    ) -> Option<FlexTensor> {
        let [n, c_in, h, w] = x.shape().dims();
        let [weight_in, c_out, k_h, k_w] = weight.shape().dims();
        let [out_h, out_w] = out;
        if c_in != weight_in || [n, c_in, h, w, c_out, k_h, k_w, out_h, out_w].contains(&0) {
            return None; // Nothing to gain on empty shapes; Burn's handles them.
        }
        let taps = k_h * k_w * c_out;
        // [n, c_in, h·w], read a sample at a time through views (no copy).
        let x = Flex::float_reshape(x.to_contiguous(), Shape::new([n, c_in, h * w]));
        x.as_slice::<f32>()?;
        // [c_in, c_out, k_h, k_w] → [c_in, k_h·k_w·c_out], the output channel fastest.
        let weight = Flex::float_permute(weight.to_contiguous(), &[0, 2, 3, 1]);
        let weight = Flex::float_reshape(weight, Shape::new([c_in, taps])).to_contiguous();
        weight.as_slice::<f32>()?; // The same dtype as x, or the product would panic.
        let map_out = out_h * out_w;
        let sample = |index: usize, out: &mut [f32], last: &mut Vec<f32>| {
            // [h·w, c_in] (a transposed view) × [c_in, taps]: small enough for the cache.
            let x = Flex::float_slice(x.clone(), &[Slice::index(index as isize)]);
            let x = Flex::float_reshape(x, Shape::new([c_in, h * w]));
            let columns = Flex::float_matmul(Flex::float_swap_dims(x, 0, 1), weight.clone());
            let Some(columns) = columns.as_slice::<f32>() else {
                return; // Unreachable: both factors are f32.
            };
            last.clear();
            last.resize(map_out * c_out, 0.0);
            for (ih, kh) in (0..h).flat_map(|ih| (0..k_h).map(move |kh| (ih, kh))) {
                let oh = match (stride[0] * ih + kh).checked_sub(padding[0]) {
                    Some(oh) if oh < out_h => oh,
                    _ => continue,
                };
                for iw in 0..w {
                    let row = &columns[(ih * w + iw) * taps + kh * k_w * c_out..];
                    for (kw, tap) in row[..k_w * c_out].chunks_exact(c_out).enumerate() {
                        let ow = match (stride[1] * iw + kw).checked_sub(padding[1]) {
                            Some(ow) if ow < out_w => ow,
                            _ => continue,
                        };
                        let sum = &mut last[(oh * out_w + ow) * c_out..][..c_out];
                        for (sum, value) in sum.iter_mut().zip(tap) {
                            *sum += value;
                        }
                    }
                }
            }
            for (position, channels) in last.chunks_exact(c_out).enumerate() {
                for (channel, value) in channels.iter().enumerate() {
                    out[channel * map_out + position] = *value;
                }
            }
        };
        let mut output = vec![0f32; n * c_out * map_out];
        output
            .par_chunks_mut(c_out * map_out)
            .enumerate()
            .for_each_init(Vec::new, |last, (index, out)| sample(index, out, last));
        Some(FlexTensor::from_data(TensorData::new(
            output,
            [n, c_out, out_h, out_w],
        )))
    }
}
