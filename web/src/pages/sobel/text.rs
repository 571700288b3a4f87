//! The page's words, numbers and formulas: how a filtered picture is toned and captioned, the
//! Θ legend's colour wheel, numbers with a real minus sign, and the MathML of the formulas.

use convlab_kernels::Grid;
use convlab_kernels::crop::Operation;
use convlab_kernels::image::{Tone, angle_to_rgba};

use crate::components::canvas::Rgba;
use crate::components::math::matrix;
use crate::url_state::format_number;

/// How a filtered picture is shown: kernels that sum to zero give signed responses (grey = 0);
/// the others give brightness, shown as is when it stays near `[0, 1]`, else stretched.
pub(super) fn tone_for(kernel: &Grid, output: &Grid) -> Tone {
    if kernel.sum().abs() < 1e-6 {
        return Tone::Signed;
    }
    let (lo, hi) = output.min_max();
    if lo >= -0.25 && hi <= 1.25 {
        Tone::Unit
    } else {
        Tone::MinMax
    }
}

pub(super) fn tone_caption(tone: Tone) -> &'static str {
    match tone {
        Tone::Signed => "mid-grey = 0, lighter = positive, darker = negative",
        Tone::Unit => "black = 0, white = 1 (clipped)",
        Tone::MinMax => "stretched: darkest value black, brightest white",
    }
}

/// The colour wheel of the Θ legend: hue = direction, transparent outside the disc.
pub(super) fn colour_wheel(side: usize) -> Rgba {
    let half = side as f32 / 2.0;
    let at = |r: usize, c: usize| (r as f32 + 0.5 - half, c as f32 + 0.5 - half);
    let angle = Grid::from_fn(side, side, |r, c| {
        let (y, x) = at(r, c);
        y.atan2(x)
    });
    let radius = Grid::from_fn(side, side, |r, c| {
        let (y, x) = at(r, c);
        let d = x.hypot(y) / half;
        if d <= 1.0 { d } else { 0.0 }
    });
    let mut pixels = angle_to_rgba(&angle, &radius);
    for (px, &d) in pixels.chunks_exact_mut(4).zip(radius.data()) {
        if d == 0.0 {
            px[3] = 0;
        }
    }
    Rgba {
        width: side,
        height: side,
        pixels,
    }
}

/// A number as the page prints it, with a real minus sign.
pub(super) fn show(v: f32) -> String {
    let s = format_number(v);
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c != '0' && c != '.') => format!("−{rest}"),
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// MathML for `name = [matrix]`.
pub(super) fn named_matrix(name: &str, grid: &Grid) -> String {
    format!("{name}<mo>=</mo>{}", matrix(grid))
}

pub(super) fn sub(base: &str, index: &str) -> String {
    format!("<msub><mi>{base}</mi><mi>{index}</mi></msub>")
}

/// The sum behind one output pixel, as MathML, for the chosen operation.
pub(super) fn operation_formula(operation: Operation) -> String {
    let sums = "<munderover><mo>∑</mo><mrow><mi>m</mi><mo>=</mo><mn>0</mn></mrow><mn>2</mn></munderover>\
                <munderover><mo>∑</mo><mrow><mi>n</mi><mo>=</mo><mn>0</mn></mrow><mn>2</mn></munderover>";
    let (op, sign_in, sign_out) = match operation {
        Operation::Convolution => (
            "∗",
            "<mo>+</mo><mn>1</mn><mo>−</mo>",
            "<mo>+</mo><mn>1</mn><mo>−</mo>",
        ),
        Operation::CrossCorrelation => (
            "⋆",
            "<mo>−</mo><mn>1</mn><mo>+</mo>",
            "<mo>−</mo><mn>1</mn><mo>+</mo>",
        ),
    };
    format!(
        "<mo>(</mo><mi>K</mi><mo>{op}</mo><mi>I</mi><mo>)</mo><mo>[</mo><mi>i</mi><mo>,</mo><mi>j</mi><mo>]</mo><mo>=</mo>{sums}\
         <mi>I</mi><mo>[</mo><mi>i</mi>{sign_in}<mi>m</mi><mo>,</mo><mi>j</mi>{sign_out}<mi>n</mi><mo>]</mo>\
         <mo>·</mo><mi>K</mi><mo>[</mo><mi>m</mi><mo>,</mo><mi>n</mi><mo>]</mo>"
    )
}
