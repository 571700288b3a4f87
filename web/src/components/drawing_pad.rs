//! A canvas to draw on with a mouse, a finger or a pen, reported as a greyscale [`Grid`].
//!
//! The drawing is **white ink on black** (ink = 1.0, background = 0.0), the MNIST convention,
//! so a drawn digit can go straight into a network trained on MNIST after resizing to 28×28.
//! The strokes (not the pixels) are the state: they live in a signal, which the parent may own
//! so that a drawing survives the pad being unmounted and mounted again; undo removes the last
//! stroke and the canvas is redrawn from the strokes that remain.

use convlab_kernels::Grid;
use convlab_kernels::image::luma_from_rgba;
use leptos::html::Canvas;
use leptos::prelude::*;
use web_sys::{CanvasRenderingContext2d, PointerEvent};

use crate::components::canvas::context_2d;

/// One stroke: the brush width and the points the pointer passed, in canvas pixels.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stroke {
    pub width: f64,
    pub points: Vec<(f64, f64)>,
}

const BACKGROUND: &str = "#000";
const INK: &str = "#fff";

/// A square drawing canvas with a brush-size slider, undo (stroke by stroke) and clear.
/// `on_change` receives the drawing as a `size × size` grid, white ink (1) on black (0), when
/// it mounts and after every finished stroke, undo and clear.
#[component]
pub fn DrawingPad(
    /// Side of the canvas in pixels (and of the reported grid).
    #[prop(default = 280)]
    size: u32,
    /// The `data-testid` of the canvas; the controls get `{testid}-brush`, `-undo`, `-clear`.
    #[prop(default = "draw-canvas")]
    testid: &'static str,
    /// The strokes; pass a signal owned by the page to keep the drawing across re-mounts.
    #[prop(optional)]
    strokes: Option<RwSignal<Vec<Stroke>>>,
    /// Called with the drawing as a grid when a stroke ends (and after undo, clear, mount).
    #[prop(optional)]
    on_change: Option<Callback<Grid>>,
    /// Initial brush width in canvas pixels.
    #[prop(default = 18)]
    brush: u32,
) -> impl IntoView {
    let strokes = strokes.unwrap_or_else(|| RwSignal::new(Vec::new()));
    let canvas = NodeRef::<Canvas>::new();
    let (brush, set_brush) = signal(brush.clamp(1, 64));
    // The pointer that is drawing right now (another finger is ignored until it lifts).
    let active = StoredValue::new(None::<i32>);

    // Redraw from the strokes whenever they change (a finished stroke, undo, clear, mount)
    // and report the result. Points added during a stroke are drawn directly and do not
    // notify, so a stroke is reported once, when it ends.
    Effect::new(move |_| {
        let all = strokes.get();
        let Some(c) = canvas.get() else { return };
        let Some(ctx) = context_2d(&c) else { return };
        clear(&ctx, size);
        for stroke in &all {
            draw_stroke(&ctx, stroke);
        }
        if let (Some(report), Some(grid)) = (on_change, read_grid(&ctx, size)) {
            report.run(grid);
        }
    });

    let position = move |ev: &PointerEvent| -> Option<(f64, f64)> {
        let c = canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let x = (ev.client_x() as f64 - rect.left()) * size as f64 / rect.width();
        let y = (ev.client_y() as f64 - rect.top()) * size as f64 / rect.height();
        Some((x, y))
    };

    let on_down = move |ev: PointerEvent| {
        // Only the main button of a mouse draws; touch and pen contacts report button 0 too.
        if ev.button() != 0 {
            return;
        }
        if active.get_value().is_some() {
            // A second finger while drawing is ignored. A new primary pointer means the last
            // stroke never saw its `pointerup` (e.g. the window lost focus): finish it first.
            if !ev.is_primary() {
                return;
            }
            active.set_value(None);
            strokes.update(|_| {});
        }
        let Some(point) = position(&ev) else { return };
        ev.prevent_default();
        if let Some(c) = canvas.get_untracked() {
            // Keep receiving moves when the pointer leaves the canvas mid-stroke.
            let _ = c.set_pointer_capture(ev.pointer_id());
            let stroke = Stroke {
                width: brush.get_untracked() as f64,
                points: vec![point],
            };
            if let Some(ctx) = context_2d(&c) {
                draw_stroke(&ctx, &stroke);
            }
            strokes.update_untracked(|s| s.push(stroke));
        }
        active.set_value(Some(ev.pointer_id()));
    };
    let on_move = move |ev: PointerEvent| {
        if active.get_value() != Some(ev.pointer_id()) {
            return;
        }
        let Some(point) = position(&ev) else { return };
        ev.prevent_default();
        let segment = strokes.try_update_untracked(|s| {
            let stroke = s.last_mut()?;
            let last = *stroke.points.last()?;
            stroke.points.push(point);
            Some(Stroke {
                width: stroke.width,
                points: vec![last, point],
            })
        });
        if let (Some(Some(segment)), Some(c)) = (segment, canvas.get_untracked())
            && let Some(ctx) = context_2d(&c)
        {
            draw_stroke(&ctx, &segment);
        }
    };
    let on_up = move |ev: PointerEvent| {
        if active.get_value() != Some(ev.pointer_id()) {
            return;
        }
        active.set_value(None);
        if let Some(c) = canvas.get_untracked() {
            let _ = c.release_pointer_capture(ev.pointer_id());
        }
        // The stroke is complete: notify, which redraws and reports.
        strokes.update(|_| {});
    };

    view! {
        <div class="drawing-pad">
            <canvas
                node_ref=canvas
                class="drawing-canvas"
                width=size
                height=size
                style="touch-action: none"
                data-testid=testid
                role="img"
                aria-label="Drawing pad: draw with the mouse, a finger or a pen"
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:pointercancel=on_up
            ></canvas>
            <div class="controls">
                <label class="field">
                    <span class="field-label">"Brush"</span>
                    <input
                        type="range"
                        min=1
                        max=64
                        prop:value=move || brush.get().to_string()
                        data-testid=format!("{testid}-brush")
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                                set_brush.set(v.clamp(1, 64));
                            }
                        }
                    />
                    <output>{move || format!("{} px", brush.get())}</output>
                </label>
                <button
                    data-testid=format!("{testid}-undo")
                    disabled=move || strokes.with(|s| s.is_empty())
                    on:click=move |_| strokes.update(|s| {
                        s.pop();
                    })
                >
                    "Undo stroke"
                </button>
                <button data-testid=format!("{testid}-clear") on:click=move |_| strokes.set(Vec::new())>
                    "Clear"
                </button>
            </div>
        </div>
    }
}

fn clear(ctx: &CanvasRenderingContext2d, size: u32) {
    ctx.set_fill_style_str(BACKGROUND);
    ctx.fill_rect(0.0, 0.0, size as f64, size as f64);
}

/// Draws one stroke: a dot for a single point, a round-capped polyline otherwise.
fn draw_stroke(ctx: &CanvasRenderingContext2d, stroke: &Stroke) {
    let Some(&(x0, y0)) = stroke.points.first() else {
        return;
    };
    if stroke.points.len() == 1 {
        ctx.set_fill_style_str(INK);
        ctx.begin_path();
        let _ = ctx.arc(x0, y0, stroke.width / 2.0, 0.0, std::f64::consts::TAU);
        ctx.fill();
        return;
    }
    ctx.set_stroke_style_str(INK);
    ctx.set_line_width(stroke.width);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    ctx.begin_path();
    ctx.move_to(x0, y0);
    for &(x, y) in &stroke.points[1..] {
        ctx.line_to(x, y);
    }
    ctx.stroke();
}

/// The canvas as luma: ink 1, background 0.
fn read_grid(ctx: &CanvasRenderingContext2d, size: u32) -> Option<Grid> {
    let data = ctx
        .get_image_data(0.0, 0.0, size as f64, size as f64)
        .ok()?;
    luma_from_rgba(&data.data().0, size as usize, size as usize).ok()
}

/// Strokes as text: `width:x,y x,y …` per stroke, strokes separated by `|`.
pub fn strokes_to_text(strokes: &[Stroke]) -> String {
    strokes
        .iter()
        .map(|s| {
            let points: Vec<String> = s
                .points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            format!("{:.1}:{}", s.width, points.join(" "))
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The inverse of [`strokes_to_text`]; anything unreadable is dropped, never a panic.
pub fn strokes_from_text(text: &str) -> Vec<Stroke> {
    text.split('|')
        .filter_map(|s| {
            let (width, points) = s.split_once(':')?;
            let width: f64 = width
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w > 0.0)?;
            let points: Vec<(f64, f64)> = points
                .split(' ')
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    let (x, y) = (x.parse::<f64>().ok()?, y.parse::<f64>().ok()?);
                    (x.is_finite() && y.is_finite()).then_some((x, y))
                })
                .collect();
            (!points.is_empty()).then_some(Stroke { width, points })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn strokes_round_trip_through_text() {
        let strokes = vec![
            Stroke {
                width: 18.0,
                points: vec![(1.0, 2.5), (3.0, 4.0)],
            },
            Stroke {
                width: 4.0,
                points: vec![(10.0, 10.0)],
            },
        ];
        assert_eq!(strokes_from_text(&strokes_to_text(&strokes)), strokes);
        assert!(strokes_from_text("garbage|:|1:x,y|NaN:1,2").is_empty());
        assert!(strokes_from_text("").is_empty());
    }
}
