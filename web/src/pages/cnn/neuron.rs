//! Section 1: one CNN neuron — `Activation(Conv2D(Weights, Input) + bias)` — with an editable
//! kernel, a bias, an activation, and every multiply-add of the output value clicked.

use convlab_kernels::filters::Preset;
use convlab_kernels::image::Tone;
use convlab_kernels::neuron::{Activation, NeuronStep, neuron, neuron_step};
use convlab_kernels::{Conv2dParams, Grid, lecture_input, lecture_kernel};
use leptos::prelude::*;

use super::settings::{ActivationParam, NeuronInput};
use crate::components::canvas::{ImageCanvas, Rgba};
use crate::components::controls::{SelectField, SliderField};
use crate::components::heatmap::{HeatMap, max_abs};
use crate::components::math::{Math, mn};
use crate::components::matrix::MatrixGrid;
use crate::ml::{KernelBank, example_digit};
use crate::url_state::{MatrixParam, format_number, use_query_state};

/// Inputs up to this side are shown as numbered grids; larger ones as pictures.
const GRID_SIDE: usize = 8;
/// The example digit the neuron can look at.
const EXAMPLE: u8 = 7;

/// The neuron: input, kernel, bias, activation, output and the step for one output value.
#[component]
pub(super) fn NeuronSection(
    /// The drawing of section 3 as LeNet-5 sees it (28×28), once there is one.
    drawing: Signal<Option<Vec<f32>>>,
    /// LeNet-5's first-layer kernels, once the models are loaded.
    conv1: Signal<Option<KernelBank>>,
) -> impl IntoView {
    let (input_choice, set_input_choice) = use_query_state("input", NeuronInput::Lecture);
    let (kernel, set_kernel) = use_query_state("w", MatrixParam(lecture_kernel()));
    let (bias, set_bias) = use_query_state("b", 0.0f32);
    let (activation, set_activation) = use_query_state("act", ActivationParam::default());
    let picked = RwSignal::new((0usize, 0usize));

    let input = Memo::new(move |_| -> Result<Grid, String> {
        let digit = |values: Vec<f32>| Grid::from_vec(28, 28, values).map_err(|e| e.to_string());
        match input_choice.get() {
            NeuronInput::Lecture => Ok(lecture_input()),
            NeuronInput::Digit => digit(example_digit(EXAMPLE)),
            NeuronInput::Drawing => match drawing.get() {
                Some(values) => digit(values),
                None => Err("Draw a digit in section 3 first: the neuron will look at it.".into()),
            },
        }
    });
    let output = Memo::new(move |_| -> Result<Grid, String> {
        let input = input.get()?;
        kernel.with(|k| {
            neuron(
                &input,
                &k.0,
                bias.get(),
                activation.get().0,
                Conv2dParams::new(),
            )
            .map_err(|e| e.to_string())
        })
    });
    // The clicked output cell, or the first one when the output has shrunk under it.
    let cell = Memo::new(move |_| {
        let (r, c) = picked.get();
        output.with(|o| match o {
            Ok(o) if r < o.rows() && c < o.cols() => (r, c),
            _ => (0, 0),
        })
    });
    let step = Memo::new(move |_| -> Option<NeuronStep> {
        let input = input.get().ok()?;
        kernel.with(|k| {
            neuron_step(
                &input,
                &k.0,
                bias.get(),
                activation.get().0,
                Conv2dParams::new(),
                cell.get(),
            )
            .ok()
        })
    });
    let window = Signal::derive(move || {
        let (r, c) = cell.get();
        let (kr, kc) = kernel.with(|k| k.0.shape());
        (0..kr)
            .flat_map(|m| (0..kc).map(move |n| (r + m, c + n)))
            .collect::<Vec<_>>()
    });

    let set_preset = move |grid: Grid, b: Option<f32>| {
        set_kernel.run(MatrixParam(grid));
        if let Some(b) = b {
            set_bias.run(b);
        }
    };
    let on_edit = Callback::new(move |(r, c, v): (usize, usize, f32)| {
        let mut grid = kernel.get_untracked().0;
        if r < grid.rows() && c < grid.cols() {
            grid[(r, c)] = v;
            set_kernel.run(MatrixParam(grid));
        }
    });
    let activation_options: Vec<(&'static str, &'static str)> = Activation::ALL
        .iter()
        .map(|a| (a.slug(), a.label()))
        .collect();

    view! {
        <p>
            "A neuron of a convolutional layer holds a matrix of weights instead of one weight. It slides that kernel "
            "over its input (the cross-correlation that PyTorch and Burn call Conv2D), adds its bias to every sum and "
            "applies its activation: "
            <Math mathml="<mtext>Output</mtext><mo>=</mo><mtext>Activation</mtext><mo>(</mo><mtext>Conv2D</mtext><mo>(</mo><mtext>Weights</mtext><mo>,</mo><mtext>Input</mtext><mo>)</mo><mo>+</mo><mi>b</mi><mo>)</mo>".to_string() />
            ". Click an output value to see how it is made."
        </p>
        <div class="controls">
            <SelectField
                label="Input"
                options=NeuronInput::OPTIONS.to_vec()
                value=Signal::derive(move || input_choice.get().to_string())
                on_change=Callback::new(move |s: String| if let Ok(v) = s.parse() { set_input_choice.run(v) })
                testid="cnn-neuron-input-choice"
            />
            <SelectField
                label="Activation"
                options=activation_options
                value=Signal::derive(move || activation.get().to_string())
                on_change=Callback::new(move |s: String| if let Ok(v) = s.parse() { set_activation.run(v) })
                testid="cnn-neuron-activation"
            />
            <SliderField label="Bias b" value=bias on_change=set_bias min=-64.0 max=64.0 step=0.25 testid="cnn-neuron-bias" />
        </div>
        <div class="preset-row" role="group" aria-label="Kernel presets">
            <span class="field-label">"Kernel: "</span>
            <button on:click=move |_| set_preset(lecture_kernel(), None) data-testid="cnn-kernel-lecture">
                "the lecture's [[3, 5], [2, 2]]"
            </button>
            {[Preset::SobelX, Preset::SobelY, Preset::BoxBlur, Preset::Sharpen]
                .into_iter()
                .map(|p| view! {
                    <button on:click=move |_| set_preset(p.kernel(), None) data-testid=format!("cnn-kernel-{}", p.slug())>
                        {p.label()}
                    </button>
                })
                .collect_view()}
            {move || conv1.get().map(|bank| {
                (0..bank.shape[0] as usize)
                    .filter_map(|f| {
                        let weights = bank.kernel(f, 0)?.to_vec();
                        let side = bank.shape[2] as usize;
                        let grid = Grid::from_vec(side, bank.shape[3] as usize, weights).ok()?;
                        let b = bank.bias.get(f).copied();
                        Some(view! {
                            <button on:click=move |_| set_preset(grid.clone(), b) data-testid=format!("cnn-kernel-lenet-{f}")>
                                {format!("LeNet-5 conv1 #{}", f + 1)}
                            </button>
                        })
                    })
                    .collect_view()
            })}
        </div>
        <div class="row neuron">
            <Picture grid=input testid="cnn-neuron-input" caption="Input" window=window on_pick=None />
            <MatrixGrid grid=Signal::derive(move || kernel.get().0) testid="cnn-neuron-kernel" caption="Weights (edit me)" on_edit=on_edit />
            <Picture grid=output testid="cnn-neuron-output" caption="Neuron output" window=Signal::derive(move || vec![cell.get()]) on_pick=Some(Callback::new(move |rc| picked.set(rc))) />
        </div>
        {move || output.get().err().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <Step step=step cell=cell.into() activation=Signal::derive(move || activation.get().0) />
    }
}

/// A grid as numbered cells when it is small, as a picture otherwise; `window` marks cells,
/// and `on_pick` (for the output) reports the cell clicked.
#[component]
fn Picture(
    grid: Memo<Result<Grid, String>>,
    testid: &'static str,
    caption: &'static str,
    #[prop(into)] window: Signal<Vec<(usize, usize)>>,
    on_pick: Option<Callback<(usize, usize)>>,
) -> impl IntoView {
    let ok = move || grid.get().unwrap_or_else(|_| Grid::zeros(1, 1));
    move || {
        let g = ok();
        if g.rows() <= GRID_SIDE && g.cols() <= GRID_SIDE {
            let hover = on_pick.map(|pick| {
                Callback::new(move |rc: Option<(usize, usize)>| {
                    if let Some(rc) = rc {
                        pick.run(rc)
                    }
                })
            });
            match hover {
                Some(h) => view! { <MatrixGrid grid=Signal::derive(ok) testid=testid caption=caption highlight=window on_hover=h /> }.into_any(),
                None => view! { <MatrixGrid grid=Signal::derive(ok) testid=testid caption=caption highlight=window /> }.into_any(),
            }
        } else if on_pick.is_some() {
            view! {
                <figure>
                    <HeatMap grid=Signal::derive(ok) scale=Signal::derive(move || max_abs(ok().data())) testid=testid.to_string() label=caption on_pick=on_pick.unwrap_or(Callback::new(|_| ())) />
                    <figcaption>{caption} " (red above 0, blue below; click a pixel)"</figcaption>
                </figure>
            }
            .into_any()
        } else {
            let rgba = Signal::derive(move || Rgba::from_grid(&ok(), Tone::MinMax));
            view! {
                <figure>
                    <ImageCanvas image=rgba testid=testid label=caption />
                    <figcaption>{caption}</figcaption>
                </figure>
            }
            .into_any()
        }
    }
}

/// The multiply-adds of the chosen output value, the bias and the activation, with numbers.
#[component]
fn Step(
    step: Memo<Option<NeuronStep>>,
    cell: Signal<(usize, usize)>,
    activation: Signal<Activation>,
) -> impl IntoView {
    let show = |v: f32| format_number(v);
    move || {
        step.get().map(|s| {
            let (r, c) = cell.get();
            let act = activation.get();
            let terms = s
                .terms
                .iter()
                .map(|t| {
                    let (m, n) = t.kernel_pos;
                    let (y, x) = t.input_pos;
                    view! {
                        <li data-product=t.product.to_string()>
                            {format!("I({y}, {x}) × W({m}, {n}) = {} × {} = {}", show(t.input_value), show(t.weight), show(t.product))}
                        </li>
                    }
                })
                .collect_view();
            let activation_formula = match act {
                Activation::None => "<mi>z</mi>".to_string(),
                Activation::Relu => "<mo>max</mo><mo>(</mo><mn>0</mn><mo>,</mo><mi>z</mi><mo>)</mo>".to_string(),
                Activation::Sigmoid => "<mfrac><mn>1</mn><mrow><mn>1</mn><mo>+</mo><msup><mi>e</mi><mrow><mo>−</mo><mi>z</mi></mrow></msup></mrow></mfrac>".to_string(),
                Activation::Tanh => "<mo>tanh</mo><mo>(</mo><mi>z</mi><mo>)</mo>".to_string(),
            };
            view! {
                <div class="neuron-step">
                    <h3>{format!("Output ({r}, {c})")}</h3>
                    <ol class="terms" data-testid="cnn-neuron-terms">{terms}</ol>
                    <p>
                        "Conv2D = " <strong data-testid="cnn-neuron-sum" data-value=s.sum.to_string()>{show(s.sum)}</strong>
                        ", z = Conv2D + b = " {show(s.sum)} " + " {show(s.bias)} " = "
                        <strong data-testid="cnn-neuron-pre" data-value=s.pre_activation.to_string()>{show(s.pre_activation)}</strong>
                    </p>
                    <p>
                        {format!("{}: ", act.label())}
                        <Math mathml=format!("{activation_formula}<mo>=</mo>{}", mn(s.output)) />
                        " → output " <strong data-testid="cnn-neuron-value" data-value=s.output.to_string()>{show(s.output)}</strong>
                    </p>
                </div>
            }
        })
    }
}
