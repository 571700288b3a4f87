//! The animated picture: the input grid on the left, the output grid on the right, and what
//! the current step reads and writes, as SVG.

use convlab_kernels::transposed::stamp_targets;
use leptos::prelude::*;

use super::settings::{Layer, Settings};
use crate::url_state::format_number;

/// The picture writes the numbers into the cells up to this many cells per side.
const NUMBERS_IN_PICTURE: usize = 12;

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

/// Where the two grids of a picture sit, and how large the picture is.
#[derive(Clone, Copy, Debug)]
struct Layout {
    left: Place,
    right: Place,
    /// Cells per side of the left and of the right grid.
    left_cells: usize,
    right_cells: usize,
    width: f32,
    height: f32,
}

impl Layout {
    /// The layout of two grids of `left` and `right` cells per side, side by side.
    fn new(left: usize, right: usize) -> Layout {
        let cell = ((PICTURE_WIDTH - 2.0 * MARGIN - GAP) / (left + right) as f32).min(MAX_CELL);
        // Wide enough for the titles above small grids, too.
        let width = (2.0 * MARGIN + GAP + (left + right) as f32 * cell).max(640.0);
        let tallest = left.max(right) as f32 * cell;
        Layout {
            left: Place {
                x: MARGIN,
                y: TOP + (tallest - left as f32 * cell) / 2.0,
                cell,
            },
            right: Place {
                x: MARGIN + left as f32 * cell + GAP,
                y: TOP + (tallest - right as f32 * cell) / 2.0,
                cell,
            },
            left_cells: left,
            right_cells: right,
            width,
            height: TOP + tallest + 20.0,
        }
    }
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

/// What the forward and the transposed picture draw differently; [`Picture::view`] puts it in
/// the `<svg>` they share.
struct Picture {
    layout: Layout,
    /// The picture in words, for screen readers.
    label: String,
    /// The sizes under the titles "Input" and "Output" (the channel counts are added).
    input_detail: String,
    output_detail: String,
    /// The line from the step's input cell(s) to its output cell(s).
    link: ((f32, f32), (f32, f32)),
    /// Everything on the two grids.
    shapes: Vec<AnyView>,
}

impl Picture {
    fn view(self, s: &Settings) -> AnyView {
        let Picture {
            layout,
            label,
            input_detail,
            output_detail,
            link: (from, to),
            shapes,
        } = self;
        let Layout {
            left,
            right,
            width,
            height,
            ..
        } = layout;
        view! {
            <svg
                class="arith-picture"
                viewBox=format!("0 0 {width} {height}")
                style=format!("max-width: {width}px")
                role="img"
                aria-label=label
                data-testid="arithmetic-picture"
            >
                {defs(left, right)}
                {titles(left.x, "Input", format!("{input_detail}{}", channels_text(s.channels_in, "channels")))}
                {titles(right.x, "Output", format!("{output_detail}{}", channels_text(s.channels_out, "filters")))}
                // Under the grids: it shows in the gap between them.
                <line class="arith-link" x1=from.0 y1=from.1 x2=to.0 y2=to.1></line>
                <circle class="arith-link-end" cx=to.0 cy=to.1 r=4></circle>
                {sheets(left, layout.left_cells, s.channels_in)}
                {sheets(right, layout.right_cells, s.channels_out)}
                {shapes}
            </svg>
        }
        .into_any()
    }
}

/// The picture of `layer` at animation step `step`.
pub(super) fn picture(layer: &Layer, step: usize) -> AnyView {
    if layer.settings.transposed {
        transposed_picture(layer, step)
    } else {
        forward_picture(layer, step)
    }
}

/// The forward picture at `step`: the padded input with the kernel's taps, and the output
/// filled up to the current cell.
fn forward_picture(layer: &Layer, step: usize) -> AnyView {
    let s = layer.settings;
    let (i, p, o) = (s.input, s.padding, layer.size());
    let padded = i + 2 * p;
    let layout = Layout::new(padded, o);
    let (left, right) = (layout.left, layout.right);
    let (row, col) = (step / o, step % o);

    let mut shapes: Vec<AnyView> = Vec::new();
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
    Picture {
        layout,
        label: format!(
            "Input {i}×{i} with the kernel at output cell ({}, {}); output {o}×{o}",
            row + 1,
            col + 1
        ),
        input_detail: format!("{i}×{i}{padding_text}"),
        output_detail: format!("{o}×{o}"),
        link: (from, to),
        shapes,
    }
    .view(&s)
}

/// The transposed picture at `step`: the current input cell, and the kernel it stamps onto
/// the output (with the parts cropped by the padding drawn dashed).
fn transposed_picture(layer: &Layer, step: usize) -> AnyView {
    let s = layer.settings;
    let (i, p, o) = (s.input, s.padding, layer.size());
    let full = o + 2 * p;
    let layout = Layout::new(i, full);
    let (left, right) = (layout.left, layout.right);
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
    Picture {
        layout,
        label: format!(
            "Input {i}×{i}: cell ({}, {}) stamps the kernel onto the output {o}×{o}",
            row + 1,
            col + 1
        ),
        input_detail: format!("{i}×{i}: each cell stamps the kernel"),
        output_detail: format!("{o}×{o}{crop_text}"),
        link: (from, to),
        shapes,
    }
    .view(&s)
}
