//! Section 4: why convolutions — the lecture's count of the weights a dense network needs for a
//! raw image ("ANN – Image Processing": 3·3840·2160·n) and for a large input ("Larg(er) ANN
//! datasets": ~4 × 10¹¹), beside what a convolution layer needs for the same image.

use convlab_kernels::architecture::{conv_weights, dense_stack_weights, dense_weights};
use leptos::prelude::*;

use super::settings::{Calculator, Stack};
use crate::components::controls::NumberField;
use crate::mnist_store::thousands;
use crate::url_state::use_query_state;

/// A count with its exact digits and, when large, its power of ten.
fn count(n: u64) -> String {
    if n < 100_000 {
        return thousands(n);
    }
    let exponent = (n as f64).log10().floor() as i32;
    let mantissa = n as f64 / 10f64.powi(exponent);
    let superscript: String = exponent
        .to_string()
        .chars()
        .map(|d| match d {
            '0'..='9' => {
                ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize]
            }
            other => other,
        })
        .collect();
    format!("{} ≈ {mantissa:.1} × 10{superscript}", thousands(n))
}

/// The two calculators.
#[component]
pub(super) fn WhyConvolutions() -> impl IntoView {
    let l = Calculator::LECTURE;
    let (width, set_width) = use_query_state("iw", l.width);
    let (height, set_height) = use_query_state("ih", l.height);
    let (channels, set_channels) = use_query_state("ic", l.channels);
    let (neurons, set_neurons) = use_query_state("n", l.neurons);
    let (kernel, set_kernel) = use_query_state("k", l.kernel);
    let (filters, set_filters) = use_query_state("f", l.filters);
    let s = Stack::LECTURE;
    let (stack_neurons, set_stack_neurons) = use_query_state("sn", s.neurons);
    let (stack_layers, set_stack_layers) = use_query_state("sl", s.layers);
    let (stack_weights, set_stack_weights) = use_query_state("sw", s.weights);

    let calculator = move || Calculator {
        width: width.get(),
        height: height.get(),
        channels: channels.get(),
        neurons: neurons.get(),
        kernel: kernel.get(),
        filters: filters.get(),
    };
    let counts = Memo::new(move |_| -> Result<(u64, u64), String> {
        let c = calculator();
        c.check()?;
        let dense =
            dense_weights([c.channels, c.height, c.width], c.neurons).map_err(|e| e.to_string())?;
        let conv = conv_weights(c.channels, c.kernel, c.filters).map_err(|e| e.to_string())?;
        Ok((dense, conv))
    });
    let stack = Memo::new(move |_| -> Result<u64, String> {
        let s = Stack {
            neurons: stack_neurons.get(),
            layers: stack_layers.get(),
            weights: stack_weights.get(),
        };
        s.check()?;
        dense_stack_weights(s.neurons, s.layers, s.weights).map_err(|e| e.to_string())
    });
    let value = move |pick: fn((u64, u64)) -> u64| {
        counts
            .get()
            .map(pick)
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let shown =
        move |pick: fn((u64, u64)) -> u64| counts.get().map(pick).map(count).unwrap_or_default();
    let ratio = move || {
        counts
            .get()
            .ok()
            .filter(|(_, conv)| *conv > 0)
            .map(|(dense, conv)| format!("{}× fewer weights", thousands(dense / conv)))
            .unwrap_or_default()
    };
    let limit = |i: usize| Calculator::LECTURE.limits()[i].3;
    view! {
        <p>
            "A dense neuron has a weight for every input value, so a layer that looks at a whole image needs "
            "channels × height × width × neurons weights. A convolution layer's filters see a k×k window at a time and "
            "reuse it everywhere: k × k × channels × filters weights, whatever the image's size."
        </p>
        <div class="controls">
            <NumberField label="Width" value=width on_change=set_width min=1 max=limit(0) testid="cnn-why-width" />
            <NumberField label="Height" value=height on_change=set_height min=1 max=limit(1) testid="cnn-why-height" />
            <NumberField label="Channels" value=channels on_change=set_channels min=1 max=limit(2) testid="cnn-why-channels" />
            <NumberField label="Dense neurons" value=neurons on_change=set_neurons min=1 max=limit(3) testid="cnn-why-neurons" />
            <NumberField label="Kernel k" value=kernel on_change=set_kernel min=1 max=limit(4) testid="cnn-why-kernel" />
            <NumberField label="Filters" value=filters on_change=set_filters min=1 max=limit(5) testid="cnn-why-filters" />
        </div>
        <table class="why">
            <tbody>
                <tr>
                    <th>"dense layer: C × H × W × neurons"</th>
                    <td class="num" data-testid="cnn-dense-weights" data-value=move || value(|(d, _)| d)>{move || shown(|(d, _)| d)}</td>
                </tr>
                <tr>
                    <th>"convolution layer: k × k × C × filters"</th>
                    <td class="num" data-testid="cnn-conv-weights" data-value=move || value(|(_, c)| c)>{move || shown(|(_, c)| c)}</td>
                </tr>
                <tr>
                    <th></th>
                    <td class="num">{ratio}</td>
                </tr>
            </tbody>
        </table>
        {move || counts.get().err().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <p>
            "The lecture's second count: a network of dense layers for a large input (4,000 neurons per layer, 10 "
            "layers, each neuron with 10⁷ weights) has about 4 × 10¹¹ free parameters."
        </p>
        <div class="controls">
            <NumberField label="Neurons per layer" value=stack_neurons on_change=set_stack_neurons min=1 max=100_000_000 testid="cnn-stack-neurons" />
            <NumberField label="Layers" value=stack_layers on_change=set_stack_layers min=1 max=10_000 testid="cnn-stack-layers" />
            <NumberField label="Weights per neuron" value=stack_weights on_change=set_stack_weights min=1 max=1_000_000_000 testid="cnn-stack-weights-per-neuron" />
        </div>
        <p>
            "Free parameters: "
            <strong data-testid="cnn-stack-weights" data-value=move || stack.get().map(|v| v.to_string()).unwrap_or_default()>
                {move || stack.get().map(count).unwrap_or_default()}
            </strong>
        </p>
        {move || stack.get().err().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn large_counts_get_their_power_of_ten() {
        assert_eq!(count(27), "27");
        assert_eq!(count(24_883_200), "24,883,200 ≈ 2.5 × 10⁷");
        assert_eq!(count(400_000_000_000), "400,000,000,000 ≈ 4.0 × 10¹¹");
    }
}
