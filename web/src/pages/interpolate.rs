//! `/interpolate`: walk through the latent space from one digit to another. The endpoints
//! are example digits, drawings, or points clicked on the map; a slider decodes z(t) live
//! along a straight or spherical path, a strip shows the whole way, and LeNet-5 says where
//! one digit turns into the other.

use std::time::Duration;

use convlab_digits::latent::Path;
use convlab_digits::preprocess_drawing;
use convlab_kernels::Grid;
use leptos::prelude::*;

use crate::components::controls::{SelectField, SliderField};
use crate::components::digit::{DigitCanvas, DigitStrip};
use crate::components::drawing_pad::DrawingPad;
use crate::components::model_status::ModelStatus;
use crate::components::player::{PlayButton, use_player};
use crate::components::scatter::{LatentScatter, Mark};
use crate::ml::{Models, VaeChoice, example_digit, top_class, use_models, use_reference_scatter};
use crate::url_state::use_query_state;

/// Decodes in the strip.
const STRIP: usize = 10;

/// Where an end of the path comes from. In the URL: `4` (the example digit 4), `z:1.2,-0.5`
/// (a point of the latent plane) or `drawn` (the drawing handed to that end).
#[derive(Clone, Debug, PartialEq)]
enum Endpoint {
    Example(u8),
    Point([f32; 2]),
    Drawn,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Example(d) => write!(f, "{d}"),
            Endpoint::Point([x, y]) => write!(f, "z:{x:.2},{y:.2}"),
            Endpoint::Drawn => f.write_str("drawn"),
        }
    }
}

impl std::str::FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "drawn" {
            return Ok(Endpoint::Drawn);
        }
        if let Some(rest) = s.strip_prefix("z:") {
            let (x, y) = rest.split_once(',').ok_or("a point is z:x,y")?;
            let (x, y) = (
                x.parse::<f32>().map_err(|e| e.to_string())?,
                y.parse::<f32>().map_err(|e| e.to_string())?,
            );
            if !(x.is_finite() && y.is_finite()) {
                return Err("a point must be finite".into());
            }
            return Ok(Endpoint::Point([
                x.clamp(-10.0, 10.0),
                y.clamp(-10.0, 10.0),
            ]));
        }
        match s.parse::<u8>() {
            Ok(d) if d <= 9 => Ok(Endpoint::Example(d)),
            _ => Err(format!("{s:?} is not a digit, a point or \"drawn\"")),
        }
    }
}

/// The decodes along the path and LeNet-5's label of each.
#[derive(Clone, Debug, PartialEq)]
struct Walk {
    images: Vec<Vec<f32>>,
    labels: Vec<(usize, f32)>,
}

/// The interpolation page.
#[component]
pub fn InterpolatePage() -> impl IntoView {
    let models = use_models();
    let (a, set_a) = use_query_state("a", Endpoint::Example(4));
    let (b, set_b) = use_query_state("b", Endpoint::Example(9));
    let (model, set_model) = use_query_state("model", "vae2".to_string());
    let (path, set_path) = use_query_state("path", "linear".to_string());
    let (t, set_t) = use_query_state("t", 0.5f32);
    let which = Signal::derive(move || VaeChoice::from_slug(&model.get()));
    let path_kind = Signal::derive(move || Path::from_slug(&path.get()).unwrap_or_default());

    // Drawings handed to an end (the URL only says "drawn").
    let drawn = RwSignal::new([None::<Vec<f32>>, None]);
    let pad = RwSignal::new(None::<Grid>);
    let pad_digit = Memo::new(move |_| {
        pad.with(|g| {
            g.as_ref()
                .and_then(|g| preprocess_drawing(g.data(), g.cols(), g.rows()).ok())
                .map(|p| p.pixels)
        })
    });
    let use_drawing = move |end: usize| {
        if let Some(px) = pad_digit.get_untracked() {
            drawn.update(|d| d[end] = Some(px));
            if end == 0 {
                set_a.run(Endpoint::Drawn)
            } else {
                set_b.run(Endpoint::Drawn)
            }
        }
    };
    // Which end a click on the map moves.
    let (click_sets, set_click_sets) = signal("b".to_string());

    let ends = LocalResource::new(move || {
        let (models, which) = (models.get(), which.get());
        let (a, b, drawn) = (a.get(), b.get(), drawn.get());
        async move {
            let Some(Ok(m)) = models else { return None };
            let za = code_of(&m, which, &a, drawn[0].as_ref()).await;
            let zb = code_of(&m, which, &b, drawn[1].as_ref()).await;
            Some(za.and_then(|za| Ok((za, zb?))))
        }
    });
    let codes = move || ends.get().flatten().and_then(Result::ok);
    let error = move || ends.get().flatten().and_then(Result::err);

    let walk = LocalResource::new(move || {
        let (models, which, kind) = (models.get(), which.get(), path_kind.get());
        let codes = codes();
        async move {
            let (Some(Ok(m)), Some((za, zb))) = (models, codes) else {
                return None;
            };
            let points = kind.points(&za, &zb, STRIP);
            let images = m.decode(which, &points).await.ok()?;
            let labels = m
                .classify(&images)
                .await
                .ok()?
                .iter()
                .map(top_class)
                .collect();
            Some(Walk { images, labels })
        }
    });
    let current = LocalResource::new(move || {
        let (models, which, kind, t) = (models.get(), which.get(), path_kind.get(), t.get());
        let codes = codes();
        async move {
            let (Some(Ok(m)), Some((za, zb))) = (models, codes) else {
                return None;
            };
            let z = kind.at(&za, &zb, t);
            let image = m
                .decode(which, std::slice::from_ref(&z))
                .await
                .ok()?
                .pop()?;
            let label = top_class(
                m.classify(std::slice::from_ref(&image))
                    .await
                    .ok()?
                    .first()?,
            );
            Some((z, image, label))
        }
    });
    let now = move || current.get().flatten();

    let player = use_player(Duration::from_millis(60), move || {
        let next = (t.get_untracked() + 0.02).min(1.0);
        set_t.run((next * 100.0).round() / 100.0);
        next < 1.0
    })
    .on_play(move || {
        if t.get_untracked() >= 1.0 {
            set_t.run(0.0);
        }
    });

    let strip_items = Signal::derive(move || {
        walk.get()
            .flatten()
            .map(|w| {
                w.images
                    .into_iter()
                    .zip(w.labels)
                    .enumerate()
                    .map(|(i, (img, (class, p)))| {
                        let ti = i as f32 / (STRIP - 1) as f32;
                        (img, format!("t={ti:.2} → {class} ({:.0}%)", 100.0 * p))
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    let strip_current =
        Signal::derive(move || Some((t.get() * (STRIP - 1) as f32).round() as usize));
    let turning = move || {
        walk.get().flatten().map(|w| {
            let first = w.labels.first().map(|l| l.0);
            match w.labels.iter().position(|l| Some(l.0) != first) {
                Some(i) => format!(
                    "LeNet-5 changes its mind between t = {:.2} and t = {:.2}: {} becomes {}.",
                    (i - 1) as f32 / (STRIP - 1) as f32,
                    i as f32 / (STRIP - 1) as f32,
                    w.labels[i - 1].0,
                    w.labels[i].0
                ),
                None => "LeNet-5 sees the same digit all along the path.".to_string(),
            }
        })
    };

    // The map (2-D models only): reference digits, the path, and both ends.
    let points = use_reference_scatter(models, which);
    let path_points = Signal::derive(move || {
        codes()
            .filter(|(za, _)| za.len() == 2)
            .map(|(za, zb)| {
                path_kind
                    .get()
                    .points(&za, &zb, 40)
                    .into_iter()
                    .map(|z| [z[0], z[1]])
                    .collect()
            })
            .unwrap_or_default()
    });
    let marks = Signal::derive(move || {
        let mut marks = Vec::new();
        if let Some((za, zb)) = codes().filter(|(za, _)| za.len() == 2) {
            marks.push(Mark {
                at: [za[0], za[1]],
                radii: None,
                label: "A".into(),
                color: "var(--accent)",
            });
            marks.push(Mark {
                at: [zb[0], zb[1]],
                radii: None,
                label: "B".into(),
                color: "var(--accent-2)",
            });
        }
        if let Some((z, ..)) = now().filter(|(z, ..)| z.len() == 2) {
            marks.push(Mark {
                at: [z[0], z[1]],
                radii: None,
                label: "z(t)".into(),
                color: "var(--fg)",
            });
        }
        marks
    });
    let on_pick = Callback::new(move |z: [f32; 2]| {
        let end = Endpoint::Point([
            (z[0] * 100.0).round() / 100.0,
            (z[1] * 100.0).round() / 100.0,
        ]);
        if click_sets.get_untracked() == "a" {
            set_a.run(end)
        } else {
            set_b.run(end)
        }
    });

    let digit_options: Vec<(&'static str, &'static str)> =
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
            .iter()
            .map(|d| (*d, *d))
            .collect();
    let end_select = move |end: Signal<Endpoint>, set: Callback<Endpoint>, testid: &'static str| {
        let value = Signal::derive(move || match end.get() {
            Endpoint::Example(d) => d.to_string(),
            _ => String::new(),
        });
        let on_change = Callback::new(move |s: String| {
            if let Ok(e) = s.parse::<Endpoint>() {
                set.run(e);
            }
        });
        view! { <SelectField label="Example digit" options=digit_options.clone() value=value on_change=on_change testid=testid /> }
    };
    let describe = |e: Endpoint| match e {
        Endpoint::Example(d) => format!("the example {d}"),
        Endpoint::Point([x, y]) => format!("the point ({x:.2}, {y:.2})"),
        Endpoint::Drawn => "your drawing".to_string(),
    };

    view! {
        <section class="page model-page" data-testid="page-interpolate">
            <h1>"Interpolate between two digits"</h1>
            <p class="lead">
                "Encode two digits to their codes z_A and z_B and decode the points between them: "
                "z(t) = (1 − t)·z_A + t·z_B on a straight line, or along the great circle (slerp), which stays where a "
                "Gaussian prior keeps its mass. Because a VAE's latent space is smooth, every point on the way decodes to "
                "a plausible digit."
            </p>
            <ModelStatus models=models />
            <div class="controls">
                <div class="endpoint">
                    <b>"A: "</b> {move || describe(a.get())}
                    {end_select(a, set_a, "interpolate-a")}
                </div>
                <div class="endpoint">
                    <b>"B: "</b> {move || describe(b.get())}
                    {end_select(b, set_b, "interpolate-b")}
                </div>
                <SelectField label="Model" options=vec![("vae2", "VAE-2"), ("vae16", "VAE-16")] value=model on_change=set_model testid="interpolate-model" />
                <SelectField label="Path" options=vec![("linear", "straight line"), ("slerp", "spherical (slerp)")] value=path on_change=set_path testid="interpolate-path" />
            </div>
            {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="row">
                <figure>
                    <DigitCanvas image=Signal::derive(move || now().map(|n| n.1)) testid="interpolate-output" label="the decoded point z(t)" />
                    <figcaption data-testid="interpolate-label">
                        {move || now().map(|(_, _, (c, p))| format!("z(t) decodes to what LeNet-5 calls {c} ({:.0}%)", 100.0 * p))}
                    </figcaption>
                </figure>
                <div class="interpolate-controls">
                    <SliderField label="t" value=t on_change=set_t min=0.0 max=1.0 step=0.01 testid="interpolate-slider" />
                    <PlayButton player=player testid="interpolate-play" />
                    <p class="mono" data-testid="interpolate-z">
                        {move || now().map(|(z, ..)| format!("z(t) = ({})", z.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(", ")))}
                    </p>
                </div>
            </div>
            <h2>"The whole way"</h2>
            <p data-testid="interpolate-turning">{turning}</p>
            <DigitStrip items=strip_items testid="interpolate-strip" current=strip_current
                on_pick=Callback::new(move |i: usize| set_t.run(i as f32 / (STRIP - 1) as f32)) />
            <h2>"Choose the ends"</h2>
            <div class="row">
                <div>
                    <p>"Draw a digit and hand it to one end."</p>
                    <DrawingPad size=196 brush=14 testid="interpolate-pad" on_change=Callback::new(move |g| pad.set(Some(g))) />
                    <div class="controls">
                        <button data-testid="interpolate-use-a" disabled=move || pad_digit.with(Option::is_none) on:click=move |_| use_drawing(0)>"Use as A"</button>
                        <button data-testid="interpolate-use-b" disabled=move || pad_digit.with(Option::is_none) on:click=move |_| use_drawing(1)>"Use as B"</button>
                    </div>
                </div>
                {move || (which.get() == VaeChoice::Vae2).then(|| view! {
                    <div>
                        <SelectField label="A click on the map moves" options=vec![("a", "end A"), ("b", "end B")]
                            value=Signal::derive(move || click_sets.get()) on_change=Callback::new(move |v| set_click_sets.set(v)) testid="interpolate-click-sets" />
                        <LatentScatter points=points extent=4.0 marks=marks path=path_points on_pick=on_pick testid="interpolate-map" />
                    </div>
                })}
            </div>
        </section>
    }
}

/// The latent code an end stands for: the μ of its image, or the point itself (a point on
/// the plane needs a 2-D model).
async fn code_of(
    models: &Models,
    which: VaeChoice,
    end: &Endpoint,
    drawn: Option<&Vec<f32>>,
) -> Result<Vec<f32>, String> {
    let image = match end {
        Endpoint::Point(p) if models.latent_dim(which) == 2 => return Ok(p.to_vec()),
        Endpoint::Point(_) => return Err("a point of the plane is an end only for the 2-D VAE; pick an example digit".into()),
        Endpoint::Example(d) => example_digit(*d),
        Endpoint::Drawn => drawn.cloned().ok_or("the drawing for this end is gone (drawings are not kept in the URL); draw it again or pick an example")?,
    };
    let posterior = models.encode(which, &[image]).await?;
    posterior
        .into_iter()
        .next()
        .map(|p| p.mu)
        .ok_or_else(|| "the encoder gave no answer".into())
}
