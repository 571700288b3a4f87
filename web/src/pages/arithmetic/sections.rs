//! The page's sections below the controls: the formulas with the current numbers, the step
//! player, and the value grids with the current step's cells highlighted.

use convlab_kernels::Grid;
use convlab_kernels::arithmetic::{conv_multiply_adds, conv_param_count};
use leptos::prelude::*;

use super::formulas::{grouped, macs_formula, params_formula, size_formula};
use super::settings::{Layer, Settings};
use super::step::{input_cells, output_cells};
use crate::components::controls::SelectField;
use crate::components::math::Math;
use crate::components::matrix::MatrixGrid;
use crate::components::player::{PlayButton, Player};
use crate::url_state::MatrixParam;

/// The layer the settings and the edited values make, or why there is none.
pub(super) type LayerMemo = Memo<Result<Layer, String>>;

/// Value grids larger than this (per side) show their top-left corner only.
const VALUES_SHOWN: usize = 16;

/// The top-left `VALUES_SHOWN × VALUES_SHOWN` of a grid.
fn corner(grid: &Grid) -> Grid {
    let (rows, cols) = (grid.rows().min(VALUES_SHOWN), grid.cols().min(VALUES_SHOWN));
    Grid::from_fn(rows, cols, |r, c| grid[(r, c)])
}

/// Output size, parameters and multiply-adds, each as a sentence and a formula with the
/// current numbers.
#[component]
pub(super) fn Formulas(settings: Memo<Settings>, layer: LayerMemo) -> impl IntoView {
    let transposed = move || settings.get().transposed;
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
    // Counted in u64 and checked: sizes from the address bar can be anything, and on wasm32 a
    // usize overflows for large layers. `None` when the count does not fit.
    let params_total = move || {
        let s = settings.get();
        conv_param_count(s.channels_in, s.channels_out, (s.kernel, s.kernel), true)
    };
    let macs = move || {
        let s = settings.get();
        let positions = if s.transposed {
            Some(s.input)
        } else {
            layer.with(|l| l.as_ref().ok().map(Layer::size))
        };
        positions.and_then(|n| {
            let total =
                conv_multiply_adds(s.channels_in, s.channels_out, (s.kernel, s.kernel), (n, n))?;
            Some((n, total))
        })
    };
    let params_math = Signal::derive(move || params_formula(&settings.get(), params_total()));
    let macs_math = Signal::derive(move || {
        macs()
            .map(|(n, total)| macs_formula(&settings.get(), n, total))
            .unwrap_or_default()
    });

    view! {
            <div class="arith-formulas">
                <p class="arith-size-line">
                    "Output size: " <strong data-testid="arithmetic-size">{size_text}</strong>
                    <span class="muted">
                        {move || if transposed() { " (transposed convolution)" } else { " (convolution)" }}
                    </span>
                </p>
                <Math mathml=size_math block=true />
                {move || layer.with(|l| l.as_ref().err().map(|e| view! { <p class="error" role="alert" data-testid="arithmetic-error">{e.clone()}</p> }))}
                <p>
                    "Parameters: " <strong data-testid="arithmetic-params">{move || params_total().map_or_else(|| "too many to count".to_string(), grouped)}</strong>
                    " (" {move || {
                        let s = settings.get();
                        conv_param_count(s.channels_in, s.channels_out, (s.kernel, s.kernel), false)
                            .map_or_else(|| "too many".to_string(), grouped)
                    }}
                    " weights + " {move || {
                        let n = settings.get().channels_out;
                        if n == 1 { "1 bias".to_string() } else { format!("{n} biases") }
                    }} ")"
                </p>
                <Math mathml=params_math block=true />
                <p>
                    "Multiply-adds per image: " <strong data-testid="arithmetic-macs">{move || macs().map_or_else(|| "—".to_string(), |(_, t)| grouped(t))}</strong>
                    {move || match (layer.with(|l| l.is_ok()), transposed()) {
                        (false, _) => "",
                        (true, true) => " — every input cell stamps every weight once (stamps cropped by the padding included)",
                        (true, false) => " — every output cell needs every weight once",
                    }}
                </p>
                <Math mathml=macs_math block=true />
            </div>
    }
}

/// Step back, play, step on, a slider over the steps and the speed.
#[component]
pub(super) fn StepPlayer(
    player: Player,
    step: RwSignal<usize>,
    current: Memo<usize>,
    steps: Memo<usize>,
    speed: RwSignal<String>,
) -> impl IntoView {
    // A playing player goes on at the new speed.
    let on_speed = Callback::new(move |v: String| speed.set(v));
    view! {
                <div class="arith-player">
                    <button data-testid="arithmetic-prev" on:click=move |_| { player.pause(); step.set(current.get_untracked().saturating_sub(1)); }>"◀ Step"</button>
                    <PlayButton player testid="arithmetic-play" />
                    <button data-testid="arithmetic-next" on:click=move |_| {
                        player.pause();
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
                                    player.pause();
                                    step.set(v.min(steps.get_untracked() - 1));
                                }
                            }
                            data-testid="arithmetic-step"
                        />
                    </label>
                    <SelectField label="Speed" options=vec![("slow", "Slow"), ("normal", "Normal"), ("fast", "Fast")] value=speed on_change=on_speed testid="arithmetic-speed" />
                </div>
    }
}

/// The input, kernel and output values (large grids: their top-left corner), the current
/// step's cells highlighted; editing the input or the kernel hands the whole grid, as URL
/// text, to `on_edit_input` / `on_edit_kernel`.
#[component]
pub(super) fn ValueGrids(
    layer: LayerMemo,
    current: Memo<usize>,
    input: Signal<usize>,
    on_edit_input: Callback<String>,
    on_edit_kernel: Callback<String>,
) -> impl IntoView {
    // Values: the current cell(s) highlighted in the grids below the picture.
    let values = move |part: fn(&Layer) -> Grid| {
        Signal::derive(move || layer.with(|l| l.as_ref().map(part).unwrap_or_default()))
    };
    let output_values = values(|l| corner(&l.output));
    let input_values = values(|l| corner(&l.input));
    let kernel_values = values(|l| l.kernel.clone());
    let highlight = move |cells: fn(&Layer, usize) -> Vec<(usize, usize)>| {
        Signal::derive(move || {
            let step = current.get();
            layer.with(|l| l.as_ref().map(|l| cells(l, step)).unwrap_or_default())
        })
    };
    let output_highlight = highlight(output_cells);
    let input_highlight = highlight(input_cells);
    // An edit puts the whole grid in the URL; grids shown in part (large inputs) are not editable.
    let on_edit = move |part: fn(Layer) -> Grid, set_edited: Callback<String>| {
        Callback::new(move |(r, c, v): (usize, usize, f32)| {
            let Some(Ok(l)) = layer.try_get_untracked() else {
                return;
            };
            let mut grid = part(l);
            if r < grid.rows() && c < grid.cols() && grid.rows() <= VALUES_SHOWN {
                grid[(r, c)] = v;
                set_edited.run(MatrixParam(grid).to_string());
            }
        })
    };
    let on_edit_input = on_edit(|l| l.input, on_edit_input);
    let on_edit_kernel = on_edit(|l| l.kernel, on_edit_kernel);
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

    view! {
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
    }
}
