//! The lecture's "2D example": Gx and Gy convolved with the picture, the edge strength G and
//! the direction Θ, with a colour-wheel legend.

use convlab_kernels::image::{Tone, angle_to_rgba};
use convlab_kernels::sobel::{SOBEL_X, SOBEL_Y, SobelOutput, grid3, sobel};
use leptos::prelude::*;

use super::Picture;
use super::pick_stage::PickStage;
use super::text::{colour_wheel, named_matrix, sub};
use crate::components::canvas::{ImageCanvas, Rgba};
use crate::components::controls::SelectField;
use crate::components::math::Math;

/// Sobel on the input, the border rule, and the four pictures.
#[component]
pub(super) fn GradientsSection(
    picture: Picture,
    border_slug: Signal<String>,
    set_border: Callback<String>,
) -> impl IntoView {
    let Picture {
        input,
        input_image,
        caption: input_caption,
        shape,
        border,
        point,
        set_point,
        ..
    } = picture;
    let sobel_out = Memo::new(move |_| {
        input
            .with(|g| sobel(g, border.get()))
            .map_err(|e| e.to_string())
    });
    let from_sobel = move |draw: fn(&SobelOutput) -> Rgba| {
        Signal::derive(move || sobel_out.with(|s| s.as_ref().map(draw).unwrap_or_default()))
    };
    let gx_image = from_sobel(|s| Rgba::from_grid(&s.gx, Tone::Signed));
    let gy_image = from_sobel(|s| Rgba::from_grid(&s.gy, Tone::Signed));
    let g_image = from_sobel(|s| Rgba::from_grid(&s.magnitude, Tone::MinMax));
    let theta_image = from_sobel(|s| Rgba {
        width: s.angle.cols(),
        height: s.angle.rows(),
        pixels: angle_to_rgba(&s.angle, &s.magnitude),
    });
    let sobel_error = move || sobel_out.with(|s| s.as_ref().err().cloned());
    let border_options = vec![
        ("replicate", "Repeat the edge pixels"),
        ("zero", "Zeros (CNN padding)"),
    ];
    let sobel_formulas = format!(
        "{}<mspace width=\"2em\"/>{}",
        named_matrix(&sub("G", "x"), &grid3(SOBEL_X)),
        named_matrix(&sub("G", "y"), &grid3(SOBEL_Y))
    );
    let magnitude_formula = format!(
        "<mi>G</mi><mo>=</mo><msqrt><msubsup><mi>G</mi><mi>x</mi><mn>2</mn></msubsup><mo>+</mo>\
         <msubsup><mi>G</mi><mi>y</mi><mn>2</mn></msubsup></msqrt><mspace width=\"2em\"/>\
         <mi>Θ</mi><mo>=</mo><mi>atan2</mi><mo>(</mo>{}<mo>,</mo>{}<mo>)</mo>",
        sub("G", "y"),
        sub("G", "x")
    );
    view! {
        <h2>"Gx, Gy, G and Θ"</h2>
        <Math mathml=sobel_formulas block=true />
        <Math mathml=magnitude_formula block=true />
        <div class="controls">
            <SelectField label="Beyond the edge" options=border_options value=border_slug on_change=set_border testid="sobel-border" />
            <p class="muted sobel-hint">"Click the input to choose the pixel of the step-through below."</p>
        </div>
        {move || sobel_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <div class="row images sobel-images">
            <figure>
                <PickStage image=input_image testid="sobel-input" label="Input picture, greyscale" shape=shape point=point span=3 on_pick=set_point />
                <figcaption data-testid="sobel-input-caption">{input_caption}</figcaption>
            </figure>
            <figure>
                <ImageCanvas image=gx_image testid="sobel-gx" label="Gx convolved with the input" />
                <figcaption>
                    <Math mathml=format!("{}<mo>∗</mo><mtext>Input</mtext>", sub("G", "x")) />
                    " — grey 0, light: brighter to the right, dark: darker to the right"
                </figcaption>
            </figure>
            <figure>
                <ImageCanvas image=gy_image testid="sobel-gy" label="Gy convolved with the input" />
                <figcaption>
                    <Math mathml=format!("{}<mo>∗</mo><mtext>Input</mtext>", sub("G", "y")) />
                    " — grey 0, light: brighter downwards, dark: darker downwards"
                </figcaption>
            </figure>
            <figure>
                <ImageCanvas image=g_image testid="sobel-g" label="Edge strength G" />
                <figcaption>
                    <Math mathml="<mi>G</mi><mo>=</mo><msqrt><msubsup><mi>G</mi><mi>x</mi><mn>2</mn></msubsup><mo>+</mo><msubsup><mi>G</mi><mi>y</mi><mn>2</mn></msubsup></msqrt>".to_string() />
                    " — black: flat, white: strongest edge"
                </figcaption>
            </figure>
            <figure>
                <ImageCanvas image=theta_image testid="sobel-theta" label="Edge direction Theta as a colour wheel" />
                <figcaption>
                    <Math mathml=format!("<mi>Θ</mi><mo>=</mo><mi>atan2</mi><mo>(</mo>{}<mo>,</mo>{}<mo>)</mo>", sub("G", "y"), sub("G", "x")) />
                    " — colour: direction, brightness: strength"
                </figcaption>
            </figure>
            <figure class="wheel-legend" data-testid="sobel-theta-legend">
                <div class="wheel-grid">
                    <span class="wheel-top">"−π/2: brighter ↑"</span>
                    <span class="wheel-left">"±π: brighter ←"</span>
                    <ImageCanvas image=Signal::derive(move || colour_wheel(64)) testid="sobel-wheel" label="Colour wheel: which colour is which direction" class="wheel" />
                    <span class="wheel-right">"0: brighter →"</span>
                    <span class="wheel-bottom">"π/2: brighter ↓"</span>
                </div>
                <figcaption>"Θ legend: the colour says which way the picture gets brighter (row 0 is the top, so Gy > 0 points down)."</figcaption>
            </figure>
        </div>
    }
}
