//! A matrix shown as a grid of numbered cells: the slides' tables, optionally editable.

use convlab_kernels::Grid;
use leptos::prelude::*;

use crate::url_state::format_number;

/// A grid of numbers. Cells listed in `highlight` get the CSS class `hl`, those in `accent`
/// the class `accent`; with `on_edit` every cell is a number input.
#[component]
pub fn MatrixGrid(
    /// The values.
    #[prop(into)]
    grid: Signal<Grid>,
    /// `data-testid` of the grid element; cells carry their value as text.
    testid: &'static str,
    /// A caption above the grid ("Input", "Max pooling", …).
    #[prop(into, optional)]
    caption: String,
    /// Cells to highlight (e.g. the current window).
    #[prop(into, optional)]
    highlight: Signal<Vec<(usize, usize)>>,
    /// Cells to mark a second way (e.g. the maximum that pooling picked).
    #[prop(into, optional)]
    accent: Signal<Vec<(usize, usize)>>,
    /// When given, cells are editable and report `(row, col, value)`.
    #[prop(optional)]
    on_edit: Option<Callback<(usize, usize, f32)>>,
    /// When given, hovering or focusing a cell reports it (for linked highlighting).
    #[prop(optional)]
    on_hover: Option<Callback<Option<(usize, usize)>>>,
) -> impl IntoView {
    // Only a change of shape rebuilds the cells (an edit must not steal the input's focus).
    let shape = Memo::new(move |_| grid.with(|g| g.shape()));
    let cols = move || shape.get().1;
    let cell = move |r: usize, c: usize| {
        let class = move || {
            let mut class = String::from("cell");
            if highlight.with(|h| h.contains(&(r, c))) {
                class.push_str(" hl");
            }
            if accent.with(|a| a.contains(&(r, c))) {
                class.push_str(" accent");
            }
            class
        };
        let value = move || grid.with(|g| g.get(r, c).map(format_number).unwrap_or_default());
        let hover = move |cell: Option<(usize, usize)>| {
            if let Some(h) = on_hover {
                h.run(cell)
            }
        };
        match on_edit {
            Some(edit) => view! {
                <input
                    class=class
                    type="number"
                    step="any"
                    aria-label=format!("row {} column {}", r + 1, c + 1)
                    prop:value=value
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<f32>()
                            && v.is_finite()
                        {
                            edit.run((r, c, v));
                        }
                    }
                    on:focus=move |_| hover(Some((r, c)))
                    on:blur=move |_| hover(None)
                />
            }
            .into_any(),
            None => view! {
                <div
                    class=class
                    tabindex=on_hover.map(|_| 0)
                    on:mouseenter=move |_| hover(Some((r, c)))
                    on:mouseleave=move |_| hover(None)
                    on:focus=move |_| hover(Some((r, c)))
                    on:click=move |_| hover(Some((r, c)))
                >
                    {value}
                </div>
            }
            .into_any(),
        }
    };
    view! {
        <figure class="matrix">
            {(!caption.is_empty()).then(|| view! { <figcaption>{caption.clone()}</figcaption> })}
            <div
                class="matrix-grid"
                data-testid=testid
                style=move || format!("grid-template-columns: repeat({}, minmax(2.2em, auto))", cols())
            >
                {move || {
                    let (rows, cols) = shape.get();
                    (0..rows)
                        .flat_map(|r| (0..cols).map(move |c| (r, c)))
                        .map(|(r, c)| cell(r, c))
                        .collect_view()
                }}
            </div>
        </figure>
    }
}
