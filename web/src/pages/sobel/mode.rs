//! True convolution against the cross-correlation deep-learning libraries compute.

use convlab_kernels::crop::Operation;
use convlab_kernels::sobel::{SOBEL_X, grid3};
use leptos::prelude::*;

use super::Picture;
use super::text::operation_formula;
use crate::components::math::{Math, matrix};

/// The rotated kernel, the two sums, and the switch between them.
#[component]
pub(super) fn ModeSection(picture: Picture, set_mode: Callback<String>) -> impl IntoView {
    let operation = picture.operation;
    let flip_formula = format!(
        "{}<mspace width=\"1em\"/><mover><mo>⟶</mo><mtext>rotate 180°</mtext></mover><mspace width=\"1em\"/>{}",
        matrix(&grid3(SOBEL_X)),
        matrix(&grid3(SOBEL_X).flipped())
    );
    view! {
        <h2>"Convolution or cross-correlation?"</h2>
        <p>
            "The lecture writes " <b>"Gx ∗ Input"</b> ": a true convolution, the 2D form of "
            "(f ∗ g)(t) = ∫ f(τ) g(t − τ) dτ. The minus sign in g(t − τ) means the kernel is read backwards; in two "
            "dimensions that is the kernel rotated by 180° before it is laid on the picture. Rotated, Sobel's Gx "
            "computes “right column minus left column”, so it is positive where the picture gets brighter to the right."
        </p>
        <Math mathml=flip_formula block=true />
        <p>
            "Deep-learning libraries skip the rotation. PyTorch's " <code>"Conv2d"</code> " and Burn's "
            <code>"conv2d"</code> " compute a " <b>"cross-correlation"</b> " — the kernel slides over the picture as it "
            "is written — and still call it convolution. For a kernel a network learns this makes no difference: it "
            "simply learns the rotated weights. For a kernel written by hand it does: Gx as printed on the slide gives "
            "the opposite sign under cross-correlation, so bright edges turn dark and dark ones bright. Kernels that "
            "look the same after a half turn (box blur, Gaussian, sharpen, Laplacian, identity) give the same picture "
            "either way. Switch below and watch the filtered picture."
        </p>
        <fieldset class="sobel-mode">
            <legend>"Slide the kernel as"</legend>
            <label>
                <input
                    type="radio"
                    name="sobel-mode"
                    data-testid="sobel-mode-convolution"
                    prop:checked=move || operation.get() == Operation::Convolution
                    on:change=move |_| set_mode.run("convolution".to_string())
                />
                " true convolution K ∗ I (rotated by 180°, as in the lecture)"
            </label>
            <label>
                <input
                    type="radio"
                    name="sobel-mode"
                    data-testid="sobel-mode-correlation"
                    prop:checked=move || operation.get() == Operation::CrossCorrelation
                    on:change=move |_| set_mode.run("correlation".to_string())
                />
                " cross-correlation K ⋆ I (what PyTorch and Burn call conv2d)"
            </label>
        </fieldset>
        <Math mathml=Signal::derive(move || operation_formula(operation.get())) block=true />
    }
}
