//! One output pixel, step by step: the window under the kernel and its nine multiply-adds.

use std::time::Duration;

use convlab_kernels::conv2d::{MultiplyAdd, multiply_adds};
use convlab_kernels::crop::{Operation, crop};
use convlab_kernels::{Conv2dParams, Grid};
use leptos::prelude::*;

use super::text::show;
use super::{MAX_SIDE, Picture};
use crate::components::controls::NumberField;
use crate::components::math::Math;
use crate::components::matrix::MatrixGrid;
use crate::components::player::{PlayButton, use_player};

/// Side of the crop around the step-through pixel.
const CROP_SIDE: usize = 5;
/// Time between two pixels when the step-through plays.
const PLAY_STEP: Duration = Duration::from_millis(450);

/// The chosen pixel's crop, the kernel as laid on it, and the running sum.
#[component]
pub(super) fn StepSection(
    picture: Picture,
    applied_kernel: Memo<Grid>,
    set_row: Callback<usize>,
    set_col: Callback<usize>,
) -> impl IntoView {
    let Picture {
        input,
        shape,
        border,
        operation,
        point,
        set_point,
        ..
    } = picture;
    let steps = Memo::new(move |_| -> Result<Vec<MultiplyAdd>, String> {
        let (r, c) = point.get();
        let window = input.with(|g| crop(g, (r as isize - 1, c as isize - 1), 3, 3, border.get()));
        let window = window.map_err(|e| e.to_string())?;
        applied_kernel
            .with(|k| multiply_adds(&window, k, Conv2dParams::new(), (0, 0)))
            .map_err(|e| e.to_string())
    });
    let neighbourhood = Signal::derive(move || {
        let (r, c) = point.get();
        let half = (CROP_SIDE / 2) as isize;
        input
            .with(|g| {
                crop(
                    g,
                    (r as isize - half, c as isize - half),
                    CROP_SIDE,
                    CROP_SIDE,
                    border.get(),
                )
            })
            .unwrap_or_default()
    });
    let window_cells: Vec<(usize, usize)> =
        (1..4).flat_map(|r| (1..4).map(move |c| (r, c))).collect();
    let centre_cell = vec![(CROP_SIDE / 2, CROP_SIDE / 2)];
    // Previous / next / play move the output pixel in reading order.
    let step_by = move |delta: isize| -> bool {
        let Some((rows, cols)) = shape.try_get_untracked() else {
            return false;
        };
        let Some((r, c)) = point.try_get_untracked() else {
            return false;
        };
        let index = (r * cols + c) as isize + delta;
        if cols == 0 || index < 0 || index >= (rows * cols) as isize {
            return false;
        }
        let index = index as usize;
        set_point.run((index / cols, index % cols));
        true
    };
    let player = use_player(PLAY_STEP, move || step_by(1));
    view! {
        <h2>"One output pixel, step by step"</h2>
        <p>
            "Rows and columns count from 0 at the top left. The 5×5 crop shows the pixels around the chosen one; the "
            "highlighted 3×3 window is what the kernel covers. "
            {move || match operation.get() {
                Operation::Convolution => "In convolution the kernel lies on the window rotated by 180°, so its bottom-right weight K(2, 2) meets the top-left pixel.",
                Operation::CrossCorrelation => "In cross-correlation the kernel lies on the window as written: K(0, 0) meets the top-left pixel.",
            }}
        </p>
        <div class="controls">
            <NumberField label="Row" value=Signal::derive(move || point.get().0) on_change=set_row min=0 max=MAX_SIDE - 1 testid="sobel-row" />
            <NumberField label="Column" value=Signal::derive(move || point.get().1) on_change=set_col min=0 max=MAX_SIDE - 1 testid="sobel-col" />
            <button data-testid="sobel-step-prev" on:click=move |_| {
                player.pause();
                step_by(-1);
            }>"◀ Previous"</button>
            <PlayButton player testid="sobel-step-play" />
            <button data-testid="sobel-step-next" on:click=move |_| {
                player.pause();
                step_by(1);
            }>"Next ▶"</button>
        </div>
        <div class="row sobel-step-row">
            <MatrixGrid
                grid=neighbourhood
                testid="sobel-crop"
                caption=format!("Input around the pixel ({CROP_SIDE}×{CROP_SIDE})")
                highlight=window_cells
                accent=centre_cell
            />
            <MatrixGrid
                grid=applied_kernel
                testid="sobel-step-kernel"
                caption="Kernel as laid on the window"
            />
            <div class="sobel-step-list">
                <ol class="sobel-steps" data-testid="sobel-steps">
                    {move || {
                        let (r, c) = point.get();
                        let (rows, cols) = shape.get();
                        let op = operation.get();
                        steps.with(|s| {
                            let terms = s.as_ref().map(Vec::as_slice).unwrap_or_default();
                            let mut running = 0.0f32;
                            terms
                                .iter()
                                .map(|t| {
                                    running += t.product;
                                    let (m, n) = t.kernel_pos;
                                    let (y, x) = (r as isize - 1 + m as isize, c as isize - 1 + n as isize);
                                    let outside = y < 0 || x < 0 || y >= rows as isize || x >= cols as isize;
                                    let (km, kn) = match op {
                                        Operation::Convolution => (2 - m.min(2), 2 - n.min(2)),
                                        Operation::CrossCorrelation => (m, n),
                                    };
                                    view! {
                                        <li data-product=t.product.to_string() class:border=outside>
                                            <span class="term">
                                                {format!(
                                                    "I({y}, {x}){} × K({km}, {kn}) = {} × {} = {}",
                                                    if outside { " [beyond the edge]" } else { "" },
                                                    show(t.input_value),
                                                    show(t.weight),
                                                    show(t.product)
                                                )}
                                            </span>
                                            <span class="running muted">{format!("running sum {}", show(running))}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                        })
                    }}
                </ol>
                <p class="sobel-sum">
                    {move || {
                        let (r, c) = point.get();
                        let sym = match operation.get() {
                            Operation::Convolution => "∗",
                            Operation::CrossCorrelation => "⋆",
                        };
                        format!("Sum: (K {sym} I)({r}, {c}) = ")
                    }}
                    <strong
                        data-testid="sobel-step-sum"
                        data-value=move || {
                            steps.with(|s| s.as_ref().map(|t| t.iter().map(|t| t.product).sum::<f32>()).unwrap_or(0.0)).to_string()
                        }
                    >
                        {move || show(steps.with(|s| s.as_ref().map(|t| t.iter().map(|t| t.product).sum::<f32>()).unwrap_or(0.0)))}
                    </strong>
                </p>
                {move || steps.with(|s| s.as_ref().err().cloned()).map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
        </div>
        <p class="muted">
            "This is what every pixel of the filtered picture above is: nine multiplications and a sum. A CNN layer "
            "does exactly this with kernels it learns, then adds a bias and applies an activation: "
            <Math mathml="<mtext>Output</mtext><mo>=</mo><mtext>Activation</mtext><mo>(</mo><mtext>Conv2D</mtext><mo>(</mo><mtext>Weights</mtext><mo>,</mo><mtext>Input</mtext><mo>)</mo><mo>)</mo>".to_string() />
            "."
        </p>
    }
}
