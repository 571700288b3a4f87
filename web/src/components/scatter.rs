//! A latent space as an SVG scatter: one dot per encoded digit coloured by its class, marks
//! (a drawn digit's μ with its σ ellipse, interpolation endpoints), an optional path, and
//! the latent coordinates of a click or hover reported back.

use leptos::prelude::*;
use web_sys::MouseEvent;

/// Ten colours that stay apart for the common colour-vision deficiencies (Tableau 10).
pub const CLASS_COLORS: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#79706e",
];

/// Side of the SVG's coordinate system.
const VIEW: f32 = 400.0;
/// Margin inside the SVG around the plotted square.
const PAD: f32 = 24.0;

/// Something drawn on top of the dots.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Where, in latent coordinates.
    pub at: [f32; 2],
    /// Half-axes of an ellipse around it (σ₁, σ₂), if any.
    pub radii: Option<[f32; 2]>,
    /// A short text next to it.
    pub label: String,
    pub color: &'static str,
}

/// The scatter. `extent` is the half-width of the square shown: `[-extent, extent]²`.
#[component]
pub fn LatentScatter(
    /// Positions and classes of the dots.
    #[prop(into)]
    points: Signal<Vec<([f32; 2], u8)>>,
    #[prop(into)] extent: Signal<f32>,
    #[prop(optional, into)] marks: Option<Signal<Vec<Mark>>>,
    /// A polyline through these latent points (an interpolation path).
    #[prop(optional, into)]
    path: Option<Signal<Vec<[f32; 2]>>>,
    /// Called with the latent coordinates of a click.
    #[prop(optional)]
    on_pick: Option<Callback<[f32; 2]>>,
    /// Called with the latent coordinates under the pointer (`None` when it leaves).
    #[prop(optional)]
    on_hover: Option<Callback<Option<[f32; 2]>>>,
    /// Names of the two axes.
    #[prop(default = ("z₁", "z₂"))]
    axes: (&'static str, &'static str),
    testid: &'static str,
) -> impl IntoView {
    let scale = move || (VIEW - 2.0 * PAD) / (2.0 * extent.get().max(1e-3));
    let sx = move |x: f32| PAD + (x + extent.get()) * scale();
    let sy = move |y: f32| VIEW - PAD - (y + extent.get()) * scale();
    let latent_at = move |ev: &MouseEvent| -> Option<[f32; 2]> {
        let target: web_sys::Element = wasm_bindgen::JsCast::dyn_into(ev.current_target()?).ok()?;
        let rect = target.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let px = (ev.client_x() as f64 - rect.left()) as f32 * VIEW / rect.width() as f32;
        let py = (ev.client_y() as f64 - rect.top()) as f32 * VIEW / rect.height() as f32;
        let e = extent.get_untracked();
        let s = (VIEW - 2.0 * PAD) / (2.0 * e.max(1e-3));
        Some([(px - PAD) / s - e, (VIEW - PAD - py) / s - e])
    };
    let ticks = move || {
        let e = extent.get();
        let step = if e > 6.0 { 2.0 } else { 1.0 };
        let n = (e / step).floor() as i32;
        (-n..=n).map(|i| i as f32 * step).collect::<Vec<_>>()
    };
    view! {
        <figure class="latent-scatter">
            <svg
                viewBox=format!("0 0 {VIEW} {VIEW}")
                data-testid=testid
                role="img"
                aria-label="latent space: one dot per encoded digit, coloured by class"
                class:pickable=on_pick.is_some()
                on:click=move |ev| {
                    if let (Some(pick), Some(z)) = (on_pick, latent_at(&ev)) {
                        pick.run(z);
                    }
                }
                on:mousemove=move |ev| {
                    if let Some(hover) = on_hover {
                        hover.run(latent_at(&ev));
                    }
                }
                on:mouseleave=move |_| {
                    if let Some(hover) = on_hover {
                        hover.run(None);
                    }
                }
            >
                <rect class="plot-frame" x=PAD y=PAD width=VIEW - 2.0 * PAD height=VIEW - 2.0 * PAD></rect>
                {move || {
                    ticks()
                        .into_iter()
                        .map(|t| {
                            view! {
                                <line class="grid-line" x1=sx(t) x2=sx(t) y1=PAD y2=VIEW - PAD></line>
                                <line class="grid-line" y1=sy(t) y2=sy(t) x1=PAD x2=VIEW - PAD></line>
                                <text class="tick" x=sx(t) y=VIEW - 8.0 text-anchor="middle">{t}</text>
                                <text class="tick" x=4 y=sy(t) + 4.0>{t}</text>
                            }
                        })
                        .collect_view()
                }}
                <text class="axis-name" x=VIEW - PAD y=VIEW - PAD - 4.0 text-anchor="end">{axes.0}</text>
                <text class="axis-name" x=PAD + 4.0 y=PAD + 14.0>{axes.1}</text>
                <g class="dots">
                    {move || {
                        points
                            .get()
                            .into_iter()
                            .map(|(p, class)| {
                                let color = CLASS_COLORS[usize::from(class) % 10];
                                view! {
                                    <circle cx=sx(p[0]) cy=sy(p[1]) r=3.2 fill=color data-class=class></circle>
                                }
                            })
                            .collect_view()
                    }}
                </g>
                {move || {
                    path.map(|p| {
                        let d = p
                            .get()
                            .iter()
                            .enumerate()
                            .map(|(i, z)| {
                                format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, sx(z[0]), sy(z[1]))
                            })
                            .collect::<Vec<_>>()
                            .join(" ");
                        view! { <path class="latent-path" d=d></path> }
                    })
                }}
                {move || {
                    marks
                        .map(|m| m.get())
                        .unwrap_or_default()
                        .into_iter()
                        .map(|m| {
                            let (x, y) = (sx(m.at[0]), sy(m.at[1]));
                            let ellipse = m.radii.map(|r| {
                                view! {
                                    <ellipse class="sigma" cx=x cy=y rx=r[0] * scale() ry=r[1] * scale() stroke=m.color></ellipse>
                                }
                            });
                            view! {
                                {ellipse}
                                <circle class="mark" cx=x cy=y r=6 fill=m.color></circle>
                                <text class="mark-label" x=x + 9.0 y=y - 7.0>{m.label}</text>
                            }
                        })
                        .collect_view()
                }}
            </svg>
            <figcaption class="legend">
                {CLASS_COLORS
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        view! {
                            <span class="legend-item">
                                <span class="swatch" style=format!("background:{c}")></span>
                                {i}
                            </span>
                        }
                    })
                    .collect_view()}
            </figcaption>
        </figure>
    }
}
