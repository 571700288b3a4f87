//! [`Models`]: the calls a page makes on the models of one backend, each one request to the
//! model worker (long encodes and decodes on the CPU spread over the helper workers), and what
//! comes back: [`Posterior`]s and the encoded [`ReferenceSet`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use convlab_digits::latent::Projection;
use convlab_protocol::{Backend, IMAGE_PIXELS, Loaded, Reply, Request, SLICE, VaeChoice};

use super::client;
use super::{unexpected, vae_training};

/// The encoder's answer for one image: `N(μ, σ²)` per latent dimension.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Posterior {
    pub mu: Vec<f32>,
    pub log_var: Vec<f32>,
}

impl Posterior {
    /// σ per dimension.
    pub fn sigma(&self) -> Vec<f32> {
        self.log_var.iter().map(|lv| (0.5 * lv).exp()).collect()
    }
}

/// Synthetic digits encoded by one VAE: the scatter of a latent map.
#[derive(Debug)]
pub struct ReferenceSet {
    /// 784 values per digit.
    pub images: Vec<Vec<f32>>,
    pub labels: Vec<u8>,
    pub posteriors: Vec<Posterior>,
    /// From the latent space to the plane (the identity for a 2-D latent space).
    pub projection: Projection,
}

impl ReferenceSet {
    /// The plane coordinates of every digit's μ.
    pub fn points(&self) -> Vec<[f32; 2]> {
        self.posteriors
            .iter()
            .map(|p| self.projection.project(&p.mu))
            .collect()
    }

    /// The points with their classes, as a scatter draws them.
    pub fn scatter(&self) -> Vec<([f32; 2], u8)> {
        self.points()
            .into_iter()
            .zip(self.labels.iter().copied())
            .collect()
    }
}

/// The models on one backend, as a page calls them. Cheap to keep: the models themselves live
/// in the worker; this holds what the worker said about them and the reference digits already
/// encoded.
#[derive(Debug)]
pub struct Models {
    pub backend: Backend,
    info: Loaded,
    /// By model, and by which VAE lab weights were in its place (see
    /// [`vae_training::in_use`]).
    references: RefCell<HashMap<(VaeChoice, u32), Rc<ReferenceSet>>>,
}

/// From how many items an encode or decode on the CPU is spread over the model workers.
const SPREAD_FROM: usize = 2 * SLICE;

/// Parts each model worker holds during a spread request: with two, a worker that answers one
/// goes on with the other at once (the worker interleaves its jobs slice by slice) instead of
/// waiting for the page's main thread to send the next, which on a machine whose cores the
/// workers fill can take milliseconds.
const IN_FLIGHT: usize = 2;

/// `count` items cut into parts for `workers` model workers that take them one after another
/// (guided self-scheduling): each part is the share of one worker of what is left, in whole
/// slices of [`SLICE`] items, at least one. The parts shrink towards the end, so the workers
/// finish close together even when one is slower, in a handful of messages (400 items over 2
/// workers: 25, 12, 6, 3, 2, 1 and 1 slices; `spread` counts each worker's [`IN_FLIGHT`]
/// lanes: 400 over 2 × 2 lanes, 12, 9, 7, 5, 4, 3, 2, 2 and six single slices).
fn parts(count: usize, workers: usize) -> Vec<std::ops::Range<usize>> {
    let mut parts = Vec::new();
    let mut start = 0;
    while start < count {
        let slices_left = (count - start).div_ceil(SLICE);
        let slices = (slices_left / workers.max(1)).max(1);
        let end = (start + slices * SLICE).min(count);
        parts.push(start..end);
        start = end;
    }
    parts
}

/// `items` flattened, each checked to have `width` values.
fn flatten(items: &[Vec<f32>], width: usize, what: &str) -> Result<Vec<f32>, String> {
    if let Some(bad) = items.iter().find(|i| i.len() != width) {
        return Err(format!(
            "{what} has {} values instead of {width}",
            bad.len()
        ));
    }
    Ok(items.concat())
}

/// `values` cut back into items of `width` values.
fn unflatten(values: &[f32], width: usize) -> Vec<Vec<f32>> {
    values.chunks(width.max(1)).map(<[f32]>::to_vec).collect()
}

fn posteriors(dim: usize, mu: &[f32], log_var: &[f32]) -> Vec<Posterior> {
    mu.chunks(dim.max(1))
        .zip(log_var.chunks(dim.max(1)))
        .map(|(m, l)| Posterior {
            mu: m.to_vec(),
            log_var: l.to_vec(),
        })
        .collect()
}

impl Models {
    pub(super) fn new(backend: Backend, info: Loaded) -> Self {
        Self {
            backend,
            info,
            references: RefCell::new(HashMap::new()),
        }
    }

    /// Latent size of a VAE.
    pub fn latent_dim(&self, which: VaeChoice) -> usize {
        self.info.latent_dim(which)
    }

    /// Whether the CPU decoder runs with fused multiply-adds (the worker built with relaxed
    /// SIMD, which this browser has).
    pub fn fused_multiply_add(&self) -> bool {
        self.info.fused_multiply_add
    }

    /// Why AE-2 is missing, when it is.
    pub fn autoencoder_missing(&self) -> Option<&str> {
        self.info.autoencoder_missing.as_deref()
    }

    /// The posterior of each image under a VAE.
    pub async fn encode(
        &self,
        which: VaeChoice,
        images: &[Vec<f32>],
    ) -> Result<Vec<Posterior>, String> {
        let backend = self.backend;
        let images = flatten(images, IMAGE_PIXELS, "an image")?;
        let request = |images| Request::Encode {
            backend,
            model: which,
            images,
        };
        let mut all = Vec::with_capacity(images.len() / IMAGE_PIXELS);
        for reply in self.spread(which, images, IMAGE_PIXELS, request).await? {
            match reply {
                Reply::Posteriors { dim, mu, log_var } => {
                    all.extend(posteriors(dim as usize, &mu, &log_var));
                }
                other => return Err(unexpected(&other)),
            }
        }
        Ok(all)
    }

    /// Each latent code decoded to a 784-value image in `[0, 1]`.
    pub async fn decode(
        &self,
        which: VaeChoice,
        codes: &[Vec<f32>],
    ) -> Result<Vec<Vec<f32>>, String> {
        let backend = self.backend;
        let width = self.latent_dim(which);
        let codes = flatten(codes, width, "a latent code")?;
        let request = |codes| Request::Decode {
            backend,
            model: which,
            codes,
        };
        let mut all = Vec::with_capacity(codes.len() / width.max(1));
        for reply in self.spread(which, codes, width, request).await? {
            match reply {
                Reply::Images(values) => all.extend(unflatten(&values, IMAGE_PIXELS)),
                other => return Err(unexpected(&other)),
            }
        }
        Ok(all)
    }

    /// Asks for `request(items)`, where `items` holds items of `width` values: in one request
    /// to the main worker, or, on the CPU and from [`SPREAD_FROM`] items, cut into parts of
    /// whole worker slices ([`parts`]) that the model workers take one after another, each
    /// holding [`IN_FLIGHT`] parts and taking the next as soon as it has answered one, so a
    /// worker on a slower or busier core simply takes fewer. The replies come back in the
    /// items' order. A helper that fails is not given more parts and the main worker redoes
    /// its parts; the main worker's own failure is the answer. A VAE lab's VAE in `which`'s
    /// place lives in the main worker only, which then takes all.
    async fn spread(
        &self,
        which: VaeChoice,
        items: Vec<f32>,
        width: usize,
        request: impl Fn(Vec<f32>) -> Request,
    ) -> Result<Vec<Reply>, String> {
        let width = width.max(1);
        let count = items.len() / width;
        let shipped = vae_training::in_use(which) == 0;
        let helpers = match (self.backend, count >= SPREAD_FROM && shipped) {
            (Backend::Cpu, true) => client::helpers(),
            _ => Vec::new(),
        };
        if helpers.is_empty() {
            return Ok(vec![client::call(request(items)).await?]);
        }
        let parts = parts(count, (helpers.len() + 1) * IN_FLIGHT);
        let part = |i: usize| items[parts[i].start * width..parts[i].end * width].to_vec();
        let next = std::cell::Cell::new(0);
        let take = || {
            let i = next.get();
            next.set(i + 1);
            (i < parts.len()).then_some(i)
        };
        let replies: RefCell<Vec<Option<Reply>>> = RefCell::new(vec![None; parts.len()]);
        let failed = RefCell::new(Vec::new());
        // `IN_FLIGHT` lanes per worker, each taking the next part when its last is answered;
        // started in turn (main, helpers, main, helpers, ...) so the first parts, the largest,
        // go round the workers.
        let (request, part, take, replies_ref, failed_ref, helpers_ref) =
            (&request, &part, &take, &replies, &failed, &helpers);
        // `None`: the main worker; `Some(h)`: helper `h`.
        let lane = move |helper: Option<usize>| async move {
            while let Some(i) = take() {
                let answer = match helper.and_then(|h| helpers_ref.get(h)) {
                    None => client::call(request(part(i))).await,
                    Some(helper) => helper.call(request(part(i))).await,
                };
                match (answer, helper) {
                    (Ok(reply), _) => replies_ref.borrow_mut()[i] = Some(reply),
                    // The main worker's failure is the answer.
                    (Err(why), None) => return Err(why),
                    (Err(why), Some(_)) => {
                        web_sys::console::warn_1(
                            &format!(
                                "a helper model worker failed ({why}); the main one redoes its part"
                            )
                            .into(),
                        );
                        failed_ref.borrow_mut().push(i);
                        return Ok(());
                    }
                }
            }
            Ok(())
        };
        let lanes = (0..IN_FLIGHT).flat_map(|_| {
            std::iter::once(None)
                .chain((0..helpers.len()).map(Some))
                .map(lane)
        });
        for result in futures::future::join_all(lanes).await {
            result?;
        }
        for i in failed.take() {
            let reply = client::call(request(part(i))).await?;
            replies.borrow_mut()[i] = Some(reply);
        }
        replies
            .take()
            .into_iter()
            .map(|reply| reply.ok_or_else(|| "a part of the request was not answered".to_string()))
            .collect()
    }

    /// LeNet-5's class probabilities for each image.
    pub async fn classify(&self, images: &[Vec<f32>]) -> Result<Vec<[f32; 10]>, String> {
        let request = Request::Classify {
            backend: self.backend,
            images: flatten(images, IMAGE_PIXELS, "an image")?,
        };
        match client::call(request).await? {
            Reply::Probabilities(values) => Ok(values
                .chunks_exact(10)
                .map(|p| {
                    let mut row = [0.0; 10];
                    row.copy_from_slice(p);
                    row
                })
                .collect()),
            other => Err(unexpected(&other)),
        }
    }

    /// The plain autoencoder's code and reconstruction of each image, when AE-2 is shipped.
    pub async fn autoencode(
        &self,
        images: &[Vec<f32>],
    ) -> Result<Option<Vec<(Vec<f32>, Vec<f32>)>>, String> {
        let request = Request::Autoencode {
            backend: self.backend,
            images: flatten(images, IMAGE_PIXELS, "an image")?,
        };
        match client::call(request).await? {
            Reply::Autoencoded(None) => Ok(None),
            Reply::Autoencoded(Some(a)) => Ok(Some(
                unflatten(&a.codes, a.dim as usize)
                    .into_iter()
                    .zip(unflatten(&a.images, IMAGE_PIXELS))
                    .collect(),
            )),
            other => Err(unexpected(&other)),
        }
    }

    /// [`REFERENCE_PER_CLASS`] synthetic digits of each class encoded by `which`, computed
    /// once per model and kept.
    pub async fn references(&self, which: VaeChoice) -> Result<Rc<ReferenceSet>, String> {
        let key = (which, vae_training::in_use(which));
        if let Some(set) = self.references.borrow().get(&key) {
            return Ok(set.clone());
        }
        let request = Request::References {
            backend: self.backend,
            model: which,
        };
        let (images, labels, posteriors) = match client::call(request).await? {
            Reply::References {
                images,
                labels,
                dim,
                mu,
                log_var,
            } => (
                unflatten(&images, IMAGE_PIXELS),
                labels,
                posteriors(dim as usize, &mu, &log_var),
            ),
            other => return Err(unexpected(&other)),
        };
        let mus: Vec<Vec<f32>> = posteriors.iter().map(|p| p.mu.clone()).collect();
        let projection = Projection::fit(&mus, self.latent_dim(which));
        let set = Rc::new(ReferenceSet {
            images,
            labels,
            posteriors,
            projection,
        });
        self.references.borrow_mut().insert(key, set.clone());
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_shrink_cover_every_item_once_and_keep_whole_slices() {
        let sizes = |count, workers| -> Vec<usize> {
            parts(count, workers).iter().map(|r| r.len()).collect()
        };
        assert_eq!(sizes(400, 2), [200, 96, 48, 24, 16, 8, 8]);
        assert_eq!(
            sizes(400, 4),
            [96, 72, 56, 40, 32, 24, 16, 16, 8, 8, 8, 8, 8, 8]
        );
        assert_eq!(sizes(49, 3), [16, 8, 8, 8, 8, 1]);
        assert_eq!(sizes(5, 4), [5]);
        assert!(parts(0, 2).is_empty());
        for count in [1, 16, 17, 63, 300, 400, 1000] {
            for workers in [1, 2, 3, 8] {
                let p = parts(count, workers);
                assert_eq!(p.first().map(|r| r.start), Some(0));
                assert_eq!(p.last().map(|r| r.end), Some(count));
                assert!(p.windows(2).all(|w| w[0].end == w[1].start));
                assert!(p[..p.len() - 1].iter().all(|r| r.len() % SLICE == 0));
            }
        }
    }
}
