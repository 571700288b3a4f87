//! `/arithmetic`: convolution arithmetic — what kernel size, stride, padding, dilation and the
//! number of channels do to the output size, the parameter count and the work — as an animated
//! picture (with "Input" and "Output" clearly named, which the static conv_arithmetic figures
//! leave to the reader), the formulas with the current numbers, and the lecture's worked
//! examples as presets. The transposed toggle turns the picture around: each *input* cell
//! stamps the kernel onto the *output*.
//!
//! Every setting lives in the URL; the animation step is not a setting and stays local.

use std::time::Duration;

use convlab_kernels::arithmetic::conv_param_count;
use convlab_kernels::conv2d::{cross_correlate2d, multiply_adds};
use convlab_kernels::transposed::{conv_transpose2d, stamp_targets};
use convlab_kernels::{
    Conv2dParams, ConvTranspose2dParams, Grid, KernelError, lecture_input, lecture_kernel,
};
use leptos::prelude::*;

use crate::components::controls::{NumberField, SelectField, Toggle};
use crate::components::math::Math;
use crate::components::matrix::MatrixGrid;
use crate::url_state::{MatrixParam, format_number, use_query_state};

const MAX_INPUT: usize = 64;
const MAX_KERNEL: usize = 11;
const MAX_STRIDE: usize = 8;
const MAX_PADDING: usize = 10;
const MAX_DILATION: usize = 8;
const MAX_CHANNELS: usize = 1024;
const MAX_OUTPUT_PADDING: usize = 7;
/// Value grids larger than this (per side) show their top-left corner only.
const VALUES_SHOWN: usize = 16;
/// The picture writes the numbers into the cells up to this many cells per side.
const NUMBERS_IN_PICTURE: usize = 12;

/// One layer's hyper-parameters (square inputs and kernels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Settings {
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    channels_in: usize,
    channels_out: usize,
    transposed: bool,
    /// Only used when transposed.
    output_padding: usize,
}

impl Settings {
    /// The lecture's Conv2DTranspose aside: 4×4 ∗ 2×2, stride 1 → 3×3. The page opens with it.
    const ASIDE: Settings = Settings {
        input: 4,
        kernel: 2,
        stride: 1,
        padding: 0,
        dilation: 1,
        channels_in: 1,
        channels_out: 1,
        transposed: false,
        output_padding: 0,
    };

    /// Numbers the page refuses before computing anything (they can come from a URL).
    fn check_limits(&self) -> Result<(), String> {
        let checks = [
            ("input size", self.input, 1, MAX_INPUT),
            ("kernel size", self.kernel, 1, MAX_KERNEL),
            ("stride", self.stride, 1, MAX_STRIDE),
            ("padding", self.padding, 0, MAX_PADDING),
            ("dilation", self.dilation, 1, MAX_DILATION),
            (
                "number of input channels",
                self.channels_in,
                1,
                MAX_CHANNELS,
            ),
            ("number of filters", self.channels_out, 1, MAX_CHANNELS),
            ("output padding", self.output_padding, 0, MAX_OUTPUT_PADDING),
        ];
        for (what, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(format!(
                    "The {what} must be between {min} and {max} on this page (it is {value})."
                ));
            }
        }
        Ok(())
    }

    fn forward_params(&self) -> Conv2dParams {
        Conv2dParams::new()
            .with_stride(self.stride)
            .with_padding(self.padding)
            .with_dilation(self.dilation)
    }

    fn transposed_params(&self) -> ConvTranspose2dParams {
        ConvTranspose2dParams::new()
            .with_stride(self.stride)
            .with_padding(self.padding)
            .with_dilation(self.dilation)
            .with_output_padding(self.output_padding)
    }

    /// Cells the dilated kernel spans along one axis.
    fn extent(&self) -> usize {
        self.dilation * (self.kernel - 1) + 1
    }
}

/// A worked example from the lecture (or from the networks it shows).
struct Preset {
    slug: &'static str,
    label: &'static str,
    settings: Settings,
    /// What to notice, shown while the preset is active.
    note: &'static str,
}

const PRESETS: [Preset; 7] = [
    Preset {
        slug: "aside",
        label: "Lecture aside: 4×4 ∗ 2×2, stride 1 → 3×3",
        settings: Settings::ASIDE,
        note: "The forward convolution of the Conv2DTranspose aside: the 2×2 kernel [[3, 5], [2, 2]] fits in 3 positions \
               along each axis of the 4×4 input, so the output is 3×3 — the slide's 27, 39, 51 / 55, 59, 63 / 25, 21, 17.",
    },
    Preset {
        slug: "pooling",
        label: "Pooling-style: 4×4, 2×2, stride 2 → 2×2",
        settings: Settings {
            stride: 2,
            ..Settings::ASIDE
        },
        note: "The pooling slide's geometry: a 2×2 window moved 2 cells at a time visits each cell once, so 4×4 becomes 2×2. \
               A strided convolution down-samples the same way, with learned weights instead of max or mean.",
    },
    Preset {
        slug: "aside-transposed",
        label: "Lecture aside, transposed: 3×3 → 4×4 with the same kernel",
        settings: Settings {
            input: 3,
            transposed: true,
            ..Settings::ASIDE
        },
        note: "",
    },
    Preset {
        slug: "vae-encoder",
        label: "VAE encoder: 28×28, 3×3, stride 2, padding 1 → 14×14",
        settings: Settings {
            input: 28,
            kernel: 3,
            stride: 2,
            padding: 1,
            channels_out: 32,
            ..Settings::ASIDE
        },
        note: "The first layer of the lecture's convolutional autoencoder: 32 filters of 3×3 on a 28×28 digit. Padding 1 \
               keeps the border cells in play and stride 2 halves the size: 28 → 14 (the next layer gives 7).",
    },
    Preset {
        slug: "vae-decoder",
        label: "VAE decoder: 7×7 transposed, 3×3, stride 2, padding 1, output padding 1 → 14×14",
        settings: Settings {
            input: 7,
            kernel: 3,
            stride: 2,
            padding: 1,
            channels_in: 64,
            channels_out: 64,
            transposed: true,
            output_padding: 1,
            ..Settings::ASIDE
        },
        note: "The decoder undoes the encoder's shapes: a stride-2 transposed convolution doubles 7 to 14. Both 13 and 14 \
               shrink to 7 under the forward layer, so output padding 1 picks 14.",
    },
    Preset {
        slug: "lenet-c1",
        label: "LeNet-5 C1: 28×28, 5×5, padding 2 → 28×28 (6 filters)",
        settings: Settings {
            input: 28,
            kernel: 5,
            padding: 2,
            channels_out: 6,
            ..Settings::ASIDE
        },
        note: "LeNet-5's first layer: 6 filters of 5×5. Padding (k − 1)/2 = 2 makes a \"same\" convolution: the output is \
               as large as the input. 6 × 25 weights + 6 biases = 156 parameters.",
    },
    Preset {
        slug: "dilated",
        label: "Dilated: 7×7, 3×3, dilation 2 → 3×3",
        settings: Settings {
            input: 7,
            kernel: 3,
            dilation: 2,
            ..Settings::ASIDE
        },
        note: "Dilation 2 spreads the 9 taps of a 3×3 kernel over a 5×5 area (gaps between them): a larger view for the \
               same 9 weights. It fits in 3 positions of the 7×7 input.",
    },
];

/// Input values: the lecture's 4×4 example, the aside's 3×3 result for 3×3 (the transposed
/// aside's input), otherwise the pattern (r + c) mod 5.
fn default_input(n: usize) -> Grid {
    match n {
        4 => lecture_input(),
        3 => cross_correlate2d(&lecture_input(), &lecture_kernel(), Conv2dParams::new())
            .unwrap_or_else(|_| pattern(3)),
        _ => pattern(n),
    }
}

fn pattern(n: usize) -> Grid {
    Grid::from_fn(n, n, |r, c| ((r + c) % 5) as f32)
}

/// Kernel values: the lecture's [[3, 5], [2, 2]] for 2×2, otherwise all ones.
fn default_kernel(k: usize) -> Grid {
    if k == 2 {
        lecture_kernel()
    } else {
        Grid::from_fn(k, k, |_, _| 1.0)
    }
}

/// The edited values from the URL when they have the right shape, otherwise the defaults.
fn values_or(edited: &str, n: usize, default: impl Fn(usize) -> Grid) -> Grid {
    match edited.parse::<MatrixParam>() {
        Ok(MatrixParam(g)) if g.shape() == (n, n) => g,
        _ => default(n),
    }
}

/// A layer that can be computed, with its values.
#[derive(Clone, Debug, PartialEq)]
struct Layer {
    settings: Settings,
    input: Grid,
    kernel: Grid,
    /// One channel of input with one kernel (the values every filter of the layer repeats).
    output: Grid,
}

impl Layer {
    /// Output size along each axis.
    fn size(&self) -> usize {
        self.output.rows()
    }

    /// Animation steps: one per output cell forward, one per input cell transposed.
    fn steps(&self) -> usize {
        if self.settings.transposed {
            self.input.rows() * self.input.cols()
        } else {
            self.output.rows() * self.output.cols()
        }
    }
}

fn explain(e: &KernelError) -> String {
    let hint = match e {
        KernelError::KernelTooLarge { .. } => {
            " Make the kernel or the dilation smaller, or add padding."
        }
        KernelError::OutputPadding { .. } => " Lower the output padding or raise the stride.",
        KernelError::NoOutput { .. } => " Lower the padding.",
        _ => "",
    };
    format!("This layer cannot be computed: {e}.{hint}")
}

fn build(settings: Settings, edited_input: &str, edited_kernel: &str) -> Result<Layer, String> {
    settings.check_limits()?;
    let input = values_or(edited_input, settings.input, default_input);
    let kernel = values_or(edited_kernel, settings.kernel, default_kernel);
    let output = if settings.transposed {
        conv_transpose2d(&input, &kernel, settings.transposed_params())
    } else {
        cross_correlate2d(&input, &kernel, settings.forward_params())
    }
    .map_err(|e| explain(&e))?;
    Ok(Layer {
        settings,
        input,
        kernel,
        output,
    })
}

/// Digits in groups of three (with narrow spaces), so large counts stay readable.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    out
}

/// The top-left `VALUES_SHOWN × VALUES_SHOWN` of a grid.
fn corner(grid: &Grid) -> Grid {
    let (rows, cols) = (grid.rows().min(VALUES_SHOWN), grid.cols().min(VALUES_SHOWN));
    Grid::from_fn(rows, cols, |r, c| grid[(r, c)])
}

fn mi(name: &str) -> String {
    format!("<mi>{name}</mi>")
}

fn num(n: usize) -> String {
    format!("<mn>{n}</mn>")
}

fn sub(base: &str, index: &str) -> String {
    format!("<msub><mi>{base}</mi><mtext>{index}</mtext></msub>")
}

const DOT: &str = "<mo>·</mo>";
const PLUS: &str = "<mo>+</mo>";
const MINUS: &str = "<mo>−</mo>";
const EQ: &str = "<mo>=</mo>";

/// The output-size formula, then with the numbers, then the size (or "no output").
fn size_formula(s: &Settings, size: Option<usize>) -> String {
    let result = size.map_or_else(|| "<mtext>no output</mtext>".to_string(), num);
    let dk = |d: String, k: String| format!("{d}<mo>(</mo>{k}{MINUS}<mn>1</mn><mo>)</mo>");
    if s.transposed {
        let symbolic = format!(
            "<mo>(</mo>{i}{MINUS}<mn>1</mn><mo>)</mo>{s_}{MINUS}<mn>2</mn>{p}{PLUS}{dk}{PLUS}{op}{PLUS}<mn>1</mn>",
            i = mi("i"),
            s_ = mi("s"),
            p = mi("p"),
            dk = dk(mi("d"), mi("k")),
            op = sub("p", "out"),
        );
        let numbers = format!(
            "<mo>(</mo>{i}{MINUS}<mn>1</mn><mo>)</mo>{DOT}{s_}{MINUS}<mn>2</mn>{DOT}{p}{PLUS}{dk}{PLUS}{op}{PLUS}<mn>1</mn>",
            i = num(s.input),
            s_ = num(s.stride),
            p = num(s.padding),
            dk = dk(format!("{}{DOT}", num(s.dilation)), num(s.kernel)),
            op = num(s.output_padding),
        );
        format!("{o}{EQ}{symbolic}{EQ}{numbers}{EQ}{result}", o = mi("o"))
    } else {
        let fraction = |i: String, p: String, d: String, k: String, s_: String, two: String| {
            format!(
                "<mrow><mo>⌊</mo><mfrac><mrow>{i}{PLUS}{two}{p}{MINUS}{dk}{MINUS}<mn>1</mn></mrow>{s_}</mfrac><mo>⌋</mo></mrow>{PLUS}<mn>1</mn>",
                dk = dk(d, k)
            )
        };
        let symbolic = fraction(
            mi("i"),
            mi("p"),
            mi("d"),
            mi("k"),
            mi("s"),
            "<mn>2</mn>".into(),
        );
        let numbers = fraction(
            num(s.input),
            num(s.padding),
            format!("{}{DOT}", num(s.dilation)),
            num(s.kernel),
            num(s.stride),
            format!("<mn>2</mn>{DOT}"),
        );
        format!("{o}{EQ}{symbolic}{EQ}{numbers}{EQ}{result}", o = mi("o"))
    }
}

/// Weights and biases, with the numbers.
fn params_formula(s: &Settings, total: u64) -> String {
    let (cin, cout) = (sub("C", "in"), sub("C", "out"));
    format!(
        "<mi>P</mi>{EQ}{cin}{DOT}{cout}{DOT}<msup><mi>k</mi><mn>2</mn></msup>{PLUS}{cout}{EQ}\
         {a}{DOT}{b}{DOT}<msup>{k}<mn>2</mn></msup>{PLUS}{b}{EQ}<mn>{t}</mn>",
        a = num(s.channels_in),
        b = num(s.channels_out),
        k = num(s.kernel),
        t = grouped(total),
    )
}

/// Multiply-adds per image: every output cell (forward) or every input cell (transposed)
/// meets every weight of every filter once.
fn macs_formula(s: &Settings, positions: usize, total: u64) -> String {
    let (cin, cout) = (sub("C", "in"), sub("C", "out"));
    let cells = if s.transposed { "i" } else { "o" };
    format!(
        "<mtext>MACs</mtext>{EQ}{cin}{DOT}{cout}{DOT}<msup><mi>k</mi><mn>2</mn></msup>{DOT}<msup><mi>{cells}</mi><mn>2</mn></msup>{EQ}\
         {a}{DOT}{b}{DOT}<msup>{k}<mn>2</mn></msup>{DOT}<msup>{n}<mn>2</mn></msup>{EQ}<mn>{t}</mn>",
        a = num(s.channels_in),
        b = num(s.channels_out),
        k = num(s.kernel),
        n = num(positions),
        t = grouped(total),
    )
}

/// Where a grid sits in the picture.
#[derive(Clone, Copy, Debug)]
struct Place {
    x: f32,
    y: f32,
    cell: f32,
}

impl Place {
    fn x_of(&self, col: f32) -> f32 {
        self.x + col * self.cell
    }
    fn y_of(&self, row: f32) -> f32 {
        self.y + row * self.cell
    }

    /// A rectangle covering `rows × cols` cells from `(row, col)`.
    fn rect(
        &self,
        (row, col): (usize, usize),
        (rows, cols): (usize, usize),
        class: &'static str,
    ) -> AnyView {
        view! {
            <rect
                class=class
                x=self.x_of(col as f32)
                y=self.y_of(row as f32)
                width=cols as f32 * self.cell
                height=rows as f32 * self.cell
            ></rect>
        }
        .into_any()
    }

    /// A number written in cell `(row, col)`.
    fn number(&self, (row, col): (usize, usize), value: f32, class: &'static str) -> AnyView {
        let size = (self.cell * 0.34).clamp(8.0, 18.0);
        view! {
            <text
                class=class
                x=self.x_of(col as f32 + 0.5)
                y=self.y_of(row as f32 + 0.5) + size * 0.35
                font-size=size
                text-anchor="middle"
            >
                {format_number(value)}
            </text>
        }
        .into_any()
    }

    /// A pattern of cell outlines aligned with this grid (one rectangle, however many cells).
    fn grid_pattern(&self, id: &'static str) -> AnyView {
        view! {
            <pattern id=id patternUnits="userSpaceOnUse" x=self.x y=self.y width=self.cell height=self.cell>
                <rect class="arith-gridline" x=0 y=0 width=self.cell height=self.cell></rect>
            </pattern>
        }
        .into_any()
    }

    /// The cell outlines over `n × n` cells (left out when the cells are too small to see).
    fn grid_lines(&self, n: usize, id: &'static str) -> Option<AnyView> {
        (self.cell >= 4.0).then(|| {
            view! {
                <rect
                    x=self.x
                    y=self.y
                    width=n as f32 * self.cell
                    height=n as f32 * self.cell
                    style=format!("fill: url(#{id}); pointer-events: none")
                ></rect>
            }
            .into_any()
        })
    }
}

/// Runs of consecutive marked cells per row, as rectangles (a few per row instead of one per cell).
fn runs(
    marked: &[bool],
    n: usize,
    place: Place,
    offset: usize,
    class: &'static str,
) -> Vec<AnyView> {
    let mut out = Vec::new();
    for r in 0..n {
        let mut c = 0;
        while c < n {
            if marked[r * n + c] {
                let start = c;
                while c < n && marked[r * n + c] {
                    c += 1;
                }
                out.push(place.rect((r + offset, start + offset), (1, c - start), class));
            } else {
                c += 1;
            }
        }
    }
    out
}

/// Up to three sheets behind a grid, one per extra channel.
fn sheets(place: Place, n: usize, channels: usize) -> Vec<AnyView> {
    let side = n as f32 * place.cell;
    (1..channels.min(4))
        .rev()
        .map(|k| {
            let shift = 6.0 * k as f32;
            view! { <rect class="arith-sheet" x=place.x + shift y=place.y - shift width=side height=side></rect> }.into_any()
        })
        .collect()
}

/// The two titles above a grid.
fn titles(x: f32, title: &'static str, detail: String) -> AnyView {
    view! {
        <text class="arith-title" x=x y=22>{title}</text>
        <text class="arith-detail" x=x y=42>{detail}</text>
    }
    .into_any()
}

fn channels_text(n: usize, what: &str) -> String {
    if n == 1 {
        String::new()
    } else {
        format!(" · {n} {what}")
    }
}

/// The widest the picture gets, in SVG units (it scales down to the page).
const PICTURE_WIDTH: f32 = 1000.0;
const MARGIN: f32 = 24.0;
const GAP: f32 = 120.0;
const TOP: f32 = 70.0;
/// The largest cell, so that small grids do not become huge.
const MAX_CELL: f32 = 68.0;

/// The layout of the two grids, `left` and `right` cells per side: their places, and the
/// picture's width and height.
fn layout(left: usize, right: usize) -> (Place, Place, f32, f32) {
    let cell = ((PICTURE_WIDTH - 2.0 * MARGIN - GAP) / (left + right) as f32).min(MAX_CELL);
    // Wide enough for the titles above small grids, too.
    let width = (2.0 * MARGIN + GAP + (left + right) as f32 * cell).max(640.0);
    let tallest = left.max(right) as f32 * cell;
    let left_place = Place {
        x: MARGIN,
        y: TOP + (tallest - left as f32 * cell) / 2.0,
        cell,
    };
    let right_place = Place {
        x: MARGIN + left as f32 * cell + GAP,
        y: TOP + (tallest - right as f32 * cell) / 2.0,
        cell,
    };
    (left_place, right_place, width, TOP + tallest + 20.0)
}

fn defs(left: Place, right: Place) -> AnyView {
    view! {
        <defs>
            <pattern id="arith-hatch" patternUnits="userSpaceOnUse" width=7 height=7 patternTransform="rotate(45)">
                <rect class="arith-hatch-bg" x=0 y=0 width=7 height=7></rect>
                <line class="arith-hatch-line" x1=0 y1=0 x2=0 y2=7></line>
            </pattern>
            {left.grid_pattern("arith-grid-left")}
            {right.grid_pattern("arith-grid-right")}
        </defs>
    }
    .into_any()
}

/// The forward picture at `step`: the padded input with the kernel's taps, and the output
/// filled up to the current cell.
fn forward_picture(layer: &Layer, step: usize) -> AnyView {
    let s = layer.settings;
    let (i, p, o) = (s.input, s.padding, layer.size());
    let padded = i + 2 * p;
    let (left, right, width, height) = layout(padded, o);
    let (row, col) = (step / o, step % o);

    let mut shapes: Vec<AnyView> = Vec::new();
    shapes.extend(sheets(left, padded, s.channels_in));
    shapes.extend(sheets(right, o, s.channels_out));
    // Input: padding hatched, the real cells plain.
    if p > 0 {
        shapes.push(left.rect((0, 0), (padded, padded), "arith-padding"));
    }
    shapes.push(left.rect((p, p), (i, i), "arith-cells"));
    // The kernel's footprint: its dilated extent, and the cells it actually reads.
    let extent = s.extent();
    let (top, first) = (row * s.stride, col * s.stride);
    for m in 0..s.kernel {
        for n in 0..s.kernel {
            shapes.push(left.rect(
                (top + m * s.dilation, first + n * s.dilation),
                (1, 1),
                "arith-tap",
            ));
        }
    }
    shapes.extend(left.grid_lines(padded, "arith-grid-left"));
    shapes.push(left.rect((p, p), (i, i), "arith-border"));
    shapes.push(left.rect((top, first), (extent, extent), "arith-extent"));
    if padded <= NUMBERS_IN_PICTURE {
        for r in 0..padded {
            for c in 0..padded {
                let inside = (p..p + i).contains(&r) && (p..p + i).contains(&c);
                let value = if inside {
                    layer.input[(r - p, c - p)]
                } else {
                    0.0
                };
                shapes.push(left.number(
                    (r, c),
                    value,
                    if inside {
                        "arith-value"
                    } else {
                        "arith-value arith-pad-value"
                    },
                ));
            }
        }
    }

    // Output: cells done so far, the current one, and its value once computed.
    shapes.push(right.rect((0, 0), (o, o), "arith-cells"));
    if row > 0 {
        shapes.push(right.rect((0, 0), (row, o), "arith-done"));
    }
    if col > 0 {
        shapes.push(right.rect((row, 0), (1, col), "arith-done"));
    }
    shapes.push(right.rect((row, col), (1, 1), "arith-current"));
    shapes.extend(right.grid_lines(o, "arith-grid-right"));
    shapes.push(right.rect((0, 0), (o, o), "arith-border"));
    if o <= NUMBERS_IN_PICTURE {
        for k in 0..=step.min(o * o - 1) {
            shapes.push(right.number((k / o, k % o), layer.output[(k / o, k % o)], "arith-value"));
        }
    }

    // From the right edge of the footprint to the left edge of the output cell.
    let from = (
        left.x_of((first + extent) as f32),
        left.y_of(top as f32 + extent as f32 / 2.0),
    );
    let to = (right.x_of(col as f32), right.y_of(row as f32 + 0.5));
    let padding_text = if p == 0 {
        String::new()
    } else {
        format!(" + padding {p} (hatched) = {padded}×{padded}")
    };
    view! {
        <svg
            class="arith-picture"
            viewBox=format!("0 0 {width} {height}")
            style=format!("max-width: {width}px")
            role="img"
            aria-label=format!("Input {i}×{i} with the kernel at output cell ({}, {}); output {o}×{o}", row + 1, col + 1)
            data-testid="arithmetic-picture"
        >
            {defs(left, right)}
            {titles(left.x, "Input", format!("{i}×{i}{padding_text}{}", channels_text(s.channels_in, "channels")))}
            {titles(right.x, "Output", format!("{o}×{o}{}", channels_text(s.channels_out, "filters")))}
            // Under the grids: it shows in the gap between them, from the footprint's row to the cell.
            <line class="arith-link" x1=from.0 y1=from.1 x2=to.0 y2=to.1></line>
            <circle class="arith-link-end" cx=to.0 cy=to.1 r=4></circle>
            {shapes}
        </svg>
    }
    .into_any()
}

/// The transposed picture at `step`: the current input cell, and the kernel it stamps onto
/// the output (with the parts cropped by the padding drawn dashed).
fn transposed_picture(layer: &Layer, step: usize) -> AnyView {
    let s = layer.settings;
    let (i, p, o) = (s.input, s.padding, layer.size());
    let full = o + 2 * p;
    let (left, right, width, height) = layout(i, full);
    let (row, col) = (step / i, step % i);
    let params = s.transposed_params();

    // What the output holds after the stamps of input cells 0..=step.
    let mut partial = vec![0.0f32; o * o];
    let mut touched = vec![false; o * o];
    for k in 0..=step.min(i * i - 1) {
        let x = layer.input[(k / i, k % i)];
        for ((r, c), w) in stamp_targets(&layer.kernel, params, (o, o), (k / i, k % i)) {
            partial[r * o + c] += x * w;
            touched[r * o + c] = true;
        }
    }

    let mut shapes: Vec<AnyView> = Vec::new();
    shapes.extend(sheets(left, i, s.channels_in));
    shapes.extend(sheets(right, full, s.channels_out));
    // Input: cells already stamped, and the current one.
    shapes.push(left.rect((0, 0), (i, i), "arith-cells"));
    let done: Vec<bool> = (0..i * i).map(|k| k < step).collect();
    shapes.extend(runs(&done, i, left, 0, "arith-done"));
    shapes.push(left.rect((row, col), (1, 1), "arith-tap"));
    shapes.extend(left.grid_lines(i, "arith-grid-left"));
    shapes.push(left.rect((0, 0), (i, i), "arith-border"));
    if i <= NUMBERS_IN_PICTURE {
        for r in 0..i {
            for c in 0..i {
                shapes.push(left.number((r, c), layer.input[(r, c)], "arith-value"));
            }
        }
    }

    // Output: the full stamped area, cropped by the padding to the real output.
    if p > 0 {
        shapes.push(right.rect((0, 0), (full, full), "arith-padding"));
    }
    shapes.push(right.rect((p, p), (o, o), "arith-cells"));
    shapes.extend(runs(&touched, o, right, p, "arith-done"));
    let targets = stamp_targets(&layer.kernel, params, (o, o), (row, col));
    for ((r, c), _) in &targets {
        shapes.push(right.rect((r + p, c + p), (1, 1), "arith-current"));
    }
    // Stamp cells that fall outside the output (cropped by the padding) are drawn dashed.
    for m in 0..s.kernel {
        for n in 0..s.kernel {
            let (r, c) = (
                row * s.stride + m * s.dilation,
                col * s.stride + n * s.dilation,
            );
            let inside = (p..p + o).contains(&r) && (p..p + o).contains(&c);
            if !inside && r < full && c < full {
                shapes.push(right.rect((r, c), (1, 1), "arith-ghost"));
            }
        }
    }
    shapes.extend(right.grid_lines(full, "arith-grid-right"));
    shapes.push(right.rect((p, p), (o, o), "arith-border"));
    if full <= NUMBERS_IN_PICTURE {
        for r in 0..o {
            for c in 0..o {
                if touched[r * o + c] {
                    shapes.push(right.number((r + p, c + p), partial[r * o + c], "arith-value"));
                }
            }
        }
    }

    let extent = s.extent() as f32;
    // From the right edge of the input cell to the left edge of its stamp.
    let from = (left.x_of(col as f32 + 1.0), left.y_of(row as f32 + 0.5));
    let to = (
        right.x_of((col * s.stride) as f32),
        right.y_of((row * s.stride) as f32 + extent / 2.0),
    );
    let crop_text = if p == 0 {
        String::new()
    } else {
        format!(" (cropped by padding {p} from {full}×{full}, hatched)")
    };
    view! {
        <svg
            class="arith-picture"
            viewBox=format!("0 0 {width} {height}")
            style=format!("max-width: {width}px")
            role="img"
            aria-label=format!("Input {i}×{i}: cell ({}, {}) stamps the kernel onto the output {o}×{o}", row + 1, col + 1)
            data-testid="arithmetic-picture"
        >
            {defs(left, right)}
            {titles(left.x, "Input", format!("{i}×{i}: each cell stamps the kernel{}", channels_text(s.channels_in, "channels")))}
            {titles(right.x, "Output", format!("{o}×{o}{crop_text}{}", channels_text(s.channels_out, "filters")))}
            // Under the grids: it shows in the gap between them, from the footprint's row to the cell.
            <line class="arith-link" x1=from.0 y1=from.1 x2=to.0 y2=to.1></line>
            <circle class="arith-link-end" cx=to.0 cy=to.1 r=4></circle>
            {shapes}
        </svg>
    }
    .into_any()
}

/// One sentence about the current step.
fn step_text(layer: &Layer, step: usize) -> String {
    let s = layer.settings;
    let total = layer.steps();
    let channels = if s.channels_in > 1 {
        format!(
            " (one input channel; the layer adds this up over all {} channels and adds a bias)",
            s.channels_in
        )
    } else {
        String::new()
    };
    if s.transposed {
        let i = s.input;
        let (row, col) = (step / i, step % i);
        let x = layer.input[(row, col)];
        let hits = stamp_targets(
            &layer.kernel,
            s.transposed_params(),
            (layer.size(), layer.size()),
            (row, col),
        )
        .len();
        let all = s.kernel * s.kernel;
        let cropped = match all - hits {
            0 => String::new(),
            1 => ", 1 more is cropped away by the padding".to_string(),
            n => format!(", {n} more are cropped away by the padding"),
        };
        let cells = if hits == 1 { "cell" } else { "cells" };
        format!(
            "Step {} of {total}: input cell (row {}, column {}) = {} adds {} × kernel to {hits} output {cells}{cropped}{channels}.",
            step + 1,
            row + 1,
            col + 1,
            format_number(x),
            format_number(x),
        )
    } else {
        let o = layer.size();
        let (row, col) = (step / o, step % o);
        let value = layer.output[(row, col)];
        let sum = match multiply_adds(&layer.input, &layer.kernel, s.forward_params(), (row, col)) {
            Ok(terms) if terms.len() <= 9 => terms
                .iter()
                .map(|t| {
                    format!(
                        "{}·{}",
                        format_number(t.input_value),
                        format_number(t.weight)
                    )
                })
                .collect::<Vec<_>>()
                .join(" + "),
            Ok(terms) => format!("the sum of {} products", terms.len()),
            Err(e) => e.to_string(),
        };
        format!(
            "Step {} of {total}: output cell (row {}, column {}) = {sum} = {}{channels}.",
            step + 1,
            row + 1,
            col + 1,
            format_number(value),
        )
    }
}

/// The convolution arithmetic page.
#[component]
pub fn ArithmeticPage() -> impl IntoView {
    let a = Settings::ASIDE;
    let (input, set_input) = use_query_state("i", a.input);
    let (kernel, set_kernel) = use_query_state("k", a.kernel);
    let (stride, set_stride) = use_query_state("s", a.stride);
    let (padding, set_padding) = use_query_state("p", a.padding);
    let (dilation, set_dilation) = use_query_state("d", a.dilation);
    let (channels_in, set_channels_in) = use_query_state("cin", a.channels_in);
    let (channels_out, set_channels_out) = use_query_state("cout", a.channels_out);
    let (transposed, set_transposed) = use_query_state("tr", a.transposed);
    let (output_padding, set_output_padding) = use_query_state("op", a.output_padding);
    // Edited values (rows `;`, values `,`), used while their shape matches the sizes.
    let (edited_input, set_edited_input) = use_query_state("x", String::new());
    let (edited_kernel, set_edited_kernel) = use_query_state("w", String::new());

    let settings = Memo::new(move |_| Settings {
        input: input.get(),
        kernel: kernel.get(),
        stride: stride.get(),
        padding: padding.get(),
        dilation: dilation.get(),
        channels_in: channels_in.get(),
        channels_out: channels_out.get(),
        transposed: transposed.get(),
        output_padding: output_padding.get(),
    });
    let layer =
        Memo::new(move |_| build(settings.get(), &edited_input.get(), &edited_kernel.get()));

    let apply = move |s: Settings| {
        set_input.run(s.input);
        set_kernel.run(s.kernel);
        set_stride.run(s.stride);
        set_padding.run(s.padding);
        set_dilation.run(s.dilation);
        set_channels_in.run(s.channels_in);
        set_channels_out.run(s.channels_out);
        set_transposed.run(s.transposed);
        set_output_padding.run(s.output_padding);
        set_edited_input.run(String::new());
        set_edited_kernel.run(String::new());
    };
    let active_preset = Memo::new(move |_| {
        let unedited = edited_input.with(String::is_empty) && edited_kernel.with(String::is_empty);
        let s = settings.get();
        PRESETS.iter().position(|p| unedited && p.settings == s)
    });
    let mut preset_options: Vec<(&'static str, &'static str)> = vec![("custom", "Custom settings")];
    preset_options.extend(PRESETS.iter().map(|p| (p.slug, p.label)));
    let preset_value = Signal::derive(move || {
        active_preset
            .get()
            .map_or("custom", |k| PRESETS[k].slug)
            .to_string()
    });

    // The animation: a local step, moved by the buttons, the slider and a timer.
    let step = RwSignal::new(0usize);
    let steps = Memo::new(move |_| layer.with(|l| l.as_ref().map_or(1, Layer::steps)).max(1));
    let current = Memo::new(move |_| step.get().min(steps.get() - 1));
    let playing = RwSignal::new(false);
    let speed = RwSignal::new("normal".to_string());
    let timer = StoredValue::new(None::<IntervalHandle>);
    let stop = move || {
        if let Some(handle) = timer.try_get_value().flatten() {
            handle.clear();
        }
        timer.try_set_value(None);
        if playing.try_get_untracked() == Some(true) {
            playing.set(false);
        }
    };
    let start = move || {
        stop();
        if current.get_untracked() + 1 >= steps.get_untracked() {
            step.set(0);
        }
        let millis = match speed.get_untracked().as_str() {
            "slow" => 1200,
            "fast" => 120,
            _ => 500,
        };
        let tick = move || {
            let (Some(now), Some(total)) = (current.try_get_untracked(), steps.try_get_untracked())
            else {
                return;
            };
            if now + 1 < total {
                step.set(now + 1);
            } else {
                stop();
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, Duration::from_millis(millis)) {
            timer.set_value(Some(handle));
            playing.set(true);
        }
    };
    on_cleanup(move || {
        if let Some(handle) = timer.try_get_value().flatten() {
            handle.clear();
        }
    });
    let on_preset = Callback::new(move |slug: String| {
        if let Some(p) = PRESETS.iter().find(|p| p.slug == slug) {
            stop();
            step.set(0);
            apply(p.settings);
        }
    });
    let on_speed = Callback::new(move |v: String| {
        speed.set(v);
        if playing.get_untracked() {
            start();
        }
    });
    // A new input size makes edited input values meaningless; the same for the kernel.
    let on_input_size = Callback::new(move |n: usize| {
        set_edited_input.run(String::new());
        set_input.run(n);
    });
    let on_kernel_size = Callback::new(move |n: usize| {
        set_edited_kernel.run(String::new());
        set_kernel.run(n);
    });

    let size_text = move || {
        layer.with(|l| {
            l.as_ref()
                .map_or_else(|_| "—".to_string(), |l| format!("{0}×{0}", l.size()))
        })
    };
    let size_math = Signal::derive(move || {
        let size = layer.with(|l| l.as_ref().ok().map(Layer::size));
        size_formula(&settings.get(), size)
    });
    let params_total = move || {
        let s = settings.get();
        conv_param_count(s.channels_in, s.channels_out, (s.kernel, s.kernel), true) as u64
    };
    // Counted in u64: on wasm32 a usize overflows for large layers.
    let macs = move || {
        let s = settings.get();
        let positions = if s.transposed {
            Some(s.input)
        } else {
            layer.with(|l| l.as_ref().ok().map(Layer::size))
        };
        positions.map(|n| {
            (
                n,
                [s.channels_in, s.channels_out, s.kernel, s.kernel, n, n]
                    .iter()
                    .map(|&v| v as u64)
                    .product::<u64>(),
            )
        })
    };
    let params_math = Signal::derive(move || params_formula(&settings.get(), params_total()));
    let macs_math = Signal::derive(move || {
        macs()
            .map(|(n, total)| macs_formula(&settings.get(), n, total))
            .unwrap_or_default()
    });

    let picture = move || {
        let step = current.get();
        layer.with(|l| {
            l.as_ref().ok().map(|l| {
                if l.settings.transposed {
                    transposed_picture(l, step)
                } else {
                    forward_picture(l, step)
                }
            })
        })
    };
    let caption = move || layer.with(|l| l.as_ref().ok().map(|l| step_text(l, current.get())));

    // Values: the current cell(s) highlighted in the grids below the picture.
    let output_values = Signal::derive(move || {
        layer.with(|l| l.as_ref().map(|l| corner(&l.output)).unwrap_or_default())
    });
    let input_values = Signal::derive(move || {
        layer.with(|l| l.as_ref().map(|l| corner(&l.input)).unwrap_or_default())
    });
    let kernel_values = Signal::derive(move || {
        layer.with(|l| l.as_ref().map(|l| l.kernel.clone()).unwrap_or_default())
    });
    let output_highlight = Signal::derive(move || {
        let step = current.get();
        layer.with(|l| {
            let Ok(l) = l else { return Vec::new() };
            if l.settings.transposed {
                let i = l.settings.input;
                stamp_targets(
                    &l.kernel,
                    l.settings.transposed_params(),
                    l.output.shape(),
                    (step / i, step % i),
                )
                .into_iter()
                .map(|(cell, _)| cell)
                .collect()
            } else {
                vec![(step / l.size(), step % l.size())]
            }
        })
    });
    let input_highlight = Signal::derive(move || {
        let step = current.get();
        layer.with(|l| {
            let Ok(l) = l else { return Vec::new() };
            if l.settings.transposed {
                vec![(step / l.settings.input, step % l.settings.input)]
            } else {
                let cell = (step / l.size(), step % l.size());
                multiply_adds(&l.input, &l.kernel, l.settings.forward_params(), cell)
                    .map(|terms| {
                        terms
                            .into_iter()
                            .filter(|t| t.input_pos.0 >= 0 && t.input_pos.1 >= 0)
                            .map(|t| (t.input_pos.0 as usize, t.input_pos.1 as usize))
                            .filter(|&(r, c)| r < l.input.rows() && c < l.input.cols())
                            .collect()
                    })
                    .unwrap_or_default()
            }
        })
    });
    let on_edit_input = Callback::new(move |(r, c, v): (usize, usize, f32)| {
        let Some(Ok(l)) = layer.try_get_untracked() else {
            return;
        };
        let mut grid = l.input;
        if r < grid.rows() && c < grid.cols() && grid.rows() <= VALUES_SHOWN {
            grid[(r, c)] = v;
            set_edited_input.run(MatrixParam(grid).to_string());
        }
    });
    let on_edit_kernel = Callback::new(move |(r, c, v): (usize, usize, f32)| {
        let Some(Ok(l)) = layer.try_get_untracked() else {
            return;
        };
        let mut grid = l.kernel;
        if r < grid.rows() && c < grid.cols() {
            grid[(r, c)] = v;
            set_edited_kernel.run(MatrixParam(grid).to_string());
        }
    });
    let shown_note = move |what: &str, n: usize| {
        (n > VALUES_SHOWN)
            .then(|| format!("{what}: the top-left {VALUES_SHOWN}×{VALUES_SHOWN} of {n}×{n}"))
    };
    let output_caption = move || {
        layer.with(|l| match l {
            Ok(l) => shown_note("Output values", l.size())
                .unwrap_or_else(|| format!("Output values ({0}×{0}, one channel)", l.size())),
            Err(_) => "Output values".to_string(),
        })
    };
    let input_editable = move || input.get() <= VALUES_SHOWN;
    let transposed_aside = move || {
        active_preset
            .get()
            .is_some_and(|k| PRESETS[k].slug == "aside-transposed")
    };

    view! {
        <section class="page arithmetic" data-testid="page-arithmetic">
            <h1>"Convolution arithmetic"</h1>
            <p class="lead">
                "A " <b>"kernel"</b> " of k×k weights moves over the input in steps of the " <b>"stride"</b> " s. "
                <b>"Padding"</b> " p adds a frame of zeros so the kernel can reach the border; " <b>"dilation"</b>
                " d spreads its taps apart. Each of the " <b>"filters"</b>
                " is one independent kernel per input channel, and makes one output channel. Switch on "
                <i>"transposed"</i> " to go the other way: each input cell then stamps the kernel onto the output, "
                "which is how an autoencoder's decoder up-samples."
            </p>
            <div class="controls">
                <SelectField label="Lecture examples" options=preset_options value=preset_value on_change=on_preset testid="arithmetic-preset" />
            </div>
            {move || active_preset.get().map(|k| PRESETS[k].note).filter(|n| !n.is_empty()).map(|n| view! { <p class="arith-note">{n}</p> })}
            {move || transposed_aside().then(|| view! {
                <p class="arith-note" data-testid="arithmetic-aside-note">
                    "The slide's transposed convolution: the 3×3 result [[27, 39, 51], [55, 59, 63], [25, 21, 17]], "
                    "transposed-convolved with the " <em>"same"</em> " kernel [[3, 5], [2, 2]], comes back as a 4×4 grid — "
                    "the shape is restored, but not the values (81, 252, … instead of 0, 1, 2, 3, …). To get the input "
                    "back another kernel has to be found, and that is what training a decoder does."
                </p>
            })}
            <div class="controls">
                <NumberField label="Input size i (i×i)" value=input on_change=on_input_size min=1 max=MAX_INPUT testid="arithmetic-input-size" />
                <NumberField label="Kernel size k (k×k)" value=kernel on_change=on_kernel_size min=1 max=MAX_KERNEL testid="arithmetic-kernel-size" />
                <NumberField label="Stride s" value=stride on_change=set_stride min=1 max=MAX_STRIDE testid="arithmetic-stride" />
                <NumberField label="Padding p" value=padding on_change=set_padding min=0 max=MAX_PADDING testid="arithmetic-padding" />
                <NumberField label="Dilation d" value=dilation on_change=set_dilation min=1 max=MAX_DILATION testid="arithmetic-dilation" />
                <NumberField label="Channels in" value=channels_in on_change=set_channels_in min=1 max=MAX_CHANNELS testid="arithmetic-channels-in" />
                <NumberField label="Filters (channels out)" value=channels_out on_change=set_channels_out min=1 max=MAX_CHANNELS testid="arithmetic-channels-out" />
                <Toggle label="Transposed" value=transposed on_change=set_transposed testid="arithmetic-transposed" />
                {move || transposed.get().then(|| view! {
                    <NumberField label="Output padding" value=output_padding on_change=set_output_padding min=0 max=MAX_OUTPUT_PADDING testid="arithmetic-output-padding" />
                })}
            </div>

            <div class="arith-formulas">
                <p class="arith-size-line">
                    "Output size: " <strong data-testid="arithmetic-size">{size_text}</strong>
                    <span class="muted">
                        {move || if transposed.get() { " (transposed convolution)" } else { " (convolution)" }}
                    </span>
                </p>
                <Math mathml=size_math block=true />
                {move || layer.with(|l| l.as_ref().err().map(|e| view! { <p class="error" role="alert" data-testid="arithmetic-error">{e.clone()}</p> }))}
                <p>
                    "Parameters: " <strong data-testid="arithmetic-params">{move || grouped(params_total())}</strong>
                    " (" {move || grouped((settings.get().channels_in * settings.get().channels_out * settings.get().kernel * settings.get().kernel) as u64)}
                    " weights + " {move || {
                        let n = settings.get().channels_out;
                        if n == 1 { "1 bias".to_string() } else { format!("{n} biases") }
                    }} ")"
                </p>
                <Math mathml=params_math block=true />
                <p>
                    "Multiply-adds per image: " <strong data-testid="arithmetic-macs">{move || macs().map_or_else(|| "—".to_string(), |(_, t)| grouped(t))}</strong>
                    {move || match (layer.with(|l| l.is_ok()), transposed.get()) {
                        (false, _) => "",
                        (true, true) => " — every input cell stamps every weight once (stamps cropped by the padding included)",
                        (true, false) => " — every output cell needs every weight once",
                    }}
                </p>
                <Math mathml=macs_math block=true />
            </div>

            {move || layer.with(|l| l.is_ok()).then(|| view! {
                <div class="arith-player">
                    <button data-testid="arithmetic-prev" on:click=move |_| { stop(); step.set(current.get_untracked().saturating_sub(1)); }>"◀ Step"</button>
                    <button class="primary" data-testid="arithmetic-play" aria-pressed=move || playing.get().to_string()
                        on:click=move |_| if playing.get_untracked() { stop() } else { start() }>
                        {move || if playing.get() { "❚❚ Pause" } else { "▶ Play" }}
                    </button>
                    <button data-testid="arithmetic-next" on:click=move |_| {
                        stop();
                        step.set((current.get_untracked() + 1).min(steps.get_untracked() - 1));
                    }>"Step ▶"</button>
                    <label class="field arith-step-field">
                        <span class="field-label">{move || format!("Step {} of {}", current.get() + 1, steps.get())}</span>
                        <input
                            type="range"
                            min=0
                            max=move || steps.get() - 1
                            step=1
                            prop:value=move || current.get().to_string()
                            on:input=move |ev| {
                                if let Ok(v) = event_target_value(&ev).trim().parse::<usize>() {
                                    stop();
                                    step.set(v.min(steps.get_untracked() - 1));
                                }
                            }
                            data-testid="arithmetic-step"
                        />
                    </label>
                    <SelectField label="Speed" options=vec![("slow", "Slow"), ("normal", "Normal"), ("fast", "Fast")] value=speed on_change=on_speed testid="arithmetic-speed" />
                </div>
            })}
            <figure class="arith-figure">
                {picture}
                <figcaption data-testid="arithmetic-step-text">{caption}</figcaption>
            </figure>

            <div class="row arith-values" class:hidden=move || layer.with(|l| l.is_err())>
                <div>
                    {move || if input_editable() {
                        view! {
                            <MatrixGrid grid=input_values testid="arithmetic-input" caption="Input values (editable, one channel)" highlight=input_highlight on_edit=on_edit_input />
                        }.into_any()
                    } else {
                        view! {
                            <MatrixGrid grid=input_values testid="arithmetic-input" caption=shown_note("Input values", input.get_untracked()).unwrap_or_default() highlight=input_highlight />
                        }.into_any()
                    }}
                </div>
                <div>
                    <MatrixGrid grid=kernel_values testid="arithmetic-kernel" caption="Kernel (editable)" on_edit=on_edit_kernel />
                </div>
                <div>
                    <p class="matrix-caption">{output_caption}</p>
                    <MatrixGrid grid=output_values testid="arithmetic-output" highlight=output_highlight />
                </div>
            </div>
            <p class="muted">
                "Values: the lecture's 4×4 example when the input is 4×4, the aside's 3×3 result when it is 3×3, "
                "otherwise (row + column) mod 5; the kernel is the lecture's [[3, 5], [2, 2]] when it is 2×2, otherwise all ones. "
                "Forward, the page computes what deep-learning libraries call convolution (cross-correlation: the kernel is not flipped). "
                <button on:click=move |_| {
                    set_edited_input.run(String::new());
                    set_edited_kernel.run(String::new());
                }>"Reset values"</button>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn presets_give_the_lecture_sizes() {
        let size = |slug: &str| {
            let p = PRESETS.iter().find(|p| p.slug == slug).unwrap();
            build(p.settings, "", "").unwrap().size()
        };
        assert_eq!(size("aside"), 3);
        assert_eq!(size("pooling"), 2);
        assert_eq!(size("aside-transposed"), 4);
        assert_eq!(size("vae-encoder"), 14);
        assert_eq!(size("vae-decoder"), 14);
        assert_eq!(size("lenet-c1"), 28);
        assert_eq!(size("dilated"), 3);
    }

    #[test]
    fn the_transposed_aside_gives_the_slide_grid() {
        let p = &PRESETS[2];
        let layer = build(p.settings, "", "").unwrap();
        assert_eq!(layer.output.row(0), &[81.0, 252.0, 348.0, 255.0]);
        assert_eq!(layer.output.row(3), &[50.0, 92.0, 76.0, 34.0]);
    }

    #[test]
    fn impossible_layers_are_messages() {
        let too_big = Settings {
            kernel: 5,
            ..Settings::ASIDE
        };
        assert!(build(too_big, "", "").unwrap_err().contains("kernel"));
        let bad_padding = Settings {
            transposed: true,
            output_padding: 1,
            ..Settings::ASIDE
        };
        assert!(
            build(bad_padding, "", "")
                .unwrap_err()
                .contains("output padding")
        );
        let huge = Settings {
            input: 10_000,
            ..Settings::ASIDE
        };
        assert!(build(huge, "", "").unwrap_err().contains("between"));
    }

    #[test]
    fn edited_values_are_used_only_with_the_right_shape() {
        let layer = build(Settings::ASIDE, "", "1,0;0,0").unwrap();
        assert_eq!(layer.output.row(0), &[0.0, 1.0, 2.0]);
        let layer = build(Settings::ASIDE, "", "1,0,0;0,0,0;0,0,0").unwrap();
        assert_eq!(layer.output[(0, 0)], 27.0);
    }

    #[test]
    fn big_numbers_are_grouped() {
        assert_eq!(grouped(320), "320");
        assert_eq!(grouped(1_234_567), "1\u{202f}234\u{202f}567");
    }
}
