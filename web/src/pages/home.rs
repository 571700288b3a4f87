//! The landing page: which part of the lecture each page turns into something to play with.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::PAGES;

/// `/`: a map from the lecture's slides to the pages.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="page home" data-testid="page-home">
            <h1>"convlab"</h1>
            <p class="lead">
                "Play with Lecture 3 — convolutions, pooling and autoencoders. Every slide with maths, a worked example "
                "or a picture is a page here, with the lecture's own numbers as the starting point. Change anything; "
                "the address bar keeps your settings, so you can share or reload a view."
            </p>
            <div class="cards">
                {PAGES
                    .iter()
                    .map(|p| {
                        view! {
                            <A href=p.route attr:class="card">
                                <h2>{p.title}</h2>
                                <p class="slides">"Slides: " {p.slides}</p>
                                <p>{p.summary}</p>
                            </A>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}
