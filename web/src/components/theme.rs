//! Light/dark theme: follows the system until the user picks one, then remembers the choice.

use leptos::prelude::*;

use crate::storage;

const STORAGE_KEY: &str = "convlab-theme";

fn apply(theme: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", theme);
    }
}

/// A button that switches between light and dark.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let initial = storage::load(STORAGE_KEY).unwrap_or_else(|| {
        let dark = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches());
        if dark { "dark" } else { "light" }.to_string()
    });
    let (theme, set_theme) = signal(initial);
    Effect::new(move |_| apply(&theme.get()));
    let toggle = move |_| {
        let next = if theme.get_untracked() == "dark" {
            "light"
        } else {
            "dark"
        };
        storage::save(STORAGE_KEY, next);
        set_theme.set(next.to_string());
    };
    view! {
        <button class="theme-toggle" on:click=toggle title="Switch between light and dark">
            {move || if theme.get() == "dark" { "☀ Light" } else { "☾ Dark" }}
        </button>
    }
}
