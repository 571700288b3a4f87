//! Labelled form controls that report parsed values (never panicking on what the user types).

use leptos::prelude::*;

use crate::url_state::format_number;

/// A labelled number input (with a slider when `slider` is set). Out-of-range or unparsable
/// input is ignored, so the last good value stays.
#[component]
pub fn NumberField(
    /// The visible label.
    label: &'static str,
    /// The current value.
    #[prop(into)]
    value: Signal<usize>,
    /// Called with every valid new value.
    on_change: Callback<usize>,
    min: usize,
    max: usize,
    /// Show a range slider instead of a number box.
    #[prop(optional)]
    slider: bool,
    /// The `data-testid` of the input.
    #[prop(optional)]
    testid: &'static str,
) -> impl IntoView {
    let kind = if slider { "range" } else { "number" };
    let on_input = move |ev| {
        if let Ok(v) = event_target_value(&ev).trim().parse::<usize>()
            && (min..=max).contains(&v)
        {
            on_change.run(v);
        }
    };
    view! {
        <label class="field">
            <span class="field-label">{label}</span>
            <input
                type=kind
                min=min
                max=max
                step=1
                prop:value=move || value.get().to_string()
                on:input=on_input
                data-testid=testid
            />
            {slider.then(|| view! { <output>{move || value.get()}</output> })}
        </label>
    }
}

/// A labelled drop-down; `options` are `(value, label)` pairs.
#[component]
pub fn SelectField(
    label: &'static str,
    /// `(value, label)` pairs.
    options: Vec<(&'static str, &'static str)>,
    #[prop(into)] value: Signal<String>,
    on_change: Callback<String>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span class="field-label">{label}</span>
            <select
                data-testid=testid
                on:change=move |ev| on_change.run(event_target_value(&ev))
                prop:value=move || value.get()
            >
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        view! {
                            <option value=v selected=move || value.get() == v>
                                {l}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// A labelled checkbox.
#[component]
pub fn Toggle(
    label: &'static str,
    #[prop(into)] value: Signal<bool>,
    on_change: Callback<bool>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    view! {
        <label class="field toggle">
            <input
                type="checkbox"
                prop:checked=move || value.get()
                on:change=move |ev| on_change.run(event_target_checked(&ev))
                data-testid=testid
            />
            <span class="field-label">{label}</span>
        </label>
    }
}

/// A labelled slider over real numbers, with the value shown beside it (as short as
/// [`format_number`] writes it). Unparsable or out-of-range input is ignored.
#[component]
pub fn SliderField(
    label: &'static str,
    #[prop(into)] value: Signal<f32>,
    on_change: Callback<f32>,
    min: f32,
    max: f32,
    step: f32,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let on_input = move |ev| {
        if let Ok(v) = event_target_value(&ev).trim().parse::<f32>()
            && v.is_finite()
            && (min..=max).contains(&v)
        {
            on_change.run(v);
        }
    };
    view! {
        <label class="field">
            <span class="field-label">{label}</span>
            <input
                type="range"
                min=min
                max=max
                step=step
                prop:value=move || value.get().to_string()
                on:input=on_input
                data-testid=testid
            />
            <output>{move || format_number(value.get())}</output>
        </label>
    }
}
