//! Max and mean pooling ("MaxPolling" and "MeanPolling" on the slides): a window of
//! `kernel` cells moved `stride` cells at a time, keeping the largest value or the average.
//! No padding; the output size is `⌊(i − k) / s⌋ + 1` along each axis.

use crate::arithmetic::conv_output_size;
use crate::{Grid, KernelError};

/// Which summary of the window to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Mean,
}

/// Pools `input` with a `kernel = [rows, cols]` window moved by `stride = [rows, cols]`.
pub fn pool2d(
    input: &Grid,
    kind: PoolKind,
    kernel: [usize; 2],
    stride: [usize; 2],
) -> Result<Grid, KernelError> {
    Ok(pool2d_with_sources(input, kind, kernel, stride)?.0)
}

/// Max pooling; the lecture's example gives `[[6, 8], [3, 4]]`.
pub fn max_pool2d(
    input: &Grid,
    kernel: [usize; 2],
    stride: [usize; 2],
) -> Result<Grid, KernelError> {
    pool2d(input, PoolKind::Max, kernel, stride)
}

/// Mean (average) pooling; the lecture's example gives `[[3, 5], [2, 2]]`.
pub fn mean_pool2d(
    input: &Grid,
    kernel: [usize; 2],
    stride: [usize; 2],
) -> Result<Grid, KernelError> {
    pool2d(input, PoolKind::Mean, kernel, stride)
}

/// Pools and also returns, for every output cell, the input cell that max pooling picked
/// (the first largest, scanning row by row; for mean pooling the window's top-left cell).
pub fn pool2d_with_sources(
    input: &Grid,
    kind: PoolKind,
    kernel: [usize; 2],
    stride: [usize; 2],
) -> Result<(Grid, Vec<(usize, usize)>), KernelError> {
    if input.is_empty() {
        return Err(KernelError::Empty { what: "input" });
    }
    if kernel[0] == 0 || kernel[1] == 0 {
        return Err(KernelError::Zero {
            what: "pooling window",
        });
    }
    let rows = conv_output_size("rows", input.rows(), kernel[0], stride[0], 0, 1)?;
    let cols = conv_output_size("columns", input.cols(), kernel[1], stride[1], 0, 1)?;
    let mut out = Grid::zeros(rows, cols);
    let mut sources = Vec::with_capacity(rows * cols);
    let count = (kernel[0] * kernel[1]) as f32;
    for i in 0..rows {
        for j in 0..cols {
            let (r0, c0) = (i * stride[0], j * stride[1]);
            let mut best = (f32::NEG_INFINITY, (r0, c0));
            let mut sum = 0.0;
            for r in r0..r0 + kernel[0] {
                for c in c0..c0 + kernel[1] {
                    let v = input[(r, c)];
                    sum += v;
                    // `>` keeps the first maximum; NaN never wins, so one NaN does not poison the window.
                    if v > best.0 {
                        best = (v, (r, c));
                    }
                }
            }
            out[(i, j)] = match kind {
                PoolKind::Max => best.0,
                PoolKind::Mean => sum / count,
            };
            sources.push(if kind == PoolKind::Max {
                best.1
            } else {
                (r0, c0)
            });
        }
    }
    Ok((out, sources))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture_input;

    #[test]
    fn lecture_max_pooling() {
        let out = max_pool2d(&lecture_input(), [2, 2], [2, 2]).unwrap();
        assert_eq!(out.to_rows(), vec![vec![6.0, 8.0], vec![3.0, 4.0]]);
    }

    #[test]
    fn lecture_mean_pooling() {
        let out = mean_pool2d(&lecture_input(), [2, 2], [2, 2]).unwrap();
        assert_eq!(out.to_rows(), vec![vec![3.0, 5.0], vec![2.0, 2.0]]);
    }

    #[test]
    fn max_sources_point_at_the_winners() {
        let (_, src) =
            pool2d_with_sources(&lecture_input(), PoolKind::Max, [2, 2], [2, 2]).unwrap();
        assert_eq!(src, vec![(1, 1), (1, 3), (2, 0), (3, 3)]);
    }

    #[test]
    fn overlapping_windows() {
        let out = max_pool2d(&lecture_input(), [2, 2], [1, 1]).unwrap();
        assert_eq!(
            out.to_rows(),
            vec![
                vec![6.0, 7.0, 8.0],
                vec![6.0, 7.0, 8.0],
                vec![3.0, 3.0, 4.0]
            ]
        );
    }

    #[test]
    fn window_larger_than_input_is_an_error() {
        assert!(max_pool2d(&lecture_input(), [5, 5], [1, 1]).is_err());
        assert!(max_pool2d(&lecture_input(), [2, 2], [0, 2]).is_err());
        assert!(max_pool2d(&Grid::zeros(0, 0), [2, 2], [2, 2]).is_err());
    }
}
