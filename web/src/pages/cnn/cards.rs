//! Section 2: LeNet-5 and AlexNet as architecture cards — each layer's kind, kernel, stride and
//! padding, output shape, parameters, multiply-adds and receptive field — computed from the
//! layers the worker read off the models' modules, and drawn as boxes scaled by their shapes
//! (like the lecture's Fig. 2 of LeNet-5).

use convlab_kernels::architecture::{Layer, LayerRow, table, totals};
use convlab_protocol::Network;
use leptos::prelude::*;

use crate::mnist_store::thousands;

/// The card of one network: the diagram, then the table with its totals.
#[component]
pub(super) fn ArchitectureCard(network: Network, testid: &'static str) -> impl IntoView {
    let rows = table(network.input, &network.layers());
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            return view! { <p class="error" role="alert">{format!("{}: {e}", network.name)}</p> }
                .into_any();
        }
    };
    let (params, macs) = totals(&rows);
    let [c, h, w] = network.input;
    let body = network
        .layers
        .iter()
        .zip(&rows)
        .map(|(named, row)| {
            view! {
                <tr data-kind=row.layer.kind()>
                    <td>{named.name.clone()}</td>
                    <td>{row.layer.kind()}</td>
                    <td>{hyper_parameters(&row.layer)}</td>
                    <td class="mono">{shape(row.output)}</td>
                    <td class="num" data-params=row.params.to_string()>{thousands(row.params)}</td>
                    <td class="num">{thousands(row.multiply_adds)}</td>
                    <td class="num">{format!("{}×{}", row.receptive_field[0], row.receptive_field[1])}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="card architecture" data-testid=testid>
            <h3>{network.name.clone()} " — input " {format!("{c}×{h}×{w}")}</h3>
            <Diagram rows=rows.clone() names=network.layers.iter().map(|l| l.name.clone()).collect() input=network.input />
            <div class="table-scroll">
                <table>
                    <thead>
                        <tr>
                            <th>"layer"</th>
                            <th>"kind"</th>
                            <th>"kernel / stride / padding"</th>
                            <th>"output (C×H×W)"</th>
                            <th>"parameters"</th>
                            <th>"multiply-adds"</th>
                            <th>"receptive field"</th>
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                    <tfoot>
                        <tr>
                            <th colspan="4">"total"</th>
                            <th class="num" data-testid=format!("{testid}-params") data-value=params.to_string()>{thousands(params)}</th>
                            <th class="num" data-testid=format!("{testid}-macs") data-value=macs.to_string()>{thousands(macs)}</th>
                            <th></th>
                        </tr>
                    </tfoot>
                </table>
            </div>
        </article>
    }
    .into_any()
}

fn shape([c, h, w]: [usize; 3]) -> String {
    if h == 1 && w == 1 {
        format!("{c}")
    } else {
        format!("{c}×{h}×{w}")
    }
}

fn hyper_parameters(layer: &Layer) -> String {
    match layer {
        Layer::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            ..
        } => format!(
            "{filters} × {}×{} / {} / {}",
            kernel[0], kernel[1], stride[0], padding[0]
        ),
        Layer::MaxPool2d { size, stride } => format!("{}×{} / {}", size[0], size[1], stride[0]),
        Layer::Linear {
            inputs, outputs, ..
        } => format!("{inputs} → {outputs}"),
        Layer::Flatten | Layer::Activation => String::new(),
    }
}

/// The feature-map stacks as boxes: height from the maps' side, depth from the number of maps
/// (both on a square-root scale, so AlexNet's 227 and 6 fit one picture), dense layers as bars
/// whose height grows with their width, on a scale of their own. Activations and flatten are
/// not drawn.
#[component]
fn Diagram(rows: Vec<LayerRow>, names: Vec<String>, input: [usize; 3]) -> impl IntoView {
    let mut stages: Vec<(String, [usize; 3])> = vec![("input".into(), input)];
    for (row, name) in rows.iter().zip(names) {
        if !matches!(row.layer, Layer::Activation | Layer::Flatten) {
            stages.push((name, row.output));
        }
    }
    const HEIGHT: f64 = 150.0;
    // Maps on one scale, dense layers on another: each kind's largest fills the height.
    let largest = |dense: bool| {
        let sizes = stages.iter().filter(|(_, s)| (s[1] == 1) == dense);
        let size = |s: &[usize; 3]| if dense { s[0] } else { s[1] };
        sizes.map(|(_, s)| size(s)).max().unwrap_or(1).max(1) as f64
    };
    let (largest_map, largest_dense) = (largest(false), largest(true));
    let side = |v: usize, of: f64| 8.0 + (HEIGHT - 20.0) * (v as f64 / of).sqrt();
    let mut x = 10.0;
    let boxes = stages
        .iter()
        .map(|(name, [c, h, _])| {
            let dense = *h == 1;
            let height = if dense {
                side(*c, largest_dense)
            } else {
                side(*h, largest_map)
            };
            let depth = if dense {
                6.0
            } else {
                (4.0 + 3.0 * (*c as f64).sqrt()).min(60.0)
            };
            let (left, top) = (x, (HEIGHT - height) / 2.0 + 10.0);
            x += depth + height.min(30.0) * 0.3 + 34.0;
            let label = if dense {
                format!("{c}")
            } else {
                format!("{c}@{h}")
            };
            view! {
                <g class=if dense { "dense" } else { "maps" }>
                    <rect x=left + 6.0 y=top - 6.0 width=depth height=height class="back" />
                    <rect x=left y=top width=depth height=height />
                    <text x=left y=HEIGHT + 28.0 class="shape">{label}</text>
                    <text x=left y=HEIGHT + 42.0 class="name">{name.clone()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="architecture-diagram" viewBox=format!("0 0 {} {}", x + 10.0, HEIGHT + 50.0) role="img" aria-label="the layers as boxes scaled by their shapes">
            {boxes}
        </svg>
    }
}
