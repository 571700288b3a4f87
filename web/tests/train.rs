//! Browser tests of `/train` with the real model worker on the CPU backend: a short run
//! finishes with its curves, the best epoch, a confusion matrix whose cells show their images,
//! the test set's single use recorded, and a learning rate too high pausing the run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Two epochs of 64 synthetic digits in batches of 16, validation 40, test 20.
const SHORT_RUN: &str = "/train?n=64&nv=40&nt=20&ep=2&bs=16";

fn confusion_total() -> u32 {
    (0..10)
        .flat_map(|t| (0..10).map(move |g| (t, g)))
        .map(|(t, g)| {
            text(&format!("confusion-{t}-{g}"))
                .trim()
                .parse::<u32>()
                .unwrap()
        })
        .sum()
}

#[wasm_bindgen_test]
async fn a_short_run_finishes_with_curves_a_confusion_matrix_and_one_test_score() {
    let _app = mount_model_page(SHORT_RUN, "page-train").await;
    click("train-start");
    wait_until("the run to finish", 90.0, || {
        text("train-status").starts_with("finished")
    })
    .await;
    let status = text("train-status");
    assert!(status.contains("step 8, epoch 2"), "{status}");
    assert!(status.contains("61,706 parameters"), "{status}");
    assert!(text("train-best").contains("Lowest validation loss"));
    let sparsity = text("train-sparsity");
    assert!(sparsity.starts_with("61,470 weights"), "{sparsity}");

    click("train-eval-validation");
    wait_until("the confusion matrix", 60.0, || find("confusion").is_some()).await;
    assert!(text("train-evaluation").starts_with("validation set"));
    assert_eq!(confusion_total(), 40);
    // A cell with images in it shows them, drawn again from the run's seed.
    let (t, g) = (0..10)
        .flat_map(|t| (0..10).map(move |g| (t, g)))
        .find(|(t, g)| text(&format!("confusion-{t}-{g}")).trim() != "0")
        .unwrap();
    let cell = find(&format!("confusion-{t}-{g}")).unwrap();
    let button: web_sys::HtmlElement =
        wasm_bindgen::JsCast::dyn_into(cell.first_element_child().unwrap()).unwrap();
    button.click();
    settle().await;
    assert!(
        find("confusion-images-0").is_some(),
        "cell {t},{g} shows its images"
    );

    assert_eq!(text("train-test-note"), "");
    click("train-eval-test");
    wait_until("the test score", 60.0, || {
        text("train-evaluation").starts_with("test set")
    })
    .await;
    assert_eq!(confusion_total(), 20);
    assert!(text("train-test-note").contains("used, once"));
    // Changing a setting afterwards is called out.
    set_value("train-bs", "32");
    settle().await;
    assert!(
        text("train-test-note").contains("no longer an unbiased estimate"),
        "{}",
        text("train-test-note")
    );
    // The run's LeNet-5 can take the shipped one's place; a reset gives it back.
    click("train-use");
    wait_until("the classifier in use", 30.0, || {
        text("train-in-use").contains("the training lab's LeNet-5")
    })
    .await;
    // The weights go to the browser as a pair in the shipped format.
    click("train-download");
    wait_until("the weights saved", 30.0, || {
        text("train-saved").starts_with("Saved lab-lenet5.json and lab-lenet5.bpk")
    })
    .await;
    assert_eq!(text("train-message"), "");
    click("train-reset");
    settle().await;
    assert!(text("train-status").starts_with("no run yet"));
    assert_eq!(text("train-saved"), "");
    wait_until("the shipped classifier back", 30.0, || {
        text("train-in-use").is_empty()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_learning_rate_too_high_pauses_the_run_and_says_why() {
    let _app = mount_model_page(
        "/train?n=64&nv=20&nt=0&bs=16&opt=sgd&lr=1000&ep=50",
        "page-train",
    )
    .await;
    click("train-start");
    wait_until("the run to pause itself", 60.0, || {
        text("train-message").contains("learning rate")
    })
    .await;
    assert!(text("train-status").starts_with("paused"));
    assert!(text("train-message").contains("last weights that scored a finite loss"));
}

#[wasm_bindgen_test]
async fn a_deep_sigmoid_mlp_shows_its_gradients_vanishing() {
    let url = "/train?model=mlp&depth=10&n=32&nv=0&nt=0&ep=1&bs=32&opt=sgd&lr=0.1";
    let _app = mount_model_page(url, "page-train").await;
    click("train-start");
    wait_until("the step", 60.0, || find("train-gradients").is_some()).await;
    let norm = |i: usize| -> f32 {
        find(&format!("gradient-{i}"))
            .unwrap()
            .get_attribute("data-norm")
            .unwrap()
            .parse()
            .unwrap()
    };
    // Ten hidden layers and the output: the first layer's gradient is over 100× below the
    // last one's.
    assert!(find("gradient-10").is_some() && find("gradient-11").is_none());
    assert!(norm(0) * 100.0 < norm(10), "{} vs {}", norm(0), norm(10));
    assert!(text("train-status").contains("MLP"));
}
