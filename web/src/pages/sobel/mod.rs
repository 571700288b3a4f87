//! `/sobel`: the lecture's "Convolutions – 2D" and "2D example" slides on any picture — the
//! Sobel operators Gx and Gy, the edge strength G and direction Θ — then any 3×3 kernel, true
//! convolution against the cross-correlation that deep-learning libraries compute, and every
//! multiply-add of one output pixel.
//!
//! Pictures come from generated samples, an upload, the drawing pad or the webcam; all are
//! reduced to at most [`MAX_SIDE`] pixels a side so that every control answers at once. Each
//! stage is a memo: changing the kernel recomputes the filtered image but not Sobel, moving
//! the step-through pixel recomputes nine products and nothing else.

mod gradients;
mod input;
mod kernel;
mod mode;
mod pick_stage;
mod step;
mod text;

use convlab_kernels::Grid;
use convlab_kernels::crop::Operation;
use convlab_kernels::image::Tone;
use convlab_kernels::sobel::Border;
use leptos::prelude::*;

use self::gradients::GradientsSection;
use self::input::{InputSection, Sources};
use self::kernel::{Kernel, KernelSection};
use self::mode::ModeSection;
use self::step::StepSection;
use crate::components::canvas::Rgba;
use crate::url_state::use_query_state;

/// Uploads and webcam frames are scaled down to this many pixels along the longer side.
const MAX_SIDE: usize = 512;
/// The step-through pixel of a fresh page: on an edge of the default sample.
const DEFAULT_POINT: (usize, usize) = (48, 88);

/// What every section reads: the picture, the border rule, the operation, the chosen pixel.
#[derive(Clone, Copy)]
struct Picture {
    input: Memo<Grid>,
    input_image: Signal<Rgba>,
    caption: Signal<String>,
    shape: Memo<(usize, usize)>,
    border: Memo<Border>,
    operation: Memo<Operation>,
    /// The step-through pixel, kept inside the picture whatever the URL says.
    point: Memo<(usize, usize)>,
    set_point: Callback<(usize, usize)>,
}

fn border_from_slug(slug: &str) -> Border {
    if slug == "zero" {
        Border::Zero
    } else {
        Border::Replicate
    }
}

fn operation_from_slug(slug: &str) -> Operation {
    if slug == "correlation" {
        Operation::CrossCorrelation
    } else {
        Operation::Convolution
    }
}

/// The 2D convolution and Sobel page.
#[component]
pub fn SobelPage() -> impl IntoView {
    // Everything that defines the view lives in the URL.
    let sources = Sources::from_url();
    let (border_slug, set_border) = use_query_state("border", "replicate".to_string());
    let (mode_slug, set_mode) = use_query_state("mode", "convolution".to_string());
    let (row, set_row) = use_query_state("row", DEFAULT_POINT.0);
    let (col, set_col) = use_query_state("col", DEFAULT_POINT.1);
    let operation = Memo::new(move |_| operation_from_slug(&mode_slug.get()));
    let kernel = Kernel::from_url(operation);
    let input = sources.input();
    let shape = Memo::new(move |_| input.with(Grid::shape));
    let point = Memo::new(move |_| {
        let (rows, cols) = shape.get();
        (
            row.get().min(rows.saturating_sub(1)),
            col.get().min(cols.saturating_sub(1)),
        )
    });
    let picture = Picture {
        input,
        input_image: Signal::derive(move || input.with(|g| Rgba::from_grid(g, Tone::Unit))),
        caption: Signal::derive(move || sources.caption(shape.get())),
        shape,
        border: Memo::new(move |_| border_from_slug(&border_slug.get())),
        operation,
        point,
        set_point: Callback::new(move |(r, c): (usize, usize)| {
            set_row.run(r);
            set_col.run(c);
        }),
    };
    view! {
        <section class="page sobel-page" data-testid="page-sobel">
            <h1>"2D convolution & Sobel"</h1>
            <p class="lead">
                "A 3×3 " <b>"kernel"</b> " slides over the picture. At every pixel, each of the nine weights multiplies "
                "the pixel under it and the nine products are added: that sum is the output pixel. The lecture's "
                <b>"Sobel operators"</b> " Gx and Gy are two such kernels. Gx responds where the picture gets brighter or "
                "darker from left to right (vertical edges), Gy from top to bottom (horizontal edges). Together they "
                "give the edge strength G and its direction Θ — edges found without caring about the background."
            </p>

            <InputSection sources />
            <GradientsSection picture border_slug set_border />
            <ModeSection picture set_mode />
            <KernelSection picture kernel />
            <StepSection picture applied_kernel=kernel.applied set_row set_col />
        </section>
    }
}
