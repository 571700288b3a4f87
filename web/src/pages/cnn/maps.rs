//! Section 3: what each layer of LeNet-5 sees of a drawing — every feature map on a diverging
//! colour scale (per layer or one for all), the kernel behind the map under the pointer, and
//! the class probabilities at the end.

use convlab_kernels::Grid;
use convlab_protocol::FeatureMap;
use leptos::prelude::*;

use super::settings::MapScale;
use crate::components::bars::ClassBars;
use crate::components::controls::SelectField;
use crate::components::heatmap::{HeatMap, max_abs};
use crate::components::matrix::MatrixGrid;
use crate::ml::{KernelBank, Networks, top_class};
use crate::url_state::use_query_state;

/// Dense layers are drawn as rows of this many cells.
const DENSE_ROW: usize = 12;

/// The maps of every layer (the worker's answer for the current drawing), the kernels behind
/// them, and the probabilities.
#[component]
pub(super) fn FeatureMaps(
    maps: Signal<Option<Vec<FeatureMap>>>,
    networks: Signal<Option<Networks>>,
) -> impl IntoView {
    let (scale, set_scale) = use_query_state("scale", MapScale::PerLayer);
    // (layer index, map index) under the pointer.
    let hovered = RwSignal::new(None::<(usize, usize)>);
    let global = Signal::derive(move || {
        maps.with(|m| {
            m.as_ref().map_or(1.0, |m| {
                // Probabilities are on their own 0..1 scale; logits are not activations.
                max_abs(m.iter().take(6).flat_map(|l| l.values.iter()))
            })
        })
    });
    let probs = Signal::derive(move || {
        maps.with(|m| {
            let last = m.as_ref()?.last()?;
            let mut p = [0.0; 10];
            (last.values.len() == 10).then(|| {
                p.copy_from_slice(&last.values);
                p
            })
        })
    });
    let prediction = move || {
        probs
            .get()
            .map(|p| top_class(&p).0.to_string())
            .unwrap_or_default()
    };
    let layers = move || {
        let Some(maps) = maps.get() else {
            return view! { <p class="muted">"Draw a digit: every layer of LeNet-5 will show what it makes of it."</p> }.into_any();
        };
        let scale_mode = scale.get();
        maps.into_iter()
            .enumerate()
            .filter(|(_, m)| m.layer != "softmax")
            .map(|(index, layer)| {
                let layer_scale = match scale_mode {
                    MapScale::PerLayer => max_abs(&layer.values),
                    MapScale::Global if index < 6 => global.get(),
                    MapScale::Global => max_abs(&layer.values),
                };
                view! { <LayerMaps index=index layer=layer scale=layer_scale hovered=hovered /> }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="controls">
            <SelectField
                label="Colour scale"
                options=vec![("layer", "each layer on its own"), ("global", "one scale for all maps")]
                value=Signal::derive(move || scale.get().to_string())
                on_change=Callback::new(move |s: String| if let Ok(v) = s.parse() { set_scale.run(v) })
                testid="cnn-scale"
            />
        </div>
        <div class="feature-maps" data-testid="cnn-maps">{layers}</div>
        <KernelView hovered=hovered networks=networks />
        <p class="big-answer">"LeNet-5 says: " <b data-testid="cnn-prediction">{prediction}</b></p>
        <ClassBars probs=probs testid="cnn-probabilities" />
    }
}

/// One layer's maps in a row, each on the layer's scale.
#[component]
fn LayerMaps(
    index: usize,
    layer: FeatureMap,
    scale: f32,
    hovered: RwSignal<Option<(usize, usize)>>,
) -> impl IntoView {
    let [count, rows, cols] = layer.shape.map(|v| v as usize);
    let finite = layer.values.iter().all(|v| v.is_finite());
    let size = rows * cols;
    let grids: Vec<Grid> = if rows == 1 && cols == 1 {
        // A dense layer: its neurons as one picture, rows of DENSE_ROW.
        let width = count.min(DENSE_ROW);
        let height = count.div_ceil(width.max(1));
        vec![Grid::from_fn(height, width, |r, c| {
            layer.values.get(r * width + c).copied().unwrap_or(0.0)
        })]
    } else {
        (0..count)
            .filter_map(|m| {
                let values = layer.values.get(m * size..(m + 1) * size)?.to_vec();
                Grid::from_vec(rows, cols, values).ok()
            })
            .collect()
    };
    let name = layer.layer.clone();
    let caption = if rows == 1 && cols == 1 {
        format!("{name}: {count} neurons")
    } else {
        format!("{name}: {count} maps of {rows}×{cols}")
    };
    let maps = grids
        .into_iter()
        .enumerate()
        .map(|(m, grid)| {
            let testid = format!("cnn-map-{name}-{m}");
            view! {
                <div
                    class="map"
                    on:mouseenter=move |_| hovered.set(Some((index, m)))
                    on:mouseleave=move |_| hovered.set(None)
                >
                    <HeatMap grid=Signal::stored(grid) scale=Signal::stored(scale) testid=testid label=format!("{name} map {}", m + 1) class="small" />
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="layer-maps" class:dense=rows == 1 && cols == 1 data-testid=format!("cnn-layer-{}", layer.layer) data-maps=count data-values=layer.values.len() data-finite=finite.to_string()>
            <h3>{caption}</h3>
            <div class="maps">{maps}</div>
        </section>
    }
}

/// The kernel that made the map under the pointer: conv1's one 5×5 kernel, or conv2's six
/// (one per input map), with the filter's bias; a sentence for the other layers.
#[component]
fn KernelView(
    hovered: RwSignal<Option<(usize, usize)>>,
    networks: Signal<Option<Networks>>,
) -> impl IntoView {
    let view_of = move |bank: &KernelBank, filter: usize, name: &str| {
        let [_, channels, rows, cols] = bank.shape.map(|v| v as usize);
        let kernels = (0..channels)
            .filter_map(|ch| {
                let grid = Grid::from_vec(rows, cols, bank.kernel(filter, ch)?.to_vec()).ok()?;
                let scale = max_abs(grid.data());
                Some(if channels == 1 {
                    view! { <MatrixGrid grid=Signal::stored(grid) testid="cnn-map-kernel-values" caption="weights" /> }.into_any()
                } else {
                    view! { <HeatMap grid=Signal::stored(grid) scale=Signal::stored(scale) testid=format!("cnn-map-kernel-{ch}") label=format!("kernel on pool1 map {}", ch + 1) class="small" /> }.into_any()
                })
            })
            .collect_view();
        let bias = bank.bias.get(filter).copied().unwrap_or(0.0);
        view! {
            <p>{format!("{name} map {} = ReLU(Σ over {channels} input map(s) of kernel ⋆ map + bias {bias:.3})", filter + 1)}</p>
            <div class="maps">{kernels}</div>
        }
        .into_any()
    };
    move || {
        let (layer, map) = hovered.get()?;
        let networks = networks.get();
        let text = |t: String| view! { <p>{t}</p> }.into_any();
        let inner = match (layer, networks.as_ref()) {
            (0, Some(n)) => view_of(&n.conv1, map, "conv1"),
            (2, Some(n)) => view_of(&n.conv2, map, "conv2"),
            (1, _) => text(format!(
                "pool1 map {}: the maximum of each 2×2 window of conv1 map {}.",
                map + 1,
                map + 1
            )),
            (3, _) => text(format!(
                "pool2 map {}: the maximum of each 2×2 window of conv2 map {}.",
                map + 1,
                map + 1
            )),
            (4, _) => text(
                "fc1: 120 neurons, each with a weight for all 400 values of pool2, then ReLU."
                    .into(),
            ),
            (5, _) => text("fc2: 84 neurons over fc1's 120 values, then ReLU.".into()),
            (6, _) => text(
                "fc3: the 10 logits, one per digit; softmax turns them into probabilities.".into(),
            ),
            _ => text("The kernels arrive with the models.".into()),
        };
        Some(view! { <div class="kernel-view" data-testid="cnn-map-kernel">{inner}</div> })
    }
}
