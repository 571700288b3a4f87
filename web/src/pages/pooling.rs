//! `/pooling`: the lecture's max and mean pooling example, editable, and the same pooling on
//! an image.

use convlab_kernels::image::Tone;
use convlab_kernels::pool::{PoolKind, pool2d_with_sources};
use convlab_kernels::samples::Sample;
use convlab_kernels::{Grid, KernelError, lecture_input};
use leptos::prelude::*;

use crate::components::canvas::{ImageCanvas, Rgba};
use crate::components::controls::{NumberField, SelectField};
use crate::components::math::Math;
use crate::components::matrix::MatrixGrid;
use crate::url_state::{MatrixParam, use_query_state};

/// Side of the sample image pooled in the lower half of the page.
const IMAGE_SIDE: usize = 96;

/// The pooled grid and, per output cell, the input cell max pooling picked.
type Pooled = Result<(Grid, Vec<(usize, usize)>), KernelError>;

/// The pooling page.
#[component]
pub fn PoolingPage() -> impl IntoView {
    let (input, set_input) = use_query_state("input", MatrixParam(lecture_input()));
    let (kernel, set_kernel) = use_query_state("k", 2usize);
    let (stride, set_stride) = use_query_state("s", 2usize);
    let (sample, set_sample) = use_query_state("image", "shapes".to_string());

    let pooled = move |kind| {
        Memo::new(move |_| -> Pooled {
            let (k, s) = (kernel.get(), stride.get());
            input.with(|m| pool2d_with_sources(&m.0, kind, [k, k], [s, s]))
        })
    };
    let max = pooled(PoolKind::Max);
    let mean = pooled(PoolKind::Mean);

    // The output cell under the pointer: its window lights up in the input.
    let (hovered, set_hovered) = signal(None::<(usize, usize)>);
    let on_hover = Callback::new(move |cell| set_hovered.set(cell));
    let window = Signal::derive(move || {
        let Some((r, c)) = hovered.get() else {
            return Vec::new();
        };
        let (k, s) = (kernel.get(), stride.get());
        (r * s..r * s + k)
            .flat_map(|i| (c * s..c * s + k).map(move |j| (i, j)))
            .collect()
    });
    let winners = Signal::derive(move || {
        let Some((r, c)) = hovered.get() else {
            return Vec::new();
        };
        max.with(|m| {
            let cols = m.as_ref().map_or(0, |(g, _)| g.cols());
            m.as_ref()
                .ok()
                .and_then(|(_, src)| src.get(r * cols + c).copied())
                .into_iter()
                .collect()
        })
    });

    let on_edit = Callback::new(move |(r, c, v): (usize, usize, f32)| {
        let mut g = input.get_untracked().0;
        g[(r, c)] = v;
        set_input.run(MatrixParam(g));
    });
    let output_grid = move |m: Memo<Pooled>| {
        Signal::derive(move || m.with(|p| p.as_ref().map(|(g, _)| g.clone()).unwrap_or_default()))
    };
    let error = move || max.with(|m| m.as_ref().err().map(|e| e.to_string()));

    let formula = Signal::derive(move || {
        let (i, k, s) = (input.with(|m| m.0.rows()), kernel.get(), stride.get());
        let o = max.with(|m| {
            m.as_ref()
                .map(|(g, _)| g.rows().to_string())
                .unwrap_or_else(|_| "—".into())
        });
        format!(
            "<mi>o</mi><mo>=</mo><mrow><mo>⌊</mo><mfrac><mrow><mi>i</mi><mo>−</mo><mi>k</mi></mrow><mi>s</mi></mfrac><mo>⌋</mo></mrow><mo>+</mo><mn>1</mn>\
             <mo>=</mo><mrow><mo>⌊</mo><mfrac><mrow><mn>{i}</mn><mo>−</mo><mn>{k}</mn></mrow><mn>{s}</mn></mfrac><mo>⌋</mo></mrow><mo>+</mo><mn>1</mn><mo>=</mo><mn>{o}</mn>"
        )
    });

    // The same pooling on a picture.
    let image = Memo::new(move |_| {
        Sample::from_slug(&sample.get())
            .unwrap_or(Sample::Shapes)
            .generate(IMAGE_SIDE, IMAGE_SIDE)
    });
    let pooled_image = move |kind| {
        Signal::derive(move || {
            let (k, s) = (kernel.get(), stride.get());
            image.with(|img| match pool2d_with_sources(img, kind, [k, k], [s, s]) {
                Ok((g, _)) => Rgba::from_grid(&g, Tone::Unit),
                Err(_) => Rgba::default(),
            })
        })
    };
    let sample_options: Vec<(&'static str, &'static str)> =
        Sample::ALL.iter().map(|s| (s.slug(), s.label())).collect();

    view! {
        <section class="page" data-testid="page-pooling">
            <h1>"Pooling"</h1>
            <p class="lead">
                "A " <b>"kernel"</b> " (window) of k×k cells moves over the input in steps of the " <b>"stride"</b>
                ". Max pooling keeps the largest value in each window, mean pooling the average. With the lecture's "
                "2×2 window and stride 2 the 4×4 input becomes 2×2: a quarter of the data, the strongest (or typical) "
                "response of each block kept. Edit any cell; hover an output cell to see its window."
            </p>
            <div class="controls">
                <NumberField label="Kernel k" value=kernel on_change=set_kernel min=1 max=8 testid="pooling-kernel" />
                <NumberField label="Stride s" value=stride on_change=set_stride min=1 max=8 testid="pooling-stride" />
                <button on:click=move |_| {
                    set_input.run(MatrixParam(lecture_input()));
                    set_kernel.run(2);
                    set_stride.run(2);
                }>"Lecture example"</button>
            </div>
            <Math mathml=formula block=true />
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="row">
                <MatrixGrid
                    grid=Signal::derive(move || input.get().0)
                    testid="pooling-input"
                    caption="Input (editable)"
                    on_edit=on_edit
                    highlight=window
                    accent=winners
                />
                <MatrixGrid grid=output_grid(max) testid="pooling-max" caption="Max pooling" on_hover=on_hover />
                <MatrixGrid grid=output_grid(mean) testid="pooling-mean" caption="Mean pooling" on_hover=on_hover />
            </div>
            <h2>"The same on an image"</h2>
            <p>
                "Pooling shrinks a picture by the stride along each axis. Max pooling keeps thin bright lines that mean "
                "pooling washes out; both lose fine detail — which is why CNNs pool only after convolutions have turned "
                "detail into feature responses."
            </p>
            <div class="controls">
                <SelectField label="Image" options=sample_options value=sample on_change=set_sample testid="pooling-sample" />
            </div>
            <div class="row images">
                <figure>
                    <ImageCanvas image=Signal::derive(move || image.with(|g| Rgba::from_grid(g, Tone::Unit))) testid="pooling-image-input" label="Input image" />
                    <figcaption>{move || format!("Input {IMAGE_SIDE}×{IMAGE_SIDE}")}</figcaption>
                </figure>
                <figure>
                    <ImageCanvas image=pooled_image(PoolKind::Max) testid="pooling-image-max" label="Max-pooled image" />
                    <figcaption>"Max pooled"</figcaption>
                </figure>
                <figure>
                    <ImageCanvas image=pooled_image(PoolKind::Mean) testid="pooling-image-mean" label="Mean-pooled image" />
                    <figcaption>"Mean pooled"</figcaption>
                </figure>
            </div>
        </section>
    }
}
