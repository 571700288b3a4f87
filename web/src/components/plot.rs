//! Line plots in SVG: axes with ticks, several coloured series with a legend, shaded areas
//! (an integral is the area under a curve), markers, vertical guides, and — when asked —
//! pointer input reported in data coordinates, so a page can let the user draw a curve.

use leptos::prelude::*;

use crate::url_state::format_number;

/// Width of every plot in SVG units; the element scales to its container.
const WIDTH: f32 = 640.0;
const MARGIN_LEFT: f32 = 48.0;
const MARGIN_RIGHT: f32 = 14.0;
const MARGIN_TOP: f32 = 10.0;
const MARGIN_BOTTOM: f32 = 38.0;

/// One curve of a plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend entry; series with an empty label stay out of the legend.
    pub label: String,
    /// Any CSS colour, including `var(--accent)`.
    pub color: &'static str,
    /// `(x, y)` points in data coordinates, in order of x. Non-finite points break the line.
    pub points: Vec<(f32, f32)>,
    /// Shade the area between the curve and y = 0.
    pub fill_area: bool,
    /// Draw the line dashed.
    pub dashed: bool,
}

impl Series {
    /// A plain line.
    pub fn line(label: impl Into<String>, color: &'static str, points: Vec<(f32, f32)>) -> Self {
        Self {
            label: label.into(),
            color,
            points,
            fill_area: false,
            dashed: false,
        }
    }

    /// A line with the area between it and y = 0 shaded.
    pub fn area(label: impl Into<String>, color: &'static str, points: Vec<(f32, f32)>) -> Self {
        Self {
            fill_area: true,
            ..Self::line(label, color, points)
        }
    }

    /// The same series drawn dashed.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// A dot on the plot (e.g. the current value of a running result).
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub x: f32,
    pub y: f32,
    /// Any CSS colour.
    pub color: &'static str,
}

/// The visible data range of a plot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub x_min: f32,
    pub x_max: f32,
    pub y_min: f32,
    pub y_max: f32,
}

impl Bounds {
    /// A range from `x = (min, max)` and `y = (min, max)`; empty or non-finite ranges are
    /// widened so that the plot always has something to scale by.
    pub fn new(x: (f32, f32), y: (f32, f32)) -> Self {
        let fix = |(lo, hi): (f32, f32)| {
            let (lo, hi) = if lo.is_finite() && hi.is_finite() {
                (lo.min(hi), lo.max(hi))
            } else {
                (0.0, 1.0)
            };
            if hi - lo < 1e-6 {
                (lo - 0.5, hi + 0.5)
            } else {
                (lo, hi)
            }
        };
        let (x_min, x_max) = fix(x);
        let (y_min, y_max) = fix(y);
        Self {
            x_min,
            x_max,
            y_min,
            y_max,
        }
    }

    /// The smallest range that holds every finite point and y = 0, with `headroom` (a
    /// fraction of the height) added above and below.
    pub fn fit(series: &[Series], headroom: f32) -> Self {
        let points = series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) =
            (f32::INFINITY, f32::NEG_INFINITY, 0.0f32, 0.0f32);
        for &(x, y) in points {
            x_lo = x_lo.min(x);
            x_hi = x_hi.max(x);
            y_lo = y_lo.min(y);
            y_hi = y_hi.max(y);
        }
        Self::new((x_lo, x_hi), (y_lo, y_hi)).with_headroom(headroom)
    }

    /// The same range with `fraction` of its height added above and below.
    pub fn with_headroom(self, fraction: f32) -> Self {
        let pad = (self.y_max - self.y_min) * fraction;
        Self {
            y_min: self.y_min - pad,
            y_max: self.y_max + pad,
            ..self
        }
    }
}

/// What the pointer did on a plot that accepts pointer input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointerPhase {
    /// Pressed (mouse button, pen or finger down).
    Down,
    /// Moved while pressed.
    Move,
    /// Released or cancelled.
    Up,
}

/// A pointer event in the plot's data coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotPointer {
    pub x: f32,
    pub y: f32,
    pub phase: PointerPhase,
}

/// Maps data coordinates to SVG coordinates and back.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Frame {
    bounds: Bounds,
    height: f32,
}

impl Frame {
    fn left(&self) -> f32 {
        MARGIN_LEFT
    }
    fn right(&self) -> f32 {
        WIDTH - MARGIN_RIGHT
    }
    fn top(&self) -> f32 {
        MARGIN_TOP
    }
    fn bottom(&self) -> f32 {
        self.height - MARGIN_BOTTOM
    }

    fn px(&self, x: f32) -> f32 {
        let b = self.bounds;
        self.left() + (x - b.x_min) / (b.x_max - b.x_min) * (self.right() - self.left())
    }

    fn py(&self, y: f32) -> f32 {
        let b = self.bounds;
        self.bottom() - (y - b.y_min) / (b.y_max - b.y_min) * (self.bottom() - self.top())
    }

    /// Data coordinates of an SVG point.
    fn data(&self, sx: f32, sy: f32) -> (f32, f32) {
        let b = self.bounds;
        let x = b.x_min + (sx - self.left()) / (self.right() - self.left()) * (b.x_max - b.x_min);
        let y = b.y_min + (self.bottom() - sy) / (self.bottom() - self.top()) * (b.y_max - b.y_min);
        (x, y)
    }

    /// SVG y of a data y, kept inside the plot area (curves that leave the range run along
    /// its edge instead of over the axes).
    fn py_clamped(&self, y: f32) -> f32 {
        self.py(y.clamp(self.bounds.y_min, self.bounds.y_max))
    }
}

/// Training steps placed on an epoch axis: step `s` of epoch `e` (1-based), whose last step is
/// `end`, sits at `e − 1 + (s − first) / (end − first)`, where `first` is the step before the
/// epoch's first. `epoch_ends` gives each finished epoch's last step; an epoch still running is
/// taken to last `epoch_steps` steps (its training images over the batch size; 0 when not
/// known: its latest step ends it so far). `steps` are `(step, epoch, value)` in order.
pub fn along_epochs(
    steps: impl IntoIterator<Item = (u32, u32, f32)>,
    epoch_ends: &[(u32, u32)],
    epoch_steps: u32,
) -> Vec<(f32, f32)> {
    let (mut first, mut current) = (0u32, 0u32);
    steps
        .into_iter()
        .map(|(step, epoch, value)| {
            if epoch != current {
                current = epoch;
                first = step.saturating_sub(1);
            }
            let end = epoch_ends
                .iter()
                .find(|(e, _)| *e == epoch)
                .map_or(step.max(first.saturating_add(epoch_steps)), |(_, end)| *end);
            let within =
                step.saturating_sub(first) as f32 / end.saturating_sub(first).max(1) as f32;
            (epoch.saturating_sub(1) as f32 + within.min(1.0), value)
        })
        .collect()
}

/// About `target` round tick positions (steps of 1, 2 or 5 × 10ⁿ) between `lo` and `hi`.
pub fn nice_ticks(lo: f32, hi: f32, target: usize) -> Vec<f32> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || target == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / target as f32;
    let magnitude = 10f32.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-4).floor() as i64;
    (first..=last)
        .map(|k| k as f32 * step)
        .map(|v| if v.abs() < step * 1e-4 { 0.0 } else { v })
        .collect()
}

/// The SVG path of a polyline, broken at non-finite points.
fn line_path(frame: &Frame, points: &[(f32, f32)]) -> String {
    let mut d = String::with_capacity(points.len() * 16);
    let mut pen_down = false;
    for &(x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            pen_down = false;
            continue;
        }
        d.push(if pen_down { 'L' } else { 'M' });
        d.push_str(&format!("{:.2} {:.2}", frame.px(x), frame.py_clamped(y)));
        pen_down = true;
    }
    d
}

/// The SVG path of the area between a curve and y = 0.
fn area_path(frame: &Frame, points: &[(f32, f32)]) -> String {
    let finite: Vec<(f32, f32)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let (Some(first), Some(last)) = (finite.first(), finite.last()) else {
        return String::new();
    };
    let zero = frame.py_clamped(0.0);
    let mut d = format!("M{:.2} {zero:.2}", frame.px(first.0));
    for &(x, y) in &finite {
        d.push_str(&format!("L{:.2} {:.2}", frame.px(x), frame.py_clamped(y)));
    }
    d.push_str(&format!("L{:.2} {zero:.2}Z", frame.px(last.0)));
    d
}

/// An SVG line plot with axes, ticks and a legend. Everything is in data coordinates; the
/// plot scales to the width of its container.
#[component]
pub fn LinePlot(
    /// The curves, drawn in order (later ones on top).
    #[prop(into)]
    series: Signal<Vec<Series>>,
    /// The visible range; fitted to the data when not given.
    #[prop(into, optional)]
    bounds: Option<Signal<Bounds>>,
    /// Dots to draw on top.
    #[prop(into, optional)]
    markers: Signal<Vec<Marker>>,
    /// Dashed vertical lines at these x values (e.g. the current shift).
    #[prop(into, optional)]
    guides: Signal<Vec<f32>>,
    /// Name of the x axis.
    #[prop(optional)]
    x_label: &'static str,
    /// Name of the y axis.
    #[prop(optional)]
    y_label: &'static str,
    /// Accessible description of the plot.
    #[prop(into)]
    label: String,
    /// The `data-testid` of the `<svg>`.
    #[prop(optional)]
    testid: &'static str,
    /// Height in SVG units (the width is 640); 240 when not given.
    #[prop(optional)]
    height: Option<f32>,
    /// When given, the plot reports pointer presses, drags and releases in data coordinates
    /// (mouse, pen and touch alike; the pointer is captured while pressed).
    #[prop(optional)]
    on_pointer: Option<Callback<PlotPointer>>,
) -> impl IntoView {
    let height = height
        .unwrap_or(240.0)
        .max(MARGIN_TOP + MARGIN_BOTTOM + 40.0);
    let frame = Memo::new(move |_| {
        let bounds = match bounds {
            Some(b) => b.get(),
            None => series.with(|s| Bounds::fit(s, 0.08)),
        };
        Frame { bounds, height }
    });

    let axes = move || {
        let f = frame.get();
        let b = f.bounds;
        let x_ticks = nice_ticks(b.x_min, b.x_max, 8);
        let y_ticks = nice_ticks(b.y_min, b.y_max, 5);
        let (left, right, top, bottom) = (f.left(), f.right(), f.top(), f.bottom());
        let vertical = x_ticks
            .into_iter()
            .map(|x| {
                let px = f.px(x);
                view! {
                    <line class="plot-grid" x1=px x2=px y1=top y2=bottom></line>
                    <text class="plot-tick" x=px y=bottom + 15.0 text-anchor="middle">
                        {format_number(x)}
                    </text>
                }
            })
            .collect_view();
        let horizontal = y_ticks
            .into_iter()
            .map(|y| {
                let py = f.py(y);
                view! {
                    <line class="plot-grid" x1=left x2=right y1=py y2=py></line>
                    <text class="plot-tick" x=left - 5.0 y=py + 4.0 text-anchor="end">
                        {format_number(y)}
                    </text>
                }
            })
            .collect_view();
        let zero = (b.y_min < 0.0 && b.y_max > 0.0).then(|| {
            let py = f.py(0.0);
            view! { <line class="plot-zero" x1=left x2=right y1=py y2=py></line> }
        });
        view! {
            {vertical}
            {horizontal}
            {zero}
            <rect class="plot-frame" x=left y=top width=right - left height=bottom - top></rect>
            <text class="plot-axis-label" x=(left + right) / 2.0 y=height - 4.0 text-anchor="middle">
                {x_label}
            </text>
            <text class="plot-axis-label" x=12.0 y=(top + bottom) / 2.0 text-anchor="middle"
                transform=format!("rotate(-90 12 {})", (top + bottom) / 2.0)>
                {y_label}
            </text>
        }
    };

    let curves = move || {
        let f = frame.get();
        series.with(|all| {
            all.iter()
                .map(|s| {
                    let area = s.fill_area.then(|| {
                        view! {
                            <path class="plot-area" d=area_path(&f, &s.points) style=format!("fill: {}", s.color)></path>
                        }
                    });
                    let dash = if s.dashed { "stroke-dasharray: 6 4;" } else { "" };
                    view! {
                        {area}
                        <path class="plot-line" d=line_path(&f, &s.points) style=format!("stroke: {};{dash}", s.color)></path>
                    }
                })
                .collect_view()
        })
    };

    let overlays = move || {
        let f = frame.get();
        let b = f.bounds;
        let guide_lines = guides
            .get()
            .into_iter()
            .filter(|x| x.is_finite() && *x >= b.x_min && *x <= b.x_max)
            .map(|x| {
                let px = f.px(x);
                view! { <line class="plot-guide" x1=px x2=px y1=f.top() y2=f.bottom()></line> }
            })
            .collect_view();
        let dots = markers
            .get()
            .into_iter()
            .filter(|m| m.x.is_finite() && m.y.is_finite())
            .map(|m| {
                view! {
                    <circle class="plot-marker" cx=f.px(m.x) cy=f.py_clamped(m.y) r=5.0 style=format!("fill: {}", m.color)></circle>
                }
            })
            .collect_view();
        view! {
            {guide_lines}
            {dots}
        }
    };

    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    // Where a pointer event lies in data coordinates, from the element's box on screen.
    let to_data = move |ev: &web_sys::PointerEvent| -> Option<(f32, f32)> {
        let svg = svg_ref.get_untracked()?;
        let rect = svg.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let sx = ((ev.client_x() as f64 - rect.left()) / rect.width()) as f32 * WIDTH;
        let sy = ((ev.client_y() as f64 - rect.top()) / rect.height()) as f32 * height;
        Some(frame.get_untracked().data(sx, sy))
    };
    let report = move |ev: &web_sys::PointerEvent, phase: PointerPhase| {
        if let (Some(cb), Some((x, y))) = (on_pointer, to_data(ev)) {
            cb.run(PlotPointer { x, y, phase });
        }
    };
    let interactive = on_pointer.is_some();

    let legend = move || {
        series.with(|all| {
            all.iter()
                .filter(|s| !s.label.is_empty())
                .map(|s| {
                    let swatch = if s.fill_area {
                        format!("background: {}; opacity: 0.6", s.color)
                    } else if s.dashed {
                        format!("border-top: 3px dashed {}", s.color)
                    } else {
                        format!("border-top: 3px solid {}", s.color)
                    };
                    view! {
                        <li>
                            <span class=if s.fill_area { "swatch swatch-area" } else { "swatch" } style=swatch></span>
                            {s.label.clone()}
                        </li>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <figure class="plot">
            <svg
                node_ref=svg_ref
                class=if interactive { "plot-svg drawable" } else { "plot-svg" }
                viewBox=format!("0 0 {WIDTH} {height}")
                role="img"
                aria-label=label
                data-testid=testid
                on:pointerdown=move |ev: web_sys::PointerEvent| {
                    if interactive {
                        if let Some(svg) = svg_ref.get_untracked() {
                            let _ = svg.set_pointer_capture(ev.pointer_id());
                        }
                        ev.prevent_default();
                        report(&ev, PointerPhase::Down);
                    }
                }
                on:pointermove=move |ev: web_sys::PointerEvent| {
                    if interactive && ev.buttons() != 0 {
                        report(&ev, PointerPhase::Move);
                    }
                }
                on:pointerup=move |ev: web_sys::PointerEvent| report(&ev, PointerPhase::Up)
                on:pointercancel=move |ev: web_sys::PointerEvent| report(&ev, PointerPhase::Up)
            >
                {axes}
                {curves}
                {overlays}
            </svg>
            <ul class="plot-legend">{legend}</ul>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_sit_between_their_epochs() {
        // Epoch 1 is steps 1–4, epoch 2 (of 4 steps too) has run steps 5 and 6 so far.
        let steps = [
            (1, 1, 0.5),
            (2, 1, 0.4),
            (4, 1, 0.3),
            (5, 2, 0.2),
            (6, 2, 0.1),
        ];
        let placed = along_epochs(steps, &[(1, 4)], 4);
        let xs: Vec<f32> = placed.iter().map(|p| p.0).collect();
        assert_eq!(xs, vec![0.25, 0.5, 1.0, 1.25, 1.5]);
        assert_eq!(placed[3].1, 0.2);
        // Without the epoch's length, its latest step ends it so far.
        let xs: Vec<f32> = along_epochs(steps, &[(1, 4)], 0)
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(xs, vec![0.25, 0.5, 1.0, 2.0, 2.0]);
    }
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(nice_ticks(-5.0, 5.0, 5), vec![-4.0, -2.0, 0.0, 2.0, 4.0]);
        // The step is the first of 1, 2, 5 × 10ⁿ at least (hi − lo) / target: never more ticks than asked.
        assert_eq!(nice_ticks(0.0, 1.0, 4), vec![0.0, 0.5, 1.0]);
        let fifths = nice_ticks(0.0, 1.0, 5);
        assert_eq!(fifths.len(), 6);
        assert!(
            fifths
                .iter()
                .zip([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
                .all(|(a, b)| (a - b).abs() < 1e-6)
        );
        assert!(nice_ticks(1.0, 1.0, 4).is_empty());
    }

    #[test]
    fn frames_map_both_ways() {
        let frame = Frame {
            bounds: Bounds::new((-5.0, 5.0), (0.0, 2.0)),
            height: 240.0,
        };
        let (x, y) = frame.data(frame.px(1.5), frame.py(0.5));
        assert!((x - 1.5).abs() < 1e-4 && (y - 0.5).abs() < 1e-4);
        assert_eq!(frame.px(-5.0), MARGIN_LEFT);
        assert_eq!(frame.py(0.0), 240.0 - MARGIN_BOTTOM);
    }

    #[test]
    fn degenerate_bounds_are_widened() {
        let b = Bounds::new((1.0, 1.0), (f32::NAN, 2.0));
        assert!(b.x_max > b.x_min && b.y_max > b.y_min);
        let fit = Bounds::fit(
            &[Series::line("a", "red", vec![(0.0, 3.0), (1.0, -1.0)])],
            0.0,
        );
        assert_eq!((fit.y_min, fit.y_max), (-1.0, 3.0));
    }
}
