//! Between pixels and grids: greyscale from RGBA, resizing, and grids back to RGBA for display
//! (grey ramps and the colour wheel for Θ). Plain arrays in, plain arrays out: the DOM side
//! only copies bytes.

use crate::{Grid, KernelError};

/// Greyscale in `[0, 1]` from 8-bit RGBA (Rec. 601 luma; alpha blends over white, so a
/// transparent drawing background reads as paper).
pub fn luma_from_rgba(rgba: &[u8], width: usize, height: usize) -> Result<Grid, KernelError> {
    if rgba.len() != width * height * 4 {
        return Err(KernelError::DataLength {
            rows: height,
            cols: width * 4,
            len: rgba.len(),
        });
    }
    let data = rgba
        .chunks_exact(4)
        .map(|p| {
            let a = p[3] as f32 / 255.0;
            let y = (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0;
            y * a + (1.0 - a)
        })
        .collect();
    Grid::from_vec(height, width, data)
}

/// Resizes by area averaging when shrinking and bilinear interpolation when growing.
pub fn resize(input: &Grid, rows: usize, cols: usize) -> Result<Grid, KernelError> {
    if input.is_empty() {
        return Err(KernelError::Empty { what: "image" });
    }
    if rows == 0 || cols == 0 {
        return Err(KernelError::Zero {
            what: "target size",
        });
    }
    let tmp = resize_axis(input, cols, false);
    Ok(resize_axis(&tmp, rows, true))
}

/// Resamples one axis (columns, or rows when `vertical`).
fn resize_axis(input: &Grid, new_len: usize, vertical: bool) -> Grid {
    let (rows, cols) = input.shape();
    let old_len = if vertical { rows } else { cols };
    let at = |line: usize, i: usize| {
        if vertical {
            input[(i, line)]
        } else {
            input[(line, i)]
        }
    };
    let lines = if vertical { cols } else { rows };
    let mut out = if vertical {
        Grid::zeros(new_len, cols)
    } else {
        Grid::zeros(rows, new_len)
    };
    let scale = old_len as f32 / new_len as f32;
    for line in 0..lines {
        for j in 0..new_len {
            let v = if scale > 1.0 {
                // Area average of the source interval [j·scale, (j+1)·scale).
                let (a, b) = (j as f32 * scale, (j + 1) as f32 * scale);
                let mut sum = 0.0;
                let mut i = a.floor() as usize;
                while (i as f32) < b && i < old_len {
                    let overlap = (b.min(i as f32 + 1.0) - a.max(i as f32)).max(0.0);
                    sum += overlap * at(line, i);
                    i += 1;
                }
                sum / (b - a)
            } else {
                let x = ((j as f32 + 0.5) * scale - 0.5).clamp(0.0, (old_len - 1) as f32);
                let i0 = x.floor() as usize;
                let i1 = (i0 + 1).min(old_len - 1);
                let t = x - i0 as f32;
                at(line, i0) * (1.0 - t) + at(line, i1) * t
            };
            if vertical {
                out[(j, line)] = v;
            } else {
                out[(line, j)] = v;
            }
        }
    }
    out
}

/// The size that fits `(rows, cols)` within `max_side` keeping the aspect ratio, and whether
/// that is a reduction.
pub fn fit_within(rows: usize, cols: usize, max_side: usize) -> ((usize, usize), bool) {
    let longest = rows.max(cols);
    if longest <= max_side || longest == 0 {
        return ((rows, cols), false);
    }
    let s = max_side as f64 / longest as f64;
    let f = |v: usize| ((v as f64 * s).round() as usize).max(1);
    ((f(rows), f(cols)), true)
}

/// How grid values map to grey levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// `[0, 1]` to black…white, clamped (input images).
    Unit,
    /// The grid's own minimum to black and maximum to white (magnitudes, blurs).
    MinMax,
    /// Zero to mid-grey, negatives darker, positives lighter, scaled by the largest |value|
    /// (signed responses such as Gx and Gy).
    Signed,
}

/// RGBA bytes for a grid, for an `ImageData`.
pub fn grid_to_rgba(grid: &Grid, tone: Tone) -> Vec<u8> {
    let (lo, hi) = grid.min_max();
    let max_abs = lo.abs().max(hi.abs()).max(f32::MIN_POSITIVE);
    let range = (hi - lo).max(f32::MIN_POSITIVE);
    let mut out = Vec::with_capacity(grid.data().len() * 4);
    for &v in grid.data() {
        let t = match tone {
            Tone::Unit => v,
            Tone::MinMax => (v - lo) / range,
            Tone::Signed => 0.5 + 0.5 * v / max_abs,
        };
        let g = if t.is_finite() {
            (t.clamp(0.0, 1.0) * 255.0).round() as u8
        } else {
            0
        };
        out.extend_from_slice(&[g, g, g, 255]);
    }
    out
}

/// RGBA bytes for signed values on a diverging scale: zero white, `+scale` red, `−scale`
/// blue, clamped beyond; a value that is not finite is black. Feature maps drawn with one
/// `scale` can be compared with each other.
pub fn diverging_to_rgba(grid: &Grid, scale: f32) -> Vec<u8> {
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        f32::MIN_POSITIVE
    };
    let mut out = Vec::with_capacity(grid.data().len() * 4);
    for &v in grid.data() {
        let rgb = if !v.is_finite() {
            [0, 0, 0]
        } else {
            let t = (v / scale).clamp(-1.0, 1.0);
            let fade = ((1.0 - t.abs()) * 255.0).round() as u8;
            if t >= 0.0 {
                [255, fade, fade]
            } else {
                [fade, fade, 255]
            }
        };
        out.extend_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
    }
    out
}

/// Θ as a colour wheel: hue from the angle, brightness from the edge strength (so flat areas,
/// whose angle means nothing, stay dark).
pub fn angle_to_rgba(angle: &Grid, magnitude: &Grid) -> Vec<u8> {
    let (_, max) = magnitude.min_max();
    let max = max.max(f32::MIN_POSITIVE);
    let mut out = Vec::with_capacity(angle.data().len() * 4);
    for (&a, &m) in angle.data().iter().zip(magnitude.data()) {
        let hue = (a.to_degrees() + 360.0) % 360.0;
        let value = (m / max).clamp(0.0, 1.0).sqrt();
        let [r, g, b] = hsv_to_rgb(hue, 1.0, value);
        out.extend_from_slice(&[r, g, b, 255]);
    }
    out
}

/// HSV (hue in degrees, saturation and value in `[0, 1]`) to 8-bit RGB.
pub fn hsv_to_rgb(hue: f32, saturation: f32, value: f32) -> [u8; 3] {
    let h = (hue.rem_euclid(360.0)) / 60.0;
    let c = value * saturation;
    let x = c * (1.0 - ((h % 2.0) - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = value - c;
    let to8 = |v: f32| ((v + m).clamp(0.0, 1.0) * 255.0).round() as u8;
    [to8(r), to8(g), to8(b)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_colours_are_white_at_zero_red_up_and_blue_down() {
        let grid = Grid::from_rows(&[[0.0, 2.0, -2.0, 1.0, -8.0, f32::NAN]]).unwrap();
        let px = diverging_to_rgba(&grid, 2.0);
        let colour = |i: usize| [px[4 * i], px[4 * i + 1], px[4 * i + 2]];
        assert_eq!(colour(0), [255, 255, 255]);
        assert_eq!(colour(1), [255, 0, 0]);
        assert_eq!(colour(2), [0, 0, 255]);
        assert_eq!(colour(3), [255, 128, 128]);
        assert_eq!(colour(4), [0, 0, 255]);
        assert_eq!(colour(5), [0, 0, 0]);
        assert!(px.chunks(4).all(|p| p[3] == 255));
        // A scale of zero does not divide by zero.
        assert_eq!(diverging_to_rgba(&grid, 0.0).len(), 24);
    }

    #[test]
    fn luma_of_white_and_black() {
        let g = luma_from_rgba(&[255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0], 3, 1).unwrap();
        assert_eq!(g.data(), &[1.0, 0.0, 1.0]);
        assert!(luma_from_rgba(&[0; 7], 1, 2).is_err());
    }

    #[test]
    fn shrinking_averages_areas() {
        let g = Grid::from_rows(&[[0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0]]).unwrap();
        let small = resize(&g, 1, 2).unwrap();
        assert_eq!(small.to_rows(), vec![vec![0.5, 0.5]]);
        let big = resize(&g, 4, 8).unwrap();
        assert_eq!(big.shape(), (4, 8));
    }

    #[test]
    fn fitting_keeps_the_aspect_ratio() {
        assert_eq!(fit_within(1080, 1920, 480), ((270, 480), true));
        assert_eq!(fit_within(100, 50, 480), ((100, 50), false));
    }

    #[test]
    fn signed_tone_puts_zero_at_mid_grey() {
        let g = Grid::from_rows(&[[-2.0, 0.0, 2.0]]).unwrap();
        let px = grid_to_rgba(&g, Tone::Signed);
        assert_eq!([px[0], px[4], px[8]], [0, 128, 255]);
    }

    #[test]
    fn hue_wheel_primaries() {
        assert_eq!(hsv_to_rgb(0.0, 1.0, 1.0), [255, 0, 0]);
        assert_eq!(hsv_to_rgb(120.0, 1.0, 1.0), [0, 255, 0]);
        assert_eq!(hsv_to_rgb(240.0, 1.0, 1.0), [0, 0, 255]);
    }
}
