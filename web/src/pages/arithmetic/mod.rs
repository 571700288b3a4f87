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
mod sections;
mod settings;
mod step;

use std::time::Duration;

use leptos::prelude::*;

use self::picture::picture;
use self::presets::PRESETS;
use self::sections::{Formulas, StepPlayer, ValueGrids};
use self::settings::{
    Layer, MAX_CHANNELS, MAX_DILATION, MAX_INPUT, MAX_KERNEL, MAX_OUTPUT_PADDING, MAX_PADDING,
    MAX_STRIDE, Settings, build,
};
use self::step::step_text;
use crate::components::controls::{NumberField, SelectField, Toggle};
use crate::components::player::use_player;
use crate::url_state::use_query_state;

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
    // A new input size makes edited input values meaningless; the same for the kernel.
    let on_input_size = Callback::new(move |n: usize| {
        set_edited_input.run(String::new());
        set_input.run(n);
    });
    let on_kernel_size = Callback::new(move |n: usize| {
        set_edited_kernel.run(String::new());
        set_kernel.run(n);
    });

    let picture = move || {
        let step = current.get();
        layer.with(|l| l.as_ref().ok().map(|l| picture(l, step)))
    };
    let caption = move || layer.with(|l| l.as_ref().ok().map(|l| step_text(l, current.get())));

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

            <Formulas settings layer />

            {move || layer.with(|l| l.is_ok()).then(|| view! { <StepPlayer player step current steps speed /> })}
            <figure class="arith-figure">
                {picture}
                <figcaption data-testid="arithmetic-step-text">{caption}</figcaption>
            </figure>

            <ValueGrids layer current input on_edit_input=set_edited_input on_edit_kernel=set_edited_kernel />
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
