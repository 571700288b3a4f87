//! Any 3×3 kernel: a preset or the user's own (in the URL), and the picture filtered with it.

use convlab_kernels::Grid;
use convlab_kernels::crop::{Operation, filter_same};
use convlab_kernels::filters::Preset;
use convlab_kernels::image::Tone;
use leptos::prelude::*;

use super::Picture;
use super::pick_stage::PickStage;
use super::text::{named_matrix, tone_caption, tone_for};
use crate::components::canvas::Rgba;
use crate::components::controls::SelectField;
use crate::components::math::{Math, matrix};
use crate::components::matrix::MatrixGrid;
use crate::url_state::{MatrixParam, use_query_state};

/// The kernel: a known preset, or the user's edited one.
#[derive(Clone, Copy)]
pub(super) struct Kernel {
    /// `None` for the user's own kernel.
    preset: Memo<Option<Preset>>,
    set_preset: Callback<String>,
    set_custom: Callback<MatrixParam>,
    /// Whether the kernel in the URL is 3×3 (else Sobel Gx is used).
    usable_in_url: Memo<bool>,
    /// The kernel as written.
    grid: Memo<Grid>,
    /// The kernel as laid on the picture: rotated by 180° for a true convolution.
    pub(super) applied: Memo<Grid>,
}

impl Kernel {
    pub(super) fn from_url(operation: Memo<Operation>) -> Self {
        let (preset_slug, set_preset) =
            use_query_state("preset", Preset::SobelX.slug().to_string());
        let (custom_kernel, set_custom) =
            use_query_state("kernel", MatrixParam(Preset::SobelX.kernel()));
        let preset = Memo::new(move |_| {
            let slug = preset_slug.get();
            if slug == "custom" {
                None
            } else {
                Some(Preset::from_slug(&slug).unwrap_or(Preset::SobelX))
            }
        });
        let usable_in_url = Memo::new(move |_| custom_kernel.with(|k| k.0.shape() == (3, 3)));
        let grid = Memo::new(move |_| match preset.get() {
            Some(p) => p.kernel(),
            None if usable_in_url.get() => custom_kernel.get().0,
            None => Preset::SobelX.kernel(),
        });
        let applied = Memo::new(move |_| grid.with(|k| operation.get().kernel_as_applied(k)));
        Self {
            preset,
            set_preset,
            set_custom,
            usable_in_url,
            grid,
            applied,
        }
    }
}

/// The preset list, the editable kernel and the filtered picture.
#[component]
pub(super) fn KernelSection(picture: Picture, kernel: Kernel) -> impl IntoView {
    let Picture {
        input,
        input_image,
        shape,
        border,
        operation,
        point,
        set_point,
        ..
    } = picture;
    let Kernel {
        preset,
        set_preset,
        set_custom,
        usable_in_url,
        grid: kernel,
        ..
    } = kernel;
    let custom_out = Memo::new(move |_| {
        input
            .with(|g| filter_same(g, &kernel.get(), border.get(), operation.get()))
            .map_err(|e| e.to_string())
    });
    let custom_tone = Memo::new(move |_| {
        custom_out.with(|o| {
            o.as_ref()
                .map(|g| kernel.with(|k| tone_for(k, g)))
                .unwrap_or(Tone::Signed)
        })
    });
    let custom_image = Signal::derive(move || {
        custom_out.with(|o| {
            o.as_ref()
                .map(|g| Rgba::from_grid(g, custom_tone.get()))
                .unwrap_or_default()
        })
    });
    let custom_error = move || custom_out.with(|o| o.as_ref().err().cloned());
    let on_kernel_edit = Callback::new(move |(r, c, v): (usize, usize, f32)| {
        let mut k = kernel.get_untracked();
        if r < k.rows() && c < k.cols() {
            k[(r, c)] = v;
            set_custom.run(MatrixParam(k));
            set_preset.run("custom".to_string());
        }
    });
    let on_preset = Callback::new(move |slug: String| {
        if slug == "custom" {
            set_custom.run(MatrixParam(kernel.get_untracked()));
        } else {
            set_custom.run(MatrixParam(Preset::SobelX.kernel()));
        }
        set_preset.run(slug);
    });
    let preset_options: Vec<(&'static str, &'static str)> = Preset::ALL
        .iter()
        .map(|p| (p.slug(), p.label()))
        .chain([("custom", "Custom (edited)")])
        .collect();
    let kernel_formula = Signal::derive(move || {
        let k = kernel.get();
        match operation.get() {
            Operation::Convolution => format!(
                "{}<mspace width=\"1em\"/><mover><mo>⟶</mo><mtext>rotated, as slid</mtext></mover><mspace width=\"1em\"/>{}",
                named_matrix("<mi>K</mi>", &k),
                matrix(&k.flipped())
            ),
            Operation::CrossCorrelation => format!(
                "{}<mspace width=\"1em\"/><mtext>slid as written</mtext>",
                named_matrix("<mi>K</mi>", &k)
            ),
        }
    });
    let explanation = move || match preset.get() {
        Some(p) => p.explanation().to_string(),
        None => "Your own kernel. A kernel whose weights sum to 0 ignores flat areas (an edge or \
                 line detector); weights summing to 1 keep the brightness (a blur or sharpening)."
            .to_string(),
    };
    let kernel_notice = move || {
        (preset.get().is_none() && !usable_in_url.get())
            .then_some("The kernel in the link is not 3×3; Sobel Gx is used instead.")
    };
    view! {
        <h2>"Any 3×3 kernel"</h2>
        <div class="controls">
            <SelectField
                label="Kernel"
                options=preset_options
                value=Signal::derive(move || preset.get().map_or("custom", Preset::slug).to_string())
                on_change=on_preset
                testid="sobel-preset"
            />
        </div>
        <p class="sobel-explanation" data-testid="sobel-explanation">{explanation}</p>
        {move || kernel_notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        <div class="row sobel-kernel-row">
            <MatrixGrid grid=kernel testid="sobel-kernel" caption="Kernel K (edit any cell)" on_edit=on_kernel_edit />
            <Math mathml=kernel_formula block=true />
        </div>
        {move || custom_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <div class="row images">
            <figure>
                <PickStage image=input_image testid="sobel-custom-input" label="Input picture" shape=shape point=point span=3 on_pick=set_point />
                <figcaption>"Input (click to choose a pixel)"</figcaption>
            </figure>
            <figure>
                <PickStage image=custom_image testid="sobel-custom" label="The input filtered with kernel K" shape=shape point=point span=1 on_pick=set_point />
                <figcaption>
                    {move || match operation.get() {
                        Operation::Convolution => "K ∗ Input",
                        Operation::CrossCorrelation => "K ⋆ Input",
                    }}
                    " — " {move || tone_caption(custom_tone.get())}
                </figcaption>
            </figure>
        </div>
    }
}
