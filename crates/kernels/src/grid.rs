//! [`Grid`]: a row-major matrix of `f32`, the one data type of the crate.

use crate::KernelError;
use std::ops::{Index, IndexMut};

/// A `rows × cols` matrix of `f32` stored row by row. Row 0 is the top of an image.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Grid {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl Grid {
    /// A grid of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// A grid whose value at `(row, col)` is `f(row, col)`.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> f32) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                data.push(f(r, c));
            }
        }
        Self { rows, cols, data }
    }

    /// Wraps row-major `data`; fails unless `data.len() == rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self, KernelError> {
        if data.len() != rows * cols {
            return Err(KernelError::DataLength {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(Self { rows, cols, data })
    }

    /// Builds a grid from rows, as written on a slide; fails on ragged rows.
    pub fn from_rows<R: AsRef<[f32]>>(rows: &[R]) -> Result<Self, KernelError> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != cols {
                return Err(KernelError::RaggedRows {
                    row: i,
                    expected: cols,
                    found: row.len(),
                });
            }
            data.extend_from_slice(row);
        }
        Ok(Self {
            rows: rows.len(),
            cols,
            data,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// True when the grid has no cells.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The values, row by row.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// The value at `(row, col)`, or `None` outside the grid.
    pub fn get(&self, row: usize, col: usize) -> Option<f32> {
        (row < self.rows && col < self.cols).then(|| self.data[row * self.cols + col])
    }

    /// One row as a slice. Panics when `row >= rows`, like slice indexing.
    pub fn row(&self, row: usize) -> &[f32] {
        &self.data[row * self.cols..(row + 1) * self.cols]
    }

    /// The rows as nested vectors, as a slide writes them.
    pub fn to_rows(&self) -> Vec<Vec<f32>> {
        (0..self.rows).map(|r| self.row(r).to_vec()).collect()
    }

    /// The grid rotated by 180°: what turns cross-correlation into true convolution.
    pub fn flipped(&self) -> Self {
        let mut data = self.data.clone();
        data.reverse();
        Self {
            rows: self.rows,
            cols: self.cols,
            data,
        }
    }

    /// The grid surrounded by `pad_rows` zero rows above and below and `pad_cols` zero columns
    /// left and right.
    pub fn zero_padded(&self, pad_rows: usize, pad_cols: usize) -> Self {
        let mut out = Self::zeros(self.rows + 2 * pad_rows, self.cols + 2 * pad_cols);
        for r in 0..self.rows {
            let start = (r + pad_rows) * out.cols + pad_cols;
            out.data[start..start + self.cols].copy_from_slice(self.row(r));
        }
        out
    }

    /// A new grid with `f` applied to every value.
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Self {
        Self {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(|&v| f(v)).collect(),
        }
    }

    /// The sum of all values.
    pub fn sum(&self) -> f32 {
        self.data.iter().sum()
    }

    /// The smallest and largest finite values, or `(0, 0)` for an empty grid.
    pub fn min_max(&self) -> (f32, f32) {
        let mut it = self.data.iter().copied().filter(|v| v.is_finite());
        let Some(first) = it.next() else {
            return (0.0, 0.0);
        };
        it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }

    /// The sum of element-wise products ⟨self, other⟩ (the Frobenius inner product).
    pub fn dot(&self, other: &Self) -> Result<f32, KernelError> {
        if self.shape() != other.shape() {
            return Err(KernelError::ShapeMismatch {
                what: "inner product",
                expected: self.shape(),
                found: other.shape(),
            });
        }
        Ok(self.data.iter().zip(&other.data).map(|(a, b)| a * b).sum())
    }

    /// The largest absolute difference to `other`, or infinity when the shapes differ.
    pub fn max_abs_diff(&self, other: &Self) -> f32 {
        if self.shape() != other.shape() {
            return f32::INFINITY;
        }
        self.data
            .iter()
            .zip(&other.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    }
}

impl Index<(usize, usize)> for Grid {
    type Output = f32;
    fn index(&self, (row, col): (usize, usize)) -> &f32 {
        assert!(
            row < self.rows && col < self.cols,
            "({row}, {col}) is outside the grid"
        );
        &self.data[row * self.cols + col]
    }
}

impl IndexMut<(usize, usize)> for Grid {
    fn index_mut(&mut self, (row, col): (usize, usize)) -> &mut f32 {
        assert!(
            row < self.rows && col < self.cols,
            "({row}, {col}) is outside the grid"
        );
        &mut self.data[row * self.cols + col]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_rows_are_an_error() {
        let err = Grid::from_rows(&[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
        assert_eq!(
            err,
            KernelError::RaggedRows {
                row: 1,
                expected: 2,
                found: 1
            }
        );
    }

    #[test]
    fn flipped_rotates_by_half_a_turn() {
        let g = Grid::from_rows(&[[1.0, 2.0], [3.0, 4.0]]).unwrap();
        assert_eq!(g.flipped().to_rows(), vec![vec![4.0, 3.0], vec![2.0, 1.0]]);
    }

    #[test]
    fn zero_padding_surrounds_the_grid() {
        let g = Grid::from_rows(&[[1.0]]).unwrap().zero_padded(1, 2);
        assert_eq!(g.shape(), (3, 5));
        assert_eq!(g.sum(), 1.0);
        assert_eq!(g[(1, 2)], 1.0);
    }
}
