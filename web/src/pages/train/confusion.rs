//! Section 3: the confusion matrix of the validation set (or, once, the test set): counts with
//! each row coloured by its share of the true class; a click on a cell shows its images.

use convlab_digits::synthetic_digit;
use leptos::prelude::*;

use super::lab::Lab;
use crate::components::digit::DigitStrip;
use crate::ml::training::{Evaluation, Split};

/// Images shown for one cell at most.
const CELL_IMAGES: usize = 24;

/// Where a split's images start among the run's synthetic digits.
fn offset(lab: &Lab, split: Split) -> usize {
    lab.run_settings.with_untracked(|s| {
        s.as_ref().map_or(0, |s| match split {
            Split::Validation => s.train,
            Split::Test => s.train + s.validation,
        })
    })
}

/// The images of the cell `(truth, given)`: the run's MNIST images, or its synthetic digits
/// drawn again from the run's seed.
fn cell_images(
    lab: &Lab,
    evaluation: &Evaluation,
    truth: u8,
    given: u8,
) -> Vec<(Vec<f32>, String)> {
    let seed = lab
        .run_settings
        .with_untracked(|s| s.as_ref().map_or(0, |s| s.seed));
    let mnist = lab.run_images.get_untracked();
    let start = offset(lab, evaluation.split);
    evaluation
        .labels
        .iter()
        .zip(&evaluation.predicted)
        .enumerate()
        .filter(|(_, (l, p))| **l == truth && **p == given)
        .take(CELL_IMAGES)
        .filter_map(|(i, _)| {
            let index = start + i;
            let image = match &mnist {
                Some(set) => set.image(index).map(<[f32]>::to_vec),
                None => synthetic_digit(truth, seed.wrapping_add(index as u64)).ok(),
            };
            image.map(|image| (image, format!("#{index}: {given}")))
        })
        .collect()
}

/// The matrix and the clicked cell's images.
#[component]
pub(super) fn Confusion(lab: Lab) -> impl IntoView {
    let picked = RwSignal::new(None::<(u8, u8)>);
    Effect::new(move |_| {
        lab.evaluation.track();
        picked.set(None);
    });
    let images = Signal::derive(move || {
        let (Some((truth, given)), Some(evaluation)) = (picked.get(), lab.evaluation.get()) else {
            return Vec::new();
        };
        cell_images(&lab, &evaluation, truth, given)
    });
    let table = move || {
        lab.evaluation.get().map(|e| {
            let header = (0..10).map(|c| view! { <th scope="col">{c}</th> }).collect_view();
            let rows = (0..10u8)
                .map(|truth| {
                    let row = &e.confusion[usize::from(truth) * 10..usize::from(truth) * 10 + 10];
                    let total = row.iter().sum::<u32>().max(1) as f32;
                    let cells = row
                        .iter()
                        .enumerate()
                        .map(|(given, &count)| {
                            let given = given as u8;
                            let share = count as f32 / total;
                            let style = format!("--share: {share:.3}");
                            let diagonal = given == truth;
                            view! {
                                <td
                                    class="confusion-cell"
                                    class:diagonal=diagonal
                                    style=style
                                    data-testid=format!("confusion-{truth}-{given}")
                                    title=format!("true {truth}, given {given}: {count} ({:.1}% of the {truth}s)", 100.0 * share)
                                >
                                    <button on:click=move |_| picked.set(Some((truth, given)))>
                                        {count}
                                    </button>
                                </td>
                            }
                        })
                        .collect_view();
                    view! {
                        <tr>
                            <th scope="row">{truth}</th>
                            {cells}
                        </tr>
                    }
                })
                .collect_view();
            let which = match e.split {
                Split::Validation => "validation",
                Split::Test => "test",
            };
            view! {
                <p data-testid="train-evaluation">
                    {format!(
                        "{which} set: accuracy {:.2}%, loss {:.4}, {} images",
                        100.0 * e.accuracy,
                        e.loss,
                        e.labels.len()
                    )}
                </p>
                <table class="confusion" data-testid="confusion">
                    <caption>"rows: true class · columns: class given"</caption>
                    <thead>
                        <tr>
                            <th></th>
                            {header}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })
    };
    let caption = move || {
        picked
            .get()
            .map(|(t, g)| format!("True {t}, classified as {g} (first {CELL_IMAGES} at most):"))
    };
    view! {
        <div class="train-confusion">
            {table}
            <p>{caption}</p>
            <DigitStrip items=images testid="confusion-images" />
        </div>
    }
}
