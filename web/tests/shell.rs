//! Browser tests of the app shell: landing page, navigation, unknown addresses, theme.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn landing_page_maps_the_lecture_to_every_page() {
    let _app = mount_app_at("/", "page-home").await;
    let cards = document()
        .query_selector_all("[data-testid=page-home] a.card")
        .unwrap();
    let hrefs: Vec<String> = (0..cards.length())
        .filter_map(|i| cards.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .filter_map(|e| e.get_attribute("href"))
        .collect();
    assert_eq!(
        hrefs,
        [
            "/convolution-1d",
            "/sobel",
            "/pooling",
            "/arithmetic",
            "/cnn",
            "/train",
            "/draw",
            "/interpolate",
            "/latent-map",
            "/generate",
            "/denoise",
            "/train-vae"
        ]
    );
    let text = find("page-home").unwrap().text_content().unwrap();
    assert!(text.contains("Slides:"), "each card names its slides");
    assert!(!text.contains("Still to come"), "every card's page exists");
}

#[wasm_bindgen_test]
async fn unknown_address_says_so() {
    let _app = mount_app_at("/no-such-page", "page-not-found").await;
    assert!(find("page-home").is_none());
}

#[wasm_bindgen_test]
async fn theme_toggle_switches_light_and_dark() {
    let _app = mount_app_at("/", "page-home").await;
    let root = document().document_element().unwrap();
    let before = root.get_attribute("data-theme").unwrap();
    let button: web_sys::HtmlElement = document()
        .query_selector(".theme-toggle")
        .unwrap()
        .unwrap()
        .unchecked_into();
    button.click();
    next_frame().await;
    let after = root.get_attribute("data-theme").unwrap();
    assert_ne!(before, after);
    assert!(["light", "dark"].contains(&after.as_str()));
    button.click();
    next_frame().await;
}

#[wasm_bindgen_test]
async fn a_panic_leaves_a_notice_with_a_reload_link_once() {
    let _app = mount_app_at("/pooling", "page-pooling").await;
    convlab_web::panic_notice::show_notice();
    convlab_web::panic_notice::show_notice();
    let notices = document()
        .query_selector_all("[data-testid=panic-notice]")
        .unwrap();
    assert_eq!(notices.length(), 1);
    let notice = find("panic-notice").unwrap();
    assert_eq!(notice.get_attribute("role").as_deref(), Some("alert"));
    assert!(text("panic-notice").contains("Reload"));
    // The link is the page's own address, settings and all.
    let link: web_sys::HtmlAnchorElement = find("panic-reload").unwrap().unchecked_into();
    assert_eq!(
        link.href(),
        web_sys::window().unwrap().location().href().unwrap()
    );
    notice.remove();
}
