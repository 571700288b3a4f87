//! A panic must not leave a dead page. The hook logs the panic to the console, then puts a
//! notice on the page that says what happened and offers a reload. Drawings and settings
//! survive a reload: they are in `localStorage` and the URL.
//!
//! The notice is plain DOM with a plain link: after a panic the app's wasm is gone (the release
//! build aborts), so no Rust callback could answer a click.

/// The notice's element id (one notice, however many panics).
const NOTICE_ID: &str = "convlab-panic-notice";

/// Installs the hook; `main` calls it before mounting the app.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_notice();
    }));
}

/// Shows the notice (once): `role="alert"`, `data-testid="panic-notice"`, and a link to the
/// page's own address, which reloads it with its settings.
pub fn show_notice() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id(NOTICE_ID).is_some() {
        return;
    }
    let (Ok(notice), Some(body)) = (document.create_element("div"), document.body()) else {
        return;
    };
    notice.set_id(NOTICE_ID);
    let _ = notice.set_attribute("role", "alert");
    let _ = notice.set_attribute("class", "panic-notice");
    let _ = notice.set_attribute("data-testid", "panic-notice");
    notice.set_inner_html(
        "<p>Something broke in this page. Reload it: your drawings and settings are kept.</p>\
         <a href=\"\" class=\"button\" data-testid=\"panic-reload\">Reload</a>",
    );
    let _ = body.append_child(&notice);
}
