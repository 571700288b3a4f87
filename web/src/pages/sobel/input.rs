//! Where the picture comes from: a generated sample, an upload, the drawing pad or the webcam.
//! The user's pictures stay when the user switches to another source and back.

use convlab_kernels::Grid;
use convlab_kernels::samples::Sample;
use leptos::prelude::*;

use super::MAX_SIDE;
use crate::components::controls::SelectField;
use crate::components::drawing_pad::{DrawingPad, Stroke};
use crate::components::image_source::{ImageUpload, LoadedImage, WebcamCapture};
use crate::url_state::use_query_state;

/// Side of the generated sample pictures.
const SAMPLE_SIDE: usize = 160;
/// Side of the drawing pad, in pixels of the picture.
const DRAW_SIDE: u32 = 256;

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

/// A loaded picture's name, decoded size and working size (`(rows, cols)` both).
type LoadedInfo = (String, (usize, usize), (usize, usize));

/// The chosen source (in the URL) and the pictures the user gave.
#[derive(Clone, Copy)]
pub(super) struct Sources {
    source: Memo<Source>,
    set_source: Callback<String>,
    sample_slug: Signal<String>,
    sample: Memo<Sample>,
    set_sample: Callback<String>,
    uploaded: RwSignal<Option<LoadedImage>>,
    captured: RwSignal<Option<LoadedImage>>,
    drawing: RwSignal<Option<Grid>>,
    strokes: RwSignal<Vec<Stroke>>,
    sample_grid: Memo<Grid>,
    loaded_info: Memo<Option<LoadedInfo>>,
}

impl Sources {
    pub(super) fn from_url() -> Self {
        let (source_slug, set_source) = use_query_state("src", Source::Sample.slug().to_string());
        let (sample_slug, set_sample) =
            use_query_state("sample", Sample::Shapes.slug().to_string());
        let source = Memo::new(move |_| Source::from_slug(&source_slug.get()));
        let sample =
            Memo::new(move |_| Sample::from_slug(&sample_slug.get()).unwrap_or(Sample::Shapes));
        let uploaded = RwSignal::new(None::<LoadedImage>);
        let captured = RwSignal::new(None::<LoadedImage>);
        // Without copying the pixels.
        let loaded_info = Memo::new(move |_| {
            loaded(source.get(), uploaded, captured)?.with(|l| {
                l.as_ref()
                    .map(|l| (l.name.clone(), l.original, l.grid.shape()))
            })
        });
        Self {
            source,
            set_source,
            sample_slug,
            sample,
            set_sample,
            uploaded,
            captured,
            drawing: RwSignal::new(None),
            strokes: RwSignal::new(Vec::new()),
            sample_grid: Memo::new(move |_| sample.get().generate(SAMPLE_SIDE, SAMPLE_SIDE)),
            loaded_info,
        }
    }

    /// The input picture: the sample while an upload or a webcam frame is still missing.
    pub(super) fn input(self) -> Memo<Grid> {
        Memo::new(move |_| match self.source.get() {
            Source::Sample => self.sample_grid.get(),
            Source::Draw => self
                .drawing
                .get()
                .unwrap_or_else(|| Grid::zeros(DRAW_SIDE as usize, DRAW_SIDE as usize)),
            Source::Upload | Source::Webcam => {
                loaded(self.source.get(), self.uploaded, self.captured)
                    .and_then(|l| l.with(|l| l.as_ref().map(|l| l.grid.clone())))
                    .unwrap_or_else(|| self.sample_grid.get())
            }
        })
    }

    /// "Input: …, cols×rows" for a picture of `shape`.
    pub(super) fn caption(self, (rows, cols): (usize, usize)) -> String {
        let what = match (self.source.get(), self.loaded_info.get()) {
            (Source::Draw, _) => "Your drawing".to_string(),
            (Source::Upload | Source::Webcam, Some((name, _, _))) => name,
            _ => format!("Sample “{}”", self.sample.get().label()),
        };
        format!("Input: {what}, {cols}×{rows}")
    }

    fn scaled_notice(self) -> Option<String> {
        let (name, (r0, c0), (r, c)) = self.loaded_info.get()?;
        ((r0, c0) != (r, c)).then(|| {
            format!(
                "“{name}” is {c0}×{r0} pixels; it was scaled down to {c}×{r} (longest side \
                 {MAX_SIDE}) so that every control answers at once."
            )
        })
    }

    fn fallback_notice(self) -> Option<String> {
        let what = match self.source.get() {
            Source::Upload => "No picture uploaded yet",
            Source::Webcam => "No frame captured yet",
            Source::Sample | Source::Draw => return None,
        };
        self.loaded_info.get().is_none().then(|| {
            format!(
                "{what}: the sample “{}” is shown meanwhile.",
                self.sample.get().label()
            )
        })
    }
}

/// The user's picture behind `source`, if that source has one.
fn loaded(
    source: Source,
    uploaded: RwSignal<Option<LoadedImage>>,
    captured: RwSignal<Option<LoadedImage>>,
) -> Option<RwSignal<Option<LoadedImage>>> {
    match source {
        Source::Upload => Some(uploaded),
        Source::Webcam => Some(captured),
        Source::Sample | Source::Draw => None,
    }
}

/// The source tabs and the chosen source's controls.
#[component]
pub(super) fn InputSection(sources: Sources) -> impl IntoView {
    let Sources {
        source,
        set_source,
        sample_slug,
        set_sample,
        uploaded,
        captured,
        drawing,
        strokes,
        ..
    } = sources;
    let on_sample = Callback::new(move |slug: String| {
        set_sample.run(slug);
        set_source.run(Source::Sample.slug().to_string());
    });
    let sample_options: Vec<(&'static str, &'static str)> =
        Sample::ALL.iter().map(|s| (s.slug(), s.label())).collect();
    let scaled_notice = move || sources.scaled_notice();
    let fallback_notice = move || sources.fallback_notice();
    view! {
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
    }
}
