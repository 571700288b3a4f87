//! The app's one store in the browser: restored from Cache Storage and the server on first use,
//! fed the user's files, and published to the pages as signals.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use convlab_digits::MnistDataset;
use convlab_digits::mnist::{FILES, MnistFile};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{MnistStore, Slot, thousands};

/// The Cache Storage cache holding the files a user gave.
const CACHE_NAME: &str = "convlab-mnist";
/// Where beside the page `cargo xtask serve` serves the files.
const SERVED_DIR: &str = "mnist/";

/// The app-wide MNIST state the pages and the loader read.
#[derive(Clone)]
pub struct MnistHandle {
    /// The test set, when both of its files are loaded.
    pub test_set: ArcRwSignal<Option<Arc<MnistDataset>>>,
    /// The training set, when both of its files are loaded.
    pub train_set: ArcRwSignal<Option<Arc<MnistDataset>>>,
    /// [`MnistStore::status`], or what is being read.
    pub status: ArcRwSignal<String>,
    /// Why the last files given were not (all) taken.
    pub error: ArcRwSignal<Option<String>>,
}

impl MnistHandle {
    fn new() -> Self {
        Self {
            test_set: ArcRwSignal::new(None),
            train_set: ArcRwSignal::new(None),
            status: ArcRwSignal::new(MnistStore::default().status()),
            error: ArcRwSignal::new(None),
        }
    }
}

thread_local! {
    static STORE: RefCell<MnistStore> = RefCell::new(MnistStore::default());
    static HANDLE: MnistHandle = MnistHandle::new();
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// The MNIST state; the first call restores the stored files and fetches the served ones.
pub fn use_mnist() -> MnistHandle {
    if !STARTED.with(|s| s.replace(true)) {
        wasm_bindgen_futures::spawn_local(restore());
    }
    HANDLE.with(Clone::clone)
}

/// Reads the user's files and loads those that are good (see [`MnistStore::add_files`]); the
/// good ones are kept in Cache Storage for the next visit.
pub fn load_files(files: Vec<web_sys::File>) {
    let handle = use_mnist();
    if files.is_empty() {
        handle.error.set(Some(
            "Nothing to load: choose or drop the MNIST .gz files.".into(),
        ));
        return;
    }
    handle.status.set(format!(
        "Reading {} file{}…",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    ));
    wasm_bindgen_futures::spawn_local(async move {
        let mut read = Vec::new();
        let mut errors = Vec::new();
        for file in files {
            let name = file.name();
            // Larger than any MNIST file: refused before its bytes are read into memory.
            let limit = convlab_digits::idx::MAX_IDX_BYTES as f64 + 4096.0;
            if file.size() > limit {
                errors.push(format!(
                    "{name} is {} bytes, larger than any MNIST file: not read.",
                    thousands(file.size() as u64)
                ));
                continue;
            }
            match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => read.push((name, js_sys::Uint8Array::new(&buffer).to_vec())),
                Err(_) => errors.push(format!("{name} could not be read.")),
            }
        }
        let mut added = STORE.with(|s| s.borrow_mut().add_files(read, true));
        errors.append(&mut added.errors);
        publish(Some(errors));
        persist(added.accepted).await;
    });
}

/// Forgets the loaded files, here and in Cache Storage.
pub fn forget() {
    STORE.with(|s| s.borrow_mut().clear());
    publish(Some(Vec::new()));
    wasm_bindgen_futures::spawn_local(async {
        if let Some(cache) = open_cache().await {
            for file in FILES {
                let _ = JsFuture::from(cache.delete_with_str(&cache_key(file))).await;
            }
        }
    });
}

/// Forgets the files in memory (not in Cache Storage) and loads again from storage and the
/// server, as the next visit does. For the browser tests, which cannot reload the page.
pub async fn reload() {
    STARTED.with(|s| s.set(true));
    STORE.with(|s| s.borrow_mut().clear());
    publish(Some(Vec::new()));
    restore().await;
}

/// Puts the store's state into the signals; `errors` replaces the error shown when given.
fn publish(errors: Option<Vec<String>>) {
    let (status, test_set, train_set) = STORE.with(|s| {
        let s = s.borrow();
        (s.status(), s.test_set(), s.train_set())
    });
    let handle = HANDLE.with(Clone::clone);
    let mut errors = errors;
    for (set, signal) in [(test_set, &handle.test_set), (train_set, &handle.train_set)] {
        let set = match set {
            Some(Ok(set)) => Some(Arc::new(set)),
            Some(Err(e)) => {
                errors.get_or_insert_with(Vec::new).push(e);
                None
            }
            None => None,
        };
        let changed = match (&set, signal.get_untracked()) {
            (Some(a), Some(b)) => a.as_ref() != b.as_ref(),
            (None, None) => false,
            _ => true,
        };
        if changed {
            signal.set(set);
        }
    }
    handle.status.set(status);
    if let Some(errors) = errors {
        handle
            .error
            .set((!errors.is_empty()).then(|| errors.join(" ")));
    }
}

fn cache_key(file: MnistFile) -> String {
    format!("/{CACHE_NAME}/{}", file.name)
}

async fn open_cache() -> Option<web_sys::Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    JsFuture::from(caches.open(CACHE_NAME))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

/// Keeps the accepted files' bytes for the next visit; a missing or full storage is ignored.
async fn persist(accepted: Vec<(Slot, Vec<u8>)>) {
    if accepted.is_empty() {
        return;
    }
    let Some(cache) = open_cache().await else {
        return;
    };
    for (slot, mut bytes) in accepted {
        if let Ok(response) = web_sys::Response::new_with_opt_u8_array(Some(&mut bytes)) {
            let _ = JsFuture::from(cache.put_with_str(&cache_key(slot.file()), &response)).await;
        }
    }
}

/// The body of a response, unless it is missing, an error or an HTML page (the dev server
/// answers unknown paths with the app's `index.html`).
async fn body(response: wasm_bindgen::JsValue) -> Option<Vec<u8>> {
    let response: web_sys::Response = response.dyn_into().ok()?;
    let html = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|t| t.contains("text/html"));
    if !response.ok() || html {
        return None;
    }
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    // Neither gzip nor IDX: an HTML fallback without its content type.
    (bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(&[0, 0])).then_some(bytes)
}

/// The first visit's work: the stored copies, then the served files still missing.
async fn restore() {
    let mut stored = Vec::new();
    if let Some(cache) = open_cache().await {
        for file in FILES {
            if let Ok(found) = JsFuture::from(cache.match_with_str(&cache_key(file))).await
                && let Some(bytes) = body(found).await
            {
                stored.push((file.name.to_string(), bytes));
            }
        }
    }
    let added = STORE.with(|s| s.borrow_mut().add_files(stored, false));
    publish((!added.errors.is_empty()).then_some(added.errors));

    let Some(window) = web_sys::window() else {
        return;
    };
    // The test set first: it is what the pages show, and the training files are 6× larger.
    for split in [
        [Slot::TestImages, Slot::TestLabels],
        [Slot::TrainImages, Slot::TrainLabels],
    ] {
        let mut served = Vec::new();
        for slot in split {
            if STORE.with(|s| s.borrow().get(slot).is_some()) {
                continue;
            }
            let name = slot.file().name;
            let url = format!("{SERVED_DIR}{name}");
            if let Ok(response) = JsFuture::from(window.fetch_with_str(&url)).await
                && let Some(bytes) = body(response).await
            {
                served.push((name.to_string(), bytes));
            }
        }
        if !served.is_empty() {
            let added = STORE.with(|s| s.borrow_mut().add_files(served, false));
            publish((!added.errors.is_empty()).then_some(added.errors));
        }
    }
}
