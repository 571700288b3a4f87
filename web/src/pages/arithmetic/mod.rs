//! `/arithmetic`: convolution arithmetic — what kernel size, stride, padding, dilation and the
//! number of channels do to the output size, the parameter count and the work — as an animated
//! picture (with "Input" and "Output" clearly named, which the static conv_arithmetic figures
//! leave to the reader), the formulas with the current numbers, and the lecture's worked
//! examples as presets. The transposed toggle turns the picture around: each *input* cell
//! stamps the kernel onto the *output*.
//!
//! Every setting lives in the URL; the animation step is not a setting and stays local.

mod formulas;
mod picture;
mod presets;
mod settings;
mod step;

use std::time::Duration;

use convlab_kernels::Grid;
use convlab_kernels::arithmetic::{conv_multiply_adds, conv_param_count};
use leptos::prelude::*;

use self::formulas::{grouped, macs_formula, params_formula, size_formula};
use self::picture::picture;
use self::presets::PRESETS;
use self::settings::{
    Layer, MAX_CHANNELS, MAX_DILATION, MAX_INPUT, MAX_KERNEL, MAX_OUTPUT_PADDING, MAX_PADDING,
    MAX_STRIDE, Settings, build,
};
use self::step::{input_cells, output_cells, step_text};
use crate::components::controls::{NumberField, SelectField, Toggle};
use crate::components::math::Math;
use crate::components::matrix::MatrixGrid;
use crate::components::player::{PlayButton, use_player};
use crate::url_state::{MatrixParam, use_query_state};

/// Value grids larger than this (per side) show their top-left corner only.
const VALUES_SHOWN: usize = 16;

/// The top-left `VALUES_SHOWN × VALUES_SHOWN` of a grid.
fn corner(grid: &Grid) -> Grid {
    let (rows, cols) = (grid.rows().min(VALUES_SHOWN), grid.cols().min(VALUES_SHOWN));
    Grid::from_fn(rows, cols, |r, c| grid[(r, c)])
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
    let speed = RwSignal::new("normal".to_string());
    let interval = Signal::derive(move || {
        Duration::from_millis(match speed.get().as_str() {
            "slow" => 1200,
            "fast" => 120,
            _ => 500,
        })
    });
    let player = use_player(interval, move || {
        match (current.try_get_untracked(), steps.try_get_untracked()) {
            (Some(now), Some(total)) if now + 1 < total => {
                step.set(now + 1);
                true
            }
            _ => false,
        }
    })
    // Play from the last step starts again at the first.
    .on_play(move || {
        if current.get_untracked() + 1 >= steps.get_untracked() {
            step.set(0);
        }
    });
    let on_preset = Callback::new(move |slug: String| {
        if let Some(p) = PRESETS.iter().find(|p| p.slug == slug) {
            player.pause();
            step.set(0);
            apply(p.settings);
        }
    });
    // A playing player goes on at the new speed.
    let on_speed = Callback::new(move |v: String| speed.set(v));
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

    let picture = move || {
        let step = current.get();
        layer.with(|l| l.as_ref().ok().map(|l| picture(l, step)))
    };
    let caption = move || layer.with(|l| l.as_ref().ok().map(|l| step_text(l, current.get())));

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
    let on_edit_input = on_edit(|l| l.input, set_edited_input);
    let on_edit_kernel = on_edit(|l| l.kernel, set_edited_kernel);
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
