//! The worker's side of the conversation: decode each [`ToWorker`], run it, post the
//! [`FromWorker::Answer`] back. Jobs run concurrently (they interleave between slices); each
//! has a [`Stop`] that a [`Request::Cancel`] sets.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use convlab_protocol::{
    Backend, FromWorker, IMAGE_PIXELS, Reply, Request, ToWorker, decode, encode,
};
use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::models::{Failure, Models, Stop, WeightSource};
use crate::{gpu, training};

type Loading = Shared<LocalBoxFuture<'static, Result<Rc<Models>, String>>>;

thread_local! {
    /// The models of each backend asked for, loaded once.
    static LOADED: RefCell<HashMap<Backend, Loading>> = RefCell::new(HashMap::new());
    /// The jobs still running, by request number.
    static JOBS: RefCell<HashMap<u32, Stop>> = RefCell::new(HashMap::new());
}

/// Starts answering the page: installs the panic hook and the message handler, then says
/// [`FromWorker::Ready`]. Called once, by the worker's `main`.
pub fn run() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // The page fails the requests in flight with this and starts a new worker.
        post(&FromWorker::Panicked(info.to_string()));
    }));
    gpu::on_lost(|why| {
        // WebGPU requests fail from now on; the page moves to the CPU.
        LOADED.with(|l| l.borrow_mut().remove(&Backend::WebGpu));
        post(&FromWorker::GpuLost(why));
    });
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
            let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
            match decode::<ToWorker>(&bytes) {
                Ok(message) => receive(message),
                Err(e) => web_sys::console::error_1(&format!("model worker: {e}").into()),
            }
        });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&FromWorker::Ready);
}

fn scope() -> web_sys::DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts `message` to the page, handing over its bytes without a copy.
fn post(message: &FromWorker) {
    let bytes = match encode(message) {
        Ok(bytes) => bytes,
        Err(e) => {
            web_sys::console::error_1(&format!("model worker: {e}").into());
            return;
        }
    };
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let transfer = js_sys::Array::of1(&array.buffer());
    if let Err(e) = scope().post_message_with_transfer(&array, &transfer) {
        web_sys::console::error_2(&"model worker: could not post an answer".into(), &e);
    }
}

fn receive(message: ToWorker) {
    let ToWorker { id, request } = message;
    if let Request::Cancel { id: job } = request {
        JOBS.with(|jobs| {
            if let Some(stop) = jobs.borrow().get(&job) {
                stop.set();
            }
        });
        return;
    }
    let stop = Stop::default();
    JOBS.with(|jobs| jobs.borrow_mut().insert(id, stop.clone()));
    wasm_bindgen_futures::spawn_local(async move {
        let result = match answer(request, &stop).await {
            Ok(reply) => Ok(reply),
            Err(Failure::Cancelled) => Ok(Reply::Cancelled),
            Err(Failure::Error(e)) => Err(e),
        };
        JOBS.with(|jobs| jobs.borrow_mut().remove(&id));
        post(&FromWorker::Answer { id, result });
    });
}

/// The models on `backend`, loading them on the first request.
fn load(backend: Backend, source: WeightSource) -> Loading {
    LOADED.with(|loaded| {
        let mut loaded = loaded.borrow_mut();
        // A load that failed (a 404, a cut-off download) is not kept: asking again retries.
        if loaded
            .get(&backend)
            .is_some_and(|l| matches!(l.peek(), Some(Err(_))))
        {
            loaded.remove(&backend);
        }
        loaded
            .entry(backend)
            .or_insert_with(|| {
                async move { Models::load(backend, &source).await.map(Rc::new) }
                    .boxed_local()
                    .shared()
            })
            .clone()
    })
}

/// The models on `backend`, which an earlier [`Request::Load`] must have asked for.
async fn loaded(backend: Backend) -> Result<Rc<Models>, String> {
    let loading = LOADED.with(|l| l.borrow().get(&backend).cloned());
    match loading {
        Some(loading) => loading.await,
        None => Err(match (backend, gpu::lost()) {
            (Backend::WebGpu, Some(why)) => why,
            _ => format!("the models on {} were never loaded", backend.name()),
        }),
    }
}

async fn answer(request: Request, stop: &Stop) -> Result<Reply, Failure> {
    Ok(match request {
        Request::Load {
            backend,
            weights_url,
            timeout_ms,
        } => {
            let source = WeightSource::Url {
                base: weights_url,
                timeout_ms,
            };
            Reply::Loaded(load(backend, source).await?.info())
        }
        Request::Encode {
            backend,
            model,
            images,
        } => {
            let models = loaded(backend).await?;
            let (mu, log_var) = models.encode(model, &images, stop).await?;
            Reply::Posteriors {
                dim: models.latent_dim(model) as u32,
                mu,
                log_var,
            }
        }
        Request::Decode {
            backend,
            model,
            codes,
        } => Reply::Images(loaded(backend).await?.decode(model, &codes, stop).await?),
        Request::Classify { backend, images } => {
            Reply::Probabilities(loaded(backend).await?.classify(&images, stop).await?)
        }
        Request::Autoencode { backend, images } => {
            Reply::Autoencoded(loaded(backend).await?.autoencode(&images, stop).await?)
        }
        Request::References { backend, model } => {
            let models = loaded(backend).await?;
            let r = models.references(model, stop).await?;
            debug_assert_eq!(r.images.len(), r.labels.len() * IMAGE_PIXELS);
            Reply::References {
                dim: models.latent_dim(model) as u32,
                images: r.images,
                labels: r.labels,
                mu: r.mu,
                log_var: r.log_var,
            }
        }
        Request::FeatureMaps { backend, image } => {
            Reply::FeatureMaps(loaded(backend).await?.feature_maps(&image).await?)
        }
        Request::Networks { backend } => {
            Reply::Networks(Box::new(loaded(backend).await?.networks().await?))
        }
        Request::TrainStart { backend, setup } => {
            Reply::TrainStarted(training::start(backend, setup).await?)
        }
        Request::TrainSteps {
            max_steps,
            budget_ms,
            epochs,
            settings,
        } => {
            let limits = training::Limits {
                max_steps,
                budget_ms,
                epochs,
            };
            Reply::TrainProgress(training::steps(limits, settings, stop).await?)
        }
        Request::TrainEvaluate { split } => Reply::Evaluation(training::evaluate(split).await?),
        Request::TrainRestoreBest => {
            training::restore_best()?;
            Reply::Done
        }
        Request::TrainReset => {
            training::reset();
            Reply::Done
        }
        Request::VaeTrainStart { backend, setup } => {
            Reply::TrainStarted(training::vae::start(backend, setup).await?)
        }
        Request::VaeTrainSteps {
            max_steps,
            budget_ms,
            epochs,
            settings,
        } => {
            let limits = training::Limits {
                max_steps,
                budget_ms,
                epochs,
            };
            Reply::VaeProgress(training::vae::steps(limits, settings, stop).await?)
        }
        Request::VaeTrainSnapshot { samples } => {
            Reply::LatentSnapshot(Box::new(training::vae::snapshot(samples).await?))
        }
        Request::TrainUse { on } => {
            training::use_classifier(on)?;
            Reply::Done
        }
        Request::TrainExport { name, address } => {
            Reply::Weights(training::export(&name, &address).await?)
        }
        Request::VaeTrainUse { on } => {
            training::vae::use_vae(on)?;
            Reply::Done
        }
        Request::VaeTrainExport { name, address } => {
            Reply::Weights(training::vae::export(&name, &address).await?)
        }
        Request::LoseGpu => {
            gpu::destroy();
            Reply::Done
        }
        Request::Crash => panic!("the page asked the model worker to crash (a test)"),
        Request::Cancel { .. } => Reply::Done,
    })
}
