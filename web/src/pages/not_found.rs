//! Any unknown address.

use leptos::prelude::*;
use leptos_router::components::A;

/// Shown for addresses that match no page.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="page" data-testid="page-not-found">
            <h1>"No such page"</h1>
            <p>"This address matches no page of convlab. " <A href="/">"Back to the overview"</A> "."</p>
        </section>
    }
}
