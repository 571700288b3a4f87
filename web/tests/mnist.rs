//! Browser tests of real MNIST in the app: small but real IDX `.gz` files (synthetic digits,
//! written by the model crate's IDX writer) put into the loader's file input as a user's
//! choice would, corrupt files refused without losing the loaded set, the files kept in
//! Cache Storage for the next visit, and the latent map scattering them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use convlab_digits::idx::{encode_idx, gzip};
use convlab_digits::synthetic_digit;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const IMAGES: &str = "t10k-images-idx3-ubyte.gz";
const LABELS: &str = "t10k-labels-idx1-ubyte.gz";

/// `n` synthetic digits (labels 0, 1, …, 9, 0, …) as gzipped IDX image and label files.
fn digit_files(n: usize) -> (Vec<u8>, Vec<u8>) {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let digit = (i % 10) as u8;
        let image = synthetic_digit(digit, 500 + i as u64).unwrap();
        pixels.extend(
            image
                .iter()
                .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8),
        );
        labels.push(digit);
    }
    (
        gzip(&encode_idx(&[n, 28, 28], &pixels)),
        gzip(&encode_idx(&[n], &labels)),
    )
}

fn js_file(name: &str, bytes: &[u8]) -> web_sys::File {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::FilePropertyBag::new();
    options.set_type("application/gzip");
    web_sys::File::new_with_u8_array_sequence_and_options(&parts, name, &options).unwrap()
}

/// Puts `files` into the `<input type="file">` and fires `change`, as choosing them does.
fn choose_files(files: &[(&str, &[u8])]) {
    let input: web_sys::HtmlInputElement = find("mnist-input").unwrap().unchecked_into();
    let transfer = web_sys::DataTransfer::new().unwrap();
    for (name, bytes) in files {
        transfer
            .items()
            .add_with_file(&js_file(name, bytes))
            .unwrap();
    }
    input.set_files(transfer.files().as_ref());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let change = web_sys::Event::new_with_event_init_dict("change", &init).unwrap();
    input.dispatch_event(&change).unwrap();
}

fn circles() -> Vec<String> {
    let nodes = document()
        .query_selector_all("[data-testid=latent-map] circle[data-class]")
        .unwrap();
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .filter_map(|e| e.get_attribute("data-class"))
        .collect()
}

fn data_options() -> Vec<String> {
    let options = document()
        .query_selector_all("[data-testid=latent-map-data] option")
        .unwrap();
    (0..options.length())
        .filter_map(|i| options.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .filter_map(|o| o.get_attribute("value"))
        .collect()
}

/// The bytes Cache Storage holds for a canonical file, if any.
async fn cached(name: &str) -> Option<Vec<u8>> {
    let caches = web_sys::window().unwrap().caches().unwrap();
    let cache: web_sys::Cache = JsFuture::from(caches.open("convlab-mnist"))
        .await
        .unwrap()
        .unchecked_into();
    let found = JsFuture::from(cache.match_with_str(&format!("/convlab-mnist/{name}")))
        .await
        .unwrap();
    let response: web_sys::Response = found.dyn_into().ok()?;
    let buffer = JsFuture::from(response.array_buffer().unwrap())
        .await
        .unwrap();
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

#[wasm_bindgen_test]
async fn mnist_files_load_persist_survive_bad_files_and_feed_the_latent_map() {
    let _app = mount_model_page("/latent-map?n=4", "page-latent-map").await;
    wait_for("mnist-status").await;
    if find("mnist-forget").is_some() {
        click("mnist-forget");
        settle().await;
    }
    assert!(
        text("mnist-status").starts_with("No MNIST"),
        "{}",
        text("mnist-status")
    );
    assert_eq!(data_options(), ["synthetic"]);
    wait_until("the synthetic scatter", 60.0, || circles().len() == 300).await;

    // Choosing the two test files loads them.
    let (images, labels) = digit_files(30);
    choose_files(&[(IMAGES, &images), (LABELS, &labels)]);
    wait_until("the loaded status", 20.0, || {
        text("mnist-status") == "MNIST test set: 30 images."
    })
    .await;
    assert!(find("mnist-error").is_none());
    settle().await;
    assert_eq!(data_options(), ["synthetic", "mnist"]);

    // The latent map scatters them, coloured by their true labels.
    set_value("latent-map-data", "mnist");
    wait_until("the MNIST scatter", 60.0, || circles().len() == 30).await;
    assert!(query().contains("data=mnist"), "{}", query());
    let mut classes = circles();
    classes.sort();
    let mut expected: Vec<String> = (0..30).map(|i| (i % 10).to_string()).collect();
    expected.sort();
    assert_eq!(classes, expected);
    assert!(
        find("page-latent-map")
            .unwrap()
            .text_content()
            .unwrap()
            .contains("The first 30 images of the MNIST test set")
    );
    // A click still decodes a point of the map.
    click_centre("latent-map");
    wait_until("the decoded point", 30.0, || {
        find("latent-map-decoded").is_some_and(|_| canvas_pixels("latent-map-decoded").0 == 28)
    })
    .await;

    // A truncated gzip: an alert naming the file; the loaded set stays.
    let mut cut = labels.clone();
    cut.truncate(cut.len() / 2);
    choose_files(&[(LABELS, &cut)]);
    wait_until("the error for the cut file", 20.0, || {
        find("mnist-error").is_some()
    })
    .await;
    let error = text("mnist-error");
    assert!(error.contains(LABELS), "{error}");
    assert_eq!(
        find("mnist-error")
            .unwrap()
            .get_attribute("role")
            .as_deref(),
        Some("alert")
    );
    assert_eq!(text("mnist-status"), "MNIST test set: 30 images.");

    // A file that is not IDX at all (wrong magic number).
    choose_files(&[("notes.gz", b"this is not an IDX file")]);
    wait_until("the error for the wrong magic", 20.0, || {
        find("mnist-error").is_some_and(|_| text("mnist-error").contains("notes.gz"))
    })
    .await;
    assert!(
        text("mnist-error").contains("bad magic"),
        "{}",
        text("mnist-error")
    );
    // A small gzip that declares 5,000,000 images (3.9 GB): refused from its header.
    let bomb = gzip(&encode_idx(&[5_000_000, 28, 28], &vec![0; 2 << 20]));
    choose_files(&[(IMAGES, &bomb)]);
    wait_until("the error for the declared size", 20.0, || {
        find("mnist-error").is_some_and(|_| text("mnist-error").contains("3920000000 bytes"))
    })
    .await;
    assert_eq!(text("mnist-status"), "MNIST test set: 30 images.");
    // A file larger than any MNIST file is not even read.
    let huge = vec![0u8; (convlab_digits::idx::MAX_IDX_BYTES + 8192) as usize];
    choose_files(&[("huge.gz", &huge)]);
    wait_until("the error for the file size", 20.0, || {
        find("mnist-error")
            .is_some_and(|_| text("mnist-error").contains("larger than any MNIST file"))
    })
    .await;
    assert_eq!(text("mnist-status"), "MNIST test set: 30 images.");
    // Labels that disagree with the loaded images in count.
    let (_, labels_20) = digit_files(20);
    choose_files(&[(LABELS, &labels_20)]);
    wait_until("the error for the count", 20.0, || {
        find("mnist-error").is_some_and(|_| text("mnist-error").contains("20 labels"))
    })
    .await;
    assert_eq!(text("mnist-status"), "MNIST test set: 30 images.");
    settle().await;
    assert_eq!(circles().len(), 30);

    // Kept in Cache Storage, byte for byte, and restored on the next visit.
    for (name, bytes) in [(IMAGES, &images), (LABELS, &labels)] {
        let mut stored = None;
        for _ in 0..100 {
            stored = cached(name).await;
            if stored.is_some() {
                break;
            }
            sleep_ms(50).await;
        }
        assert_eq!(stored.as_ref(), Some(bytes), "{name} in Cache Storage");
    }
    convlab_web::mnist_store::reload().await;
    settle().await;
    assert_eq!(text("mnist-status"), "MNIST test set: 30 images.");
    wait_until("the restored scatter", 60.0, || circles().len() == 30).await;

    // Forgetting: synthetic digits again, a note about the URL's choice, storage emptied.
    click("mnist-forget");
    wait_until("the synthetic scatter again", 60.0, || {
        circles().len() == 300
    })
    .await;
    assert!(text("mnist-status").starts_with("No MNIST"));
    assert!(find("latent-map-data-note").is_some());
    assert_eq!(data_options(), ["synthetic"]);
    for _ in 0..100 {
        if cached(IMAGES).await.is_none() {
            break;
        }
        sleep_ms(50).await;
    }
    assert!(cached(IMAGES).await.is_none());
}
