//! `/sobel`: the lecture's "Convolutions – 2D" and "2D example" slides on any picture — the
//! Sobel operators Gx and Gy, the edge strength G and direction Θ — then any 3×3 kernel, true
//! convolution against the cross-correlation that deep-learning libraries compute, and every
//! multiply-add of one output pixel.
//!
//! Pictures come from generated samples, an upload, the drawing pad or the webcam; all are
//! reduced to at most [`MAX_SIDE`] pixels a side so that every control answers at once. Each
//! stage is a memo: changing the kernel recomputes the filtered image but not Sobel, moving
//! the step-through pixel recomputes nine products and nothing else.

use std::time::Duration;

use convlab_kernels::conv2d::{MultiplyAdd, multiply_adds};
use convlab_kernels::crop::{Operation, crop, filter_same};
use convlab_kernels::filters::Preset;
use convlab_kernels::image::{Tone, angle_to_rgba};
use convlab_kernels::samples::Sample;
use convlab_kernels::sobel::{Border, SOBEL_X, SOBEL_Y, SobelOutput, grid3, sobel};
use convlab_kernels::{Conv2dParams, Grid};
use leptos::html::Div;
use leptos::prelude::*;

use crate::components::canvas::{ImageCanvas, Rgba};
use crate::components::controls::{NumberField, SelectField};
use crate::components::drawing_pad::{DrawingPad, Stroke};
use crate::components::image_source::{ImageUpload, LoadedImage, WebcamCapture};
use crate::components::math::{Math, matrix};
use crate::components::matrix::MatrixGrid;
use crate::components::player::{PlayButton, use_player};
use crate::url_state::{MatrixParam, format_number, use_query_state};

/// Side of the generated sample pictures.
const SAMPLE_SIDE: usize = 160;
/// Uploads and webcam frames are scaled down to this longest side.
const MAX_SIDE: usize = 512;
/// Side of the drawing pad (and of the picture it gives).
const DRAW_SIDE: u32 = 256;
/// The step-through view's first pixel: on the left edge of the square in the "Shapes" sample,
/// where Gx responds strongly.
const DEFAULT_POINT: (usize, usize) = (48, 88);
/// Side of the crop shown around the step-through pixel.
const CROP_SIDE: usize = 5;
/// Time between two pixels while playing.
const PLAY_STEP: Duration = Duration::from_millis(450);

/// Where the input picture comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Sample,
    Upload,
    Draw,
    Webcam,
}

impl Source {
    const ALL: [Source; 4] = [Source::Sample, Source::Upload, Source::Draw, Source::Webcam];

    fn slug(self) -> &'static str {
        match self {
            Source::Sample => "sample",
            Source::Upload => "upload",
            Source::Draw => "draw",
            Source::Webcam => "webcam",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Source::Sample => "Sample",
            Source::Upload => "Upload",
            Source::Draw => "Draw",
            Source::Webcam => "Webcam",
        }
    }

    fn from_slug(slug: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.slug() == slug)
            .unwrap_or(Source::Sample)
    }
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

/// How a filtered picture is shown: kernels that sum to zero give signed responses (grey = 0);
/// the others give brightness, shown as is when it stays near `[0, 1]`, else stretched.
fn tone_for(kernel: &Grid, output: &Grid) -> Tone {
    if kernel.sum().abs() < 1e-6 {
        return Tone::Signed;
    }
    let (lo, hi) = output.min_max();
    if lo >= -0.25 && hi <= 1.25 {
        Tone::Unit
    } else {
        Tone::MinMax
    }
}

fn tone_caption(tone: Tone) -> &'static str {
    match tone {
        Tone::Signed => "mid-grey = 0, lighter = positive, darker = negative",
        Tone::Unit => "black = 0, white = 1 (clipped)",
        Tone::MinMax => "stretched: darkest value black, brightest white",
    }
}

/// The colour wheel of the Θ legend: hue = direction, transparent outside the disc.
fn colour_wheel(side: usize) -> Rgba {
    let half = side as f32 / 2.0;
    let at = |r: usize, c: usize| (r as f32 + 0.5 - half, c as f32 + 0.5 - half);
    let angle = Grid::from_fn(side, side, |r, c| {
        let (y, x) = at(r, c);
        y.atan2(x)
    });
    let radius = Grid::from_fn(side, side, |r, c| {
        let (y, x) = at(r, c);
        let d = x.hypot(y) / half;
        if d <= 1.0 { d } else { 0.0 }
    });
    let mut pixels = angle_to_rgba(&angle, &radius);
    for (px, &d) in pixels.chunks_exact_mut(4).zip(radius.data()) {
        if d == 0.0 {
            px[3] = 0;
        }
    }
    Rgba {
        width: side,
        height: side,
        pixels,
    }
}

/// A number as the page prints it, with a real minus sign.
fn show(v: f32) -> String {
    let s = format_number(v);
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c != '0' && c != '.') => format!("−{rest}"),
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// MathML for `name = [matrix]`.
fn named_matrix(name: &str, grid: &Grid) -> String {
    format!("{name}<mo>=</mo>{}", matrix(grid))
}

fn sub(base: &str, index: &str) -> String {
    format!("<msub><mi>{base}</mi><mi>{index}</mi></msub>")
}

/// The sum behind one output pixel, as MathML, for the chosen operation.
fn operation_formula(operation: Operation) -> String {
    let sums = "<munderover><mo>∑</mo><mrow><mi>m</mi><mo>=</mo><mn>0</mn></mrow><mn>2</mn></munderover>\
                <munderover><mo>∑</mo><mrow><mi>n</mi><mo>=</mo><mn>0</mn></mrow><mn>2</mn></munderover>";
    let (op, sign_in, sign_out) = match operation {
        Operation::Convolution => (
            "∗",
            "<mo>+</mo><mn>1</mn><mo>−</mo>",
            "<mo>+</mo><mn>1</mn><mo>−</mo>",
        ),
        Operation::CrossCorrelation => (
            "⋆",
            "<mo>−</mo><mn>1</mn><mo>+</mo>",
            "<mo>−</mo><mn>1</mn><mo>+</mo>",
        ),
    };
    format!(
        "<mo>(</mo><mi>K</mi><mo>{op}</mo><mi>I</mi><mo>)</mo><mo>[</mo><mi>i</mi><mo>,</mo><mi>j</mi><mo>]</mo><mo>=</mo>{sums}\
         <mi>I</mi><mo>[</mo><mi>i</mi>{sign_in}<mi>m</mi><mo>,</mo><mi>j</mi>{sign_out}<mi>n</mi><mo>]</mo>\
         <mo>·</mo><mi>K</mi><mo>[</mo><mi>m</mi><mo>,</mo><mi>n</mi><mo>]</mo>"
    )
}

/// The 2D convolution and Sobel page.
#[component]
pub fn SobelPage() -> impl IntoView {
    // Everything that defines the view lives in the URL.
    let (source_slug, set_source) = use_query_state("src", Source::Sample.slug().to_string());
    let (sample_slug, set_sample) = use_query_state("sample", Sample::Shapes.slug().to_string());
    let (preset_slug, set_preset) = use_query_state("preset", Preset::SobelX.slug().to_string());
    let (custom_kernel, set_custom_kernel) =
        use_query_state("kernel", MatrixParam(Preset::SobelX.kernel()));
    let (border_slug, set_border) = use_query_state("border", "replicate".to_string());
    let (mode_slug, set_mode) = use_query_state("mode", "convolution".to_string());
    let (row, set_row) = use_query_state("row", DEFAULT_POINT.0);
    let (col, set_col) = use_query_state("col", DEFAULT_POINT.1);

    let source = Memo::new(move |_| Source::from_slug(&source_slug.get()));
    let sample =
        Memo::new(move |_| Sample::from_slug(&sample_slug.get()).unwrap_or(Sample::Shapes));
    let border = Memo::new(move |_| border_from_slug(&border_slug.get()));
    let operation = Memo::new(move |_| operation_from_slug(&mode_slug.get()));
    // A known preset, or `None` for the user's own kernel.
    let preset = Memo::new(move |_| {
        let slug = preset_slug.get();
        if slug == "custom" {
            None
        } else {
            Some(Preset::from_slug(&slug).unwrap_or(Preset::SobelX))
        }
    });
    let kernel_in_url_is_usable = Memo::new(move |_| custom_kernel.with(|k| k.0.shape() == (3, 3)));
    let kernel = Memo::new(move |_| match preset.get() {
        Some(p) => p.kernel(),
        None if kernel_in_url_is_usable.get() => custom_kernel.get().0,
        None => Preset::SobelX.kernel(),
    });
    let applied_kernel = Memo::new(move |_| kernel.with(|k| operation.get().kernel_as_applied(k)));

    // Pictures from the user; they stay when the user switches to another source and back.
    let uploaded = RwSignal::new(None::<LoadedImage>);
    let captured = RwSignal::new(None::<LoadedImage>);
    let drawing = RwSignal::new(None::<Grid>);
    let strokes = RwSignal::new(Vec::<Stroke>::new());

    let sample_grid = Memo::new(move |_| sample.get().generate(SAMPLE_SIDE, SAMPLE_SIDE));
    // The user's picture behind the current source, if that source has one.
    let loaded_source = move || match source.get() {
        Source::Upload => Some(uploaded),
        Source::Webcam => Some(captured),
        Source::Sample | Source::Draw => None,
    };
    // Its name, decoded size and working size, without copying the pixels.
    let loaded_info = Memo::new(move |_| {
        loaded_source()?.with(|l| {
            l.as_ref()
                .map(|l| (l.name.clone(), l.original, l.grid.shape()))
        })
    });
    let input = Memo::new(move |_| match source.get() {
        Source::Sample => sample_grid.get(),
        Source::Draw => drawing
            .get()
            .unwrap_or_else(|| Grid::zeros(DRAW_SIDE as usize, DRAW_SIDE as usize)),
        Source::Upload | Source::Webcam => loaded_source()
            .and_then(|l| l.with(|l| l.as_ref().map(|l| l.grid.clone())))
            .unwrap_or_else(|| sample_grid.get()),
    });
    let shape = Memo::new(move |_| input.with(Grid::shape));
    let input_caption = move || {
        let (rows, cols) = shape.get();
        let what = match (source.get(), loaded_info.get()) {
            (Source::Draw, _) => "Your drawing".to_string(),
            (Source::Upload | Source::Webcam, Some((name, _, _))) => name,
            _ => format!("Sample “{}”", sample.get().label()),
        };
        format!("Input: {what}, {cols}×{rows}")
    };
    let scaled_notice = move || {
        let (name, (r0, c0), (r, c)) = loaded_info.get()?;
        ((r0, c0) != (r, c)).then(|| {
            format!(
                "“{name}” is {c0}×{r0} pixels; it was scaled down to {c}×{r} (longest side \
                 {MAX_SIDE}) so that every control answers at once."
            )
        })
    };
    let fallback_notice = move || {
        let what = match source.get() {
            Source::Upload => "No picture uploaded yet",
            Source::Webcam => "No frame captured yet",
            Source::Sample | Source::Draw => return None,
        };
        loaded_info.get().is_none().then(|| {
            format!(
                "{what}: the sample “{}” is shown meanwhile.",
                sample.get().label()
            )
        })
    };

    // Sobel on the input (the lecture's "2D example" slide).
    let sobel_out = Memo::new(move |_| {
        input
            .with(|g| sobel(g, border.get()))
            .map_err(|e| e.to_string())
    });
    let from_sobel = move |draw: fn(&SobelOutput) -> Rgba| {
        Signal::derive(move || sobel_out.with(|s| s.as_ref().map(draw).unwrap_or_default()))
    };
    let input_image = Signal::derive(move || input.with(|g| Rgba::from_grid(g, Tone::Unit)));
    let gx_image = from_sobel(|s| Rgba::from_grid(&s.gx, Tone::Signed));
    let gy_image = from_sobel(|s| Rgba::from_grid(&s.gy, Tone::Signed));
    let g_image = from_sobel(|s| Rgba::from_grid(&s.magnitude, Tone::MinMax));
    let theta_image = from_sobel(|s| Rgba {
        width: s.angle.cols(),
        height: s.angle.rows(),
        pixels: angle_to_rgba(&s.angle, &s.magnitude),
    });
    let sobel_error = move || sobel_out.with(|s| s.as_ref().err().cloned());

    // Any 3×3 kernel, convolved or cross-correlated.
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

    // The step-through pixel, kept inside the picture whatever the URL says.
    let point = Memo::new(move |_| {
        let (rows, cols) = shape.get();
        (
            row.get().min(rows.saturating_sub(1)),
            col.get().min(cols.saturating_sub(1)),
        )
    });
    let set_point = Callback::new(move |(r, c): (usize, usize)| {
        set_row.run(r);
        set_col.run(c);
    });
    let steps = Memo::new(move |_| -> Result<Vec<MultiplyAdd>, String> {
        let (r, c) = point.get();
        let window = input.with(|g| crop(g, (r as isize - 1, c as isize - 1), 3, 3, border.get()));
        let window = window.map_err(|e| e.to_string())?;
        applied_kernel
            .with(|k| multiply_adds(&window, k, Conv2dParams::new(), (0, 0)))
            .map_err(|e| e.to_string())
    });
    let neighbourhood = Signal::derive(move || {
        let (r, c) = point.get();
        let half = (CROP_SIDE / 2) as isize;
        input
            .with(|g| {
                crop(
                    g,
                    (r as isize - half, c as isize - half),
                    CROP_SIDE,
                    CROP_SIDE,
                    border.get(),
                )
            })
            .unwrap_or_default()
    });
    let window_cells: Vec<(usize, usize)> =
        (1..4).flat_map(|r| (1..4).map(move |c| (r, c))).collect();
    let centre_cell = vec![(CROP_SIDE / 2, CROP_SIDE / 2)];

    // Previous / next / play move the output pixel in reading order.
    let step_by = move |delta: isize| -> bool {
        let Some((rows, cols)) = shape.try_get_untracked() else {
            return false;
        };
        let Some((r, c)) = point.try_get_untracked() else {
            return false;
        };
        let index = (r * cols + c) as isize + delta;
        if cols == 0 || index < 0 || index >= (rows * cols) as isize {
            return false;
        }
        let index = index as usize;
        set_point.run((index / cols, index % cols));
        true
    };
    let player = use_player(PLAY_STEP, move || step_by(1));

    let on_kernel_edit = Callback::new(move |(r, c, v): (usize, usize, f32)| {
        let mut k = kernel.get_untracked();
        if r < k.rows() && c < k.cols() {
            k[(r, c)] = v;
            set_custom_kernel.run(MatrixParam(k));
            set_preset.run("custom".to_string());
        }
    });
    let on_preset = Callback::new(move |slug: String| {
        if slug == "custom" {
            set_custom_kernel.run(MatrixParam(kernel.get_untracked()));
        } else {
            set_custom_kernel.run(MatrixParam(Preset::SobelX.kernel()));
        }
        set_preset.run(slug);
    });
    let on_sample = Callback::new(move |slug: String| {
        set_sample.run(slug);
        set_source.run(Source::Sample.slug().to_string());
    });

    let preset_options: Vec<(&'static str, &'static str)> = Preset::ALL
        .iter()
        .map(|p| (p.slug(), p.label()))
        .chain([("custom", "Custom (edited)")])
        .collect();
    let sample_options: Vec<(&'static str, &'static str)> =
        Sample::ALL.iter().map(|s| (s.slug(), s.label())).collect();
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
    let flip_formula = format!(
        "{}<mspace width=\"1em\"/><mover><mo>⟶</mo><mtext>rotate 180°</mtext></mover><mspace width=\"1em\"/>{}",
        matrix(&grid3(SOBEL_X)),
        matrix(&grid3(SOBEL_X).flipped())
    );
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
    let explanation = move || {
        match preset.get() {
        Some(p) => p.explanation().to_string(),
        None => "Your own kernel. A kernel whose weights sum to 0 ignores flat areas (an edge or line detector); \
                 weights summing to 1 keep the brightness (a blur or sharpening)."
            .to_string(),
    }
    };
    let kernel_notice = move || {
        (preset.get().is_none() && !kernel_in_url_is_usable.get())
            .then_some("The kernel in the link is not 3×3; Sobel Gx is used instead.")
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

            <h2>"The input"</h2>
            <div class="sobel-sources" role="group" aria-label="Picture source">
                {Source::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <button
                                class="tab"
                                class:active=move || source.get() == s
                                aria-pressed=move || (source.get() == s).to_string()
                                data-testid=format!("sobel-source-{}", s.slug())
                                on:click=move |_| set_source.run(s.slug().to_string())
                            >
                                {s.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="sobel-source-panel">
                {move || match source.get() {
                    Source::Sample => view! {
                        <div class="controls">
                            <SelectField label="Sample picture" options=sample_options.clone() value=sample_slug on_change=on_sample testid="sobel-sample" />
                        </div>
                        <p class="muted">"Generated pictures: nothing is downloaded."</p>
                    }
                    .into_any(),
                    Source::Upload => view! {
                        <ImageUpload on_image=Callback::new(move |img| uploaded.set(Some(img))) max_side=MAX_SIDE testid="sobel-upload" />
                        <p class="muted">"The file is decoded in your browser and never leaves it. Colours become grey levels."</p>
                    }
                    .into_any(),
                    Source::Draw => view! {
                        <p class="muted">"Draw with the mouse, a finger or a pen: white ink on black. Each finished stroke updates everything below."</p>
                        <DrawingPad size=DRAW_SIDE testid="sobel-draw" strokes=strokes on_change=Callback::new(move |g| drawing.set(Some(g))) />
                    }
                    .into_any(),
                    Source::Webcam => view! {
                        <p class="muted">"The camera starts only when you press the button; captured frames stay in your browser."</p>
                        <WebcamCapture on_image=Callback::new(move |img| captured.set(Some(img))) max_side=MAX_SIDE testid="sobel-webcam" />
                    }
                    .into_any(),
                }}
            </div>
            {move || scaled_notice().map(|n| view! { <p class="notice" role="status" data-testid="sobel-scaled-notice">{n}</p> })}
            {move || fallback_notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}

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

            <h2>"One output pixel, step by step"</h2>
            <p>
                "Rows and columns count from 0 at the top left. The 5×5 crop shows the pixels around the chosen one; the "
                "highlighted 3×3 window is what the kernel covers. "
                {move || match operation.get() {
                    Operation::Convolution => "In convolution the kernel lies on the window rotated by 180°, so its bottom-right weight K(2, 2) meets the top-left pixel.",
                    Operation::CrossCorrelation => "In cross-correlation the kernel lies on the window as written: K(0, 0) meets the top-left pixel.",
                }}
            </p>
            <div class="controls">
                <NumberField label="Row" value=Signal::derive(move || point.get().0) on_change=set_row min=0 max=MAX_SIDE - 1 testid="sobel-row" />
                <NumberField label="Column" value=Signal::derive(move || point.get().1) on_change=set_col min=0 max=MAX_SIDE - 1 testid="sobel-col" />
                <button data-testid="sobel-step-prev" on:click=move |_| {
                    player.pause();
                    step_by(-1);
                }>"◀ Previous"</button>
                <PlayButton player testid="sobel-step-play" />
                <button data-testid="sobel-step-next" on:click=move |_| {
                    player.pause();
                    step_by(1);
                }>"Next ▶"</button>
            </div>
            <div class="row sobel-step-row">
                <MatrixGrid
                    grid=neighbourhood
                    testid="sobel-crop"
                    caption=format!("Input around the pixel ({CROP_SIDE}×{CROP_SIDE})")
                    highlight=window_cells
                    accent=centre_cell
                />
                <MatrixGrid
                    grid=applied_kernel
                    testid="sobel-step-kernel"
                    caption="Kernel as laid on the window"
                />
                <div class="sobel-step-list">
                    <ol class="sobel-steps" data-testid="sobel-steps">
                        {move || {
                            let (r, c) = point.get();
                            let (rows, cols) = shape.get();
                            let op = operation.get();
                            steps.with(|s| {
                                let terms = s.as_ref().map(Vec::as_slice).unwrap_or_default();
                                let mut running = 0.0f32;
                                terms
                                    .iter()
                                    .map(|t| {
                                        running += t.product;
                                        let (m, n) = t.kernel_pos;
                                        let (y, x) = (r as isize - 1 + m as isize, c as isize - 1 + n as isize);
                                        let outside = y < 0 || x < 0 || y >= rows as isize || x >= cols as isize;
                                        let (km, kn) = match op {
                                            Operation::Convolution => (2 - m.min(2), 2 - n.min(2)),
                                            Operation::CrossCorrelation => (m, n),
                                        };
                                        view! {
                                            <li data-product=t.product.to_string() class:border=outside>
                                                <span class="term">
                                                    {format!(
                                                        "I({y}, {x}){} × K({km}, {kn}) = {} × {} = {}",
                                                        if outside { " [beyond the edge]" } else { "" },
                                                        show(t.input_value),
                                                        show(t.weight),
                                                        show(t.product)
                                                    )}
                                                </span>
                                                <span class="running muted">{format!("running sum {}", show(running))}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            })
                        }}
                    </ol>
                    <p class="sobel-sum">
                        {move || {
                            let (r, c) = point.get();
                            let sym = match operation.get() {
                                Operation::Convolution => "∗",
                                Operation::CrossCorrelation => "⋆",
                            };
                            format!("Sum: (K {sym} I)({r}, {c}) = ")
                        }}
                        <strong
                            data-testid="sobel-step-sum"
                            data-value=move || {
                                steps.with(|s| s.as_ref().map(|t| t.iter().map(|t| t.product).sum::<f32>()).unwrap_or(0.0)).to_string()
                            }
                        >
                            {move || show(steps.with(|s| s.as_ref().map(|t| t.iter().map(|t| t.product).sum::<f32>()).unwrap_or(0.0)))}
                        </strong>
                    </p>
                    {move || steps.with(|s| s.as_ref().err().cloned()).map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </div>
            </div>
            <p class="muted">
                "This is what every pixel of the filtered picture above is: nine multiplications and a sum. A CNN layer "
                "does exactly this with kernels it learns, then adds a bias and applies an activation: "
                <Math mathml="<mtext>Output</mtext><mo>=</mo><mtext>Activation</mtext><mo>(</mo><mtext>Conv2D</mtext><mo>(</mo><mtext>Weights</mtext><mo>,</mo><mtext>Input</mtext><mo>)</mo><mo>)</mo>".to_string() />
                "."
            </p>
        </section>
    }
}

/// A picture that reports the pixel the user clicks and marks the chosen pixel with a box
/// `span` pixels wide (3: the kernel's window on the input; 1: the output pixel).
#[component]
fn PickStage(
    #[prop(into)] image: Signal<Rgba>,
    testid: &'static str,
    #[prop(into)] label: String,
    #[prop(into)] shape: Signal<(usize, usize)>,
    #[prop(into)] point: Signal<(usize, usize)>,
    span: usize,
    on_pick: Callback<(usize, usize)>,
) -> impl IntoView {
    let stage = NodeRef::<Div>::new();
    let pick = move |ev: web_sys::MouseEvent| {
        let Some(el) = stage.get_untracked() else {
            return;
        };
        // The canvas itself, not the stage: without the page's CSS the two differ in size.
        let picture = el.query_selector("canvas").ok().flatten();
        let rect = picture
            .unwrap_or_else(|| el.into())
            .get_bounding_client_rect();
        let (rows, cols) = shape.get_untracked();
        if rect.width() <= 0.0 || rect.height() <= 0.0 || rows == 0 || cols == 0 {
            return;
        }
        let fx = (ev.client_x() as f64 - rect.left()) / rect.width();
        let fy = (ev.client_y() as f64 - rect.top()) / rect.height();
        let c = ((fx * cols as f64).floor().max(0.0) as usize).min(cols - 1);
        let r = ((fy * rows as f64).floor().max(0.0) as usize).min(rows - 1);
        on_pick.run((r, c));
    };
    let marker = move || {
        let (rows, cols) = shape.get();
        let (r, c) = point.get();
        if rows == 0 || cols == 0 {
            return String::from("display: none");
        }
        let half = (span / 2) as f64;
        let pct = |v: f64, n: usize| v / n as f64 * 100.0;
        format!(
            "left: {:.3}%; top: {:.3}%; width: {:.3}%; height: {:.3}%",
            pct(c as f64 - half, cols),
            pct(r as f64 - half, rows),
            pct(span as f64, cols),
            pct(span as f64, rows)
        )
    };
    view! {
        <div class="pick-stage" node_ref=stage on:click=pick title="Click to choose the step-through pixel">
            <ImageCanvas image=image testid=testid label=label />
            <div class="pick-marker" style=marker aria-hidden="true"></div>
        </div>
    }
}
