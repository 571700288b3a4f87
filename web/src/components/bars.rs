//! Class probabilities as a labelled bar chart (LeNet-5's ten outputs).

use leptos::prelude::*;

/// Ten horizontal bars, 0 to 9, the most likely class highlighted. Empty while `probs` is
/// `None`. Each bar carries `data-class` and `data-p` (the probability) for tests and
/// screen readers.
#[component]
pub fn ClassBars(
    #[prop(into)] probs: Signal<Option<[f32; 10]>>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="class-bars" data-testid=testid role="list" aria-label="class probabilities">
            {move || {
                probs
                    .get()
                    .map(|p| {
                        let best = p
                            .iter()
                            .enumerate()
                            .fold(0, |b, (i, &v)| if v > p[b] { i } else { b });
                        p.iter()
                            .enumerate()
                            .map(|(class, &v)| {
                                let width = format!("width: {:.1}%", 100.0 * v.clamp(0.0, 1.0));
                                view! {
                                    <div
                                        class="bar-row"
                                        class:best=class == best
                                        role="listitem"
                                        data-class=class
                                        data-p=format!("{v:.4}")
                                    >
                                        <span class="bar-label">{class}</span>
                                        <span class="bar-track">
                                            <span class="bar-fill" style=width></span>
                                        </span>
                                        <span class="bar-value">{format!("{:.1}%", 100.0 * v)}</span>
                                    </div>
                                }
                            })
                            .collect_view()
                    })
            }}
        </div>
    }
}
